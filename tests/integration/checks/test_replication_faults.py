"""A replica that no longer replicates, in the cluster and in the Sentinel group.

Its flags stay healthy (the cluster bus and the Sentinels still reach it), so only its own
``master_link_status`` shows that it serves ever older data and could not take over from its
master: exactly what a rotated password that reached the replica before the master does.
"""

from __future__ import annotations

import re

import pytest

from tests.integration.checks.conftest import Run, joined, primary_and_replica, run_checks, wait_until
from tests.support.redis_failover import replicas_of
from tests.support.redis_servers import RedisClusterHandle, SentinelGroupHandle

pytestmark = pytest.mark.integration


def link_status(servers: RedisClusterHandle | SentinelGroupHandle, port: int) -> str:
    with servers.client(port) as client:
        return str(client.info("replication")["master_link_status"])


def break_replication(servers: RedisClusterHandle | SentinelGroupHandle, port: int) -> None:
    """The replica on ``port`` gets a wrong replication password and reconnects with it."""
    with servers.client(port) as client:
        client.config_set("masterauth", "not-the-password")
        client.execute_command("CLIENT", "KILL", "TYPE", "master")
    wait_until(lambda: link_status(servers, port) == "down", "the replica's link is down")


def assert_link_down(run: Run, family: str, replica: int, master: int) -> None:
    """Only the replication check fails, naming the replica and its master."""
    assert run.code == 1, run.document
    assert run.not_ok(family) == {(family, "replication")}
    assert re.fullmatch(
        rf"replica 127\.0\.0\.1:{replica} of master 127\.0\.0\.1:{master} has master_link_status:down"
        r"( for \d+ s)?",
        run.result(family, "replication")["message"],
    )


def test_a_cluster_replica_whose_link_is_down_fails_and_names_its_master(
    fresh_cluster: RedisClusterHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = fresh_cluster
    master = cluster.masters()[0]
    (replica,) = replicas_of(cluster, master)
    break_replication(cluster, replica)

    run = run_checks(capsys, "--redis-cluster", joined(cluster.nodes[:1]))

    assert_link_down(run, "redis-cluster", replica, master)


def test_a_sentinel_replica_whose_link_is_down_fails_and_names_its_primary(
    fresh_group: SentinelGroupHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    group = fresh_group
    primary, replica = primary_and_replica(group)
    break_replication(group, replica)

    run = run_checks(capsys, "--sentinel", joined(group.sentinels), "--sentinel-master", group.master_name)

    assert_link_down(run, "sentinel", replica, primary)
