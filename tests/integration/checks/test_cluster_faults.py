"""Faults injected into a real cluster: each fails the right check with a precise message."""

from __future__ import annotations

import pytest

from components.render.redis_layout import CLUSTER_SLOTS
from tests.integration.checks.conftest import (
    assert_agrees_with_redis_cli,
    cluster_nodes,
    joined,
    run_checks,
    wait_until,
)
from tests.support.redis_failover import replicas_of
from tests.support.redis_servers import RedisClusterHandle

pytestmark = pytest.mark.integration


def flagged_fail_by_all(cluster: RedisClusterHandle, port: int, live: list[int]) -> bool:
    return all("fail" in cluster_nodes(cluster, p)[f"127.0.0.1:{port}"]["flags"].split(",") for p in live)


def test_a_killed_master_before_and_after_failover(
    fresh_cluster: RedisClusterHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = fresh_cluster
    every_node = ["--redis-cluster", joined(cluster.nodes)]
    master = cluster.masters()[0]
    (replica,) = replicas_of(cluster, master)
    live = [port for _, port in cluster.nodes if port != master]
    owned = sum(
        int(last) - int(first) + 1
        for first, last in cluster_nodes(cluster, master)[f"127.0.0.1:{master}"]["slots"]
    )
    # Hold the failover back, to look at the cluster in between.
    with cluster.client(replica) as client:
        client.config_set("cluster-replica-no-failover", "yes")
        # However long it was held back, the replica may still take over once allowed.
        client.config_set("cluster-replica-validity-factor", "0")
    cluster.kill(master)
    wait_until(lambda: flagged_fail_by_all(cluster, master, live), "every live node flags the master fail")
    wait_until(
        lambda: all(int(cluster.cluster_info(p)["cluster_slots_fail"]) == owned for p in live),
        "every live node counts the lost master's slots as failed",
    )

    before = run_checks(capsys, *every_node)
    assert before.code == 1, before.document
    # The other shards keep serving (cluster-require-full-coverage no): cluster_state stays ok,
    # and the lost shard shows in the slots, the flags and the topology.
    assert before.not_ok("redis-cluster") == {
        ("redis-cluster", name)
        for name in ("reachable", "slot_coverage", "node_health", "topology", "replication")
    }
    assert before.result("redis-cluster", "replication")["message"].startswith(
        f"replica 127.0.0.1:{replica} of master 127.0.0.1:{master} has master_link_status:down"
    )
    assert all(cluster.cluster_info(p)["cluster_state"] == "ok" for p in live)
    refused = f"127.0.0.1:{master} did not answer (127.0.0.1:{master}: connection refused)"
    assert before.result("redis-cluster", "reachable")["message"] == refused
    coverage = f"sees 0 slots in pfail and {owned} in fail"
    assert coverage in before.result("redis-cluster", "slot_coverage")["message"]
    assert f"node 127.0.0.1:{master} (" in before.result("redis-cluster", "node_health")["message"]
    assert "flagged fail by 5 node(s)" in before.result("redis-cluster", "node_health")["message"]
    assert before.result("redis-cluster", "topology")["message"] == "2 masters serve slots, expected 3"
    assert_agrees_with_redis_cli(before, live[0])

    with cluster.client(replica) as client:
        client.config_set("cluster-replica-no-failover", "no")
    wait_until(lambda: replica in cluster.masters(), "the replica takes over")
    # cluster_state stays ok throughout (full coverage is not required), so wait for what the
    # checks judge: every live node serving all slots again from the promoted replica.
    wait_until(
        lambda: all(int(cluster.cluster_info(p)["cluster_slots_ok"]) == CLUSTER_SLOTS for p in live),
        "every live node sees all slots ok again",
    )

    after = run_checks(capsys, *every_node)
    assert after.code == 1, after.document
    assert after.not_ok("redis-cluster") == {
        ("redis-cluster", name) for name in ("reachable", "node_health", "topology")
    }
    topology = after.result("redis-cluster", "topology")["message"]
    assert topology.startswith(f"master 127.0.0.1:{replica} (slots ")
    assert topology.endswith("has 0 healthy replica(s), expected 1")
    assert_agrees_with_redis_cli(after, live[0])


def test_uncovered_slots_then_a_master_without_replica(
    fresh_cluster: RedisClusterHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = fresh_cluster
    seed = ["--redis-cluster", joined(cluster.nodes[:1])]
    master = cluster.masters()[0]
    with cluster.client(master) as client:
        first = int(cluster_nodes(cluster, master)[f"127.0.0.1:{master}"]["slots"][0][0])
        client.execute_command("CLUSTER DELSLOTS", first, first + 1, first + 2)
        wait_until(
            lambda: cluster.cluster_info(master)["cluster_slots_assigned"] == "16381", "3 slots unassigned"
        )
        uncovered = run_checks(capsys, *seed)
        assert_agrees_with_redis_cli(uncovered, master)
        client.execute_command("CLUSTER ADDSLOTS", first, first + 1, first + 2)
    assert uncovered.code == 1, uncovered.document
    assert ("redis-cluster", "slot_coverage") in uncovered.not_ok("redis-cluster")
    assert uncovered.result("redis-cluster", "slot_coverage")["message"] == (
        f"127.0.0.1:{master} has 16381 of 16384 slots assigned (unassigned: {first}-{first + 2})"
    )
    assert (
        f"on slots {first}-{first + 2}" in uncovered.result("redis-cluster", "slot_map_agreement")["message"]
    )

    cluster.wait_state_ok()
    (replica,) = replicas_of(cluster, master)
    cluster.kill(replica)
    live = [port for _, port in cluster.nodes if port != replica]
    wait_until(lambda: flagged_fail_by_all(cluster, replica, live), "every live node flags the replica fail")
    orphaned = run_checks(capsys, *seed)
    assert orphaned.code == 1, orphaned.document
    assert orphaned.not_ok("redis-cluster") == {
        ("redis-cluster", name) for name in ("reachable", "node_health", "topology")
    }
    assert orphaned.result("redis-cluster", "topology")["message"].startswith(
        f"master 127.0.0.1:{master} (slots "
    )
    assert orphaned.result("redis-cluster", "topology")["message"].endswith(
        "has 0 healthy replica(s), expected 1"
    )
    assert_agrees_with_redis_cli(orphaned, master)
