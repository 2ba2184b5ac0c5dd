"""Failover ride-through: a master (cluster) or the primary (Sentinel) dies mid-workload.

No exception may reach the caller; reads become misses and writes are dropped while the
store fails over, and hits resume by themselves once it has.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from cache_manager import DistributedCacheManager
from cache_manager.circuit_breaker import BreakerState
from components.settings.stack import Settings
from tests.integration.cache_manager.conftest import manager_for, stack_settings
from tests.support.cache_load import load_through_failover
from tests.support.redis_failover import replicas_of
from tests.support.redis_servers import (
    RedisClusterHandle,
    SentinelGroupHandle,
    redis_cluster,
    sentinel_group,
)

pytestmark = pytest.mark.integration

RECOVERY_SECONDS = 40.0
PRODUCTS = {f"product-{n}": {"id": f"product-{n}", "n": n} for n in range(120)}


def resilient_settings() -> Settings:
    # A quick breaker so the test sees it open and recover within seconds.
    return stack_settings(breaker_failures=3, breaker_reset_ms=200)


def run_until(condition: Callable[[], bool], step: Callable[[], object], *, what: str) -> int:
    """Run ``step`` until ``condition`` holds; returns the number of steps."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    steps = 0
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached after {RECOVERY_SECONDS} s")
        step()
        steps += 1
    return steps


@pytest.fixture
def small_cluster() -> Iterator[RedisClusterHandle]:
    with redis_cluster(masters=3, replicas_per_master=1, node_timeout_ms=1000, persistence=False) as handle:
        yield handle


@pytest.fixture
def small_group() -> Iterator[SentinelGroupHandle]:
    with sentinel_group(down_after_ms=1000, failover_timeout_ms=3000, persistence=False) as handle:
        yield handle


def kill_soon(kill: Callable[[], None], delay: float = 0.02) -> threading.Event:
    """Crash a server from another thread while the workload runs; the event marks it done."""
    done = threading.Event()

    def run() -> None:
        kill()
        done.set()

    threading.Timer(delay, run).start()
    return done


def replicate(cluster: RedisClusterHandle) -> None:
    """Wait until every master's writes reached its replica (replication is asynchronous)."""
    for port in cluster.masters():
        with cluster.client(port) as client:
            assert client.execute_command("WAIT", 1, 5000) >= 1


def owner_port(cluster: RedisClusterHandle, key: str) -> int:
    with cluster.cluster_client(user=cluster.admin_user) as client:
        return int(client.get_node_from_key(key).port)


def test_a_cluster_master_dies_mid_workload(small_cluster: RedisClusterHandle) -> None:
    manager = manager_for(small_cluster, None, resilient_settings())
    loads = 0

    def load(product_id: str) -> dict[str, object]:
        nonlocal loads
        loads += 1
        return PRODUCTS[product_id]

    def read_all() -> int:
        """One pass of the services' read path; returns how many reads hit."""
        before = loads
        for product_id in PRODUCTS:
            manager.get_or_load("product", product_id, partial(load, product_id))
            manager.cache_price(product_id, {"amount": 1})
        return len(PRODUCTS) - (loads - before)

    try:
        assert manager.mset(PRODUCTS) == len(PRODUCTS)
        replicate(small_cluster)
        assert read_all() == len(PRODUCTS)
        victim = owner_port(small_cluster, manager.keys.product("product-0"))
        killed = kill_soon(lambda: small_cluster.kill(victim))

        hits = [read_all()]  # the kill lands during this pass
        victim_states = [manager.breaker_states()[f"127.0.0.1:{victim}"]]

        def next_pass() -> None:
            hits.append(read_all())
            victim_states.append(manager.breaker_states()[f"127.0.0.1:{victim}"])

        # Done once the outage was seen (misses, served by the loader) and a pass hits fully.
        run_until(
            lambda: killed.is_set() and min(hits) < len(PRODUCTS) and hits[-1] == len(PRODUCTS),
            next_pass,
            what="full hits after the outage",
        )

        assert manager.metrics.error_count() > 0
        assert manager.metrics.value("dropped_writes_total", {"strategy": "price"}) > 0
        assert any(state is not BreakerState.CLOSED for state in victim_states)  # it stopped calling
        assert owner_port(small_cluster, manager.keys.product("product-0")) != victim
        assert read_all() == len(PRODUCTS)
        assert manager.get_product("product-0") == PRODUCTS["product-0"]
    finally:
        manager.close()


def test_the_sentinel_primary_dies_mid_workload(
    cache_cluster: RedisClusterHandle, small_group: SentinelGroupHandle
) -> None:
    manager = manager_for(cache_cluster, small_group, resilient_settings())
    try:
        ride_through_sentinel_failover(manager, small_group)
    finally:
        manager.close()


