"""get_or_load on a real cluster: the load lock next to the entry, one flight per key, waiting
for another replica's load, and what a load stores where."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from redis.cluster import RedisCluster

from cache_manager import DistributedCacheManager, stampede
from tests.integration.cache_manager.conftest import MakeManager, stack_settings

pytestmark = pytest.mark.integration

JOIN_SECONDS = 30  # generous: only a hang comes near it


def in_thread(call: Any) -> list[Any]:
    """Run ``call`` in a thread that must finish within JOIN_SECONDS; its result in a list."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(JOIN_SECONDS)
    assert not thread.is_alive(), "the call did not return"
    return result


def test_while_a_load_runs_its_lock_sits_next_to_the_entry_and_expires(
    make_manager: MakeManager, cluster_admin: RedisCluster
) -> None:
    manager = make_manager(stack_settings(load_lock_ms=4000))
    lock = stampede.lock_key(manager.keys.product("p-1"))
    seen: dict[str, int] = {}

    def load() -> dict[str, str]:
        seen["exists"], seen["pttl"] = cluster_admin.exists(lock), cluster_admin.pttl(lock)
        return {"id": "p-1"}

    assert manager.get_or_load("product", "p-1", load) == {"id": "p-1"}
    assert seen["exists"] == 1
    assert 0 < seen["pttl"] <= 4000  # a replica that dies while loading frees it by itself
    assert cluster_admin.exists(lock) == 0  # released once the value is stored


def test_loads_of_different_keys_run_side_by_side(manager: DistributedCacheManager) -> None:
    both_running = threading.Barrier(2, timeout=10)

    def load(product_id: str) -> dict[str, str]:
        both_running.wait()  # each load waits for the other: one flight for both would stall
        return {"id": product_id}

    results: dict[str, Any] = {}
    threads = [
        threading.Thread(
            target=lambda p=product_id: results.update(
                {p: manager.get_or_load("product", p, lambda: load(p))}
            )
        )
        for product_id in ("p-a", "p-b")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert results == {"p-a": {"id": "p-a"}, "p-b": {"id": "p-b"}}


def test_a_replica_waits_for_the_one_loading_and_counts_one_miss(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    """Another replica holds the load lock; its value arrives while this one polls. Polls are
    not lookups of this replica's callers: one miss, no hit, no load."""
    key = manager.keys.product("p-w")
    cluster_admin.set(stampede.lock_key(key), b"1", px=10_000)

    def store_later() -> None:
        time.sleep(0.3)  # several polls of 25 ms meanwhile
        cluster_admin.set(key, manager.serializer.dumps({"id": "p-w", "by": "other replica"}))

    storer = threading.Thread(target=store_later)
    storer.start()
    value = in_thread(lambda: manager.get_or_load("product", "p-w", lambda: pytest.fail("no load")))
    storer.join(JOIN_SECONDS)
    assert value == [{"id": "p-w", "by": "other replica"}]
    assert manager.stats()["product"] == {"hits": 0, "misses": 1, "hitRatio": 0.0}


def test_a_lock_left_by_a_dead_replica_delays_a_load_by_the_lock_time_at_most(
    make_manager: MakeManager, cluster_admin: RedisCluster
) -> None:
    manager = make_manager(stack_settings(load_lock_ms=300))
    key = manager.keys.product("p-d")
    cluster_admin.set(stampede.lock_key(key), b"1", px=600_000)  # its loader died holding it
    started = time.monotonic()
    assert in_thread(lambda: manager.get_or_load("product", "p-d", lambda: {"id": "p-d"})) == [{"id": "p-d"}]
    assert time.monotonic() - started >= 0.3  # it did wait for the other replica first
    assert manager.get_product("p-d") == {"id": "p-d"}


def test_a_session_loaded_through_get_or_load_lives_on_the_sessions_store_without_a_lock(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    """The load lock sits next to a cluster entry; a session lives on the Sentinel group."""
    lock = stampede.lock_key(manager.keys.session("s-9"))
    locked: list[int] = []

    def load() -> dict[str, str]:
        locked.append(cluster_admin.exists(lock))
        return {"user": "u-9"}

    assert manager.get_or_load("session", "s-9", load) == {"user": "u-9"}
    assert locked == [0]
    assert manager.get_session("s-9") == {"user": "u-9"}
    assert cluster_admin.exists(manager.keys.session("s-9")) == 0


def test_search_results_loaded_through_get_or_load_are_found_by_their_query(
    manager: DistributedCacheManager,
) -> None:
    assert manager.get_or_load("search", "Usb  Cable", lambda: [{"id": "p-5"}]) == [{"id": "p-5"}]
    assert manager.get_search_results("usb cable") == [{"id": "p-5"}]
