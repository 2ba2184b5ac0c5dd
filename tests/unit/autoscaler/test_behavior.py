"""Stabilization and rate policies against the Kubernetes controller's own unit tests.

Cases from kubernetes/kubernetes pkg/controller/podautoscaler/horizontal_test.go, named after
their Go tests: TestScalingWithRules (``convertDesiredReplicasWithBehaviorRate``),
TestCalculateScaleUpLimitWithScalingRules, TestCalculateScaleDownLimitWithBehaviors,
TestStoreScaleEvents, TestNormalizeDesiredReplicasWithBehavior, and for an HPA without a
behavior TestNormalizeDesiredReplicas and TestConvertDesiredReplicasWithRules. Nil rules in a Go
case get the API's defaults (``GenerateHPAScaleUpRules``/``GenerateHPAScaleDownRules``), as here.
"""

from __future__ import annotations

import pytest

from autoscaler.behavior import (
    Limited,
    Recommendation,
    ScaleEvent,
    ScalingHistory,
    limit_by_rate,
    limit_without_behavior,
    replicas_change_per_period,
    scale_down_limit,
    scale_up_limit,
    stabilize_recommendation,
    stabilize_without_behavior,
    store_scale_event,
)
from autoscaler.spec import (
    Behavior,
    ScalingPolicy,
    ScalingRules,
    default_scale_down_rules,
    default_scale_up_rules,
)
from tests.support.hpa_rules import generate_scaling_rules

NOW = 1_000_000.0


def uniform_events(changes: list[int], period: int) -> list[ScaleEvent]:
    """generateEventsUniformDistribution: one event in the middle of each equal slice of the period."""
    segment = period / len(changes)
    return [
        ScaleEvent(change, NOW - int(period - segment * (index + 1) + segment / 2))
        for index, change in enumerate(changes)
    ]


def behavior(up: ScalingRules | None = None, down: ScalingRules | None = None) -> Behavior:
    return Behavior(up or default_scale_up_rules(), down or default_scale_down_rules())


