"""Sentinel and hit-ratio rules on the values the servers report."""

from __future__ import annotations

from checks.hit_ratio import KEYSPACE, Counters, window_delta
from checks.hit_ratio import evaluate as evaluate_ratio
from checks.model import Status
from checks.redis_client import NodeUnreachable
from checks.replication import ReplicaLink
from checks.sentinel import Expected, Replication, SentinelView, evaluate

EXPECTED = Expected(master_name="sessions", sentinels=3, replicas=2, max_replica_lag_seconds=10)
REPLICAS = [
    {"ip": "127.0.0.1", "port": "7001", "flags": "slave"},
    {"ip": "127.0.0.1", "port": "7002", "flags": "slave"},
]


def sentinel(
    port: int,
    *,
    primary: str = "127.0.0.1:7000",
    flags: str = "master",
    others: int = 2,
    quorum_error: str | None = None,
) -> SentinelView:
    master = {"name": "sessions", "flags": flags, "num-other-sentinels": str(others), "num-slaves": "2"}
    return SentinelView(f"127.0.0.1:{port}", quorum_error, master, primary, REPLICAS)


def healthy() -> dict[str, object]:
    return {view.address: view for view in (sentinel(26379), sentinel(26380), sentinel(26381))}


def linked(port: int, status: str = "up") -> ReplicaLink:
    return ReplicaLink(f"127.0.0.1:{port}", "127.0.0.1:7000", status)


LINKS_UP = Replication(links={"127.0.0.1:7001": linked(7001), "127.0.0.1:7002": linked(7002)}, lags={})


def statuses(outcomes: dict[str, object], replicas: Replication = LINKS_UP) -> dict[str, Status]:
    return {r.name: r.status for r in evaluate(outcomes, replicas, EXPECTED)}  # type: ignore[arg-type]


def test_a_healthy_group_passes() -> None:
    assert set(statuses(healthy()).values()) == {Status.OK}


def test_below_quorum_reports_each_sentinels_answer() -> None:
    outcomes = healthy()
    outcomes["127.0.0.1:26380"] = NodeUnreachable("127.0.0.1:26380: connection refused")
    outcomes["127.0.0.1:26381"] = NodeUnreachable("127.0.0.1:26381: connection refused")
    no_quorum = "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum"
    outcomes["127.0.0.1:26379"] = sentinel(26379, quorum_error=no_quorum, flags="master,o_down")
    results = {r.name: r for r in evaluate(outcomes, LINKS_UP, EXPECTED)}  # type: ignore[arg-type]
    assert results["quorum"].status is Status.FAIL
    assert results["quorum"].message == f"127.0.0.1:26379: {no_quorum}"
    assert results["master_flags"].message == "127.0.0.1:26379 reports flags master,o_down"
    assert results["reachable"].status is Status.FAIL


def test_disagreeing_sentinels_name_each_side() -> None:
    outcomes = healthy()
    outcomes["127.0.0.1:26381"] = sentinel(26381, primary="127.0.0.1:7002")
    results = {r.name: r for r in evaluate(outcomes, LINKS_UP, EXPECTED)}  # type: ignore[arg-type]
    assert results["primary_agreement"].message == (
        "Sentinels disagree on the primary: 127.0.0.1:7000 according to 127.0.0.1:26379, 127.0.0.1:26380; "
        "127.0.0.1:7002 according to 127.0.0.1:26381"
    )


def test_missing_peers_and_broken_replica_links() -> None:
    outcomes = healthy()
    outcomes["127.0.0.1:26379"] = sentinel(26379, others=1)
    replicas = Replication(
        links={"127.0.0.1:7001": linked(7001, "down"), "127.0.0.1:7002": NodeUnreachable("gone")}, lags={}
    )
    results = {r.name: r for r in evaluate(outcomes, replicas, EXPECTED)}  # type: ignore[arg-type]
    assert results["peers"].message == "127.0.0.1:26379 knows 1 other Sentinels, expected 2"
    assert results["replication"].message == (
        "replica 127.0.0.1:7001 of master 127.0.0.1:7000 has master_link_status:down; "
        "replica 127.0.0.1:7002 did not answer (gone)"
    )


def test_a_lagging_replica_and_one_that_calls_itself_a_master() -> None:
    replicas = Replication(
        links={"127.0.0.1:7001": linked(7001), "127.0.0.1:7002": "role master"},
        lags={"127.0.0.1:7001": 30, "127.0.0.1:7002": 0},
    )
    results = {r.name: r for r in evaluate(healthy(), replicas, EXPECTED)}  # type: ignore[arg-type]
    assert results["replication"].message == (
        "replica 127.0.0.1:7001 of master 127.0.0.1:7000 lags 30 s behind (more than 10 s); "
        "replica 127.0.0.1:7002 reports role master"
    )


def test_hit_ratio_sums_counters_before_dividing() -> None:
    # Per-node ratios 0.99 and 0.0 average to ~0.5; the fleet's real ratio is 990/1090.
    counters = {"a:1": Counters(990, 10), "b:1": Counters(0, 90)}
    result = evaluate_ratio(counters, KEYSPACE, min_ratio=0.85, min_lookups=100, scope="test")
    assert result.status is Status.OK
    assert result.message == "keyspace hit ratio 0.908 (990 hits / 1090 lookups) meets 0.85"


def test_hit_ratio_below_threshold_fails() -> None:
    result = evaluate_ratio(
        {"a:1": Counters(80, 20)}, KEYSPACE, min_ratio=0.85, min_lookups=100, scope="test"
    )
    assert (result.status, result.message) == (
        Status.FAIL,
        "keyspace hit ratio 0.800 (80 hits / 100 lookups) is below 0.85",
    )


def test_too_few_lookups_is_a_warning_not_a_verdict() -> None:
    result = evaluate_ratio(
        {"a:1": Counters(0, 3)}, KEYSPACE, min_ratio=0.85, min_lookups=100, scope="test", unanswered=1
    )
    assert result.status is Status.WARN
    assert (
        result.message
        == "keyspace hit ratio: insufficient traffic: 3 lookups (0 hits, 3 misses), fewer than 100"
    )
    assert result.target == "Redis keyspace lookups, test, 1 node(s), 1 not answering and not counted"


def test_counter_deltas() -> None:
    assert Counters(15, 7) - Counters(10, 2) == Counters(5, 5)
    assert Counters.from_stats({"keyspace_hits": "4", "keyspace_misses": "1"}) == Counters(4, 1)


def test_window_delta_subtracts_the_first_sample() -> None:
    before = {"a:1": Counters(100, 10), "b:1": Counters(5, 5)}
    after = {"a:1": Counters(180, 30), "c:1": Counters(9, 9)}  # b silent now, c new: neither counted
    assert window_delta(before, after) == {"a:1": Counters(80, 20)}


def test_window_delta_takes_a_reset_nodes_new_counts() -> None:
    before = {"full": Counters(500, 400), "partial": Counters(10, 900)}
    # Both reset (CONFIG RESETSTAT) during the window; on "partial" the hits since the reset
    # already exceed the old count, so only its misses went down.
    after = {"full": Counters(30, 4), "partial": Counters(40, 3)}
    assert window_delta(before, after) == {"full": Counters(30, 4), "partial": Counters(40, 3)}
