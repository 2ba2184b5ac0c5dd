"""One service's scaling decision: the HPA controller's reconcile step, pure.

Source: kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go
(``reconcileAutoscaler``, ``computeReplicasForMetrics``, ``normalizeDesiredReplicasWithBehaviors``),
as documented in "Horizontal Pod Autoscaling" (algorithm details, multiple metrics, missing
metrics, stabilization window, scaling policies):

1. A service running 0 replicas with a minimum above 0 is left alone (scaling disabled); one
   outside its bounds is brought back to the nearest bound at once.
2. Each metric proposes a count (``autoscaler.replicas``); the largest proposal wins.
3. A metric that cannot be read is skipped; if none can be read, or if one cannot be read
   and the others would scale down, nothing changes: missing metrics never scale down.
4. The proposal is stabilized and rate-limited (``autoscaler.behavior``), then bounded; a
   spec without a behavior gets the controller's older rules (``normalizeDesiredReplicas``).

``decide`` updates the recommendation history (as the controller does on every pass);
``record_scale`` stores the scale event once the change was really made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from autoscaler.behavior import (
    Limited,
    ScalingHistory,
    limit_by_rate,
    limit_without_behavior,
    stabilize_recommendation,
    stabilize_without_behavior,
    store_scale_event,
)
from autoscaler.replicas import (
    MetricUnavailable,
    Proposal,
    Sample,
    TaskState,
    Timing,
    Tolerances,
    plain_metric_replicas,
    resource_replicas,
)
from autoscaler.spec import RESOURCE_METRICS, AutoscalingSpec, MetricName, MetricTarget

# Response-time samples are integers in microseconds, so the arithmetic stays in milli-units
# of the target's milliseconds, as the HPA's does for custom metrics (MilliValue()).
MICROS_PER_MILLI = 1000


@dataclass(frozen=True)
class Observation:
    """What one cycle saw of a service: its replica count, its tasks, and each metric's samples.

    ``samples[metric]`` maps task name to sample; ``errors[metric]`` says why a metric could
    not be read this cycle (the source failed), in which case it has no samples.
    """

    current_replicas: int
    tasks: Sequence[TaskState]
    samples: Mapping[MetricName, Mapping[str, Sample]]
    errors: Mapping[MetricName, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricStatus:
    metric: MetricName
    target: int
    value: float | None  # utilization % (cpu, memory) or milliseconds (response_time)
    proposal: int | None
    error: str | None = None


@dataclass(frozen=True)
class Decision:
    current: int
    desired: int
    reason: str
    # What bounded the result: a ScalingLimited reason (ScaleUpLimit, TooManyReplicas,
    # ScaleDownLimit, TooFewReplicas, DesiredWithinRange), ScaleUpStabilized/ScaleDownStabilized,
    # or a condition that stopped the calculation (ScalingDisabled, FailedComputeMetricsReplicas).
    limited_by: str
    metrics: tuple[MetricStatus, ...] = ()
    recommendation: int | None = None  # the metrics' proposal before stabilization and rate
    cooldown_seconds: Mapping[str, float] = field(default_factory=lambda: {"up": 0.0, "down": 0.0})

    @property
    def scale(self) -> bool:
        return self.desired != self.current

    @property
    def direction(self) -> str:
        if self.desired > self.current:
            return "up"
        return "down" if self.desired < self.current else "none"


def _metric_status(
    target: MetricTarget,
    observation: Observation,
    tolerances: Tolerances,
    timing: Timing,
) -> MetricStatus:
    error = observation.errors.get(target.metric)
    if error is not None:
        return MetricStatus(target.metric, target.target, None, None, error)
    samples = observation.samples.get(target.metric, {})
    try:
        proposal = _proposal(target, observation, samples, tolerances, timing)
    except MetricUnavailable as unavailable:
        return MetricStatus(target.metric, target.target, None, None, str(unavailable))
    value = proposal.usage / MICROS_PER_MILLI if target.metric == "response_time" else proposal.usage
    return MetricStatus(target.metric, target.target, value, proposal.replicas)


def _proposal(
    target: MetricTarget,
    observation: Observation,
    samples: Mapping[str, Sample],
    tolerances: Tolerances,
    timing: Timing,
) -> Proposal:
    current, tasks = observation.current_replicas, observation.tasks
    if target.metric in RESOURCE_METRICS:
        return resource_replicas(current, target.target, target.metric, tasks, samples, tolerances, timing)
    milli_target = target.target * MICROS_PER_MILLI
    return plain_metric_replicas(current, milli_target, tasks, samples, tolerances, timing)


def metric_proposals(
    spec: AutoscalingSpec, observation: Observation, timing: Timing
) -> tuple[int | None, str, tuple[MetricStatus, ...]]:
    """``computeReplicasForMetrics``: (largest proposal or None, its metric, every status)."""
    tolerances = Tolerances(*spec.tolerances())
    statuses = tuple(_metric_status(target, observation, tolerances, timing) for target in spec.metrics)
    valid = [s for s in statuses if s.proposal is not None]
    invalid = len(statuses) - len(valid)
    best = max(valid, key=lambda s: s.proposal or 0, default=None)
    replicas = best.proposal if best is not None else 0
    if invalid >= len(statuses) or (invalid > 0 and (replicas or 0) < observation.current_replicas):
        return None, "", statuses
    return replicas, best.metric if best else "", statuses


def _windows(spec: AutoscalingSpec, timing: Timing) -> tuple[float, float]:
    """(scale-up, scale-down) stabilization windows: the behavior's, else the controller's."""
    if spec.behavior is None:
        return 0.0, timing.downscale_stabilization_window
    up, down = spec.behavior.scale_up, spec.behavior.scale_down
    return up.stabilization_window_seconds, down.stabilization_window_seconds


def _cooldowns(
    history: ScalingHistory, spec: AutoscalingSpec, desired: int, timing: Timing
) -> dict[str, float]:
    """Seconds until the stabilization windows stop holding the count away from ``desired``."""
    now, (up_window, down_window) = timing.now, _windows(spec, timing)
    recommendations = history.recommendations or []
    down = [
        r.timestamp + down_window - now
        for r in recommendations
        if r.replicas > desired and r.timestamp > now - down_window
    ]
    up = [
        r.timestamp + up_window - now
        for r in recommendations
        if r.replicas < desired and r.timestamp > now - up_window
    ]
    return {"up": max([0.0, *up]), "down": max([0.0, *down])}


def _normalize(
    spec: AutoscalingSpec, history: ScalingHistory, current: int, proposal: int, timing: Timing
) -> tuple[Limited, int]:
    """Stabilize, then limit (``normalizeDesiredReplicas[WithBehaviors]``): (outcome, stabilized)."""
    now = timing.now
    if spec.behavior is None:
        window = timing.downscale_stabilization_window
        stabilized = stabilize_without_behavior(history, window, proposal, now)
        factor, minimum = timing.scale_up_limit_factor, timing.scale_up_limit_minimum
        limits = (spec.min_replicas, spec.max_replicas, factor, minimum)
        return limit_without_behavior(current, stabilized, *limits), stabilized
    stabilized = stabilize_recommendation(history, spec.behavior, current, proposal, now)
    bounds = (spec.min_replicas, spec.max_replicas)
    return limit_by_rate(history, spec.behavior, current, stabilized, *bounds, now), stabilized


def decide(
    spec: AutoscalingSpec, observation: Observation, history: ScalingHistory, timing: Timing
) -> Decision:
    """The desired replica count for one service now, with the reason and what limited it."""
    now, current = timing.now, observation.current_replicas
    history.record_initial_recommendation(current, now)
    if current == 0 and spec.min_replicas != 0:
        return Decision(
            current, current, "scaling is disabled since the replica count is zero", "ScalingDisabled"
        )
    if current > spec.max_replicas:
        return Decision(current, spec.max_replicas, "current replicas above maxReplicas", "TooManyReplicas")
    if current < spec.min_replicas:
        return Decision(current, spec.min_replicas, "current replicas below minReplicas", "TooFewReplicas")

    proposal, metric, statuses = metric_proposals(spec, observation, timing)
    if proposal is None:
        failed = [f"{s.metric}: {s.error}" for s in statuses if s.error]
        reason = f"invalid metrics ({len(failed)} of {len(statuses)}): {'; '.join(failed)}"
        return Decision(current, current, reason, "FailedComputeMetricsReplicas", statuses)
    reason = "recommended size matches current size"
    if proposal > current:
        reason = f"{metric} above target"
    elif proposal < current:
        reason = "All metrics below target"
    cooldowns = _cooldowns(history, spec, proposal, timing)
    limited, stabilized = _normalize(spec, history, current, proposal, timing)
    limited_by = limited.reason
    if limited.reason == "DesiredWithinRange" and stabilized != proposal:
        up = spec.behavior is not None and proposal >= current
        limited_by = "ScaleUpStabilized" if up else "ScaleDownStabilized"
    return Decision(current, limited.replicas, reason, limited_by, statuses, proposal, cooldowns)


def record_scale(history: ScalingHistory, spec: AutoscalingSpec, decision: Decision, now: float) -> None:
    """The change was made: remember it for the rate policies (``storeScaleEvent``)."""
    if decision.scale:
        store_scale_event(history, spec.behavior, decision.current, decision.desired, now)