# (name, current, desired, min, max, up rules, down rules, up events, down events, expected, reason)
SCALING_WITH_RULES = [
    ("prenormalized desired replicas within range", 5, 7, 3, 8, None, None, [], [], 7, "DesiredWithinRange"),
    ("prenormalized desired replicas < minReplicas", 3, 1, 2, 8, None, None, [], [], 2, "TooFewReplicas"),
    (
        "maxReplicas is the limit because maxReplicas < scaleUpLimit",
        20,
        1000,
        1,
        10,
        None,
        None,
        [],
        [],
        10,
        "TooManyReplicas",
    ),
    (
        "desired replica count is more than the maximum replica count",
        100,
        1000,
        100,
        150,
        None,
        None,
        [],
        [],
        150,
        "TooManyReplicas",
    ),
    (
        "scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies",
        3,
        1000,
        1,
        2000,
        generate_scaling_rules(0, 0, 1, 60, 0),
        None,
        [],
        [],
        4,
        "ScaleUpLimit",
    ),
    (
        "scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies",
        1000,
        3,
        3,
        2000,
        None,
        generate_scaling_rules(20, 60, 0, 0, 0),
        [],
        [],
        980,
        "ScaleDownLimit",
    ),
    ("scaleUp with default behavior", 10, 50, 1, 1000, None, None, [], [], 20, "ScaleUpLimit"),
    (
        "scaleUp with pods policy larger than percent policy",
        10,
        500,
        1,
        1000,
        generate_scaling_rules(100, 60, 100, 60, 0),
        None,
        [],
        [],
        110,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with percent policy larger than pods policy",
        10,
        500,
        1,
        1000,
        generate_scaling_rules(2, 60, 100, 60, 0),
        None,
        [],
        [],
        20,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with spec MaxReplicas limitation with large pod policy",
        10,
        50,
        1,
        1000,
        generate_scaling_rules(100, 60, 0, 0, 0),
        None,
        [],
        [],
        50,
        "DesiredWithinRange",
    ),
    (
        "scaleUp with spec MaxReplicas limitation with large percent policy",
        10,
        50,
        1,
        1000,
        generate_scaling_rules(10000, 60, 0, 0, 0),
        None,
        [],
        [],
        50,
        "DesiredWithinRange",
    ),
    (
        "scaleUp with pod policy limitation",
        10,
        50,
        1,
        1000,
        generate_scaling_rules(30, 60, 0, 0, 0),
        None,
        [],
        [],
        40,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with percent policy limitation",
        10,
        50,
        1,
        1000,
        generate_scaling_rules(0, 0, 200, 60, 0),
        None,
        [],
        [],
        30,
        "ScaleUpLimit",
    ),
    (
        "scaleDown with percent policy larger than pod policy",
        100,
        2,
        1,
        1000,
        None,
        generate_scaling_rules(20, 60, 1, 60, 300),
        [],
        [],
        80,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with pod policy larger than percent policy",
        100,
        2,
        1,
        1000,
        None,
        generate_scaling_rules(2, 60, 1, 60, 300),
        [],
        [],
        98,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with spec MinReplicas=nil limitation with large pod policy",
        10,
        0,
        1,
        1000,
        None,
        generate_scaling_rules(100, 60, 0, 0, 300),
        [],
        [],
        1,
        "TooFewReplicas",
    ),
    (
        "scaleDown with spec MinReplicas limitation with large percent policy",
        10,
        2,
        5,
        1000,
        None,
        generate_scaling_rules(0, 0, 100, 60, 300),
        [],
        [],
        5,
        "TooFewReplicas",
    ),
    (
        "scaleDown with pod policy limitation",
        10,
        2,
        1,
        1000,
        None,
        generate_scaling_rules(5, 60, 0, 0, 300),
        [],
        [],
        5,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with percent policy limitation",
        10,
        5,
        1,
        1000,
        None,
        generate_scaling_rules(0, 0, 50, 60, 300),
        [],
        [],
        5,
        "DesiredWithinRange",
    ),
    (
        "scaleUp with spec MaxReplicas limitation with large pod policy and events",
        100,
        500,
        1,
        200,
        generate_scaling_rules(300, 60, 0, 0, 0),
        None,
        uniform_events([1, 5, 9], 120),
        [],
        200,
        "TooManyReplicas",
    ),
    (
        "scaleUp with spec MaxReplicas limitation with large percent policy and events",
        100,
        500,
        1,
        200,
        generate_scaling_rules(0, 0, 10000, 60, 0),
        None,
        uniform_events([1, 5, 9], 120),
        [],
        200,
        "TooManyReplicas",
    ),
    (
        "scaleUp with currentReplicas limitation with rate.PeriodSeconds "
        "with a lot of recent scale up events",
        100,
        500,
        1,
        1000,
        generate_scaling_rules(5, 120, 0, 0, 0),
        None,
        uniform_events([1, 5, 9], 120),
        [],
        100,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with pod policy and previous scale up events",
        100,
        500,
        1,
        1000,
        generate_scaling_rules(150, 120, 0, 0, 0),
        None,
        uniform_events([1, 5, 9], 120),
        [],
        235,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with percent policy and previous scale up events",
        100,
        500,
        1,
        1000,
        generate_scaling_rules(0, 0, 200, 120, 0),
        None,
        uniform_events([1, 5, 9], 120),
        [],
        255,
        "ScaleUpLimit",
    ),
    (
        "scaleUp with percent policy and previous scale up and down events",
        6,
        24,
        1,
        1000,
        generate_scaling_rules(0, 0, 300, 300, 0),
        None,
        uniform_events([4], 120),
        uniform_events([2], 120),
        16,
        "ScaleUpLimit",
    ),
    (
        "scaleDown with default policy and previous events",
        10,
        5,
        1,
        1000,
        None,
        None,
        [],
        uniform_events([1, 5, 9], 120),
        5,
        "DesiredWithinRange",
    ),
    (
        "scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events",
        100,
        0,
        1,
        1000,
        None,
        generate_scaling_rules(115, 120, 0, 0, 300),
        [],
        uniform_events([1, 5, 9], 120),
        1,
        "TooFewReplicas",
    ),
    (
        "scaleDown with spec MinReplicas limitation with large pod policy and previous events",
        100,
        0,
        5,
        1000,
        None,
        generate_scaling_rules(130, 120, 0, 0, 300),
        [],
        uniform_events([1, 5, 9], 120),
        5,
        "TooFewReplicas",
    ),
    (
        "scaleDown with spec MinReplicas limitation with large percent policy and previous events",
        100,
        2,
        5,
        1000,
        None,
        generate_scaling_rules(0, 0, 100, 120, 300),
        [],
        uniform_events([1, 5, 9], 120),
        5,
        "TooFewReplicas",
    ),
    (
        "scaleDown with pod policy limitation and previous events",
        100,
        2,
        1,
        1000,
        None,
        generate_scaling_rules(5, 120, 0, 0, 300),
        [],
        uniform_events([1, 5, 9], 120),
        100,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with percent policy limitation and previous events",
        100,
        0,
        1,
        1000,
        None,
        generate_scaling_rules(0, 0, 50, 120, 300),
        [],
        uniform_events([2, 4, 6], 120),
        56,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with percent policy and previous scale up and down events",
        10,
        1,
        1,
        1000,
        None,
        generate_scaling_rules(0, 0, 50, 180, 0),
        uniform_events([2], 120),
        uniform_events([4], 120),
        6,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with previous events preventing further scale down",
        100,
        0,
        1,
        1000,
        None,
        generate_scaling_rules(0, 0, 10, 120, 300),
        [],
        uniform_events([10, 10, 10], 120),
        100,
        "ScaleDownLimit",
    ),
    (
        "scaleDown with with previous events still allowing more scale down",
        10,
        5,
        1,
        1000,
        None,
        generate_scaling_rules(0, 0, 1000, 120, 300),
        [],
        uniform_events([10, 10, 10], 120),
        5,
        "DesiredWithinRange",
    ),
    (
        "check 'outdated' flag for events for one behavior for up",
        100,
        200,
        1,
        1000,
        generate_scaling_rules(1000, 60, 0, 0, 0),
        None,
        uniform_events([8, 12, 9, 11], 120),
        [],
        200,
        "DesiredWithinRange",
    ),
    (
        "check that events were marked 'outdated' for two different policies in the behavior for up",
        100,
        200,
        1,
        1000,
        generate_scaling_rules(1000, 30, 100, 60, 0),
        None,
        uniform_events([8, 12, 9, 11], 120),
        [],
        200,
        "DesiredWithinRange",
    ),
    (
        "check that events were marked 'outdated' for two different policies in the behavior for down",
        100,
        5,
        1,
        1000,
        None,
        generate_scaling_rules(1000, 30, 100, 60, 300),
        [],
        uniform_events([8, 12, 9, 11], 120),
        5,
        "DesiredWithinRange",
    ),
]


