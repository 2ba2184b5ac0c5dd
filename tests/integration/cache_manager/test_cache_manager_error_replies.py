"""An error reply is a node that answered: a miss for that one call, never an open circuit.

Only failures to reach a node (refused, reset, timed out) count towards its circuit
breaker. WRONGTYPE, OOM and CLUSTERDOWN replies come from a node that works; opening its
breaker on them would turn one bad key, a full store or a failover elsewhere into seconds
of misses for every key on the node.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from redis.cluster import RedisCluster

from cache_manager import DistributedCacheManager
from cache_manager.circuit_breaker import BreakerState
from tests.integration.cache_manager.conftest import (
    CACHE_CLUSTER,
    SESSION_GROUP,
    MakeManager,
    commands_received,
    stack_settings,
)
from tests.support.redis_servers import RedisClusterHandle, SentinelGroupHandle

pytestmark = pytest.mark.integration


# Servers of this module's own: its tests unassign slots, migrate keys and fill the sessions
# store, so a run cut short midway must not leave the servers other tests share changed.
@pytest.fixture(scope="module")
def cache_cluster() -> Iterator[RedisClusterHandle]:
    with CACHE_CLUSTER() as handle:
        yield handle


@pytest.fixture(scope="module")
def cluster_admin(cache_cluster: RedisClusterHandle) -> Iterator[RedisCluster]:
    with cache_cluster.cluster_client(user=cache_cluster.admin_user) as client:
        yield client


@pytest.fixture(scope="module")
def session_group() -> Iterator[SentinelGroupHandle]:
    with SESSION_GROUP() as handle:
        yield handle


# More error replies than the breaker's threshold: each would have counted as a failure.
REPLIES = stack_settings().cache.breaker_failures + 1


def neighbour_of(manager: DistributedCacheManager, cluster_admin: RedisCluster, key: str) -> str:
    """A product id whose key lives on the same node as ``key``, in another slot."""
    node = cluster_admin.get_node_from_key(key).name
    slot = cluster_admin.keyslot(key)
    for n in range(10_000):
        candidate = manager.keys.product(f"n-{n}")
        if (
            cluster_admin.get_node_from_key(candidate).name == node
            and cluster_admin.keyslot(candidate) != slot
        ):
            return f"n-{n}"
    raise AssertionError(f"no other slot on {node}")


def node_state(manager: DistributedCacheManager, node: str) -> BreakerState:
    return manager.breaker_states().get(node, BreakerState.CLOSED)


def test_wrongtype_replies_are_misses_and_the_node_keeps_serving(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    key = manager.keys.product("p-list")
    cluster_admin.lpush(key, "written by something else")
    node = cluster_admin.get_node_from_key(key).name
    neighbour = neighbour_of(manager, cluster_admin, key)
    assert manager.cache_product(neighbour, {"id": neighbour})

    assert [manager.get_product("p-list") for _ in range(REPLIES)] == [None] * REPLIES

    assert node_state(manager, node) is BreakerState.CLOSED
    assert manager.get_product(neighbour) == {"id": neighbour}
    assert manager.metrics.value("errors_total", {"operation": "get", "reason": "WRONGTYPE"}) == REPLIES
    assert manager.stats()["product"] == {"hits": 1, "misses": REPLIES, "hitRatio": 1 / (REPLIES + 1)}


@contextmanager
def slot_unassigned(cluster: RedisClusterHandle, port: int, slot: int) -> Iterator[None]:
    """The node on ``port`` stops serving ``slot`` (its keys stay) and answers CLUSTERDOWN for it."""
    with cluster.client(port) as client:
        client.execute_command("CLUSTER DELSLOTS", slot)
        try:
            yield
        finally:
            client.execute_command("CLUSTER ADDSLOTS", slot)


def test_a_clusterdown_reply_is_a_miss_for_that_call_only(
    manager: DistributedCacheManager, cluster_admin: RedisCluster, cache_cluster: RedisClusterHandle
) -> None:
    key = manager.keys.product("p-down")
    assert manager.cache_product("p-down", {"id": "p-down"})
    owner = cluster_admin.get_node_from_key(key)
    neighbour = neighbour_of(manager, cluster_admin, key)
    assert manager.cache_product(neighbour, {"id": neighbour})
    before = commands_received(cache_cluster, int(owner.port), "get")

    with slot_unassigned(cache_cluster, int(owner.port), cluster_admin.keyslot(key)):
        missed = [manager.get_product("p-down") for _ in range(REPLIES)]
        received = commands_received(cache_cluster, int(owner.port), "get") - before
        assert node_state(manager, owner.name) is BreakerState.CLOSED
        assert manager.get_product(neighbour) == {"id": neighbour}

    assert missed == [None] * REPLIES
    # One GET per call: no retry, no pause waiting for the cluster to come back.
    assert received == REPLIES
    assert manager.metrics.value("errors_total", {"operation": "get", "reason": "CLUSTERDOWN"}) == REPLIES
    assert manager.get_product("p-down") == {"id": "p-down"}  # the very next call after it


def test_in_a_batch_an_error_reply_costs_only_its_slots_keys(
    manager: DistributedCacheManager, cluster_admin: RedisCluster, cache_cluster: RedisClusterHandle
) -> None:
    """One slot of a node answers CLUSTERDOWN: the node's other slots in the same pipeline
    are written and read as usual, and only that slot's key is dropped (after one retry)."""
    products = {f"p-{n}": n for n in range(30)}
    assert manager.mset(products) == len(products)
    key = manager.keys.product("p-0")
    owner = cluster_admin.get_node_from_key(key)
    neighbours = [
        p
        for p in products
        if p != "p-0" and cluster_admin.get_node_from_key(manager.keys.product(p)).name == owner.name
    ]
    assert neighbours  # the same node, other slots: in the same pipeline
    with slot_unassigned(cache_cluster, int(owner.port), cluster_admin.keyslot(key)):
        assert manager.mset({p: n + 100 for p, n in products.items()}) == len(products) - 1
        found = manager.mget(list(products))
    assert found == {p: n + 100 for p, n in products.items() if p != "p-0"}
    assert manager.metrics.value("dropped_writes_total", {"strategy": "product"}) == 1
    assert manager.metrics.value("errors_total", {"operation": "mset", "reason": "CLUSTERDOWN"}) == 2
    assert manager.metrics.value("errors_total", {"operation": "mget", "reason": "CLUSTERDOWN"}) == 2
    assert node_state(manager, owner.name) is BreakerState.CLOSED
    assert manager.get_product("p-0") == 0  # the refused write never reached it


