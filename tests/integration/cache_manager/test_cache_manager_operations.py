"""Every operation of the cache manager on a real Redis Cluster and Sentinel group."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import redis
from prometheus_client import generate_latest
from redis.cluster import RedisCluster

from cache_manager import DistributedCacheManager, batching, stampede
from tests.integration.cache_manager.conftest import MakeManager, commands_received, stack_settings
from tests.support.ports import free_port
from tests.support.redis_servers import RedisClusterHandle, SentinelGroupHandle

pytestmark = pytest.mark.integration

# Seconds a TTL may have run down between the write and the check on a busy machine.
SLACK = 5
LAPTOP = {"id": "product-123", "name": "Gaming laptop", "price": 1299.0, "tags": ["laptop", "gaming"]}


def cluster_keys(cluster: RedisClusterHandle, prefix: str) -> set[str]:
    """Every key under ``prefix`` on every master, read with the admin user."""
    found: set[str] = set()
    for port in cluster.masters():
        with cluster.client(port) as client:
            found.update(client.scan_iter(match=f"{prefix}*", count=1000))
    return found


def primary_client(group: SentinelGroupHandle) -> redis.Redis:
    primary = group.primary()
    assert primary is not None
    return group.client(primary[1])


def test_products_round_trip_with_jittered_ttls(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    assert manager.get_product("product-123") is None
    assert manager.cache_product("product-123", LAPTOP) is True
    assert manager.get_product("product-123") == LAPTOP
    low, high = manager.strategies["product"].expiry_bounds()
    assert (low, high) == (1620, 1980)
    assert low - SLACK <= cluster_admin.ttl(manager.keys.product("product-123")) <= high
    assert manager.stats()["product"] == {"hits": 1, "misses": 1, "hitRatio": 0.5}


def test_keys_written_together_get_different_expiries(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    assert manager.mset({f"p-{n}": {"n": n} for n in range(40)}) == 40
    low, high = manager.strategies["product"].expiry_bounds()
    ttls = [cluster_admin.ttl(manager.keys.product(f"p-{n}")) for n in range(40)]
    assert all(low - SLACK <= ttl <= high for ttl in ttls)
    assert len(set(ttls)) > 20


@pytest.mark.parametrize(
    ("cache", "get", "key", "bounds"),
    [
        ("cache_price", "get_price", "price", (270, 330)),
        ("cache_recommendations", "get_recommendations", "recommendations", (1620, 1980)),
    ],
)
def test_prices_and_recommendations(
    manager: DistributedCacheManager,
    cluster_admin: RedisCluster,
    cache: str,
    get: str,
    key: str,
    bounds: tuple[int, int],
) -> None:
    value: Any = {"amount": 1299.0, "currency": "EUR"} if key == "price" else ["product-1", "product-2"]
    assert getattr(manager, get)("42") is None
    assert getattr(manager, cache)("42", value) is True
    assert getattr(manager, get)("42") == value
    ttl = cluster_admin.ttl(getattr(manager.keys, key)("42"))
    assert bounds[0] - SLACK <= ttl <= bounds[1]


def test_search_results_are_found_by_the_normalised_query(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    results = [{"id": "product-123", "name": "Gaming laptop"}, {"id": "product-7"}]
    assert manager.cache_search_results("laptop gaming", results) is True
    assert manager.get_search_results("  Laptop   GAMING ") == results
    assert manager.get_search_results("gaming laptop") is None
    assert manager.cache_search_results("laptop", results[:1], filters={"brand": "acme"})
    assert manager.get_search_results("laptop", filters={"brand": "acme"}) == results[:1]
    assert manager.get_search_results("laptop") is None
    assert 540 - SLACK <= cluster_admin.ttl(manager.keys.search("laptop gaming")) <= 660


def test_sessions_live_on_the_sentinel_primary_for_24_hours(
    manager: DistributedCacheManager, session_group: SentinelGroupHandle
) -> None:
    session = {"userId": "u-1", "cart": ["product-123"]}
    assert manager.get_session("s-1") is None
    assert manager.cache_session("s-1", session, user_id="u-1") is True
    assert manager.get_session("s-1") == session
    with primary_client(session_group) as client:
        assert 86400 - SLACK <= client.ttl(manager.keys.session("s-1")) <= 86400
        assert client.smembers(manager.keys.user_sessions("u-1")) == {manager.keys.session("s-1")}
    assert manager.delete_session("s-1") is True
    assert manager.get_session("s-1") is None


def stampede_on(callers: list[DistributedCacheManager], product_id: str) -> tuple[int, list[Any]]:
    """Every caller asks for the product at once from its own thread; (loads made, results)."""
    loads = 0
    results: list[Any] = []

    def load() -> dict[str, str]:
        nonlocal loads
        loads += 1
        time.sleep(0.3)  # a slow database: the other callers arrive meanwhile
        return {"id": product_id}

    def call(manager: DistributedCacheManager) -> None:
        results.append(manager.get_or_load("product", product_id, load))

    threads = [threading.Thread(target=call, args=(manager,)) for manager in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return loads, results


def test_get_or_load_makes_one_load_for_a_stampede(manager: DistributedCacheManager) -> None:
    loads, results = stampede_on([manager] * 12, "p-9")
    assert loads == 1
    assert results == [{"id": "p-9"}] * 12
    assert manager.get_product("p-9") == {"id": "p-9"}
    assert manager.get_or_load("product", "p-9", lambda: pytest.fail("cached: no load")) == {"id": "p-9"}


def test_get_or_load_stores_nothing_when_the_loader_finds_nothing(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    assert manager.get_or_load("price", "p-404", lambda: None) is None
    assert cluster_admin.exists(manager.keys.price("p-404")) == 0
    assert manager.get_or_load("price", "p-404", lambda: {"amount": 5}) == {"amount": 5}
    assert manager.get_price("p-404") == {"amount": 5}


def test_get_or_load_sends_one_get_per_call(
    manager: DistributedCacheManager, cluster_admin: RedisCluster, cache_cluster: RedisClusterHandle
) -> None:
    """Redis counts each GET as a keyspace hit or miss: a second GET on a miss would count
    the miss twice and make Redis's hit ratio lower than the application's."""
    port = int(cluster_admin.get_node_from_key(manager.keys.product("p-once")).port)
    before = commands_received(cache_cluster, port, "get")
    assert manager.get_or_load("product", "p-once", lambda: {"id": "p-once"}) == {"id": "p-once"}
    assert manager.get_or_load("product", "p-once", lambda: pytest.fail("cached: no load")) == {
        "id": "p-once"
    }
    assert commands_received(cache_cluster, port, "get") - before == 2  # the miss, then the hit
    assert manager.stats()["product"] == {"hits": 1, "misses": 1, "hitRatio": 0.5}


def test_search_results_through_get_or_load_are_tagged(manager: DistributedCacheManager) -> None:
    value = manager.get_or_load("search", "usb cable", lambda: [{"id": "p-5"}])
    assert value == [{"id": "p-5"}]
    manager.invalidate_product("p-5")
    assert manager.get_search_results("usb cable") is None


class PipelineCounter:
    """Counts the per-node round trips (one write of all commands, then the replies)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.sent: list[int] = []  # appends are atomic: node pipelines run in threads
        original = batching.send_pipelined

        def send(client: redis.Redis, commands: list[Any]) -> list[Any]:
            self.sent.append(len(commands))
            return original(client, commands)

        monkeypatch.setattr(batching, "send_pipelined", send)

    @property
    def count(self) -> int:
        return len(self.sent)