@pytest.mark.parametrize(
    ("current", "desired", "lo", "hi", "up", "down", "up_events", "down_events", "expected", "reason"),
    [case[1:] for case in SCALING_WITH_RULES],
    ids=[case[0] for case in SCALING_WITH_RULES],
)
def test_scaling_with_rules_from_the_controller(
    current, desired, lo, hi, up, down, up_events, down_events, expected, reason
) -> None:
    history = ScalingHistory(scale_up_events=list(up_events), scale_down_events=list(down_events))
    limited = limit_by_rate(history, behavior(up, down), current, desired, lo, hi, NOW)
    assert (limited.replicas, limited.reason) == (expected, reason)


def test_scale_up_limit_with_min_select_policy_from_the_controller() -> None:
    # TestCalculateScaleUpLimitWithScalingRules: Min of +2 pods and +50 % from 1 is 2.
    min_rules = ScalingRules(300, "Min", (ScalingPolicy("Pods", 2, 60), ScalingPolicy("Percent", 50, 60)))
    assert scale_up_limit(1, ScalingHistory(), min_rules, NOW) == 2


def test_scale_down_limit_with_min_select_policy_from_the_controller() -> None:
    # TestCalculateScaleDownLimitWithBehaviors: Min of -2 pods and -50 % from 5 is 3.
    min_rules = ScalingRules(300, "Min", (ScalingPolicy("Pods", 2, 60), ScalingPolicy("Percent", 50, 60)))
    assert scale_down_limit(5, ScalingHistory(), min_rules, NOW) == 3


def test_disabled_select_policy_never_changes_that_direction() -> None:
    disabled = ScalingRules(0, "Disabled", (ScalingPolicy("Pods", 4, 15),))
    history = ScalingHistory()
    assert limit_by_rate(history, behavior(up=disabled), 3, 10, 1, 20, NOW).replicas == 3
    assert limit_by_rate(history, behavior(down=disabled), 10, 3, 1, 20, NOW).replicas == 10
    # The other direction still moves.
    assert limit_by_rate(history, behavior(up=disabled), 10, 3, 1, 20, NOW).replicas == 3