@contextmanager
def full_store(group: SentinelGroupHandle, headroom_bytes: int) -> Iterator[None]:
    """The primary's maxmemory set to what it uses now plus ``headroom_bytes`` (noeviction)."""
    primary = group.primary()
    assert primary is not None
    with group.client(primary[1]) as client:
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        limit = client.config_get("maxmemory")["maxmemory"]
        client.config_set("maxmemory", int(client.info("memory")["used_memory"]) + headroom_bytes)
        try:
            yield
        finally:
            client.config_set("maxmemory", limit)


def test_a_full_sessions_store_refuses_writes_and_still_serves_sessions(
    make_manager: MakeManager, session_group: SentinelGroupHandle
) -> None:
    manager = make_manager(stack_settings())
    sessions: dict[str, Any] = {f"s-{n}": {"user": f"u-{n}", "cart": [n]} for n in range(5)}
    for session_id, data in sessions.items():
        assert manager.cache_session(session_id, data, user_id=data["user"])
    written = refused = 0
    try:
        with full_store(session_group, headroom_bytes=64 * 1024):
            while refused < REPLIES:  # fill it up, then keep trying as users keep logging in
                if manager.cache_session(f"filler-{written + refused}", {"pad": "x" * 1024}):
                    written += 1
                else:
                    refused += 1
                assert written < 10_000, "the store never filled up"
            read = {session_id: manager.get_session(session_id) for session_id in sessions}
            assert node_state(manager, "sessions") is BreakerState.CLOSED
    finally:
        for number in range(written + refused):
            manager.delete_session(f"filler-{number}")
    assert read == sessions  # nobody looks logged out
    assert manager.metrics.value("errors_total", {"operation": "set", "reason": "OOM"}) == REPLIES
    assert manager.metrics.value("dropped_writes_total", {"strategy": "session"}) == REPLIES


@contextmanager
def key_migrated(cluster: RedisClusterHandle, key: str, source: int, destination: int) -> Iterator[None]:
    """``key`` moved to ``destination`` in the middle of its slot's migration (MIGRATING /
    IMPORTING, as redis-cli --cluster reshard leaves it between keys); undone on exit."""
    with cluster.client(source) as src, cluster.client(destination) as dst:
        slot = int(src.execute_command("CLUSTER KEYSLOT", key))
        src_id, dst_id = src.execute_command("CLUSTER MYID"), dst.execute_command("CLUSTER MYID")
        dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", src_id)
        src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", dst_id)
        src.execute_command(
            "MIGRATE",
            "127.0.0.1",
            destination,
            "",
            0,
            5000,
            "AUTH2",
            cluster.admin_user,
            cluster.password,
            "KEYS",
            key,
        )
        try:
            yield
        finally:
            pipe = dst.pipeline(transaction=False)  # one connection: ASKING covers the DEL
            pipe.execute_command("ASKING")
            pipe.delete(key)
            pipe.execute()
            for client in (dst, src):
                client.execute_command("CLUSTER SETSLOT", slot, "STABLE")


def test_a_key_in_a_slot_being_migrated_is_read_through_ask(
    manager: DistributedCacheManager, cluster_admin: RedisCluster, cache_cluster: RedisClusterHandle
) -> None:
    assert manager.cache_product("p-ask", {"id": "p-ask"})
    key = manager.keys.product("p-ask")
    source = cluster_admin.get_node_from_key(key)
    destination = next(port for port in cache_cluster.masters() if port != int(source.port))
    with key_migrated(cache_cluster, key, int(source.port), destination):
        assert [manager.get_product("p-ask") for _ in range(REPLIES)] == [{"id": "p-ask"}] * REPLIES
        assert manager.metrics.error_count() == 0
        # A batch does not follow ASK: after one refresh and retry the key is a counted miss.
        assert manager.mget(["p-ask"]) == {}
    assert manager.metrics.value("errors_total", {"operation": "mget", "reason": "ASK"}) == 1
    assert manager.metrics.error_count() == 1
    assert node_state(manager, source.name) is BreakerState.CLOSED
