"""Where the metrics come from, behind one small interface (``MetricSource``).

- ``EngineStatsSource``: CPU and memory per task from the Engine's stats API, as used
  amounts (millicores, bytes) that the decision divides by the task's reservation (the HPA's
  utilization of the request). CPU is the rate between two readings of the cumulative counter:
  the previous cycle's, or, for a container seen for the first time, one taken
  ``sample_seconds`` later in the same cycle.
- ``PrometheusSource``: response time per task from a Prometheus instant query.
- ``ProbeSource``: response time per task from a bounded GET of the service's health path.

A source raises ``MetricSourceError`` when it cannot answer at all; the cycle then treats its
metrics as unavailable (never as zero) and decides on the others.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from autoscaler.engine import EngineError, ServiceView, SwarmEngine, TaskView, as_object, parse_time
from autoscaler.labels import HealthEndpoint
from autoscaler.replicas import Sample
from autoscaler.spec import MetricName

MICROS = 1_000_000
Samples = dict[MetricName, dict[str, Sample]]


class MetricSourceError(Exception):
    pass


class MetricSource(Protocol):
    metrics: tuple[MetricName, ...]

    def read(
        self, service: ServiceView, tasks: Sequence[TaskView], health: HealthEndpoint | None
    ) -> Samples: ...


@dataclass
class _CpuReading:
    usage_ns: int
    at: float


def cpu_usage_ns(stats: Mapping[str, Any]) -> int | None:
    usage = as_object(as_object(stats.get("cpu_stats")).get("cpu_usage")).get("total_usage")
    return usage if isinstance(usage, int) and usage >= 0 else None


def memory_working_set(stats: Mapping[str, Any]) -> int | None:
    """Usage minus inactive page cache: the working set the kubelet reports to the HPA."""
    memory = as_object(stats.get("memory_stats"))
    usage = memory.get("usage")
    if not isinstance(usage, int) or isinstance(usage, bool):
        return None
    details = as_object(memory.get("stats"))
    inactive = details.get("inactive_file", details.get("total_inactive_file", 0))
    inactive = inactive if isinstance(inactive, int) else 0
    return max(usage - inactive, 0)


class EngineStatsSource:
    metrics: tuple[MetricName, ...] = ("cpu", "memory")

    def __init__(
        self,
        engine: SwarmEngine,
        *,
        sample_seconds: float = 1.0,
        max_reading_age: float = 120.0,
        workers: int = 16,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.sample_seconds = sample_seconds
        self.max_reading_age = max_reading_age
        self.workers = workers
        self.sleep = sleep
        self._last: dict[str, _CpuReading] = {}

    def _read(self, container_ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(container_ids)))) as pool:
            answers = list(pool.map(self._stats_or_none, container_ids))
        return {cid: stats for cid, stats in zip(container_ids, answers, strict=True) if stats}

    def _stats_or_none(self, container_id: str) -> Mapping[str, Any] | None:
        try:
            stats = self.engine.stats(container_id)
        except EngineError:
            return None  # this task's sample is missing; the HPA's rules for missing pods apply
        return stats if isinstance(stats, Mapping) else None

    def read(self, service: ServiceView, tasks: Sequence[TaskView], health: HealthEndpoint | None) -> Samples:
        containers = {t.container_id: t.id for t in tasks if t.container_id and t.state == "running"}
        if not containers:
            return {"cpu": {}, "memory": {}}
        first = self._read(list(containers))
        fresh = [cid for cid, stats in first.items() if not self._has_recent_reading(cid, stats)]
        for cid in fresh:
            self._remember(cid, first[cid])
        second = {}
        if fresh:
            self.sleep(self.sample_seconds)
            second = self._read(fresh)
        samples: Samples = {"cpu": {}, "memory": {}}
        for cid, task_id in containers.items():
            stats = second.get(cid) or first.get(cid)
            if stats is None:
                continue
            cpu = self._cpu_sample(cid, stats)
            if cpu is not None:
                samples["cpu"][task_id] = cpu
            memory = memory_working_set(stats)
            at = parse_time(stats.get("read")) or time.time()
            if memory is not None:
                samples["memory"][task_id] = Sample(memory, at, 0.0)
        return samples

    def _has_recent_reading(self, container_id: str, stats: Mapping[str, Any]) -> bool:
        last, at = self._last.get(container_id), parse_time(stats.get("read"))
        return last is not None and at is not None and 0 < at - last.at <= self.max_reading_age

    def _remember(self, container_id: str, stats: Mapping[str, Any]) -> None:
        usage, at = cpu_usage_ns(stats), parse_time(stats.get("read"))
        if usage is not None and at is not None:
            self._last[container_id] = _CpuReading(usage, at)

    def _cpu_sample(self, container_id: str, stats: Mapping[str, Any]) -> Sample | None:
        """Millicores used between the last reading and this one (window: the time between)."""
        usage, at, last = cpu_usage_ns(stats), parse_time(stats.get("read")), self._last.get(container_id)
        if usage is None or at is None:
            return None
        self._last[container_id] = _CpuReading(usage, at)
        if last is None or at <= last.at or usage < last.usage_ns:
            return None  # a restarted container's counter starts again: wait for the next reading
        window = at - last.at
        millicores = (usage - last.usage_ns) / window / 1_000_000
        return Sample(round(millicores), at, window)

    def retain(self, container_ids: set[str]) -> None:
        """Forget the readings of containers no longer running (called once per cycle)."""
        for cid in set(self._last) - container_ids:
            del self._last[cid]


class ProbeSource:
    """Response time of a GET of each task's health path, bounded by ``timeout`` seconds.

    A probe that times out counts as ``timeout`` (the response took at least that long); one
    refused or failing leaves the task without a sample.
    """

    metrics: tuple[MetricName, ...] = ("response_time",)

    def __init__(self, *, timeout: float = 2.0, workers: int = 16) -> None:
        self.timeout = timeout
        self.workers = workers

    def _probe(self, url: str) -> float | None:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                response.read(65536)
        except TimeoutError:
            return self.timeout
        except urllib.error.HTTPError:
            pass  # an answer, even an error status, is a response time
        except (urllib.error.URLError, OSError) as error:
            if isinstance(getattr(error, "reason", None), TimeoutError):
                return self.timeout
            return None
        return time.monotonic() - started

    def read(self, service: ServiceView, tasks: Sequence[TaskView], health: HealthEndpoint | None) -> Samples:
        if health is None:
            raise MetricSourceError(f"{service.name} has no health endpoint labels to probe")
        targets = {t.id: f"http://{t.addresses[0]}:{health.port}{health.path}" for t in tasks if t.addresses}
        if not targets:
            return {"response_time": {}}
        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(targets)))) as pool:
            seconds = list(pool.map(self._probe, targets.values()))
        now = time.time()
        return {
            "response_time": {
                task_id: Sample(round(value * MICROS), now, value)
                for task_id, value in zip(targets, seconds, strict=True)
                if value is not None
            }
        }


class PrometheusSource:
    """Response time per task (milliseconds) from a Prometheus instant query.

    ``query`` is a template with ``{service}`` (the Swarm service name); each returned series
    is matched to a task by its ``task_id`` label, or by the host part of ``instance``
    against the task's addresses. Series matching no task are ignored (as the HPA ignores
    metrics of pods it does not know).
    """

    metrics: tuple[MetricName, ...] = ("response_time",)

    def __init__(self, url: str, query: str, *, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.query = query
        self.timeout = timeout

    def _query(self, expression: str) -> list[dict[str, Any]]:
        address = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': expression})}"
        try:
            with urllib.request.urlopen(address, timeout=self.timeout) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:  # 400/422/503 carry Prometheus's reason as JSON
            try:
                body = json.load(error)
            except ValueError:
                raise MetricSourceError(f"Prometheus at {self.url}: {error}") from error
        except (OSError, ValueError) as error:
            raise MetricSourceError(f"Prometheus at {self.url}: {error}") from error
        if not isinstance(body, dict) or body.get("status") != "success":
            reason = f"{body.get('errorType')}: {body.get('error')}" if isinstance(body, dict) else repr(body)
            raise MetricSourceError(f"Prometheus refused {expression!r}: {reason[:300]}")
        result = (body.get("data") or {}).get("result")
        if not isinstance(result, list):
            raise MetricSourceError(f"Prometheus answered {expression!r} with no vector")
        return result

    def read(self, service: ServiceView, tasks: Sequence[TaskView], health: HealthEndpoint | None) -> Samples:
        by_address = {address: t.id for t in tasks for address in t.addresses}
        known = {t.id for t in tasks}
        samples: dict[str, Sample] = {}
        for series in self._query(self.query.format(service=service.name)):
            labels = as_object(as_object(series).get("metric"))
            task_id = labels.get("task_id")
            if task_id not in known:
                host = str(labels.get("instance", "")).rsplit(":", 1)[0]
                task_id = by_address.get(host)
            try:
                at, value = float(series["value"][0]), float(series["value"][1])
            except (KeyError, IndexError, TypeError, ValueError):
                continue
            # histogram_quantile answers +Inf (top bucket) or NaN (no requests): no sample.
            if task_id is not None and math.isfinite(value) and value >= 0 and math.isfinite(at):
                samples[task_id] = Sample(round(value * 1000), at, 0.0)
        return {"response_time": samples}
