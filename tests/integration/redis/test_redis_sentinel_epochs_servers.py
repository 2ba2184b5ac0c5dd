"""Sentinels that name different primaries: the start scripts follow the newest configuration.

Right after a failover only the leader names the promoted replica; the other Sentinels name
the old primary until its hello message reaches them. A data node starting in that moment
asks every Sentinel and must follow the one whose configuration is newer, the higher
``config-epoch`` (what Sentinel itself trusts: sentinel.c, sentinelProcessHelloMessage
switches only to a configuration of a higher epoch), whatever order they answer in.

Two real Sentinel groups stand in for the two views, so neither can correct the other: the
stale one has never failed over (epoch 0), the newer one has just promoted a replica
(epoch 1). The starting node lists no data node that answers as primary, so the Sentinels'
answers alone decide.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest
import redis

from tests.support.ports import free_ports
from tests.support.redis_processes import HOST
from tests.support.sentinel_servers import SentinelGroupHandle, sentinel_group

pytestmark = pytest.mark.integration

FAILOVER_SECONDS = 60


@pytest.fixture
def admin_password() -> str:
    # The data nodes and Sentinels of both groups share the admin password, as one group would.
    return secrets.token_urlsafe(24)


@pytest.fixture
def stale(admin_password: str) -> Iterator[SentinelGroupHandle]:
    with sentinel_group(password=admin_password) as handle:
        yield handle


@pytest.fixture
def newer(admin_password: str) -> Iterator[SentinelGroupHandle]:
    with sentinel_group(password=admin_password) as handle:
        fail_over(handle)
        yield handle


def config_epochs(group: SentinelGroupHandle) -> set[int]:
    """The config-epoch each Sentinel of ``group`` holds for the primary it names."""
    epochs = set()
    for port in group.sentinel_ports:
        with group.client(port) as client:
            epochs.add(int(client.sentinel_master(group.master_name)["config-epoch"]))
    return epochs


def fail_over(group: SentinelGroupHandle) -> None:
    """SENTINEL FAILOVER until a Sentinel accepts (a replica is no candidate until its INFO was
    read), then until every Sentinel names the promoted replica."""
    old = group.primary()
    deadline = time.monotonic() + FAILOVER_SECONDS
    with group.client(group.sentinel_ports[0]) as sentinel:
        while True:
            try:
                sentinel.execute_command("SENTINEL", "FAILOVER", group.master_name)
                break
            except redis.ResponseError as error:
                assert time.monotonic() < deadline, f"no failover accepted: {error}"
                time.sleep(0.5)
    while any(group.primary(port) == old for port in group.sentinel_ports):
        assert time.monotonic() < deadline, f"a Sentinel still names {old} after the failover"
        time.sleep(0.2)


def replicated_primary(group: SentinelGroupHandle, port: int) -> tuple[str, int]:
    """The primary the data node on ``port`` replicates, once its link is up."""
    deadline = time.monotonic() + FAILOVER_SECONDS
    while True:
        with group.client(port) as client:
            info = client.info("replication")
        if info["role"] == "slave" and info["master_link_status"] == "up":
            return str(info["master_host"]), int(info["master_port"])
        assert time.monotonic() < deadline, f"node {port} never linked to a primary: {info}"
        time.sleep(0.2)


def test_a_starting_data_node_follows_the_sentinel_with_the_higher_config_epoch(
    stale: SentinelGroupHandle, newer: SentinelGroupHandle
) -> None:
    assert (config_epochs(stale), config_epochs(newer)) == ({0}, {1})
    promoted = newer.primary()
    assert promoted is not None and promoted != stale.primary()

    orders = {
        "stale Sentinel first": [*stale.sentinels, *newer.sentinels],
        "newer Sentinel first": [*newer.sentinels, *stale.sentinels],
    }
    ports = dict(zip(orders, free_ports(len(orders)), strict=True))
    for order, sentinels in orders.items():
        node = newer.add_data_node(ports[order], sentinels=sentinels, data_nodes=[(HOST, ports[order])])
        node.start()

    followed = {order: replicated_primary(newer, port) for order, port in ports.items()}
    assert followed == dict.fromkeys(orders, promoted)
