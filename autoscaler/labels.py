"""The service labels that tell the autoscaler how to scale a Swarm service.

The Swarm target writes them from the stack settings (``autoscaler.settings_source``), the
autoscaler reads them back: the stack settings stay the one source of truth, and a service
carries its own rules (``docker service inspect`` shows them).

| label | value |
|---|---|
| ``technovastore.io/autoscale`` | ``true``: this service is autoscaled |
| ``technovastore.io/min-replicas`` / ``max-replicas`` | the bounds |
| ``technovastore.io/autoscale.cpu-percent`` | CPU target, % of the task's reservation |
| ``technovastore.io/autoscale.memory-percent`` | memory target, % of the reservation |
| ``technovastore.io/autoscale.response-time-ms`` | response-time target per task (optional) |
| ``technovastore.io/autoscale.behavior`` | the HPA ``spec.behavior`` as JSON (none: the HPA without one) |
| ``technovastore.io/autoscale.health-port`` / ``health-path`` | where the response-time probe asks |
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from autoscaler.spec import (
    AutoscalingSpec,
    Behavior,
    MetricName,
    MetricTarget,
    SpecError,
    behavior_from_api,
    behavior_to_api,
)

AUTOSCALE_LABEL = "technovastore.io/autoscale"
# Docker's stack label: `--namespace` limits the autoscaler to one stack's services.
STACK_LABEL = "com.docker.stack.namespace"
MIN_REPLICAS_LABEL = "technovastore.io/min-replicas"
MAX_REPLICAS_LABEL = "technovastore.io/max-replicas"
BEHAVIOR_LABEL = f"{AUTOSCALE_LABEL}.behavior"
HEALTH_PORT_LABEL = f"{AUTOSCALE_LABEL}.health-port"
HEALTH_PATH_LABEL = f"{AUTOSCALE_LABEL}.health-path"
TARGET_LABELS: dict[MetricName, str] = {
    "cpu": f"{AUTOSCALE_LABEL}.cpu-percent",
    "memory": f"{AUTOSCALE_LABEL}.memory-percent",
    "response_time": f"{AUTOSCALE_LABEL}.response-time-ms",
}


class LabelError(ValueError):
    """A service's autoscaling labels cannot be read; the message names every bad label."""


@dataclass(frozen=True)
class HealthEndpoint:
    port: int
    path: str


@dataclass(frozen=True)
class ServiceRules:
    """Everything the autoscaler knows about one service from its labels."""

    spec: AutoscalingSpec
    health: HealthEndpoint | None = None


def encode(rules: ServiceRules) -> dict[str, str]:
    spec = rules.spec
    labels = {
        AUTOSCALE_LABEL: "true",
        MIN_REPLICAS_LABEL: str(spec.min_replicas),
        MAX_REPLICAS_LABEL: str(spec.max_replicas),
    }
    if spec.behavior is not None:
        api = behavior_to_api(spec.behavior)
        labels[BEHAVIOR_LABEL] = json.dumps(api, separators=(",", ":"), sort_keys=True)
    labels.update({TARGET_LABELS[m.metric]: str(m.target) for m in spec.metrics})
    if rules.health is not None:
        labels[HEALTH_PORT_LABEL] = str(rules.health.port)
        labels[HEALTH_PATH_LABEL] = rules.health.path
    return labels


def is_autoscaled(labels: Mapping[str, str]) -> bool:
    return labels.get(AUTOSCALE_LABEL, "").lower() == "true"


def _integer(labels: Mapping[str, str], key: str, problems: list[str], *, required: bool) -> int | None:
    raw = labels.get(key)
    if raw is None:
        if required:
            problems.append(f"{key}: missing")
        return None
    try:
        return int(raw)
    except ValueError:
        problems.append(f"{key}={raw!r}: not an integer")
        return None


def decode(labels: Mapping[str, str]) -> ServiceRules:
    """The rules a service's labels state; ``LabelError`` names every label that is wrong."""
    problems: list[str] = []
    lo = _integer(labels, MIN_REPLICAS_LABEL, problems, required=True)
    hi = _integer(labels, MAX_REPLICAS_LABEL, problems, required=True)
    metrics = []
    for metric, key in TARGET_LABELS.items():
        target = _integer(labels, key, problems, required=False)
        if target is not None:
            metrics.append(MetricTarget(metric, target))
    behavior = _behavior(labels, problems)
    health = _health(labels, problems)
    if problems or lo is None or hi is None:
        raise LabelError("; ".join(problems))
    try:
        spec = AutoscalingSpec(lo, hi, tuple(metrics), behavior)
    except SpecError as error:
        raise LabelError(str(error)) from error
    return ServiceRules(spec, health)


def _behavior(labels: Mapping[str, str], problems: list[str]) -> Behavior | None:
    """The behavior label's HPA ``spec.behavior``; no label: none (the controller's older rules)."""
    raw = labels.get(BEHAVIOR_LABEL)
    if raw is None:
        return None
    try:
        return behavior_from_api(json.loads(raw))
    except (ValueError, SpecError) as error:
        problems.append(f"{BEHAVIOR_LABEL}: {error}")
        return None


def _health(labels: Mapping[str, str], problems: list[str]) -> HealthEndpoint | None:
    port = _integer(labels, HEALTH_PORT_LABEL, problems, required=False)
    path = labels.get(HEALTH_PATH_LABEL)
    if port is None and path is None:
        return None
    if port is None or path is None or not path.startswith("/") or not 1 <= port <= 65535:
        problems.append(
            f"{HEALTH_PORT_LABEL}/{HEALTH_PATH_LABEL}: need a port (1-65535) and a path starting with /"
        )
        return None
    return HealthEndpoint(port, path)
