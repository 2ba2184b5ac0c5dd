"""The scale-up timing takes bounded work at any replica count and agrees with a step-by-step walk."""

from __future__ import annotations

import math
import random

import pytest

from components.hpa_behavior import HPA_SYNC_PERIOD_SECONDS, ScalingPolicy, worst_case_scale_up_seconds

INT32_MAX = 2**31 - 1


def step_by_step(
    min_replicas: int, max_replicas: int, window: int, policies: list[ScalingPolicy], select: str
) -> int:
    """The model walked one controller step at a time (fine for small counts only)."""
    if max_replicas <= min_replicas:
        return 0
    choose = max if select == "Max" else min
    replicas, elapsed = min_replicas, HPA_SYNC_PERIOD_SECONDS + window
    while replicas < max_replicas:
        steps = [
            (
                value if kind == "Pods" else math.ceil(replicas * value / 100),
                max(period, HPA_SYNC_PERIOD_SECONDS),
            )
            for kind, value, period in policies
        ]
        added, step = choose(steps, key=lambda s: s[0] / s[1])
        replicas += added
        elapsed += step
    return elapsed


def random_policies(rng: random.Random) -> list[ScalingPolicy]:
    return [
        (
            rng.choice(["Pods", "Percent"]),
            rng.choice([1, 2, 3, 4, 7, 10, 50, 100, 200]),
            rng.choice([5, 15, 30, 60]),
        )
        for _ in range(rng.randint(1, 4))
    ]


def test_agrees_with_the_step_by_step_walk_on_random_behaviors() -> None:
    rng = random.Random(20240516)
    for _ in range(400):
        policies = random_policies(rng)
        minimum = rng.randint(1, 30)
        maximum = minimum + rng.randint(0, 400)
        select = rng.choice(["Max", "Min"])
        window = rng.choice([0, 30, 300])
        expected = step_by_step(minimum, maximum, window, policies, select)
        assert (
            worst_case_scale_up_seconds(
                minimum, maximum, stabilization_window_seconds=window, policies=policies, select_policy=select
            )
            == expected
        ), (minimum, maximum, window, policies, select)


@pytest.mark.parametrize(
    "policies,select,expected",
    [
        # One pod per step all the way: 2**31 - 2 steps, each a sync period.
        ([("Pods", 1, 15)], "Max", HPA_SYNC_PERIOD_SECONDS + (INT32_MAX - 1) * 15),
        # The slower of +1 pod and +1 % wins until +1 % is the slower again: still one pod a step.
        ([("Pods", 1, 15), ("Percent", 1, 15)], "Min", HPA_SYNC_PERIOD_SECONDS + (INT32_MAX - 1) * 15),
    ],
)
def test_linear_scale_up_to_int32_max_is_closed_form(
    policies: list[ScalingPolicy], select: str, expected: int
) -> None:
    assert (
        worst_case_scale_up_seconds(
            1, INT32_MAX, stabilization_window_seconds=0, policies=policies, select_policy=select
        )
        == expected
    )


def test_percent_growth_to_int32_max_counts_its_steps() -> None:
    # +1 % a step from 10**7: ceil keeps each step exact, the count is logarithmic in the ratio.
    seconds = worst_case_scale_up_seconds(
        10**7, INT32_MAX, stabilization_window_seconds=0, policies=[("Percent", 1, 15)]
    )
    steps = (seconds - HPA_SYNC_PERIOD_SECONDS) // 15
    assert math.log(INT32_MAX / 10**7, 1.01) <= steps <= math.log(INT32_MAX / 10**7, 1.01) + 1


def test_the_controller_takes_the_fastest_policy_unless_told_otherwise() -> None:
    # +1 pod against +100 % from 4 replicas: Max (the API's default) doubles, Min adds one pod.
    policies: list[ScalingPolicy] = [("Pods", 1, 15), ("Percent", 100, 15)]
    fastest = worst_case_scale_up_seconds(4, 8, stabilization_window_seconds=0, policies=policies)
    assert fastest == HPA_SYNC_PERIOD_SECONDS + 15
    slowest = worst_case_scale_up_seconds(
        4, 8, stabilization_window_seconds=0, policies=policies, select_policy="Min"
    )
    assert slowest == HPA_SYNC_PERIOD_SECONDS + 4 * 15


@pytest.mark.parametrize(
    "min_replicas,policies",
    [
        (0, [("Pods", 1, 15)]),
        (1, []),
        (1, [("Pods", 0, 15)]),
        (1, [("Percent", 100, 15), ("Percent", 10, 0)]),
    ],
)
def test_a_behavior_that_cannot_scale_up_is_refused(min_replicas: int, policies: list[ScalingPolicy]) -> None:
    with pytest.raises(
        ValueError, match=r"^scale-up needs min_replicas >= 1 and policies with a value and period"
    ):
        worst_case_scale_up_seconds(min_replicas, 5, stabilization_window_seconds=0, policies=policies)


def test_the_smallest_policy_values_are_accepted() -> None:
    # A period of 1 s acts once per controller sync; a value of 1 adds one pod (or 1 %, at least one pod).
    for kind in ("Pods", "Percent"):
        seconds = worst_case_scale_up_seconds(1, 3, stabilization_window_seconds=0, policies=[(kind, 1, 1)])
        assert seconds == HPA_SYNC_PERIOD_SECONDS + 2 * HPA_SYNC_PERIOD_SECONDS
