"""What the autoscaler is told about one service: bounds, metric targets, HPA behavior.

The shapes are the Kubernetes ``autoscaling/v2`` HorizontalPodAutoscaler's, field for field,
so one stack setting means the same on both platforms: ``HPAScalingRules`` (stabilization
window, ``selectPolicy`` Max/Min/Disabled, ``Pods``/``Percent`` policies with periods, the
per-direction ``tolerance`` of HPAConfigurableTolerance) and the defaults the API server fills
in (``SetDefaults_HorizontalPodAutoscalerBehavior``, pkg/apis/autoscaling/v2/defaults.go):
scale-up window 0 s, Max of 4 pods or 100 % per 15 s; scale-down window 300 s (the
controller's ``--horizontal-pod-autoscaler-downscale-stabilization``), Max of 100 % per 15 s.
A spec without a behavior (``behavior=None``) is an HPA without ``spec.behavior``: the
controller then applies its older rules (``normalizeDesiredReplicas``: a scale-up limit of
max(2 x current, 4), the downscale stabilization window, no rate policies).

Pure data with validation: no Docker, no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

PolicyType = Literal["Pods", "Percent"]
SelectPolicy = Literal["Max", "Min", "Disabled"]
# cpu and memory are utilization of the task's reservation (the HPA's Resource metrics);
# response_time is a per-task average value in milliseconds (the HPA's Pods metric).
MetricName = Literal["cpu", "memory", "response_time"]
RESOURCE_METRICS: tuple[MetricName, ...] = ("cpu", "memory")
METRIC_NAMES: tuple[MetricName, ...] = ("cpu", "memory", "response_time")

# The HPA controller's --horizontal-pod-autoscaler-tolerance default.
DEFAULT_TOLERANCE = 0.1
DEFAULT_SCALE_DOWN_WINDOW_SECONDS = 300
MAX_WINDOW_SECONDS = 3600
MAX_PERIOD_SECONDS = 1800


class SpecError(ValueError):
    """A spec that the Kubernetes API server would reject, with the field that is wrong."""


@dataclass(frozen=True)
class ScalingPolicy:
    type: PolicyType
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScalingRules:
    """One direction of a behavior (``HPAScalingRules``); ``tolerance`` None: the controller's."""

    stabilization_window_seconds: int
    select_policy: SelectPolicy
    policies: tuple[ScalingPolicy, ...]
    tolerance: float | None = None

    @property
    def longest_period_seconds(self) -> int:
        return max((policy.period_seconds for policy in self.policies), default=0)


def default_scale_up_rules() -> ScalingRules:
    return ScalingRules(
        stabilization_window_seconds=0,
        select_policy="Max",
        policies=(ScalingPolicy("Pods", 4, 15), ScalingPolicy("Percent", 100, 15)),
    )


def default_scale_down_rules() -> ScalingRules:
    return ScalingRules(
        stabilization_window_seconds=DEFAULT_SCALE_DOWN_WINDOW_SECONDS,
        select_policy="Max",
        policies=(ScalingPolicy("Percent", 100, 15),),
    )


@dataclass(frozen=True)
class Behavior:
    scale_up: ScalingRules = field(default_factory=default_scale_up_rules)
    scale_down: ScalingRules = field(default_factory=default_scale_down_rules)


@dataclass(frozen=True)
class MetricTarget:
    """``cpu``/``memory``: average utilization in percent; ``response_time``: milliseconds."""

    metric: MetricName
    target: int


@dataclass(frozen=True)
class AutoscalingSpec:
    """``minReplicas`` may be 0 (HPAScaleToZero); ``tolerance`` is the controller's flag."""

    min_replicas: int
    max_replicas: int
    metrics: tuple[MetricTarget, ...]
    behavior: Behavior | None = None
    tolerance: float = DEFAULT_TOLERANCE

    def __post_init__(self) -> None:
        problems = spec_problems(self)
        if problems:
            raise SpecError("; ".join(problems))

    def target(self, metric: MetricName) -> int | None:
        return next((m.target for m in self.metrics if m.metric == metric), None)

    def tolerances(self) -> tuple[float, float]:
        """(scale-down, scale-up) tolerance: a direction's own, else the controller's."""
        rules = (self.behavior.scale_down, self.behavior.scale_up) if self.behavior else (None, None)
        down, up = (r.tolerance if r and r.tolerance is not None else self.tolerance for r in rules)
        return down, up


def spec_problems(spec: AutoscalingSpec) -> list[str]:
    """Every reason the HPA's validation (pkg/apis/autoscaling/validation) would refuse this."""
    problems = []
    if spec.min_replicas < 0:
        problems.append(f"minReplicas {spec.min_replicas}: must be at least 0")
    if spec.max_replicas < spec.min_replicas:
        problems.append(f"maxReplicas {spec.max_replicas}: must be >= minReplicas ({spec.min_replicas})")
    if not spec.metrics:
        problems.append("metrics: at least one metric target is needed")
    names = [m.metric for m in spec.metrics]
    if len(set(names)) != len(names):
        problems.append(f"metrics {names}: each metric at most once")
    problems += [
        f"metric {m.metric}: target {m.target} must be positive" for m in spec.metrics if m.target < 1
    ]
    if not 0 <= spec.tolerance < 1:
        problems.append(f"tolerance {spec.tolerance}: must be in [0, 1)")
    if spec.behavior is not None:
        for direction, rules in (
            ("scaleUp", spec.behavior.scale_up),
            ("scaleDown", spec.behavior.scale_down),
        ):
            problems += _rules_problems(direction, rules)
    return problems