def ride_through_sentinel_failover(manager: DistributedCacheManager, group: SentinelGroupHandle) -> None:
    assert manager.cache_session("s-before", {"cart": [1]}, user_id="u-1")
    old_primary = group.primary()
    assert old_primary is not None
    with group.client(old_primary[1]) as client:
        assert client.execute_command("WAIT", 2, 5000) == 2
    outcomes: list[bool] = []
    killed = kill_soon(lambda: group.kill(old_primary[1]))

    def session_round_trip() -> None:
        number = len(outcomes)
        written = manager.cache_session(f"s-{number}", {"n": number})
        outcomes.append(written and manager.get_session(f"s-{number}") == {"n": number})
        time.sleep(0.05)

    # Done once the outage was seen (a failed round trip) and three in a row succeed again.
    run_until(
        lambda: killed.is_set() and False in outcomes and all(outcomes[-3:]),
        session_round_trip,
        what="sessions back after the outage",
    )
    new_primary = group.primary()
    assert new_primary not in (None, old_primary)
    assert manager.get_session("s-before") == {"cart": [1]}  # replicated before the crash
    assert manager.breaker_states()["sessions"] is BreakerState.CLOSED
    assert manager.invalidate_user_cache("u-1") is True
    assert manager.get_session("s-before") is None


def test_healthy_shards_serve_every_call_while_a_master_fails_over(small_cluster: RedisClusterHandle) -> None:
    """Only the killed master's shard may miss; the breakers are the stack's (5 failures, 5 s)."""
    manager = manager_for(small_cluster, None, stack_settings())
    try:
        load = load_through_failover(manager, small_cluster)
    finally:
        manager.close()
    assert load.failed["victim"] > 0  # the load ran through the outage
    assert load.calls["healthy"] > 0
    assert load.failed["healthy"] == 0, (
        f"{load.failed['healthy']} of {load.calls['healthy']} calls failed on healthy shards, "
        f"for example {load.examples}"
    )


def test_a_node_that_recovers_gets_every_call_again(small_cluster: RedisClusterHandle) -> None:
    """The breaker opens while the node is down, lets a trial through after the reset time,
    and closes on its success: from then on calls flow as before, not one per reset time."""
    cluster = small_cluster
    manager = manager_for(cluster, None, stack_settings(breaker_failures=3, breaker_reset_ms=500))
    victim = cluster.masters()[0]
    node = f"127.0.0.1:{victim}"
    (replica,) = replicas_of(cluster, victim)
    with cluster.client(replica) as client:  # the same node must come back, not its replica
        client.config_set("cluster-replica-no-failover", "yes")
    with cluster.cluster_client(user=cluster.admin_user) as admin:
        keys = {f"p-{n}": manager.keys.product(f"p-{n}") for n in range(60)}
        ids = [product_id for product_id, key in keys.items() if admin.get_node_from_key(key).port == victim]
    try:
        cluster.kill(victim)
        run_until(
            lambda: manager.breaker_states().get(node) is BreakerState.OPEN,
            lambda: manager.get_product(ids[0]),
            what="the breaker opening on the dead node",
        )
        refused = manager.metrics.value("errors_total", {"operation": "set", "reason": "circuit_open"})
        assert manager.cache_product(ids[0], {"id": ids[0]}) is False
        assert (
            manager.metrics.value("errors_total", {"operation": "set", "reason": "circuit_open"})
            == refused + 1
        )

        cluster.restart(victim)
        cluster.wait_state_ok()
        run_until(
            lambda: manager.get_product(ids[0]) is not None,
            lambda: manager.cache_product(ids[0], {"id": ids[0]}),
            what="a trial call reaching the restarted node",
        )
        written = [manager.cache_product(product_id, {"id": product_id}) for product_id in ids]
        read = [manager.get_product(product_id) for product_id in ids]
        assert written == [True] * len(ids)
        assert read == [{"id": product_id} for product_id in ids]
        assert manager.breaker_states()[node] is BreakerState.CLOSED
    finally:
        manager.close()


@pytest.fixture
def persistent_cluster() -> Iterator[RedisClusterHandle]:
    with redis_cluster(masters=3, replicas_per_master=1, node_timeout_ms=1000, persistence=True) as handle:
        yield handle


