"""How long an HPA's scale-up behavior needs to go from min to max replicas (worst case).

Generalises components/hpa_behavior to any list of scale-up policies and select policy, so
the pack judges what a manifest declares, whoever wrote it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from components.hpa_behavior import HPA_SYNC_PERIOD_SECONDS
from policies.kube import as_int, mapping, sequence

# Kubernetes' scale-up default when a behavior omits it: +100 % or +4 pods per 15 s, larger wins.
DEFAULT_SCALE_UP_POLICIES = (("Percent", 100, 15), ("Pods", 4, 15))


def _policies(scale_up: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    declared = []
    for item in sequence(scale_up.get("policies")):
        item = mapping(item)
        value, period = as_int(item.get("value")), as_int(item.get("periodSeconds"))
        if item.get("type") in ("Pods", "Percent") and value and value > 0 and period and period > 0:
            declared.append((str(item["type"]), value, period))
    return declared or list(DEFAULT_SCALE_UP_POLICIES)


def seconds_to_reach_max(min_replicas: int, max_replicas: int, scale_up: Mapping[str, Any]) -> int | None:
    """Worst-case seconds from load at ``min_replicas`` to ``max_replicas`` requested; None = never.

    Worst case: load arrives just after a controller sync, then the stabilization window, then
    one step per policy period (never faster than the sync period); ``selectPolicy`` Max takes
    the policy that adds pods fastest, Min the slowest, Disabled never scales up.
    """
    select = scale_up.get("selectPolicy") or "Max"
    if select == "Disabled":
        return None
    if max_replicas <= min_replicas:
        return 0
    window = as_int(scale_up.get("stabilizationWindowSeconds")) or 0
    policies = _policies(scale_up)
    replicas, elapsed = max(min_replicas, 1), HPA_SYNC_PERIOD_SECONDS + window
    while replicas < max_replicas:
        steps = [
            (
                value if kind == "Pods" else math.ceil(replicas * value / 100),
                max(period, HPA_SYNC_PERIOD_SECONDS),
            )
            for kind, value, period in policies
        ]
        chooser = max if select == "Max" else min
        added, step = chooser(steps, key=lambda s: s[0] / s[1])
        replicas += added
        elapsed += step
    return elapsed
