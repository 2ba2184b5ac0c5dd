"""What the autoscaler tells people: one JSON log line per decision, and Prometheus metrics.

Metric names carry the ``technovastore_autoscaler_`` prefix and a ``service`` label (the Swarm
service name); they are the Swarm counterparts of kube-state-metrics' HPA series.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from autoscaler.decision import Decision
from autoscaler.spec import AutoscalingSpec

PREFIX = "technovastore_autoscaler"
LOGGER = logging.getLogger("autoscaler")


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "event", ...}``: the record's ``fields`` merged in."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        return json.dumps(line, sort_keys=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    LOGGER.handlers[:] = [handler]
    LOGGER.setLevel(level)
    LOGGER.propagate = False


def log(level: int, event: str, **fields: Any) -> None:
    LOGGER.log(level, event, extra={"fields": fields})


def decision_fields(service: str, decision: Decision, action: str) -> dict[str, Any]:
    return {
        "service": service,
        "current": decision.current,
        "desired": decision.desired,
        "recommendation": decision.recommendation,
        "action": action,
        "reason": decision.reason,
        "limited_by": decision.limited_by,
        "metrics": {
            s.metric: {"value": s.value, "target": s.target, "proposal": s.proposal, "error": s.error}
            for s in decision.metrics
        },
        "cooldown_seconds": {k: round(v, 1) for k, v in decision.cooldown_seconds.items()},
    }


class AutoscalerMetrics:
    """The autoscaler's own series, in their own registry (served at /metrics)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        service = ["service"]

        def gauge(name: str, text: str, labels: list[str]) -> Gauge:
            return Gauge(f"{PREFIX}_{name}", text, labels, registry=self.registry)

        self.current = gauge("current_replicas", "Replicas the service runs (its spec)", service)
        self.desired = gauge("desired_replicas", "Replicas the autoscaler decided on", service)
        self.min = gauge("min_replicas", "The service's minimum replicas", service)
        self.max = gauge("max_replicas", "The service's maximum replicas", service)
        self.cooldown = gauge(
            "cooldown_seconds_remaining",
            "Seconds until the stabilization window stops holding the count",
            ["service", "direction"],
        )
        self.value = gauge("metric_value", "Metric value (utilization %, or ms)", ["service", "metric"])
        self.target = gauge("metric_target", "Metric target (utilization %, or ms)", ["service", "metric"])
        self.active = gauge("scaling_active", "1 when a replica count could be computed", service)
        self.events = Counter(
            f"{PREFIX}_scaling_events", "Scale changes made", ["service", "direction"], registry=self.registry
        )
        self.cycles = Counter(
            f"{PREFIX}_cycles", "Decision cycles by outcome", ["outcome"], registry=self.registry
        )
        self.cycle_seconds = gauge("cycle_duration_seconds", "Duration of the last cycle", [])
        self.last_cycle = gauge("last_successful_cycle_timestamp_seconds", "End of the last full cycle", [])
        self._services: set[str] = set()

    def record(self, service: str, spec: AutoscalingSpec, decision: Decision, scaled: bool) -> None:
        self._services.add(service)
        self.current.labels(service).set(decision.current)
        self.desired.labels(service).set(decision.desired)
        self.min.labels(service).set(spec.min_replicas)
        self.max.labels(service).set(spec.max_replicas)
        self.active.labels(service).set(0 if decision.limited_by == "FailedComputeMetricsReplicas" else 1)
        for direction, seconds in decision.cooldown_seconds.items():
            self.cooldown.labels(service, direction).set(seconds)
        for status in decision.metrics:
            self.target.labels(service, status.metric).set(status.target)
            if status.value is not None:
                self.value.labels(service, status.metric).set(status.value)
            elif self._has(self.value, service, status.metric):
                self.value.remove(service, status.metric)  # unknown now: no stale value
        if scaled:
            self.events.labels(service, decision.direction).inc()

    @staticmethod
    def _has(metric: Any, *labels: str) -> bool:
        return tuple(labels) in metric._metrics

    def forget(self, service: str) -> None:
        """A removed service: its series go (a re-created one starts afresh)."""
        self._services.discard(service)
        for metric in (self.current, self.desired, self.min, self.max, self.active):
            if self._has(metric, service):
                metric.remove(service)
        labelled: tuple[Gauge | Counter, ...] = (self.cooldown, self.value, self.target, self.events)
        for series in labelled:
            for labels in [key for key in list(series._metrics) if key[0] == service]:
                series.remove(*labels)

    @property
    def services(self) -> frozenset[str]:
        return frozenset(self._services)

    def cycle_done(self, outcome: str, seconds: float) -> None:
        self.cycles.labels(outcome).inc()
        self.cycle_seconds.set(seconds)
        if outcome == "ok":
            self.last_cycle.set(time.time())