def _rules_problems(direction: str, rules: ScalingRules) -> list[str]:
    problems = []
    if not 0 <= rules.stabilization_window_seconds <= MAX_WINDOW_SECONDS:
        problems.append(
            f"{direction}.stabilizationWindowSeconds {rules.stabilization_window_seconds}: "
            f"must be in 0..{MAX_WINDOW_SECONDS}"
        )
    if rules.select_policy not in ("Max", "Min", "Disabled"):
        problems.append(f"{direction}.selectPolicy {rules.select_policy!r}: must be Max, Min or Disabled")
    if not rules.policies:
        problems.append(f"{direction}.policies: at least one policy is needed")
    if rules.tolerance is not None and not 0 <= rules.tolerance < 1:
        problems.append(f"{direction}.tolerance {rules.tolerance}: must be in [0, 1)")
    for index, policy in enumerate(rules.policies):
        where = f"{direction}.policies[{index}]"
        if policy.type not in ("Pods", "Percent"):
            problems.append(f"{where}.type {policy.type!r}: must be Pods or Percent")
        if policy.value < 1:
            problems.append(f"{where}.value {policy.value}: must be positive")
        if not 1 <= policy.period_seconds <= MAX_PERIOD_SECONDS:
            problems.append(
                f"{where}.periodSeconds {policy.period_seconds}: must be in 1..{MAX_PERIOD_SECONDS}"
            )
    return problems


def rules_from_api(raw: Mapping[str, Any] | None, defaults: ScalingRules) -> ScalingRules:
    """An ``HPAScalingRules`` object (camelCase, as in an HPA manifest), defaults filled in."""
    if raw is None:
        return defaults
    if not isinstance(raw, Mapping):
        raise SpecError(f"scaling rules must be an object, got {type(raw).__name__}")
    policies_raw = raw.get("policies")
    policies = defaults.policies if policies_raw is None else _policies_from_api(policies_raw)
    window = raw.get("stabilizationWindowSeconds", defaults.stabilization_window_seconds)
    select = raw.get("selectPolicy", defaults.select_policy)
    if not isinstance(window, int) or isinstance(window, bool):
        raise SpecError(f"stabilizationWindowSeconds must be an integer, got {window!r}")
    tolerance = _tolerance_from_api(raw.get("tolerance"))
    return ScalingRules(window, select, policies, tolerance)


def _tolerance_from_api(raw: Any) -> float | None:
    """A tolerance is a resource.Quantity in the API: a number or its string ("0.05", "50m")."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise SpecError(f"tolerance must be a number, got {raw!r}")
    text = str(raw).strip()
    try:
        value = float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError as error:
        raise SpecError(f"tolerance must be a number, got {raw!r}") from error
    if not math.isfinite(value):
        raise SpecError(f"tolerance must be a finite number, got {raw!r}")
    return value


def _policies_from_api(raw: Any) -> tuple[ScalingPolicy, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise SpecError(f"policies must be a list, got {raw!r}")
    policies = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise SpecError(f"a policy must be an object, got {item!r}")
        value, period = item.get("value"), item.get("periodSeconds")
        if not all(isinstance(number, int) and not isinstance(number, bool) for number in (value, period)):
            raise SpecError(f"policy {dict(item)}: value and periodSeconds must be integers")
        policies.append(ScalingPolicy(type=item.get("type"), value=value, period_seconds=period))  # type: ignore[arg-type]
    return tuple(policies)


def behavior_from_api(raw: Mapping[str, Any] | None) -> Behavior:
    """An HPA ``spec.behavior`` (``{"scaleUp": ..., "scaleDown": ...}``) with the API's defaults."""
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise SpecError(f"behavior must be an object, got {type(raw).__name__}")
    return Behavior(
        scale_up=rules_from_api(raw.get("scaleUp"), default_scale_up_rules()),
        scale_down=rules_from_api(raw.get("scaleDown"), default_scale_down_rules()),
    )


def rules_to_api(rules: ScalingRules) -> dict[str, Any]:
    api: dict[str, Any] = {
        "stabilizationWindowSeconds": rules.stabilization_window_seconds,
        "selectPolicy": rules.select_policy,
        "policies": [
            {"type": p.type, "value": p.value, "periodSeconds": p.period_seconds} for p in rules.policies
        ],
    }
    if rules.tolerance is not None:
        api["tolerance"] = str(rules.tolerance)
    return api


def behavior_to_api(behavior: Behavior) -> dict[str, Any]:
    return {"scaleUp": rules_to_api(behavior.scale_up), "scaleDown": rules_to_api(behavior.scale_down)}
