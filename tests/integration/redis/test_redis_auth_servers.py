"""Auth on real servers: nobody gets in anonymously, the application user cannot do damage."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import redis

from tests.support.redis_servers import HOST, RedisClusterHandle, redis_cluster
from tests.support.sentinel_servers import SentinelGroupHandle, sentinel_group

pytestmark = pytest.mark.integration

# The commands the issue names; each must be refused to the application user.
DANGEROUS = [
    ("FLUSHALL",),
    ("FLUSHDB",),
    ("CONFIG", "GET", "maxmemory"),
    ("DEBUG", "SLEEP", "0"),
    ("KEYS", "*"),
]


# A configured admin password may hold anything; replication and Sentinel must still log in.
AWKWARD_PASSWORD = 'sp ace "quote" back\\slash #hash'


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisClusterHandle]:
    with redis_cluster(masters=3, replicas_per_master=1, password=AWKWARD_PASSWORD) as handle:
        yield handle


@pytest.fixture(scope="module")
def group() -> Iterator[SentinelGroupHandle]:
    with sentinel_group(data_nodes=2, sentinels=3, password=AWKWARD_PASSWORD) as handle:
        yield handle


def test_an_awkward_admin_password_still_carries_replication_and_sentinel(
    cluster: RedisClusterHandle, group: SentinelGroupHandle
) -> None:
    assert cluster.password == AWKWARD_PASSWORD == group.password
    # The fixtures only start once every replica is linked and the Sentinels have quorum.
    for port in cluster.masters():
        with cluster.client(port) as client:
            assert client.info("replication")["connected_slaves"] == 1
    assert group.ckquorum(group.sentinels[0][1]).startswith("OK")


def anonymous_reply(port: int, command: bytes = b"PING") -> bytes:
    """The raw first reply line to a command sent without any AUTH."""
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(command + b"\r\n")
        return sock.recv(256).split(b"\r\n")[0]


def test_every_cluster_node_refuses_anonymous_clients(cluster: RedisClusterHandle) -> None:
    for _, port in cluster.nodes:
        assert anonymous_reply(port).startswith(b"-NOAUTH")
        assert anonymous_reply(port, b"GET product:1").startswith(b"-NOAUTH")


def test_every_sentinel_and_data_node_refuses_anonymous_clients(group: SentinelGroupHandle) -> None:
    for _, port in group.sentinels + group.data_nodes:
        assert anonymous_reply(port).startswith(b"-NOAUTH")


def test_a_wrong_password_is_refused(cluster: RedisClusterHandle, group: SentinelGroupHandle) -> None:
    for handle, port in ((cluster, cluster.nodes[0][1]), (group, group.sentinels[0][1])):
        with (
            handle.client(port, user="app", password="not-the-password") as client,
            pytest.raises(redis.AuthenticationError),
        ):
            client.ping()


@pytest.mark.parametrize("command", DANGEROUS, ids=lambda command: command[0])
def test_application_user_is_refused_dangerous_commands(
    cluster: RedisClusterHandle, command: tuple[str, ...]
) -> None:
    port = cluster.masters()[0]
    with cluster.client(port, user="app") as client:
        assert client.ping()
        # DEBUG is also disabled server-wide; the ACL dry run below proves the user is barred too.
        with pytest.raises(redis.ResponseError):
            client.execute_command(*command)
    with cluster.client(port) as admin:
        verdict = admin.execute_command("ACL", "DRYRUN", "app", *command)
    assert "no permissions" in verdict


def test_admin_user_may_run_what_the_application_user_may_not(cluster: RedisClusterHandle) -> None:
    with cluster.client(cluster.masters()[0]) as client:
        assert client.config_get("maxmemory") == {"maxmemory": str(64 * 2**20)}


def test_metrics_user_reads_info_but_no_data(cluster: RedisClusterHandle) -> None:
    with cluster.client(cluster.masters()[0], user="metrics") as client:
        assert client.info("server")["redis_mode"] == "cluster"
        assert client.execute_command("CLUSTER INFO")["cluster_state"] == "ok"
        for command in (("GET", "product:1"), ("SET", "product:1", "x"), ("FLUSHALL",)):
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.execute_command(*command)


def test_application_user_asks_sentinels_but_cannot_reconfigure_them(group: SentinelGroupHandle) -> None:
    with group.client(group.sentinels[0][1], user="app") as client:
        assert client.execute_command("SENTINEL GET-MASTER-ADDR-BY-NAME", group.master_name)
        for command in (
            ("SENTINEL", "FAILOVER", group.master_name),
            ("SENTINEL", "REMOVE", group.master_name),
        ):
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.execute_command(*command)


def test_sessions_group_refuses_writes_when_full_instead_of_evicting(group: SentinelGroupHandle) -> None:
    with group.client(group.data_nodes[0][1]) as client:
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
