"""The pure parts behind degradation: circuit breakers, failure kinds, single-flight, metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from prometheus_client import generate_latest
from redis.exceptions import (
    BusyLoadingError,
    ClusterDownError,
    OutOfMemoryError,
    RedisClusterException,
    ResponseError,
)

from cache_manager.circuit_breaker import BreakerBoard, BreakerState, CircuitBreaker
from cache_manager.failures import is_unreachable, reason
from cache_manager.metrics import CacheMetrics
from cache_manager.single_flight import SingleFlight

README = Path(__file__).resolve().parents[2] / "README.md"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, reset_timeout=5.0, clock=clock)


def tripped(clock: FakeClock) -> CircuitBreaker:
    b = breaker(clock)
    for _ in range(3):
        b.record_failure()
    assert b.state is BreakerState.OPEN
    return b


def test_breaker_opens_after_consecutive_failures_only() -> None:
    clock = FakeClock()
    b = breaker(clock)
    b.record_failure()
    b.record_failure()
    b.record_success()  # resets the count
    b.record_failure()
    b.record_failure()
    assert b.state is BreakerState.CLOSED and b.allow()
    b.record_failure()
    assert b.state is BreakerState.OPEN
    assert not b.allow()


def test_breaker_lets_one_trial_through_after_the_timeout_and_recovers() -> None:
    clock = FakeClock()
    b = tripped(clock)
    clock.now += 4.9
    assert not b.allow()
    clock.now += 0.2
    assert b.allow()
    assert b.state is BreakerState.HALF_OPEN
    assert not b.allow()  # only one trial at a time
    b.record_success()
    assert b.state is BreakerState.CLOSED
    assert b.allow()


def test_a_failed_trial_reopens_for_another_timeout() -> None:
    clock = FakeClock()
    b = tripped(clock)
    clock.now += 5
    assert b.allow()
    b.record_failure()
    assert b.state is BreakerState.OPEN
    clock.now += 4
    assert not b.allow()
    clock.now += 1
    assert b.allow()


def test_a_trial_that_never_reports_does_not_lock_the_breaker() -> None:
    clock = FakeClock()
    b = tripped(clock)
    clock.now += 5
    assert b.allow()
    clock.now += 5
    assert b.allow()


def test_breaker_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(failure_threshold=0, reset_timeout=1)
    with pytest.raises(ValueError, match="reset_timeout"):
        CircuitBreaker(failure_threshold=1, reset_timeout=0)


def test_board_keeps_one_breaker_per_node() -> None:
    board = BreakerBoard(failure_threshold=1, reset_timeout=1, clock=FakeClock())
    board["127.0.0.1:7000"].record_failure()
    assert board["127.0.0.1:7000"] is board["127.0.0.1:7000"]
    assert board.states() == {"127.0.0.1:7000": BreakerState.OPEN}
    assert board["127.0.0.1:7001"].allow()


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_single_flight_makes_one_load_for_a_stampede() -> None:
    flights = SingleFlight()
    calls = 0
    release = threading.Event()
    results: list[object] = []

    def load() -> str:
        nonlocal calls
        calls += 1
        release.wait(5)
        return "value"

    threads = [threading.Thread(target=lambda: results.append(flights.do("k", load))) for _ in range(20)]
    for thread in threads:
        thread.start()
    wait_until(lambda: flights.waiting("k") == 19)  # every other thread joined the flight
    release.set()
    for thread in threads:
        thread.join(5)
    assert calls == 1
    assert results == ["value"] * 20
    assert flights.do("k", lambda: "next") == "next"  # a finished flight is not reused


def test_single_flight_holds_a_finished_load_for_callers_whose_lookup_raced_with_it() -> None:
    clock = FakeClock()
    flights = SingleFlight(hold_seconds=1.0, clock=clock)
    raced = flights.mark()  # this caller looked the key up before the load below stored it
    assert flights.do("k", lambda: "loaded") == "loaded"
    assert flights.do("k", lambda: "again", since=raced) == "loaded"
    assert flights.do("other", lambda: "own", since=raced) == "own"  # held per key
    # A caller that looked after the load finished found the value itself if it was there;
    # if it missed, the entry is gone again (expired, invalidated): it loads.
    assert flights.do("k", lambda: "fresh", since=flights.mark()) == "fresh"
    late = flights.mark() - 1  # raced with the "fresh" load ...
    clock.now += 1.5  # ... but came back only after the hold ended
    flights.do("x", lambda: "prunes")
    assert flights.do("k", lambda: "reloaded", since=late) == "reloaded"


def test_single_flight_holds_no_failed_load() -> None:
    flights = SingleFlight()
    raced = flights.mark()

    def broken() -> str:
        raise LookupError("database down")

    with pytest.raises(LookupError):
        flights.do("k", broken)
    assert flights.do("k", lambda: "loaded", since=raced) == "loaded"


def test_single_flight_shares_the_loader_error() -> None:
    flights = SingleFlight()
    started = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def load() -> str:
        started.set()
        release.wait(5)
        raise LookupError("database down")

    def call() -> None:
        try:
            flights.do("k", load)
        except LookupError as error:
            errors.append(error)

    leader = threading.Thread(target=call)
    leader.start()
    started.wait(5)
    follower = threading.Thread(target=call)
    follower.start()
    wait_until(lambda: flights.waiting("k") == 1)
    release.set()
    leader.join(5)
    follower.join(5)
    assert [str(error) for error in errors] == ["database down", "database down"]


def test_metrics_count_hits_misses_and_errors() -> None:
    metrics = CacheMetrics()
    metrics.hit("product")
    metrics.hit("product", 2)
    metrics.miss("product")
    metrics.miss("price", 0)
    metrics.error("get", "ConnectionError")
    metrics.error("set", "circuit_open")
    metrics.observe("get", 0.001)
    assert metrics.hit_ratio("product") == 0.75
    assert metrics.hit_ratio("price") is None
    assert metrics.error_count() == 2
    assert metrics.error_count("get") == 1
    assert metrics.snapshot() == {
        "price": {"hits": 0, "misses": 0, "hitRatio": None},
        "product": {"hits": 3, "misses": 1, "hitRatio": 0.75},
    }
    text = generate_latest(metrics.registry).decode()
    assert 'technovastore_cache_lookups_total{result="hit",strategy="product"} 3.0' in text
    assert 'technovastore_cache_errors_total{operation="get",reason="ConnectionError"} 1.0' in text
    assert 'technovastore_cache_operation_seconds_count{operation="get"} 1.0' in text


def test_two_managers_metrics_do_not_collide() -> None:
    first, second = CacheMetrics(), CacheMetrics()  # own registries: registering twice would raise
    first.hit("product")
    assert (first.lookup_count("product", "hit"), second.lookup_count("product", "hit")) == (1, 0)


def test_board_reports_clean_only_while_nothing_failed() -> None:
    clock = FakeClock()
    board = BreakerBoard(failure_threshold=2, reset_timeout=1, clock=clock)
    assert board.all_clean
    board["a"].record_failure()
    assert not board.all_clean  # one failure counted: the next call must be accounted per node
    board["a"].record_success()
    assert board.all_clean
    board["a"].record_failure()
    board["a"].record_failure()
    clock.now += 1
    assert board["a"].allow()  # half-open
    assert not board.all_clean
    board["a"].record_success()
    assert board.all_clean


@pytest.mark.parametrize(
    ("error", "unreachable", "label"),
    [
        (
            redis.ConnectionError("Error 111 connecting to 10.0.0.5:6379. Connection refused."),
            True,
            "ConnectionError",
        ),
        (redis.TimeoutError("Timeout reading from socket"), True, "TimeoutError"),
        (RedisClusterException("Redis Cluster cannot be connected"), False, "RedisClusterException"),
        (redis.AuthenticationError("invalid username-password pair"), True, "auth"),
        (
            OutOfMemoryError("command not allowed when used memory > 'maxmemory'.", status_code="OOM"),
            False,
            "OOM",
        ),
        (
            ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
            False,
            "WRONGTYPE",
        ),
        (ClusterDownError("The cluster is down", status_code="CLUSTERDOWN"), False, "CLUSTERDOWN"),
        (BusyLoadingError("Redis is loading the dataset in memory", status_code="LOADING"), False, "LOADING"),
        (ResponseError("something lower case"), False, "ResponseError"),
        (ResponseError(""), False, "ResponseError"),
        # An error code is a short upper-case word (the longest Redis sends is far shorter).
        (ResponseError("ABCDEFGHIJKLMNOPQRST twenty letters"), False, "ABCDEFGHIJKLMNOPQRST"),
        (ResponseError("ABCDEFGHIJKLMNOPQRSTU twenty-one"), False, "ResponseError"),
    ],
)
def test_only_failures_to_reach_a_node_count_as_unreachable(
    error: Exception, unreachable: bool, label: str
) -> None:
    assert is_unreachable(error) is unreachable
    assert reason(error) == label


def test_a_cluster_bootstrap_that_could_not_connect_is_unreachable() -> None:
    try:
        try:
            raise redis.ConnectionError("Connection refused")
        except redis.ConnectionError as cause:
            raise RedisClusterException("Redis Cluster cannot be connected") from cause
    except RedisClusterException as error:
        assert is_unreachable(error)


def test_nobody_waits_for_a_key_that_is_not_being_loaded() -> None:
    assert SingleFlight().waiting("k") == 0


def test_single_flight_holds_each_load_for_its_own_hold_time_whatever_finishes_after() -> None:
    clock = FakeClock()  # 100.0 (steps of binary fractions: the sums are exact)
    flights = SingleFlight(hold_seconds=1.0, clock=clock)
    raced_a = flights.mark()
    flights.do("a", lambda: "a1")
    clock.now += 0.5
    raced_b = flights.mark()
    flights.do("b", lambda: "b1")
    clock.now += 0.25
    flights.do("a", lambda: "a2")  # a finishes again: now the most recent, held from 100.75
    clock.now += 0.75  # 101.5: b finished 1.0 s ago, exactly its hold time: still held
    flights.do("x", lambda: "prunes")
    assert flights.do("b", lambda: "b-reload", since=raced_b) == "b1"
    clock.now += 0.125  # 101.625: b is past its hold, a (finished at 100.75) is not
    flights.do("y", lambda: "prunes")
    assert flights.do("b", lambda: "b2", since=raced_b) == "b2"
    assert flights.do("a", lambda: "a-reload", since=raced_a) == "a2"


def test_single_flight_hands_a_finished_load_to_every_caller_that_looked_before_it() -> None:
    flights = SingleFlight()
    flights.do("k", lambda: "first")
    looked = flights.mark()  # looked the key up after the first load, before the second
    flights.do("k", lambda: "second")
    assert flights.do("k", lambda: "third", since=looked) == "second"


def documented_metrics() -> dict[str, tuple[list[str], str]]:
    """The README's cache metrics table: name -> (labels, help)."""
    rows = {}
    for line in README.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`technovastore_cache_"):
            labels = [label.strip(" `") for label in cells[1].split(",")]
            rows[cells[0].strip("`")] = (labels, cells[2])
    return rows


def test_the_metrics_are_exposed_as_the_readme_documents_them() -> None:
    metrics = CacheMetrics()
    metrics.hit("product")
    metrics.error("get", "ConnectionError")
    metrics.dropped("product")
    metrics.observe("get", 0.001)
    text = generate_latest(metrics.registry).decode()
    documented = documented_metrics()
    assert len(documented) == 4
    for name, (labels, help_text) in documented.items():
        family = name.removesuffix("_total")
        assert f"# HELP {name} {help_text}\n" in text
        sample = next(
            line for line in text.splitlines() if line.startswith((f"{name}{{", f"{family}_count{{"))
        )
        assert sorted(
            label.split("=")[0] for label in sample[sample.index("{") + 1 : sample.index("}")].split(",")
        ) == sorted(labels)
    buckets = [line.split('le="')[1].split('"')[0] for line in text.splitlines() if "_bucket{" in line]
    assert buckets == [
        "0.0002", "0.0005", "0.001", "0.0025", "0.005", "0.01",
        "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "+Inf",
    ]  # fmt: skip