def test_an_invalidation_cut_short_by_a_stopped_node_is_finished_by_the_next_call(
    persistent_cluster: RedisClusterHandle,
) -> None:
    """The search results on a node that is down cannot be deleted: invalidate_product says
    so, keeps exactly those listed in the product's tag set, and a call after the node is
    back (with its data: it was stopped, as in a pod's restart) deletes them."""
    cluster = persistent_cluster
    manager = manager_for(cluster, None, stack_settings(breaker_failures=100))
    keys = manager.keys
    assert manager.cache_product("p-1", {"id": "p-1"})
    queries = [f"laptop {n}" for n in range(30)]
    for query in queries:
        assert manager.cache_search_results(query, [{"id": "p-1"}])
    with cluster.cluster_client(user=cluster.admin_user) as admin:
        owner_of = {key: int(admin.get_node_from_key(key).port) for key in map(keys.search, queries)}
        product_owner = int(admin.get_node_from_key(keys.product("p-1")).port)
    victim = next(port for port in cluster.masters() if port != product_owner)
    on_victim = sorted(key for key, port in owner_of.items() if port == victim)
    elsewhere = [key for key, port in owner_of.items() if port != victim]
    assert on_victim and elsewhere
    (replica,) = replicas_of(cluster, victim)
    with cluster.client(replica) as client:  # the node stays down: no replica takes over
        client.config_set("cluster-replica-no-failover", "yes")
    try:
        cluster.terminate(victim)
        assert manager.invalidate_product("p-1") is False
        assert (
            manager.metrics.value("errors_total", {"operation": "invalidate", "reason": "ConnectionError"})
            > 0
        )
        with cluster.client(product_owner) as client:
            assert client.exists(keys.product("p-1")) == 0
            assert sorted(client.smembers(keys.product_tag("p-1"))) == on_victim
        with cluster.cluster_client(user=cluster.admin_user) as admin:
            assert not any(admin.exists(key) for key in elsewhere)

        cluster.restart(victim)
        cluster.wait_state_ok()
        with cluster.client(victim) as client:  # its data survived the restart: still stale
            assert all(client.exists(key) for key in on_victim)
        run_until(
            lambda: manager.invalidate_product("p-1"),
            lambda: time.sleep(0.1),
            what="an invalidation reaching the restarted node",
        )
        with cluster.cluster_client(user=cluster.admin_user) as admin:
            assert not any(admin.exists(key) for key in [*on_victim, keys.product_tag("p-1")])
        assert all(manager.get_search_results(query) is None for query in queries)
    finally:
        manager.close()


def test_batches_while_masters_are_down_drop_exactly_their_keys(
    small_cluster: RedisClusterHandle, caplog: pytest.LogCaptureFixture
) -> None:
    """Each dead node costs its own keys: tried twice (the retry after a topology refresh),
    each attempt counted, then its keys dropped; a node whose breaker is open is not tried,
    and its keys are dropped all the same."""
    cluster = small_cluster
    manager = manager_for(cluster, None, stack_settings(breaker_failures=2, breaker_reset_ms=60_000))
    products = {f"p-{n}": n for n in range(60)}
    assert manager.mset(products) == len(products)
    first, second = cluster.masters()[:2]
    with cluster.cluster_client(user=cluster.admin_user) as admin:
        owner = {p: int(admin.get_node_from_key(manager.keys.product(p)).port) for p in products}
    on = {port: [p for p, o in owner.items() if o == port] for port in (first, second)}
    for port in (first, second):  # the nodes stay down: no replica takes over
        (replica,) = replicas_of(cluster, port)
        with cluster.client(replica) as client:
            client.config_set("cluster-replica-no-failover", "yes")

    def errors(reason: str) -> float:
        return manager.metrics.value("errors_total", {"operation": "mset", "reason": reason})

    def dropped() -> float:
        return manager.metrics.value("dropped_writes_total", {"strategy": "product"})

    try:
        cluster.kill(first)
        with caplog.at_level(logging.DEBUG, logger="cache_manager"):
            assert manager.mset(products) == len(products) - len(on[first])
        assert (errors("ConnectionError"), dropped()) == (2, len(on[first]))
        assert f"cache mset on 127.0.0.1:{first} failed (ConnectionError)" in caplog.text
        expected = {p: n for p, n in products.items() if owner[p] != first}
        assert manager.mget(list(products)) == expected
        assert manager.breaker_states()[f"127.0.0.1:{first}"] is BreakerState.OPEN
        distribution = manager.key_distribution()
        assert distribution[f"127.0.0.1:{first}"] is None
        assert all(count for node, count in distribution.items() if node != f"127.0.0.1:{first}")
        assert (
            manager.metrics.value("errors_total", {"operation": "distribution", "reason": "ConnectionError"})
            == 1
        )

        cluster.kill(second)  # the first is cut off by its breaker, the second fails twice
        assert manager.mset(products) == len(products) - len(on[first]) - len(on[second])
        assert errors("circuit_open") == 1
        assert errors("ConnectionError") == 2 + 2
        assert dropped() == 2 * len(on[first]) + len(on[second])
    finally:
        manager.close()