def test_batches_cross_slots_with_one_pipeline_per_node(
    manager: DistributedCacheManager, cluster_admin: RedisCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    products = {f"product-{n}": {"n": n} for n in range(300)}
    counter = PipelineCounter(monkeypatch)
    assert manager.mset(list(products.items())) == 300
    assert counter.count == 3  # three masters, one round trip each
    assert sum(counter.sent) == 300  # one SET EX per key
    found = manager.mget([*products, "product-missing-1", "product-missing-2"])
    assert counter.count == 6
    assert found == products
    assert manager.stats()["product"]["hits"] == 300
    assert manager.stats()["product"]["misses"] == 2
    owners = {cluster_admin.get_node_from_key(manager.keys.product(key)).name for key in products}
    assert len(owners) == 3


def test_same_slot_keys_are_read_with_one_mget(manager: DistributedCacheManager) -> None:
    manager.cache_product("p-1", {"a": 1})
    assert manager.mget(["p-1"]) == {"p-1": {"a": 1}}
    assert manager.mget([]) == {}


def test_key_distribution_covers_every_primary(
    manager: DistributedCacheManager, cache_cluster: RedisClusterHandle
) -> None:
    manager.mset({f"spread-{n}": n for n in range(90)})
    distribution = manager.key_distribution()
    assert sorted(distribution) == sorted(f"127.0.0.1:{port}" for port in cache_cluster.masters())
    assert all(count is not None and count > 0 for count in distribution.values())
    assert sum(count or 0 for count in distribution.values()) >= 90


def test_invalidate_product_leaves_nothing_stale_and_nothing_unrelated_removed(
    manager: DistributedCacheManager, cache_cluster: RedisClusterHandle
) -> None:
    for product in ("p-1", "p-2", "p-3"):
        manager.cache_product(product, {"id": product})
        manager.cache_price(product, {"amount": 10})
    manager.cache_search_results("laptop", [{"id": "p-1"}, {"id": "p-2"}])
    manager.cache_search_results("gaming", {"items": [{"productId": "p-1"}], "total": 1})
    manager.cache_search_results("mouse", [{"id": "p-2"}])
    manager.cache_search_results("cable", [{"name": "no ids"}], product_ids=["p-3"])
    manager.cache_recommendations("u-1", ["p-1"])
    before = cluster_keys(cache_cluster, manager.keys.namespace)

    assert manager.invalidate_product("p-1") is True

    gone = {
        manager.keys.product("p-1"),
        manager.keys.price("p-1"),
        manager.keys.product_tag("p-1"),
        manager.keys.search("laptop"),
        manager.keys.search("gaming"),
    }
    assert gone <= before
    assert cluster_keys(cache_cluster, manager.keys.namespace) == before - gone
    assert manager.get_product("p-1") is None
    assert manager.get_price("p-1") is None
    assert manager.get_search_results("laptop") is None
    assert manager.get_product("p-2") == {"id": "p-2"}
    assert manager.get_search_results("mouse") == [{"id": "p-2"}]
    assert manager.invalidate_product("p-3") is True
    assert manager.get_search_results("cable") is None
    assert manager.invalidate_product("never-cached") is True


def test_invalidate_user_cache_removes_only_that_users_keys(
    manager: DistributedCacheManager, session_group: SentinelGroupHandle
) -> None:
    manager.cache_session("s-a1", {"n": 1}, user_id="u-a")
    manager.cache_session("s-a2", {"n": 2}, user_id="u-a")
    manager.cache_session("s-b1", {"n": 3}, user_id="u-b")
    manager.cache_session("s-anon", {"n": 4})
    manager.cache_recommendations("u-a", ["p-1"])
    manager.cache_recommendations("u-b", ["p-2"])

    assert manager.invalidate_user_cache("u-a") is True

    assert manager.get_session("s-a1") is None
    assert manager.get_session("s-a2") is None
    assert manager.get_recommendations("u-a") is None
    assert manager.get_session("s-b1") == {"n": 3}
    assert manager.get_session("s-anon") == {"n": 4}
    assert manager.get_recommendations("u-b") == ["p-2"]
    with primary_client(session_group) as client:
        assert not client.exists(manager.keys.user_sessions("u-a"))


def test_a_schema_version_bump_is_a_new_key_space(make_manager: MakeManager) -> None:
    prefix = stack_settings().cache.key_prefix
    v1 = make_manager(stack_settings(key_prefix=prefix, schema_version=1))
    v2 = make_manager(stack_settings(key_prefix=prefix, schema_version=2))
    v1.cache_product("p-1", {"shape": "old"})
    assert v2.get_product("p-1") is None
    v2.cache_product("p-1", {"shape": "new"})
    assert v1.get_product("p-1") == {"shape": "old"}
    assert v2.get_product("p-1") == {"shape": "new"}


def test_a_value_in_an_unknown_format_is_a_counted_miss(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    cluster_admin.set(manager.keys.product("p-old"), b"P\x80\x04pickled")
    assert manager.get_product("p-old") is None
    assert manager.metrics.error_count("get") == 1


def test_metrics_are_exposed_for_prometheus(manager: DistributedCacheManager) -> None:
    manager.cache_product("p-1", {})
    manager.get_product("p-1")
    manager.get_product("p-2")
    text = generate_latest(manager.metrics.registry).decode()
    assert 'technovastore_cache_lookups_total{result="hit",strategy="product"} 1.0' in text
    assert 'technovastore_cache_lookups_total{result="miss",strategy="product"} 1.0' in text
    assert 'technovastore_cache_operation_seconds_count{operation="get"} 2.0' in text
    assert manager.metrics.hit_ratio("product") == 0.5


def test_built_from_urls(cache_cluster: RedisClusterHandle, session_group: SentinelGroupHandle) -> None:
    (host, port), (sentinel_host, sentinel_port) = cache_cluster.nodes[0], session_group.sentinels[0]
    user, group_password = session_group.app_user, session_group.app_password
    with DistributedCacheManager.from_url(
        f"redis://{cache_cluster.app_user}:{cache_cluster.app_password}@{host}:{port}",
        f"redis+sentinel://{user}:{group_password}@{sentinel_host}:{sentinel_port}/{session_group.master_name}",
        sentinel_password=group_password,
        settings=stack_settings(),
    ) as manager:
        assert manager.cache_product("p-1", LAPTOP) is True
        assert manager.get_product("p-1") == LAPTOP
        assert manager.cache_session("s-1", {"user": "u-1"}) is True
        assert manager.get_session("s-1") == {"user": "u-1"}
        assert manager.metrics.error_count() == 0


def test_a_stale_slot_table_is_followed_and_repaired(manager: DistributedCacheManager) -> None:
    """Reads go straight to the node the slot table names; a MOVED answer reroutes them."""
    assert manager.cache_product("p-moved", LAPTOP)
    cluster = manager._stores.cluster.get()
    key = manager.keys.product("p-moved")
    slot = cluster.keyslot(key)
    owner = cluster.nodes_manager.slots_cache[slot][0]
    wrong = next(node for node in cluster.get_primaries() if node.name != owner.name)
    cluster.nodes_manager.slots_cache[slot] = [wrong]  # as if the slot had moved away

    assert manager.get_product("p-moved") == LAPTOP
    assert manager.cache_price("p-moved", {"amount": 1}) is True
    assert manager.metrics.error_count() == 0
    assert cluster.nodes_manager.slots_cache[slot][0].name == owner.name

    cluster.nodes_manager.slots_cache[slot] = [wrong]  # and a transaction on that slot
    assert manager.invalidate_product("p-moved") is True
    assert manager.get_product("p-moved") is None
    assert manager.metrics.error_count() == 0


def test_batches_on_a_stale_slot_table_are_retried_after_one_refresh(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    """As after a reshard: one master's slots point at another master in the client's table.
    That node answers MOVED; the batch refreshes the table and the retried keys are results."""
    products = {f"product-{n}": {"n": n} for n in range(60)}
    assert manager.mset(products) == len(products)
    cluster = manager._stores.cluster.get()
    owners = {
        cluster_admin.keyslot(manager.keys.product(p)): cluster_admin.get_node_from_key(
            manager.keys.product(p)
        ).name
        for p in products
    }
    moved_away = next(iter(owners.values()))
    wrong = next(node for node in cluster.get_primaries() if node.name != moved_away)

    def point_slots_elsewhere() -> None:
        for slot, owner in owners.items():
            if owner == moved_away:
                cluster.nodes_manager.slots_cache[slot] = [wrong]

    point_slots_elsewhere()
    assert manager.mget(list(products)) == products
    point_slots_elsewhere()
    assert manager.mset({product_id: {"again": True} for product_id in products}) == len(products)
    assert manager.mget(list(products)) == {product_id: {"again": True} for product_id in products}
    assert manager.metrics.error_count() == 0  # a redirect followed is not a failure
    assert manager.metrics.value("dropped_writes_total", {"strategy": "product"}) == 0


def test_a_stampede_across_replicas_makes_one_load(make_manager: MakeManager) -> None:
    """Two managers stand for two pods of a service: each has its own single-flight."""
    settings = stack_settings()
    pods = [make_manager(settings), make_manager(settings)]
    loads, results = stampede_on(pods * 4, "p-hot")
    assert loads == 1
    assert results == [{"id": "p-hot"}] * 8
    assert not pods[0]._stores.cluster.get().exists(stampede.lock_key(pods[0].keys.product("p-hot")))


def test_a_failed_load_releases_the_lock_for_the_next_caller(manager: DistributedCacheManager) -> None:
    def broken() -> dict[str, str]:
        raise LookupError("database down")

    with pytest.raises(LookupError):
        manager.get_or_load("product", "p-x", broken)
    started = time.monotonic()
    assert manager.get_or_load("product", "p-x", lambda: {"id": "p-x"}) == {"id": "p-x"}
    assert time.monotonic() - started < 1.0  # no wait for a lock nobody holds


def test_built_from_the_platforms_environment(
    cache_cluster: RedisClusterHandle, session_group: SentinelGroupHandle
) -> None:
    """One REDIS_PASSWORD for both stores, as deployed; here it is the Sentinel group's, so the
    cluster refuses it: sessions work while product reads degrade to misses on their own."""
    environ = {
        "REDIS_CLUSTER_NODES": ",".join(f"{host}:{port}" for host, port in cache_cluster.nodes),
        "REDIS_SENTINELS": ",".join(f"{host}:{port}" for host, port in session_group.sentinels),
        "REDIS_SENTINEL_MASTER": session_group.master_name,
        "REDIS_USERNAME": session_group.app_user,
        "REDIS_PASSWORD": session_group.app_password,
    }
    with DistributedCacheManager.from_env(environ, settings=stack_settings()) as manager:
        assert manager.cache_session("s-env", {"cart": []}) is True
        assert manager.get_session("s-env") == {"cart": []}
        assert manager.cache_product("p-env", LAPTOP) is False
        assert manager.get_product("p-env") is None
        assert manager.metrics.value("errors_total", {"operation": "get", "reason": "auth"}) == 1
    environ["REDIS_PASSWORD"] = cache_cluster.app_password
    with DistributedCacheManager.from_env(environ, settings=stack_settings()) as manager:
        assert manager.cache_product("p-env", LAPTOP) is True
        assert manager.get_product("p-env") == LAPTOP


def connections_received(cluster: RedisClusterHandle) -> int:
    """Connections every master accepted so far (each INFO here is one of them)."""
    total = 0
    for port in cluster.masters():
        with cluster.client(port) as client:
            total += int(client.info("stats")["total_connections_received"])
    return total


def test_batches_reuse_their_connections(
    manager: DistributedCacheManager, cache_cluster: RedisClusterHandle
) -> None:
    products = {f"product-{n}": n for n in range(30)}
    manager.mset(products)  # the first batch opens one connection per node
    before = connections_received(cache_cluster)
    for _ in range(20):
        assert manager.mget(list(products)) == products
        assert manager.mset(products) == len(products)
    # 40 batches over three nodes; the only new connections are this check's own INFOs.
    assert connections_received(cache_cluster) - before <= 2 * len(cache_cluster.masters())


def test_a_value_in_an_unknown_format_read_in_a_batch_is_a_counted_miss(
    manager: DistributedCacheManager, cluster_admin: RedisCluster
) -> None:
    cluster_admin.set(manager.keys.product("p-old"), b"P\x80\x04pickled")
    manager.cache_product("p-new", {"id": "p-new"})
    assert manager.mget(["p-old", "p-new"]) == {"p-new": {"id": "p-new"}}
    assert manager.metrics.value("errors_total", {"operation": "mget", "reason": "decode"}) == 1


def test_latency_is_the_time_each_operation_took(manager: DistributedCacheManager) -> None:
    products = {f"product-{n}": n for n in range(50)}
    started = time.perf_counter()
    manager.mset(products)
    manager.mget(list(products))
    manager.cache_product("p-1", {"id": "p-1"})
    manager.invalidate_product("p-1")
    elapsed = time.perf_counter() - started
    for operation in ("mset", "mget", "set", "invalidate"):
        seconds = manager.metrics.value("operation_seconds_sum", {"operation": operation})
        assert 0 < seconds <= elapsed


def test_invalidate_user_cache_fails_when_the_sessions_store_is_down(
    cache_cluster: RedisClusterHandle, cluster_admin: RedisCluster
) -> None:
    """The recommendations are removed; the sessions could not be: not a complete invalidation."""
    (host, port), dead = cache_cluster.nodes[0], free_port()
    with DistributedCacheManager.from_url(
        f"redis://{cache_cluster.app_user}:{cache_cluster.app_password}@{host}:{port}",
        f"redis+sentinel://127.0.0.1:{dead}/sessions",
        settings=stack_settings(),
    ) as manager:
        assert manager.cache_recommendations("u-1", ["p-1"])
        assert manager.invalidate_user_cache("u-1") is False
        assert cluster_admin.exists(manager.keys.recommendations("u-1")) == 0


def test_the_sentinel_user_given_is_the_one_used(
    cache_cluster: RedisClusterHandle, session_group: SentinelGroupHandle
) -> None:
    (host, port), (sentinel_host, sentinel_port) = cache_cluster.nodes[0], session_group.sentinels[0]
    user, group_password = session_group.app_user, session_group.app_password
    with DistributedCacheManager.from_url(
        f"redis://{cache_cluster.app_user}:{cache_cluster.app_password}@{host}:{port}",
        f"redis+sentinel://{user}:{group_password}@{sentinel_host}:{sentinel_port}/{session_group.master_name}",
        sentinel_username="nobody",  # the Sentinels know no such user: they refuse it
        sentinel_password=group_password,
        settings=stack_settings(),
    ) as manager:
        assert manager.get_session("s-1") is None
        assert manager.metrics.value("errors_total", {"operation": "get", "reason": "auth"}) == 1
