"""Worst-case timing of an HPA scale-up, computed from its behavior (pure, no Pulumi)."""

from __future__ import annotations

import math

# The HPA controller re-evaluates every 15 s (kube-controller-manager
# --horizontal-pod-autoscaler-sync-period); a policy period shorter than that cannot act
# more often than the controller runs.
HPA_SYNC_PERIOD_SECONDS = 15


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
    """Worst-case seconds from "load arrives at min replicas" to "max replicas requested".

    Assumes the load is high enough that the metric alone would ask for max at once, so the
    behavior is the only brake. Worst case: the load arrives just after a controller sync
    (one sync period of detection delay), then the stabilization window, then one step per
    policy period, each step adding the larger of the two policies (selectPolicy Max).
    """
    if min_replicas < 1 or max_replicas < min_replicas:
        raise ValueError(f"need 1 <= min_replicas <= max_replicas, got {min_replicas}..{max_replicas}")
    step_seconds = max(period_seconds, sync_period_seconds)
    replicas, steps = min_replicas, 0
    while replicas < max_replicas:
        replicas += max(pods, math.ceil(replicas * percent / 100))
        steps += 1
    if steps == 0:
        return 0
    return sync_period_seconds + stabilization_window_seconds + steps * step_seconds
