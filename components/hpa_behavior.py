"""The HPA behavior the stack settings mean, and its worst-case scale-up timing (pure, no Pulumi).

``hpa_behavior`` is the one translation of ``scaling.scaleUpBehavior``/``scaleDownBehavior``
into an HPA ``spec.behavior``: the Kubernetes HPAs declare it and the Swarm autoscaler reads
the same object from its service labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the settings import this module for the timing check
    from components.settings.scaling import ScalingRate, ScalingSettings

# The HPA controller re-evaluates every 15 s (kube-controller-manager
# --horizontal-pod-autoscaler-sync-period); a policy period shorter than that cannot act
# more often than the controller runs.
HPA_SYNC_PERIOD_SECONDS = 15

# One HPA scaling policy as the API declares it: ("Pods" or "Percent", value, periodSeconds).
ScalingPolicy = tuple[str, int, int]


def _rate_choice(
    replicas: int, policies: Sequence[ScalingPolicy], select_policy: str, sync_period_seconds: int
) -> tuple[int, int, int]:
    """(index, pods added, seconds) of the policy the controller applies at ``replicas``.

    ``select_policy`` Max takes the policy that adds pods fastest, anything else the slowest
    (the first one on a tie, as the list is written).
    """
    steps = [
        (value if kind == "Pods" else -(-replicas * value // 100), max(period, sync_period_seconds))
        for kind, value, period in policies
    ]
    choose = max if select_policy == "Max" else min
    index = choose(range(len(steps)), key=lambda i: steps[i][0] / steps[i][1])
    return index, *steps[index]


def worst_case_scale_up_seconds(
    min_replicas: int,
    max_replicas: int,
    *,
    stabilization_window_seconds: int,
    policies: Sequence[ScalingPolicy],
    select_policy: str = "Max",
    sync_period_seconds: int = HPA_SYNC_PERIOD_SECONDS,
) -> int:
    """Worst-case seconds from "load arrives at min replicas" to "max replicas requested".

    Assumes the load is high enough that the metric alone would ask for max at once, so the
    behavior is the only brake. Worst case: the load arrives just after a controller sync
    (one sync period of detection delay), then the stabilization window, then one step per
    policy period (never faster than the sync period), each step taking the policy
    ``_rate_choice`` picks.

    Bounded work whatever the replica counts: while a Pods policy is chosen it stays chosen
    for a run of steps that ends only when a Percent policy overtakes it (Percent steps grow
    with the replicas, Pods steps do not), so the run is found by bisection and taken at once;
    a Percent step multiplies the replicas by at least 1 + value/100. That is at most about
    100 * (1 + ln max_replicas) Percent steps for the smallest percentage, and a logarithm's
    worth of work per run of Pods steps.
    """
    if max_replicas <= min_replicas:
        return 0
    if min_replicas < 1 or any(value < 1 or period < 1 for _, value, period in policies) or not policies:
        raise ValueError(
            "scale-up needs min_replicas >= 1 and policies with a value and period of at least 1"
        )
    replicas, elapsed = min_replicas, sync_period_seconds + stabilization_window_seconds
    while replicas < max_replicas:
        index, added, step = _rate_choice(replicas, policies, select_policy, sync_period_seconds)
        count = 1
        if policies[index][0] == "Pods":
            count = _pods_run(replicas, max_replicas, index, policies, select_policy, sync_period_seconds)
        replicas += count * added
        elapsed += count * step
    return elapsed


def _pods_run(
    replicas: int,
    max_replicas: int,
    index: int,
    policies: Sequence[ScalingPolicy],
    select_policy: str,
    sync_period_seconds: int,
) -> int:
    """How many steps in a row the Pods policy ``index`` (chosen at ``replicas``) keeps being chosen."""
    added = policies[index][1]
    last = math.ceil((max_replicas - replicas) / added)  # steps until max is reached

    def still_chosen(steps_taken: int) -> bool:
        at = replicas + steps_taken * added
        return _rate_choice(at, policies, select_policy, sync_period_seconds)[0] == index

    low, high = 0, last - 1  # still_chosen(low) holds; find the last steps_taken that holds
    while low < high:
        middle = (low + high + 1) // 2
        if still_chosen(middle):
            low = middle
        else:
            high = middle - 1
    return low + 1


def seconds_to_reach_max(
    *,
    min_replicas: int,
    max_replicas: int,
    stabilization_window_seconds: int,
    percent: int,
    pods: int,
    period_seconds: int,
    sync_period_seconds: int = HPA_SYNC_PERIOD_SECONDS,
) -> int:
    """The worst case for the program's own behavior: a Percent and a Pods policy, larger wins."""
    if min_replicas < 1 or max_replicas < min_replicas:
        raise ValueError(f"need 1 <= min_replicas <= max_replicas, got {min_replicas}..{max_replicas}")
    return worst_case_scale_up_seconds(
        min_replicas,
        max_replicas,
        stabilization_window_seconds=stabilization_window_seconds,
        policies=[("Percent", percent, period_seconds), ("Pods", pods, period_seconds)],
        select_policy="Max",
        sync_period_seconds=sync_period_seconds,
    )


def hpa_rules(rate: ScalingRate, select_policy: str) -> dict[str, Any]:
    return {
        "stabilizationWindowSeconds": rate.stabilization_window_seconds,
        "selectPolicy": select_policy,
        "policies": [
            {"type": "Percent", "value": rate.percent, "periodSeconds": rate.period_seconds},
            {"type": "Pods", "value": rate.pods, "periodSeconds": rate.period_seconds},
        ],
    }


def hpa_behavior(scaling: ScalingSettings) -> dict[str, Any]:
    """Fast up, calm down: the stack's scale-up (larger policy wins) and scale-down (smaller wins) rates."""
    return {
        "scaleUp": hpa_rules(scaling.scale_up_behavior, "Max"),
        "scaleDown": hpa_rules(scaling.scale_down_behavior, "Min"),
    }
