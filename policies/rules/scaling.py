"""HorizontalPodAutoscalers and PodDisruptionBudgets, one object at a time.

Rules that need the HPA's target or the workload behind a PDB live in rules/stack.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies.hpa import replica_bounds, scale_up_behavior, utilization_targets
from policies.hpa_timing import seconds_to_reach_max
from policies.kube import as_int
from policies.spec import ObjectCheck, Report, Validate, object_policy, resource_policy, settings


def hpa_policy(check: ObjectCheck) -> Validate:
    return object_policy(("HorizontalPodAutoscaler",), check)


_MIN_CONFIG = {
    "minimum": {"type": "integer", "minimum": 1, "default": 2, "description": "lowest allowed minReplicas"}
}


def _min_replicas(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    floor = settings(args, _MIN_CONFIG)["minimum"]
    minimum, _ = replica_bounds(spec)
    if minimum < floor:
        report(
            f"minReplicas is {minimum}; set it to at least {floor} "
            "so one pod can fail or drain without an outage"
        )


def _max_above_min(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    minimum, maximum = replica_bounds(spec)
    if maximum is None:
        report("has no maxReplicas; set one above minReplicas")
    elif maximum <= minimum:
        report(
            f"maxReplicas {maximum} is not above minReplicas "
            f"{minimum}; raise maxReplicas or lower minReplicas"
        )


_TARGETS_CONFIG: dict[str, dict[str, Any]] = {
    "cpu": {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 100},
        "minItems": 2,
        "maxItems": 2,
        "default": [50, 85],
        "description": "allowed [low, high] CPU averageUtilization target (percent)",
    },
    "memory": {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 100},
        "minItems": 2,
        "maxItems": 2,
        "default": [60, 90],
        "description": "allowed [low, high] memory averageUtilization target (percent)",
    },
    "required": {
        "type": "array",
        "items": {"enum": ["cpu", "memory"]},
        "default": ["cpu"],
        "description": "resources every HPA must scale on (memory is checked whenever it is used)",
    },
}


def _resource_targets(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    config = settings(args, _TARGETS_CONFIG)
    targets = utilization_targets(spec)
    for resource in ("cpu", "memory"):
        low, high = config[resource]
        value = targets.get(resource)
        if resource not in targets:
            if resource in config["required"]:
                report(f"scales on no {resource} Utilization target; add one between {low} and {high} %")
        elif value is None or not low <= value <= high:
            report(f"{resource} target {value} % is outside {low}..{high} %; pick a target in that range")


_SPEED_CONFIG = {
    "maxSeconds": {
        "type": "integer",
        "minimum": 1,
        "default": 60,
        "description": "worst-case seconds the scale-up behavior may take from min to max replicas",
    }
}


def _scale_up_speed(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    budget = settings(args, _SPEED_CONFIG)["maxSeconds"]
    minimum, maximum = replica_bounds(spec)
    if maximum is None:
        return
    seconds = seconds_to_reach_max(minimum, maximum, scale_up_behavior(spec))
    if seconds is None:
        report("scale-up is disabled (selectPolicy: Disabled); enable it so load can add pods")
    elif seconds > budget:
        report(
            f"needs {seconds} s (worst case) to go from {minimum} to {maximum} replicas, over the {budget} s "
            "budget; shorten the scale-up stabilization window or allow larger/faster scale-up steps"
        )


def _pdb_allows_disruption(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
    if max_unavailable is None and min_available is None:
        report("sets neither minAvailable nor maxUnavailable; set maxUnavailable: 1")
    elif max_unavailable is not None and (as_int(max_unavailable) == 0 or max_unavailable == "0%"):
        report("maxUnavailable 0 blocks every node drain; allow at least 1")
    elif min_available == "100%":
        report("minAvailable 100% blocks every node drain; use maxUnavailable: 1")


POLICIES = [
    resource_policy(
        name="k8s-hpa-min-replicas",
        description=(
            "HPAs keep at least minReplicas (2 in production) so a pod can fail without an outage. "
            "Stricter than Polaris's hpaMinAvailability, which passes an HPA that omits minReplicas "
            "(the API defaults it to 1)."
        ),
        severity=Severity.HIGH,
        validate=hpa_policy(_min_replicas),
        config=_MIN_CONFIG,
    ),
    resource_policy(
        name="k8s-hpa-max-above-min",
        description="HPAs have room to scale: maxReplicas above minReplicas.",
        severity=Severity.HIGH,
        validate=hpa_policy(_max_above_min),
    ),
    resource_policy(
        name="k8s-hpa-resource-targets",
        description="HPAs scale on a CPU utilization target; CPU and memory targets stay within sane bounds.",
        severity=Severity.MEDIUM,
        validate=hpa_policy(_resource_targets),
        config=_TARGETS_CONFIG,
    ),
    resource_policy(
        name="k8s-hpa-scale-up-speed",
        description="An HPA's scale-up behavior reaches maxReplicas within the time budget (60 s).",
        severity=Severity.MEDIUM,
        validate=hpa_policy(_scale_up_speed),
        config=_SPEED_CONFIG,
    ),
    resource_policy(
        name="k8s-pdb-allows-disruption",
        description="PodDisruptionBudgets allow at least one voluntary eviction.",
        severity=Severity.HIGH,
        validate=object_policy(("PodDisruptionBudget",), _pdb_allows_disruption),
    ),
]