STORE_CASES = [
    # (name, previous events (change, age s), rules (None: no behavior), replicas in the last
    #  60 s before, events after (change, outdated))
    ("empty entries with default behavior", [], None, 0, []),
    ("one outdated entry to be kept untouched without behavior", [(7, 61)], None, 0, [(7, False)]),
    (
        "empty entries with two-policy-behavior",
        [],
        generate_scaling_rules(10, 60, 100, 60, 0),
        0,
        [(5, False)],
    ),
    (
        "one outdated entry to be replaced with behavior",
        [(7, 61)],
        generate_scaling_rules(10, 60, 100, 60, 0),
        0,
        [(5, False)],
    ),
    (
        "one actual entry to be not touched with behavior",
        [(7, 58)],
        generate_scaling_rules(10, 60, 100, 60, 0),
        7,
        [(7, False), (5, False)],
    ),
    (
        "two entries, one of them to be replaced",
        [(7, 61), (6, 59)],
        generate_scaling_rules(10, 60, 0, 0, 0),
        6,
        [(5, False), (6, False)],
    ),
    (
        "replace one entry, use policies with different periods",
        [(8, 29), (6, 59), (7, 61), (9, 61)],
        generate_scaling_rules(10, 60, 100, 30, 0),
        14,
        [(8, False), (6, False), (7, True), (5, False)],
    ),
    (
        "two entries, both actual",
        [(7, 58), (6, 59)],
        generate_scaling_rules(10, 120, 100, 30, 0),
        13,
        [(7, False), (6, False), (5, False)],
    ),
]


@pytest.mark.parametrize(
    ("previous", "scaling_rules", "change_before", "after"),
    [case[1:] for case in STORE_CASES],
    ids=[case[0] for case in STORE_CASES],
)
def test_store_scale_events_from_the_controller(previous, scaling_rules, change_before, after) -> None:
    for direction in ("up", "down"):
        events = [ScaleEvent(change, NOW - age) for change, age in previous]
        history = (
            ScalingHistory(scale_up_events=events)
            if direction == "up"
            else ScalingHistory(scale_down_events=events)
        )
        stored = history.scale_up_events if direction == "up" else history.scale_down_events
        assert replicas_change_per_period(60, stored, NOW) == change_before
        b = None
        if scaling_rules is not None:
            b = behavior(up=scaling_rules) if direction == "up" else behavior(down=scaling_rules)
        store_scale_event(history, b, 10, 15 if direction == "up" else 5, NOW)
        assert [(e.replica_change, e.outdated) for e in stored] == after


# TestNormalizeDesiredReplicasWithBehavior: (name, recommendations (replicas, age s), current,
# desired, expected, recommendations after, up window, down window; unset windows are 0 there).
NORMALIZE_CASES = [
    ("empty recommendations for scaling down", [], 100, 5, 5, [5], 0, 0),
    ("simple scale down stabilization", [(4, 120), (5, 60)], 100, 3, 5, [4, 5, 3], 0, 180),
    ("simple scale up stabilization", [(4, 120), (5, 60)], 1, 7, 4, [4, 5, 7], 300, 0),
    ("no scale down stabilization", [(1, 120), (2, 60)], 100, 3, 3, [1, 2, 3], 300, 0),
    ("no scale up stabilization", [(4, 120), (5, 60)], 1, 3, 3, [4, 5, 3], 0, 300),
    (
        "no scale down stabilization, reuse recommendation element",
        [(10, 600), (9, 540)],
        100,
        3,
        3,
        [10, 3],
        0,
        0,
    ),
    (
        "no scale up stabilization, reuse recommendation element",
        [(10, 600), (9, 540)],
        1,
        100,
        100,
        [10, 100],
        0,
        0,
    ),
    (
        "scale down stabilization, reuse one of obsolete recommendation element",
        [(10, 600), (4, 60), (5, 120), (9, 540)],
        100,
        3,
        5,
        [10, 4, 5, 3],
        0,
        180,
    ),
    (
        # Only the first element is obsolete for both windows (up 300 s, down 0 s).
        "scale up stabilization, reuse one of obsolete recommendation element",
        [(10, 6000), (6, 60), (5, 120), (9, 180)],
        1,
        100,
        5,
        [100, 6, 5, 9],
        300,
        0,
    ),
    (
        "scale up and down stabilization, do not scale up when prenormalized rec goes down",
        [(2, 6000), (3, 180)],
        2,
        1,
        2,
        None,
        300,
        300,
    ),
    (
        "scale up and down stabilization, do not scale down when prenormalized rec goes up",
        [(2, 6000), (1, 180)],
        2,
        3,
        2,
        None,
        300,
        300,
    ),
]


