"""A real 6-node Redis Cluster formed by the rendered bootstrap script."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.redis_servers import RedisClusterHandle, redis_cluster

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisClusterHandle]:
    with redis_cluster(masters=3, replicas_per_master=1, node_timeout_ms=2000) as handle:
        yield handle


def test_bootstrap_forms_three_masters_with_one_replica_each(cluster: RedisClusterHandle) -> None:
    for _, port in cluster.nodes:
        info = cluster.cluster_info(port)
        assert info["cluster_state"] == "ok"
        assert info["cluster_slots_assigned"] == "16384"
        assert info["cluster_slots_ok"] == "16384"
        assert info["cluster_known_nodes"] == "6"
        assert info["cluster_size"] == "3"
    masters = cluster.masters()
    assert len(masters) == 3
    with cluster.client(masters[0]) as client:
        nodes = client.execute_command("CLUSTER NODES")
    replicas_of: dict[str, list[str]] = {}
    for node in nodes.values():
        if "slave" in node["flags"]:
            replicas_of.setdefault(node["master_id"], []).append(node["node_id"])
    assert sorted(len(replicas) for replicas in replicas_of.values()) == [1, 1, 1]


def test_second_bootstrap_run_changes_nothing(cluster: RedisClusterHandle) -> None:
    def topology() -> set[tuple[str, str, str]]:
        with cluster.client(cluster.nodes[0][1]) as client:
            nodes = client.execute_command("CLUSTER NODES")
        return {(n["node_id"], n["flags"].replace("myself,", ""), str(n["slots"])) for n in nodes.values()}

    before = topology()
    result = cluster.bootstrap()
    assert result.returncode == 0, result.stderr
    assert "nothing to change" in result.stdout
    assert topology() == before


def test_application_user_reads_and_writes_through_the_cluster_client(cluster: RedisClusterHandle) -> None:
    with cluster.cluster_client() as client:
        for index in range(50):
            client.set(f"product:{index}", str(index))
        assert [client.get(f"product:{index}") for index in range(50)] == [str(i) for i in range(50)]


def test_rendered_probes_pass_on_every_node_of_a_healthy_cluster(cluster: RedisClusterHandle) -> None:
    for _, port in cluster.nodes:
        assert cluster.probe(port) == {"liveness": 0, "readiness": 0}


def test_nodes_are_alive_but_not_ready_until_the_bootstrap_formed_the_cluster() -> None:
    with redis_cluster(masters=3, replicas_per_master=1, bootstrap=False) as fresh:
        port = fresh.nodes[0][1]
        assert fresh.cluster_info(port)["cluster_state"] == "fail"
        assert fresh.probe(port) == {"liveness": 0, "readiness": 1}
        assert fresh.bootstrap().returncode == 0
        fresh.wait_formed()
        assert fresh.probe(port) == {"liveness": 0, "readiness": 0}
