"""A HorizontalPodAutoscaler read the same way whatever its API version (v1, v2beta1, v2beta2, v2).

The API defaults what a manifest omits: minReplicas to 1, and an HPA with no metric (v2) or no
``targetCPUUtilizationPercentage`` (v1) scales on 80 % average CPU utilization.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.kube import as_int, dig, mapping, sequence

DEFAULT_CPU_UTILIZATION = 80


def replica_bounds(spec: Mapping[str, Any]) -> tuple[int, int | None]:
    """(minReplicas, maxReplicas); Kubernetes defaults minReplicas to 1."""
    minimum = as_int(spec.get("minReplicas"))
    return (1 if minimum is None else minimum), as_int(spec.get("maxReplicas"))


def _metric_utilization(metric: Mapping[str, Any]) -> tuple[str, int | None] | None:
    """(resource, averageUtilization) of a Resource or ContainerResource utilization metric."""
    source_key = {"Resource": "resource", "ContainerResource": "containerResource"}.get(
        str(metric.get("type"))
    )
    if source_key is None:
        return None
    source = mapping(metric.get(source_key))
    name = source.get("name")
    if not isinstance(name, str):
        return None
    target = mapping(source.get("target"))
    if target:  # v2beta2 and v2
        if target.get("type") != "Utilization":
            return None
        return name, as_int(target.get("averageUtilization"))
    if "targetAverageUtilization" in source:  # v2beta1
        return name, as_int(source.get("targetAverageUtilization"))
    return None


def utilization_targets(spec: Mapping[str, Any]) -> dict[str, int | None]:
    """Resource name -> averageUtilization target (None when it is not a number), defaults applied."""
    if "targetCPUUtilizationPercentage" in spec:  # autoscaling/v1
        return {"cpu": as_int(spec.get("targetCPUUtilizationPercentage"))}
    metrics = sequence(spec.get("metrics"))
    if not metrics:
        return {"cpu": DEFAULT_CPU_UTILIZATION}
    targets: dict[str, int | None] = {}
    for metric in metrics:
        found = _metric_utilization(mapping(metric))
        if found:
            targets[found[0]] = found[1]
    return targets


def scale_target(spec: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(apiVersion, kind, name) of spec.scaleTargetRef; None for what is missing."""
    target = mapping(spec.get("scaleTargetRef"))
    values = (target.get("apiVersion"), target.get("kind"), target.get("name"))
    return tuple(v if isinstance(v, str) and v else None for v in values)  # type: ignore[return-value]


def scale_up_behavior(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(dig(spec, "behavior", "scaleUp"))


def api_group(api_version: str | None) -> str:
    """``apps/v1`` -> ``apps``; a core version (``v1``) is the empty group."""
    return api_version.rsplit("/", 1)[0] if api_version and "/" in api_version else ""
