"""Worst-case timing of an HPA scale-up, computed from its behavior (pure, no Pulumi)."""

from __future__ import annotations

import math
from collections.abc import Sequence

# The HPA controller re-evaluates every 15 s (kube-controller-manager
# --horizontal-pod-autoscaler-sync-period); a policy period shorter than that cannot act
# more often than the controller runs.
HPA_SYNC_PERIOD_SECONDS = 15

# One HPA scaling policy as the API declares it: ("Pods" or "Percent", value, periodSeconds).
ScalingPolicy = tuple[str, int, int]


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
    policy period (never faster than the sync period); ``select_policy`` Max takes the policy
    that adds pods fastest, anything else the slowest.
    """
    if max_replicas <= min_replicas:
        return 0
    choose = max if select_policy == "Max" else min
    replicas, elapsed = min_replicas, sync_period_seconds + stabilization_window_seconds
    while replicas < max_replicas:
        steps = [
            (value if kind == "Pods" else math.ceil(replicas * value / 100), max(period, sync_period_seconds))
            for kind, value, period in policies
        ]
        added, step = choose(steps, key=lambda s: s[0] / s[1])
        replicas += added
        elapsed += step
    return elapsed


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
