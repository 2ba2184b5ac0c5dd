"""The HPA's behavior: stabilization windows and rate policies, ported from the controller.

Source: kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go
(``stabilizeRecommendationWithBehaviors``, ``convertDesiredReplicasWithBehaviorRate``,
``stabilizeRecommendation``, ``convertDesiredReplicasWithRules``,
``calculateScaleUpLimitWithScalingRules``, ``calculateScaleDownLimitWithBehaviors``,
``getReplicasChangePerPeriod``, ``storeScaleEvent``, ``markScaleEventsOutdated``).

- Stabilization: the recommendation is held between the lowest recommendation of the scale-up
  window and the highest of the scale-down window (so a scale-down waits until every
  recommendation of the last 300 s allows it).
- Rate: each policy allows, from the replica count at the start of its period (now minus what
  was added, plus what was removed, within the period), ``value`` pods or ``value`` percent
  more (up) or fewer (down); ``selectPolicy`` Max takes the policy allowing the largest
  change, Min the smallest, Disabled none. Bounds (min/max replicas) apply last.
- Without a behavior (an HPA without ``spec.behavior``): ``stabilizeRecommendation`` holds
  the highest recommendation of the controller's downscale window, ``convertDesiredReplicasWithRules``
  limits a scale-up to max(2 x current, 4) (``calculateScaleUpLimit``), and no events are kept.

The history a service needs (recommendations and scale events, with times) lives in
``ScalingHistory``; functions take ``now`` and never read a clock. A recommendation made at the
cutoff instant is outside its window: the controller reads the clock again for each step, so
with a 0 s window the count it recorded a moment before never holds the next one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from autoscaler.spec import Behavior, ScalingRules

INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)


@dataclass
class Recommendation:
    replicas: int
    timestamp: float


@dataclass
class ScaleEvent:
    """A change actually made: replicas added (scale-up list) or removed (scale-down list)."""

    replica_change: int
    timestamp: float
    outdated: bool = False


@dataclass
class ScalingHistory:
    """Per service: what the controller keeps in memory between reconciliations.

    ``recommendations`` None: the service was never seen, so its first pass records the current
    count as a recommendation (``recordInitialRecommendation``: a restarted controller does
    not scale down at once); an empty list: a history known to be empty.
    """

    recommendations: list[Recommendation] | None = None
    scale_up_events: list[ScaleEvent] = field(default_factory=list)
    scale_down_events: list[ScaleEvent] = field(default_factory=list)

    def record_initial_recommendation(self, current_replicas: int, now: float) -> None:
        if self.recommendations is None:
            self.recommendations = [Recommendation(current_replicas, now)]

    def recommendation_log(self) -> list[Recommendation]:
        if self.recommendations is None:
            self.recommendations = []
        return self.recommendations


def _record(log: list[Recommendation], old_index: int | None, desired: int, now: float) -> None:
    """Store a recommendation in place of an obsolete one, or add it."""
    if old_index is not None:
        log[old_index] = Recommendation(desired, now)
    else:
        log.append(Recommendation(desired, now))


@dataclass(frozen=True)
class Limited:
    """The rate step's outcome: replicas and the HPA's ScalingLimited reason."""

    replicas: int
    reason: str  # DesiredWithinRange | ScaleUpLimit | TooManyReplicas | ScaleDownLimit | TooFewReplicas


def stabilize_recommendation(
    history: ScalingHistory, behavior: Behavior, current: int, desired: int, now: float
) -> int:
    """Hold ``desired`` within the window extremes, then record it (reusing an obsolete entry)."""
    up_cutoff = now - behavior.scale_up.stabilization_window_seconds
    down_cutoff = now - behavior.scale_down.stabilization_window_seconds
    up_recommendation = down_recommendation = desired
    old_index: int | None = None
    log = history.recommendation_log()
    for index, rec in enumerate(log):
        if rec.timestamp > up_cutoff:
            up_recommendation = min(rec.replicas, up_recommendation)
        if rec.timestamp > down_cutoff:
            down_recommendation = max(rec.replicas, down_recommendation)
        if rec.timestamp <= up_cutoff and rec.timestamp <= down_cutoff:
            old_index = index
    recommendation = max(current, up_recommendation)
    recommendation = min(recommendation, down_recommendation)
    _record(log, old_index, desired, now)
    return recommendation


def stabilize_without_behavior(
    history: ScalingHistory, window_seconds: float, desired: int, now: float
) -> int:
    """``stabilizeRecommendation`` (no behavior): the highest recommendation of the downscale window."""
    log = history.recommendation_log()
    cutoff = now - window_seconds
    highest, old_index = desired, None
    for index, rec in enumerate(log):
        if rec.timestamp <= cutoff:
            old_index = index
        elif rec.replicas > highest:
            highest = rec.replicas
    _record(log, old_index, desired, now)
    return highest


def limit_without_behavior(
    current: int, desired: int, min_replicas: int, max_replicas: int, factor: float, minimum: float
) -> Limited:
    """``convertDesiredReplicasWithRules``: the bounds, and a scale-up of max(factor x current, minimum)."""
    scale_up_limit = int(max(factor * current, minimum))  # truncated, as Go's int32(float64)
    if max_replicas > scale_up_limit:
        maximum, reason = scale_up_limit, "ScaleUpLimit"
    else:
        maximum, reason = max_replicas, "TooManyReplicas"
    if desired < min_replicas:
        return Limited(min_replicas, "TooFewReplicas")
    if desired > maximum:
        return Limited(maximum, reason)
    return Limited(desired, "DesiredWithinRange")


def replicas_change_per_period(period_seconds: int, events: list[ScaleEvent], now: float) -> int:
    cutoff = now - period_seconds
    return sum(event.replica_change for event in events if event.timestamp > cutoff)


def _period_start(current: int, period: int, history: ScalingHistory, now: float) -> int:
    added = replicas_change_per_period(period, history.scale_up_events, now)
    removed = replicas_change_per_period(period, history.scale_down_events, now)
    return current - added + removed


def scale_up_limit(current: int, history: ScalingHistory, rules: ScalingRules, now: float) -> int:
    """``calculateScaleUpLimitWithScalingRules``: the most replicas the policies allow now."""
    if rules.select_policy == "Disabled":
        return current
    choose, result = (min, INT32_MAX) if rules.select_policy == "Min" else (max, INT32_MIN)
    for policy in rules.policies:
        start = _period_start(current, policy.period_seconds, history, now)
        if policy.type == "Pods":
            proposed = start + policy.value
        else:  # rounded up, or a small percentage could never add a replica
            proposed = math.ceil(start * (1 + policy.value / 100))
        result = choose(result, proposed)
    return result


def scale_down_limit(current: int, history: ScalingHistory, rules: ScalingRules, now: float) -> int:
    """``calculateScaleDownLimitWithBehaviors``: the fewest replicas the policies allow now."""
    if rules.select_policy == "Disabled":
        return current
    choose, result = (max, INT32_MIN) if rules.select_policy == "Min" else (min, INT32_MAX)
    for policy in rules.policies:
        start = _period_start(current, policy.period_seconds, history, now)
        # Percent: truncated towards zero, as Go's int32(float64) conversion does.
        pods = policy.type == "Pods"
        proposed = start - policy.value if pods else int(start * (1 - policy.value / 100))
        result = choose(result, proposed)
    return result


def limit_by_rate(
    history: ScalingHistory,
    behavior: Behavior,
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    now: float,
) -> Limited:
    """``convertDesiredReplicasWithBehaviorRate``: apply the policies, then the bounds."""
    if desired > current:
        limit = max(scale_up_limit(current, history, behavior.scale_up, now), current)
        if max_replicas > limit:
            maximum, reason = limit, "ScaleUpLimit"
        else:
            maximum, reason = max_replicas, "TooManyReplicas"
        if desired > maximum:
            return Limited(maximum, reason)
    elif desired < current:
        limit = min(scale_down_limit(current, history, behavior.scale_down, now), current)
        if min_replicas < limit:
            minimum, reason = limit, "ScaleDownLimit"
        else:
            minimum, reason = min_replicas, "TooFewReplicas"
        if desired < minimum:
            return Limited(minimum, reason)
    return Limited(desired, "DesiredWithinRange")


def store_scale_event(
    history: ScalingHistory, behavior: Behavior | None, previous: int, new: int, now: float
) -> None:
    """Remember a change made, replacing an event older than every policy period of that direction.

    Without a behavior nothing is stored: no policy would ever read it.
    """
    if behavior is None:
        return
    if new > previous:
        events, rules, change = history.scale_up_events, behavior.scale_up, new - previous
    else:
        events, rules, change = history.scale_down_events, behavior.scale_down, previous - new
    cutoff = now - rules.longest_period_seconds
    old_index: int | None = None
    for index, event in enumerate(events):
        if event.timestamp < cutoff:
            event.outdated = True
        if event.outdated:
            old_index = index
    if old_index is not None:
        events[old_index] = ScaleEvent(change, now)
    else:
        events.append(ScaleEvent(change, now))


def last_event_time(history: ScalingHistory) -> float | None:
    times = [event.timestamp for event in (*history.scale_up_events, *history.scale_down_events)]
    return max(times, default=None)
