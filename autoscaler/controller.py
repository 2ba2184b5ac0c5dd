"""The control loop: every cycle, each autoscaled service is observed, decided and scaled.

Robustness rules:
- the Engine API down or too slow: the cycle is skipped with a warning, nothing changes
  (the histories stay: a window that started before the outage still counts);
- a service removed mid-run: its history and series are forgotten;
- a metric source failing (or raising anything, or answering samples that are not counts):
  its metrics are unavailable this cycle, the others are used (and the decision never scales
  down on partial metrics);
- an answer nothing foresaw while observing or deciding one service: that service is skipped
  this cycle; anywhere else: the cycle is skipped; the process never stops on bad data;
- labels that cannot be read: that service is skipped with a warning naming the labels;
- a rolling update in progress (``UpdateStatus``): the service is left alone until it ends;
- at most one update per service per cycle, never outside its bounds (the decision's).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import docker

from autoscaler.behavior import ScalingHistory
from autoscaler.decision import Decision, Observation, decide, record_scale
from autoscaler.engine import EngineError, ServiceView, SwarmEngine, TaskView, service_view
from autoscaler.labels import LabelError, ServiceRules, decode
from autoscaler.observability import AutoscalerMetrics, decision_fields, log
from autoscaler.observe import task_states
from autoscaler.replicas import (
    CPU_INITIALIZATION_PERIOD_SECONDS,
    DOWNSCALE_STABILIZATION_WINDOW_SECONDS,
    INITIAL_READINESS_DELAY_SECONDS,
    Sample,
    Timing,
)
from autoscaler.sources import EngineStatsSource, MetricSource, MetricSourceError
from autoscaler.spec import MetricName


@dataclass(frozen=True)
class ControllerConfig:
    dry_run: bool = False
    cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD_SECONDS
    initial_readiness_delay: float = INITIAL_READINESS_DELAY_SECONDS
    downscale_stabilization_window: float = DOWNSCALE_STABILIZATION_WINDOW_SECONDS
    # Rules by service name from the stack settings (``--stack``); None: from the labels.
    rules: Mapping[str, ServiceRules] | None = None
    # Only services of this stack namespace (``--namespace``), only these names (``--service``).
    namespace: str | None = None
    services: frozenset[str] = frozenset()


@dataclass
class CycleReport:
    outcome: str  # ok | skipped
    decisions: dict[str, Decision] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # services that could not be decided or scaled


class Controller:
    def __init__(
        self,
        engine: SwarmEngine,
        sources: Sequence[MetricSource],
        metrics: AutoscalerMetrics,
        config: ControllerConfig,
        clock: Callable[[], float] = time.time,
        workers: int = 8,
    ) -> None:
        self.engine = engine
        self.sources = list(sources)
        self.metrics = metrics
        self.config = config
        self.clock = clock
        self.workers = workers
        self.histories: dict[str, ScalingHistory] = {}
        self.names: dict[str, str] = {}  # service id -> name, for forgetting
        self._label_warnings: dict[str, str] = {}

    def cycle(self) -> CycleReport:
        started = time.monotonic()
        try:
            report = self._cycle()
        except EngineError as error:
            log(logging.WARNING, "cycle skipped", reason=f"Docker Engine API: {error}")
            report = CycleReport("skipped", failures=[str(error)])
        except Exception as error:  # an answer nothing foresaw: this cycle is lost, not the process
            log(logging.ERROR, "cycle skipped", reason=f"unexpected {type(error).__name__}: {error}")
            report = CycleReport("skipped", failures=[repr(error)])
        self.metrics.cycle_done(report.outcome, time.monotonic() - started)
        return report

    def _cycle(self) -> CycleReport:
        report = CycleReport("ok")
        seen: set[str] = set()
        candidates: list[tuple[ServiceView, ServiceRules]] = []
        for raw in self.engine.autoscaled_services(self.config.namespace):
            try:
                service = service_view(raw)
            except ValueError as error:
                log(logging.WARNING, "service skipped", reason=f"unreadable service object: {error}")
                continue
            if self.config.services and service.name not in self.config.services:
                continue
            seen.add(service.id)
            self.names[service.id] = service.name
            rules = self._rules(service)
            if rules is None:
                report.failures.append(service.name)
            else:
                candidates.append((service, rules))
        # Observing is Engine calls and waits: every service at once. An Engine failure in any
        # of them skips the whole cycle (raised from result()); deciding and acting stay serial.
        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(candidates)))) as pool:
            futures = [pool.submit(self._observe_service, service, rules) for service, rules in candidates]
            observed = [future.result() for future in futures]
        containers: set[str] = set()
        for (service, rules), observation in zip(candidates, observed, strict=True):
            if isinstance(observation, str):
                report.failures.append(service.name)
            elif observation is not None:
                tasks, seen_observation = observation
                containers.update(t.container_id for t in tasks if t.container_id)
                outcome = self._decide_and_act(service, rules, seen_observation)
                if isinstance(outcome, Decision):
                    report.decisions[service.name] = outcome
                else:
                    report.failures.append(service.name)
        self._forget_services_except(seen)
        for source in self.sources:
            if isinstance(source, EngineStatsSource):
                source.retain(containers)
        return report

    def _rules(self, service: ServiceView) -> ServiceRules | None:
        if self.config.rules is not None:
            rules = self.config.rules.get(service.name)
            if rules is None:
                self._warn_once(service, f"no stack settings for service {service.name}")
            return rules
        try:
            return decode(service.labels)
        except LabelError as error:
            self._warn_once(service, str(error))
            return None

    def _warn_once(self, service: ServiceView, reason: str) -> None:
        if self._label_warnings.get(service.id) != reason:
            self._label_warnings[service.id] = reason
            log(logging.WARNING, "service skipped", service=service.name, reason=reason)

    def _observe_service(
        self, service: ServiceView, rules: ServiceRules
    ) -> tuple[list[TaskView], Observation] | str | None:
        """The service's tasks and metrics; a reason it cannot be scaled; None to leave it alone.

        An Engine failure skips the whole cycle (raised); anything else fails this service only.
        """
        try:
            return self._observe_tasks(service, rules)
        except EngineError:
            raise
        except Exception as error:
            reason = f"unexpected {type(error).__name__} while observing: {error}"
            log(logging.WARNING, "service skipped", service=service.name, reason=reason)
            return reason

    def _observe_tasks(
        self, service: ServiceView, rules: ServiceRules
    ) -> tuple[list[TaskView], Observation] | str | None:
        if service.replicas is None:
            self._warn_once(service, "not a replicated service")
            return "not replicated"
        if service.updating:
            log(
                logging.INFO,
                "waiting",
                service=service.name,
                reason=f"rolling update in progress ({service.update_state})",
            )
            return None
        try:
            tasks = self.engine.running_tasks(service.id)
        except docker.errors.NotFound:
            return None  # removed since it was listed: forgotten next cycle
        return tasks, self._observe(service, rules, tasks)

    def _decide_and_act(
        self, service: ServiceView, rules: ServiceRules, observation: Observation
    ) -> Decision | str:
        now = self.clock()
        history = self.histories.setdefault(service.id, ScalingHistory())
        config = self.config
        timing = Timing(
            now,
            config.cpu_initialization_period,
            config.initial_readiness_delay,
            config.downscale_stabilization_window,
        )
        try:
            decision = decide(rules.spec, observation, history, timing)
        except Exception as error:  # pure arithmetic; a bug here must not stop the other services
            reason = f"unexpected {type(error).__name__} while deciding: {error}"
            log(logging.ERROR, "service skipped", service=service.name, reason=reason)
            return reason
        return self._act(service, rules, decision, history, now)

    def _observe(self, service: ServiceView, rules: ServiceRules, tasks: list[TaskView]) -> Observation:
        wanted = {m.metric for m in rules.spec.metrics}
        local = {
            t.container_id: self.engine.container(t.container_id)
            for t in tasks
            if t.container_id and t.state == "running"
        }
        samples: dict[MetricName, Any] = {}
        errors: dict[MetricName, str] = {}
        for source in self.sources:
            needed = [m for m in source.metrics if m in wanted and m not in samples]
            if not needed:
                continue
            try:
                read = source.read(service, tasks, rules.health)
            except (MetricSourceError, EngineError) as error:
                errors.update({m: str(error) for m in needed})
                continue
            except Exception as error:  # a source's bug or an answer it did not foresee
                reason = f"unexpected {type(error).__name__}: {error}"
                log(logging.WARNING, "metric source failed", service=service.name, reason=reason)
                errors.update({m: reason for m in needed})
                continue
            samples.update({m: valid_samples(read.get(m)) for m in needed})
            for m in needed:
                errors.pop(m, None)
        return Observation(service.replicas or 0, task_states(service, tasks, local), samples, errors)

    def _act(
        self,
        service: ServiceView,
        rules: ServiceRules,
        decision: Decision,
        history: ScalingHistory,
        now: float,
    ) -> Decision | str:
        action, scaled = "none", False
        if decision.scale and self.config.dry_run:
            action = "dry-run"
        elif decision.scale:
            try:
                self.engine.scale(service, decision.desired)
                record_scale(history, rules.spec, decision, now)
                action, scaled = "scaled", True
            except EngineError as error:
                action = "failed"
                log(logging.WARNING, "scale failed", service=service.name, reason=str(error))
        self.metrics.record(service.name, rules.spec, decision, scaled)
        level = logging.INFO if action != "failed" else logging.WARNING
        log(level, "decision", **decision_fields(service.name, decision, action))
        return decision if action != "failed" else "scale failed"

    def _forget_services_except(self, seen: set[str]) -> None:
        for service_id in set(self.histories) - seen:
            del self.histories[service_id]
        for service_id in set(self.names) - seen:
            name = self.names.pop(service_id)
            self._label_warnings.pop(service_id, None)
            if name not in {self.names[s] for s in self.names}:
                self.metrics.forget(name)
                log(logging.INFO, "service forgotten", service=name, reason="no longer autoscaled or removed")


def valid_samples(raw: Any) -> dict[str, Sample]:
    """The samples a source gave that the decision can use: integers >= 0, finite times."""
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(task): sample
        for task, sample in raw.items()
        if isinstance(sample, Sample)
        and isinstance(sample.value, int)
        and not isinstance(sample.value, bool)
        and sample.value >= 0
        and all(isinstance(t, int | float) and math.isfinite(t) for t in (sample.timestamp, sample.window))
    }
