"""How long an HPA's scale-up behavior needs to go from min to max replicas (worst case).

Reads any manifest's scale-up behavior (any policies, any select policy, Kubernetes' defaults
for what it omits) and times it with components/hpa_behavior, so the pack and the program
agree by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.hpa_behavior import ScalingPolicy, worst_case_scale_up_seconds
from policies.kube import as_int, mapping, sequence

# Kubernetes' scale-up default when a behavior omits it: +100 % or +4 pods per 15 s, larger wins.
DEFAULT_SCALE_UP_POLICIES = (("Percent", 100, 15), ("Pods", 4, 15))


def _policies(scale_up: Mapping[str, Any]) -> list[ScalingPolicy]:
    declared = []
    for item in sequence(scale_up.get("policies")):
        item = mapping(item)
        value, period = as_int(item.get("value")), as_int(item.get("periodSeconds"))
        if item.get("type") in ("Pods", "Percent") and value and value > 0 and period and period > 0:
            declared.append((str(item["type"]), value, period))
    return declared or list(DEFAULT_SCALE_UP_POLICIES)


def seconds_to_reach_max(min_replicas: int, max_replicas: int, scale_up: Mapping[str, Any]) -> int | None:
    """Worst-case seconds from load at ``min_replicas`` to ``max_replicas`` requested; None = never.

    ``selectPolicy`` Disabled never scales up; see worst_case_scale_up_seconds for the rest.
    """
    select = scale_up.get("selectPolicy") or "Max"
    if select == "Disabled":
        return None
    return worst_case_scale_up_seconds(
        max(min_replicas, 1),
        max_replicas,
        stabilization_window_seconds=as_int(scale_up.get("stabilizationWindowSeconds")) or 0,
        policies=_policies(scale_up),
        select_policy=select,
    )
