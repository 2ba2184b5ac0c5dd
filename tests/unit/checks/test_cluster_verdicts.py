"""The cluster rules on captured CLUSTER NODES / CLUSTER INFO text."""

from __future__ import annotations

from checks.model import CheckResult, Status
from checks.redis_client import AuthFailed, NodeUnreachable
from checks.redis_cluster import evaluate, master_replica_pairs
from tests.unit.checks.captured import (
    AFTER_FAILOVER,
    HEALTHY,
    INFO_MASTER_FAILED,
    M0,
    M1,
    M2,
    MASTER_FAILED,
    PROMOTED_REPLICATION,
    R0,
    R1,
    R2,
    replication_of,
    view,
    views,
)

ALL = [M0, M1, M2, R0, R1, R2]
EXPECTED = {"masters": 3, "replicas_per_master": 1, "max_replica_lag_seconds": 10}


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.name: result for result in results}


def failing(results: list[CheckResult]) -> set[str]:
    return {result.name for result in results if result.status is not Status.OK}


def test_a_healthy_cluster_passes_every_check() -> None:
    results = evaluate(views(ALL), **EXPECTED)
    assert [r.name for r in results] == [
        "reachable",
        "cluster_state",
        "slot_coverage",
        "node_health",
        "topology",
        "replication",
        "slot_map_agreement",
        "open_slots",
    ]
    assert failing(results) == set()
    assert by_name(results)["replication"].message == (
        "all 3 replicas linked to their masters, none lagging more than 10 s"
    )


def test_a_failed_master_before_failover() -> None:
    lost_link = {R2: replication_of(R2, link_down=True)}
    outcomes: dict[str, object] = dict(
        views([M0, M1, R0, R1, R2], MASTER_FAILED, INFO_MASTER_FAILED, replication=lost_link)
    )
    outcomes["127.0.0.1:17002"] = NodeUnreachable("127.0.0.1:17002: connection refused")
    results = by_name(evaluate(outcomes, **EXPECTED))  # type: ignore[arg-type]
    assert failing(list(results.values())) == {
        "reachable",
        "cluster_state",
        "slot_coverage",
        "node_health",
        "topology",
        "replication",
    }
    assert results["replication"].message == (
        "replica 127.0.0.1:17005 of master 127.0.0.1:17002 has master_link_status:down for 42 s"
    )
    assert (
        results["reachable"].message == "127.0.0.1:17002 did not answer (127.0.0.1:17002: connection refused)"
    )
    assert "127.0.0.1:17000 reports cluster_state:fail" in results["cluster_state"].message
    assert "127.0.0.1:17000 sees 0 slots in pfail and 5461 in fail" in results["slot_coverage"].message
    assert f"node 127.0.0.1:17002 ({M2[:8]}) flagged fail by 5 node(s)" in results["node_health"].message
    assert results["topology"].message == "2 masters serve slots, expected 3"


def test_after_failover_the_promoted_master_lacks_a_replica() -> None:
    promoted = {R2: PROMOTED_REPLICATION}
    outcomes: dict[str, object] = dict(views([M0, M1, R0, R1, R2], AFTER_FAILOVER, replication=promoted))
    outcomes["127.0.0.1:17002"] = NodeUnreachable("127.0.0.1:17002: connection refused")
    results = by_name(evaluate(outcomes, **EXPECTED))  # type: ignore[arg-type]
    assert failing(list(results.values())) == {"reachable", "node_health", "topology"}
    assert results["topology"].message == (
        "master 127.0.0.1:17005 (slots 10923-16383) has 0 healthy replica(s), expected 1"
    )


def test_uncovered_slots_are_named_and_the_views_disagree() -> None:
    deleted = HEALTHY.replace("connected 0-5460", "connected 0-99 103-5460")
    info = "cluster_state:fail\ncluster_slots_assigned:16381\ncluster_slots_ok:16381\n"
    outcomes = views([M1, M2, R0, R1, R2])
    outcomes["127.0.0.1:17000"] = view(M0, deleted, info)
    results = by_name(evaluate(outcomes, **EXPECTED))
    assert failing(list(results.values())) == {"cluster_state", "slot_coverage", "slot_map_agreement"}
    assert (
        results["slot_coverage"].message
        == "127.0.0.1:17000 has 16381 of 16384 slots assigned (unassigned: 100-102)"
    )
    assert "disagrees with 127.0.0.1:17000 on slots 100-102" in results["slot_map_agreement"].message


def test_an_open_slot_names_both_ends() -> None:
    migrating = HEALTHY.replace("connected 0-5460", f"connected 0-5460 [5->-{M1}]")
    importing = HEALTHY.replace("connected 5461-10922", f"connected 5461-10922 [5-<-{M0}]")
    outcomes = views([M2, R0, R1, R2])
    outcomes["127.0.0.1:17000"] = view(M0, migrating)
    outcomes["127.0.0.1:17001"] = view(M1, importing)
    results = by_name(evaluate(outcomes, **EXPECTED))
    assert failing(list(results.values())) == {"open_slots"}
    assert results["open_slots"].message == (
        "slot 5 migrating from 127.0.0.1:17000 to 127.0.0.1:17001; "
        "slot 5 importing into 127.0.0.1:17001 from 127.0.0.1:17000"
    )


def test_more_replicas_expected_than_exist() -> None:
    results = by_name(evaluate(views(ALL), **{**EXPECTED, "replicas_per_master": 2}))
    assert failing(list(results.values())) == {"topology"}
    assert results["topology"].message.count("has 1 healthy replica(s), expected 2") == 3


def test_nobody_answering_or_a_refused_password_means_could_not_run() -> None:
    silent = {"127.0.0.1:1": NodeUnreachable("127.0.0.1:1: connection refused")}
    (result,) = evaluate(silent, **EXPECTED)
    assert result.status is Status.ERROR
    assert result.message == "could not query the cluster nodes: 127.0.0.1:1: connection refused"
    refused: dict[str, object] = dict(views([M0]))
    refused["127.0.0.1:17001"] = AuthFailed("127.0.0.1:17001: authentication as user 'admin' failed")
    (result,) = evaluate(refused, **EXPECTED)  # type: ignore[arg-type]
    assert result.status is Status.ERROR
    assert "authentication as user 'admin' failed" in result.message


def test_master_replica_pairs_follow_the_first_view() -> None:
    pairs = {(m.address, r.address) for m, r in master_replica_pairs(views(ALL))}
    assert pairs == {
        ("127.0.0.1:17000", "127.0.0.1:17003"),
        ("127.0.0.1:17001", "127.0.0.1:17004"),
        ("127.0.0.1:17002", "127.0.0.1:17005"),
    }


def test_a_replica_whose_link_is_down_fails_while_its_flags_look_healthy() -> None:
    outcomes = views(ALL, replication={R1: replication_of(R1, link_down=True)})
    results = by_name(evaluate(outcomes, **EXPECTED))
    assert failing(list(results.values())) == {"replication"}
    assert results["replication"].message == (
        "replica 127.0.0.1:17004 of master 127.0.0.1:17001 has master_link_status:down for 42 s"
    )


def test_a_replica_lagging_more_than_the_threshold_fails() -> None:
    lagging = {M0: replication_of(M0, lag=11), M1: replication_of(M1, lag=10)}
    results = by_name(evaluate(views(ALL, replication=lagging), **EXPECTED))
    assert failing(list(results.values())) == {"replication"}
    # 10 s is still within the threshold; 11 s is not.
    assert results["replication"].message == (
        "replica 127.0.0.1:17003 of master 127.0.0.1:17000 lags 11 s behind (more than 10 s)"
    )
