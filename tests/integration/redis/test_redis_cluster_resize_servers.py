"""masters 3 -> 4 -> 3 on a live cluster under client load: the Jobs move slots, nothing is lost."""

from __future__ import annotations

import pytest

from tests.support.redis_failover import add_masters_under_load, remove_masters_under_load
from tests.support.redis_load import WriteLoad
from tests.support.redis_servers import RedisClusterHandle, redis_cluster

pytestmark = pytest.mark.integration


def slots_per_master(cluster: RedisClusterHandle) -> dict[str, int]:
    with cluster.client(cluster.masters()[0]) as client:
        nodes = client.execute_command("CLUSTER NODES").values()
    return {
        node["node_id"]: sum(int(span[-1]) - int(span[0]) + 1 for span in node["slots"])
        for node in nodes
        if node["slots"]
    }


def assert_nothing_failed(cluster: RedisClusterHandle, load: WriteLoad) -> None:
    assert load.errors == []
    with cluster.cluster_client() as client:
        assert load.lost(client) == []
    assert len(load.acknowledged) > 100


def test_adding_then_removing_a_master_under_load_loses_no_write() -> None:
    with redis_cluster(masters=3, replicas_per_master=1, own_addresses=True) as cluster:
        untouched = {port: cluster.processes[port].process for port in cluster.processes}
        before = set(cluster.processes)

        result, load, _ = add_masters_under_load(cluster, 4)

        assert result.returncode == 0, result.stdout + result.stderr
        cluster.wait_formed(timeout=60)
        for port in cluster.processes:
            assert cluster.topology(port) == (4, 4)
        assert (set(cluster.processes) - before) & set(cluster.masters()), "no new pod became a master"
        slots = slots_per_master(cluster)
        assert sum(slots.values()) == 16384 and min(slots.values()) >= 16384 // 4 - 100
        # Existing pods kept running: nothing in what they run changed.
        assert all(cluster.processes[port].process is process for port, process in untouched.items())
        assert_nothing_failed(cluster, load)

        drained, formed, load = remove_masters_under_load(cluster, 3)

        assert drained.returncode == 0, drained.stdout + drained.stderr
        assert formed.returncode == 0, formed.stdout + formed.stderr
        cluster.wait_formed(timeout=60)
        for port in cluster.processes:
            assert cluster.topology(port) == (3, 3)
        assert sum(slots_per_master(cluster).values()) == 16384
        assert_nothing_failed(cluster, load)


def test_fewer_masters_than_serving_slots_without_the_drain_is_refused() -> None:
    with redis_cluster(masters=3, replicas_per_master=1) as cluster:
        cluster.settings = cluster.settings.model_copy(update={"masters": 2})
        result = cluster.bootstrap()
        assert result.returncode == 1
        assert "3 masters serve slots, the settings want 2" in result.stderr
        assert "the drain Job moves their slots away first" in result.stderr
