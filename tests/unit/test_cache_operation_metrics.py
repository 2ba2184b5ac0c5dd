"""Every operation of the cache manager counted under its own name when the stores are down.

Nothing listens on the addresses (connection refused, as for a Redis that is not running):
no call raises, every read is a miss, every write is dropped, and each failure is counted in
``technovastore_cache_errors_total`` under the operation that met it, so an operator sees
which operations fail, not only that something does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cache_manager import DistributedCacheManager
from cache_manager.connections import StoreAddresses
from components.settings import load_settings
from components.settings.cache import CacheClientSettings
from tests.support.ports import free_ports


@pytest.fixture
def manager() -> Iterator[DistributedCacheManager]:
    cluster_port, sentinel_port = free_ports(2)
    settings = load_settings({}, "staging")
    # Breakers that never open here: each call reaches for the store and fails on its own.
    cache = CacheClientSettings(breaker_failures=1000)
    with DistributedCacheManager.from_url(
        f"redis://app:secret@127.0.0.1:{cluster_port}",
        f"redis+sentinel://app:secret@127.0.0.1:{sentinel_port}/sessions",
        settings=settings.model_copy(update={"cache": cache}),
    ) as manager:
        yield manager


def samples(manager: DistributedCacheManager, name: str) -> dict[tuple[str, ...], float]:
    """The samples of one metric, by their label values."""
    return {
        tuple(sample.labels.values()): sample.value
        for metric in manager.metrics.registry.collect()
        for sample in metric.samples
        if sample.name == f"technovastore_cache_{name}" and sample.value
    }


def test_each_operation_is_a_miss_counted_under_its_own_name(manager: DistributedCacheManager) -> None:
    assert manager.get_product("p-1") is None
    assert manager.cache_price("p-1", {"amount": 1}) is False
    assert manager.cache_search_results("laptop", [{"id": "p-1"}]) is False
    assert manager.mset({"p-1": 1, "p-2": 2}) == 0
    assert manager.mget(["p-1", "p-2"]) == {}
    assert manager.get_or_load("product", "p-3", lambda: {"loaded": True}) == {"loaded": True}
    assert manager.invalidate_product("p-1") is False
    assert manager.key_distribution() == {}
    assert manager.cache_session("s-1", {"user": "u-1"}, user_id="u-1") is False
    assert manager.get_session("s-1") is None
    assert manager.delete_session("s-1") is False
    assert manager.invalidate_user_cache("u-1") is False

    cluster, sentinels = "RedisClusterException", "MasterNotFoundError"
    assert samples(manager, "errors_total") == {
        ("get", cluster): 2,  # get_product, get_or_load's lookup
        ("set", cluster): 2,  # cache_price, get_or_load storing what it loaded
        ("tag", cluster): 1,  # search results are tagged before they are stored
        ("mset", cluster): 1,
        ("mget", cluster): 1,
        ("lock", cluster): 1,  # get_or_load's load lock
        ("invalidate", cluster): 2,  # invalidate_product, invalidate_user_cache's recommendations
        ("distribution", cluster): 1,
        ("set", sentinels): 1,
        ("get", sentinels): 1,
        ("delete", sentinels): 1,
        ("invalidate", sentinels): 1,  # invalidate_user_cache's sessions
    }
    assert samples(manager, "dropped_writes_total") == {
        ("price",): 1,
        ("search",): 1,
        ("product",): 3,  # two by mset, one by get_or_load
        ("session",): 1,
    }
    assert samples(manager, "lookups_total") == {
        ("product", "miss"): 4,  # get_product, get_or_load, and mget's two ids
        ("session", "miss"): 1,
    }
    assert samples(manager, "operation_seconds_count") == {
        ("get",): 3,
        ("set",): 3,
        ("mset",): 1,
        ("mget",): 1,
        ("invalidate",): 2,
    }


def test_the_breaker_settings_and_clock_reach_every_node_breaker() -> None:
    """cache.breakerFailures calls fail, then calls are cut off until cache.breakerResetMs
    have passed on the manager's clock, when one trial goes through."""
    now = [0.0]
    cache = CacheClientSettings(breaker_failures=2, breaker_reset_ms=500)
    addresses = StoreAddresses(cluster_nodes=(("127.0.0.1", free_ports(1)[0]),))
    with DistributedCacheManager(addresses, client=cache, clock=lambda: now[0]) as manager:
        for _ in range(3):
            manager.get_product("p-1")
        now[0] = 0.499
        manager.get_product("p-1")
        assert samples(manager, "errors_total") == {
            ("get", "RedisClusterException"): 2,
            ("get", "circuit_open"): 2,
        }
        now[0] = 0.5
        manager.get_product("p-1")  # the trial call, which fails and opens the breaker again
        manager.get_product("p-1")
        assert samples(manager, "errors_total") == {
            ("get", "RedisClusterException"): 3,
            ("get", "circuit_open"): 3,
        }
