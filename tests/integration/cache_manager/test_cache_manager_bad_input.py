"""Clear errors where the caller made the mistake, misses where the infrastructure did."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from redis.cluster import RedisCluster

from cache_manager import (
    CacheError,
    DistributedCacheManager,
    DuplicateIdError,
    InvalidKeyError,
    NoneValueError,
    SerializationError,
    UnknownStrategyError,
    ValueTooLargeError,
)
from cache_manager.circuit_breaker import BreakerState
from tests.integration.cache_manager.conftest import MakeManager, stack_settings
from tests.support.ports import free_ports

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.cache_product("", {}),
        lambda m: m.get_product(""),
        lambda m: m.cache_price(" ", 1),
        lambda m: m.get_recommendations(None),
        lambda m: m.cache_session("", {}),
        lambda m: m.cache_search_results("   ", []),
        lambda m: m.invalidate_product(""),
        lambda m: m.invalidate_user_cache(""),
        lambda m: m.mget(["p-1", ""]),
        lambda m: m.mset([("p-1", 1), ("", 2)]),
    ],
)
def test_empty_ids_are_refused(manager: DistributedCacheManager, call: Any) -> None:
    with pytest.raises(InvalidKeyError):
        call(manager)
    assert manager.metrics.error_count() == 0  # nothing reached Redis


def test_unserialisable_values_are_refused_and_nothing_is_stored(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    with pytest.raises(SerializationError, match="product p-1: cannot serialise dict"):
        manager.cache_product("p-1", {"created": object()})
    with pytest.raises(SerializationError, match="session s-1"):
        manager.cache_session("s-1", {"cart": {1, 2}})
    with pytest.raises(SerializationError):
        manager.mset([("p-2", {"ok": True}), ("p-3", float("nan"))])
    assert not cluster_admin.exists(manager.keys.product("p-1"), manager.keys.product("p-2"))


def test_oversized_values_are_refused_with_the_limit_from_settings(
    make_manager: MakeManager, cluster_admin: RedisCluster
) -> None:
    manager = make_manager(stack_settings(max_value_bytes=1024))
    assert manager.cache_product("p-small", "x" * 1000) is True
    with pytest.raises(ValueTooLargeError, match="above the limit of 1024 bytes"):
        manager.cache_product("p-big", "x" * 1024)
    with pytest.raises(ValueTooLargeError):
        manager.cache_search_results("laptop", [{"id": "p-1", "blob": "x" * 2000}])
    with pytest.raises(ValueTooLargeError):
        manager.mset({"p-a": 1, "p-b": "x" * 2000})
    assert not cluster_admin.exists(manager.keys.product("p-big"), manager.keys.product("p-a"))
    assert not cluster_admin.exists(manager.keys.product_tag("p-1"))


def test_duplicate_ids_in_mset_are_refused_and_nothing_is_stored(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    with pytest.raises(DuplicateIdError, match=r"^mset got product id 'p-1' more than once: "):
        manager.mset([("p-1", {"v": 1}), ("p-2", {"v": 2}), ("p-1", {"v": 3})])
    # 7 and "7" name the same entry, as they would in get_product.
    with pytest.raises(CacheError, match=r"^mset got price id '7' more than once: "):
        manager.mset({7: 1, "7": 2}, strategy="price")
    assert not cluster_admin.exists(manager.keys.product("p-1"), manager.keys.product("p-2"))
    assert not cluster_admin.exists(manager.keys.price("7"))
    assert manager.metrics.error_count() == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.cache_product("p-1", None),
        lambda m: m.cache_price("p-1", None),
        lambda m: m.cache_search_results("laptop", None),
        lambda m: m.cache_session("s-1", None),
        lambda m: m.cache_recommendations("u-1", None),
        lambda m: m.mset({"p-2": {"ok": True}, "p-1": None}),
    ],
)
def test_none_values_are_refused_and_nothing_is_stored(
    manager: DistributedCacheManager, cluster_admin: RedisCluster, call: Any
) -> None:
    with pytest.raises(NoneValueError, match="None cannot be cached: a read could not tell it from a miss"):
        call(manager)
    assert not cluster_admin.exists(manager.keys.product("p-1"), manager.keys.product("p-2"))
    assert not cluster_admin.exists(manager.keys.price("p-1"), manager.keys.recommendations("u-1"))
    assert manager.metrics.error_count() == 0


def test_unknown_strategies_are_refused(manager: DistributedCacheManager) -> None:
    with pytest.raises(UnknownStrategyError, match="unknown strategy 'products'"):
        manager.get_or_load("products", "p-1", dict)
    with pytest.raises(UnknownStrategyError, match="batches support"):
        manager.mset({"s-1": {}}, strategy="session")


def test_sessions_need_a_sentinel_address(cache_cluster: Any) -> None:
    with DistributedCacheManager.from_settings(
        stack_settings(), cluster_nodes=cache_cluster.nodes, password=cache_cluster.app_password
    ) as manager:
        assert manager.cache_product("p-1", 1) is True
        with pytest.raises(CacheError, match="no sessions store"):
            manager.get_session("s-1")


def every_operation(manager: DistributedCacheManager) -> list[Any]:
    return [
        manager.cache_product("p-1", {"id": "p-1"}),
        manager.get_product("p-1"),
        manager.cache_price("p-1", 10),
        manager.get_price("p-1"),
        manager.cache_search_results("laptop", [{"id": "p-1"}]),
        manager.get_search_results("laptop"),
        manager.cache_session("s-1", {}, user_id="u-1"),
        manager.get_session("s-1"),
        manager.cache_recommendations("u-1", []),
        manager.get_recommendations("u-1"),
        manager.mset({"p-1": 1, "p-2": 2}),
        manager.mget(["p-1", "p-2"]),
        manager.get_or_load("product", "p-3", lambda: {"loaded": True}),
        manager.invalidate_product("p-1"),
        manager.invalidate_user_cache("u-1"),
        manager.key_distribution(),
    ]


EVERYTHING_MISSED = [
    False, None, False, None, False, None, False, None, False, None,
    0, {}, {"loaded": True}, False, False, {},
]  # fmt: skip


def test_a_wrong_password_gives_misses_not_exceptions(
    make_manager: MakeManager, caplog: pytest.LogCaptureFixture
) -> None:
    manager = make_manager(password="not-the-password")
    with caplog.at_level(logging.DEBUG, logger="cache_manager"):
        results = every_operation(manager)
    assert results == EVERYTHING_MISSED
    assert manager.metrics.value("errors_total", {"operation": "get", "reason": "auth"}) >= 1
    assert manager.metrics.error_count() >= 10
    warnings = [record for record in caplog.records if "refused the credentials" in record.getMessage()]
    assert len(warnings) == 2  # once for the cluster, once for the sessions group
    assert "not-the-password" not in caplog.text


def test_redis_down_gives_misses_and_the_breaker_stops_calling(make_manager: MakeManager) -> None:
    ports = free_ports(2)  # nothing listens there
    manager = DistributedCacheManager.from_url(
        f"redis://app:secret@127.0.0.1:{ports[0]}",
        f"redis+sentinel://app:secret@127.0.0.1:{ports[1]}/sessions",
        settings=stack_settings(breaker_failures=3, breaker_reset_ms=60_000),
    )
    try:
        assert every_operation(manager) == EVERYTHING_MISSED
        states = manager.breaker_states()
        assert states["cluster-bootstrap"] is BreakerState.OPEN
        assert states["sessions"] is BreakerState.OPEN
        opened = manager.metrics.error_count()
        assert manager.get_product("p-1") is None
        assert manager.get_session("s-1") is None
        circuit_open = manager.metrics.value("errors_total", {"operation": "get", "reason": "circuit_open"})
        assert circuit_open >= 2
        assert manager.metrics.error_count() == opened + 2
    finally:
        manager.close()
