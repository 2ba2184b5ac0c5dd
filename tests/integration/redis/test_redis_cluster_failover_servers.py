"""Crashes and restarts of real Redis Cluster nodes: failover, rejoin, data kept, new addresses."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.redis_failover import (
    replicas_of,
    time_cluster_failover,
    time_full_restart_with_new_addresses,
)
from tests.support.redis_servers import RedisClusterHandle, redis_cluster

pytestmark = pytest.mark.integration

NODE_TIMEOUT_MS = 2000
KEYS = [f"product:{index}" for index in range(200)]


@pytest.fixture
def cluster() -> Iterator[RedisClusterHandle]:
    with redis_cluster(masters=3, replicas_per_master=1, node_timeout_ms=NODE_TIMEOUT_MS) as handle:
        yield handle


def write_and_replicate(cluster: RedisClusterHandle) -> None:
    """Write KEYS through the cluster client, then wait until every master's replica has them."""
    with cluster.cluster_client() as client:
        for key in KEYS:
            client.set(key, key.upper())
    for port in cluster.masters():
        with cluster.client(port) as admin:
            assert admin.execute_command("WAIT", 1, 5000) == 1


def read_all(cluster: RedisClusterHandle) -> dict[str, str | None]:
    with cluster.cluster_client() as client:
        return {key: client.get(key) for key in KEYS}


def test_killed_master_is_replaced_by_its_replica_and_data_survives(cluster: RedisClusterHandle) -> None:
    write_and_replicate(cluster)
    victim = cluster.masters()[0]
    seconds, promoted = time_cluster_failover(cluster, victim)
    print(f"\ncluster failover: {seconds:.2f} s (cluster-node-timeout {NODE_TIMEOUT_MS} ms)")
    assert promoted in cluster.masters()
    assert len(cluster.masters()) == 3
    assert read_all(cluster) == {key: key.upper() for key in KEYS}


def test_crashed_master_restarted_from_its_directory_rejoins_as_replica(cluster: RedisClusterHandle) -> None:
    victim = cluster.masters()[0]
    _, promoted = time_cluster_failover(cluster, victim)
    cluster.restart(victim)
    cluster.wait_formed()
    assert replicas_of(cluster, promoted) == [victim]
    with cluster.client(victim) as client:
        assert client.info("replication")["master_link_status"] == "up"


def test_whole_cluster_restarted_keeps_node_ids_slots_and_data(cluster: RedisClusterHandle) -> None:
    write_and_replicate(cluster)

    def slot_map() -> dict[int, tuple[str, str]]:
        result = {}
        for _, port in cluster.nodes:
            with cluster.client(port) as client:
                myself = next(
                    n for n in client.execute_command("CLUSTER NODES").values() if "myself" in n["flags"]
                )
            result[port] = (myself["node_id"], str(myself["slots"]))
        return result

    before = slot_map()
    for _, port in cluster.nodes:
        cluster.terminate(port)
    for _, port in cluster.nodes:
        cluster.restart(port)
    cluster.wait_formed()
    assert slot_map() == before
    assert read_all(cluster) == {key: key.upper() for key in KEYS}
    assert "nothing to change" in cluster.bootstrap().stdout


def test_the_other_shards_stay_ready_and_serve_while_one_has_no_master_left(
    cluster: RedisClusterHandle,
) -> None:
    """cluster-require-full-coverage no: a lost shard costs its own keys, not the whole cache."""
    write_and_replicate(cluster)
    victim = cluster.masters()[0]
    (replica,) = replicas_of(cluster, victim)
    survivors = [port for _, port in cluster.nodes if port not in (victim, replica)]
    with cluster.cluster_client() as client:
        surviving_keys = [key for key in KEYS if int(client.get_node_from_key(key).port) != victim]
    cluster.kill(replica)
    cluster.kill(victim)
    deadline = time.monotonic() + 30
    while int(cluster.cluster_info(survivors[0])["cluster_slots_fail"]) == 0:
        assert time.monotonic() < deadline, "the cluster never noticed the lost shard"
        time.sleep(0.1)
    assert {port: cluster.cluster_info(port)["cluster_state"] for port in survivors} == dict.fromkeys(
        survivors, "ok"
    )
    assert cluster.probe(survivors[0]) == {"liveness": 0, "readiness": 0}
    with cluster.cluster_client() as client:
        read = {key: client.get(key) for key in surviving_keys}
    assert read == {key: key.upper() for key in surviving_keys}


# Generous: re-forming takes a few cluster-bus round trips once every node resolved its peers.
REFORM_SECONDS = 60


def test_full_restart_with_every_address_changed_reforms_by_itself() -> None:
    """Each node on its own loopback address and pod name: all of them come back on new ones."""
    with redis_cluster(masters=3, replicas_per_master=1, own_addresses=True) as cluster:
        write_and_replicate(cluster)
        old = {port: process.host for port, process in cluster.processes.items()}
        ids = {port: _myid(cluster, port) for port in cluster.processes}

        time_full_restart_with_new_addresses(cluster, timeout=REFORM_SECONDS)

        assert all(cluster.processes[port].host != old[port] for port in old)
        assert {port: _myid(cluster, port) for port in cluster.processes} == ids
        assert read_all(cluster) == {key: key.upper() for key in KEYS}
        result = cluster.bootstrap()
        assert result.returncode == 0, result.stderr
        assert "nothing to change" in result.stdout


def _myid(cluster: RedisClusterHandle, port: int) -> str:
    with cluster.client(port) as client:
        return str(client.execute_command("CLUSTER MYID"))