@pytest.mark.parametrize(
    ("recommendations", "current", "desired", "expected", "after", "up_window", "down_window"),
    [case[1:] for case in NORMALIZE_CASES],
    ids=[case[0] for case in NORMALIZE_CASES],
)
def test_stabilization_from_the_controller(
    recommendations, current, desired, expected, after, up_window, down_window
) -> None:
    history = ScalingHistory(recommendations=[Recommendation(r, NOW - age) for r, age in recommendations])
    b = Behavior(
        ScalingRules(up_window, "Max", default_scale_up_rules().policies),
        ScalingRules(down_window, "Max", default_scale_down_rules().policies),
    )
    assert stabilize_recommendation(history, b, current, desired, NOW) == expected
    if after is not None:
        assert [r.replicas for r in history.recommendations or []] == after


# TestNormalizeDesiredReplicas: without a behavior, the highest recommendation of the
# controller's 5-minute downscale window. (name, recommendations (replicas, age s), desired,
# expected, recommendations kept after)
NO_BEHAVIOR_STABILIZATION_CASES = [
    ("empty log", [], 5, 5, 1),
    ("stabilize", [(4, 120), (5, 60)], 3, 5, 3),
    ("no stabilize", [(1, 120), (2, 60)], 3, 3, 3),
    ("no stabilize - old recommendations", [(10, 600), (9, 540)], 3, 3, 2),
    ("stabilize - old recommendations", [(10, 600), (4, 60), (5, 120), (9, 540)], 3, 5, 4),
]


@pytest.mark.parametrize(
    ("recommendations", "desired", "expected", "kept"),
    [case[1:] for case in NO_BEHAVIOR_STABILIZATION_CASES],
    ids=[case[0] for case in NO_BEHAVIOR_STABILIZATION_CASES],
)
def test_stabilization_without_behavior_from_the_controller(recommendations, desired, expected, kept) -> None:
    history = ScalingHistory(recommendations=[Recommendation(r, NOW - age) for r, age in recommendations])
    assert stabilize_without_behavior(history, 300, desired, NOW) == expected
    assert len(history.recommendations or []) == kept


# TestConvertDesiredReplicasWithRules, with the tests' scaleUpLimitFactor of 8 (horizontal_test.go
# sets it in init()): (name, current, desired, min, max, expected, reason)
CONVERT_CASES = [
    ("prenormalized desired replicas within range", 5, 7, 3, 8, 7, "DesiredWithinRange"),
    ("prenormalized desired replicas < minReplicas", 3, 1, 2, 8, 2, "TooFewReplicas"),
    ("prenormalized desired zeroed replicas within range", 1, 0, 0, 10, 0, "DesiredWithinRange"),
    ("maxReplicas is the limit because maxReplicas < scaleUpLimit", 20, 1000, 1, 10, 10, "TooManyReplicas"),
    ("scaleUpLimit is the limit because scaleUpLimit < maxReplicas", 3, 1000, 1, 2000, 24, "ScaleUpLimit"),
]


@pytest.mark.parametrize(
    ("current", "desired", "lo", "hi", "expected", "reason"),
    [case[1:] for case in CONVERT_CASES],
    ids=[case[0] for case in CONVERT_CASES],
)
def test_limits_without_behavior_from_the_controller(current, desired, lo, hi, expected, reason) -> None:
    assert limit_without_behavior(current, desired, lo, hi, 8.0, 4.0) == Limited(expected, reason)


def test_scale_up_limit_without_behavior_is_twice_current_or_four() -> None:
    # kube-controller-manager's own factor and minimum (calculateScaleUpLimit).
    assert limit_without_behavior(1, 100, 1, 1000, 2.0, 4.0) == Limited(4, "ScaleUpLimit")
    assert limit_without_behavior(10, 100, 1, 1000, 2.0, 4.0) == Limited(20, "ScaleUpLimit")
    assert limit_without_behavior(10, 100, 1, 15, 2.0, 4.0) == Limited(15, "TooManyReplicas")
