"""Hits, misses, errors and latencies as Prometheus metrics, plus a readable snapshot."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

NAMESPACE = "technovastore_cache"
# The lookups counter as exported (prometheus-client appends _total to a counter's samples).
LOOKUPS_SAMPLE = f"{NAMESPACE}_lookups_total"
_LATENCY_BUCKETS = (0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class CacheMetrics:
    """Metrics of one manager. Own registry by default, so managers never collide."""

    def __init__(self, registry: CollectorRegistry | None = None, *, namespace: str = NAMESPACE):
        self.registry = registry if registry is not None else CollectorRegistry()
        self._namespace = namespace
        self.lookups = Counter(
            "lookups", "Cache reads by strategy and result (hit or miss).",
            ["strategy", "result"], namespace=namespace, registry=self.registry,
        )  # fmt: skip
        self.errors = Counter(
            "errors", "Operations the cache absorbed (the caller got a miss or a dropped write).",
            ["operation", "reason"], namespace=namespace, registry=self.registry,
        )  # fmt: skip
        self.dropped_writes = Counter(
            "dropped_writes", "Writes not stored because the store failed or its circuit was open.",
            ["strategy"], namespace=namespace, registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "operation_seconds", "Time spent in cache operations, including misses.",
            ["operation"], namespace=namespace, registry=self.registry, buckets=_LATENCY_BUCKETS,
        )  # fmt: skip
        # Labelled children resolved once: label lookup is the costly part of an update.
        self._hit: dict[str, Counter] = {}
        self._miss: dict[str, Counter] = {}
        self._timers: dict[str, Histogram] = {}

    def hit(self, strategy: str, count: int = 1) -> None:
        self._count(self._hit, strategy, "hit", count)

    def miss(self, strategy: str, count: int = 1) -> None:
        self._count(self._miss, strategy, "miss", count)

    def _count(self, children: dict[str, Counter], strategy: str, result: str, count: int) -> None:
        child = children.get(strategy)
        if child is None:
            child = children.setdefault(strategy, self.lookups.labels(strategy, result))
        if count:
            child.inc(count)

    def error(self, operation: str, reason: str) -> None:
        self.errors.labels(operation, reason).inc()

    def dropped(self, strategy: str, count: int = 1) -> None:
        self.dropped_writes.labels(strategy).inc(count)

    def observe(self, operation: str, seconds: float) -> None:
        timer = self._timers.get(operation)
        if timer is None:
            timer = self._timers.setdefault(operation, self.latency.labels(operation))
        timer.observe(seconds)

    def value(self, name: str, labels: dict[str, str]) -> float:
        return self.registry.get_sample_value(f"{self._namespace}_{name}", labels) or 0.0

    def lookup_count(self, strategy: str, result: str) -> int:
        return int(self.value("lookups_total", {"strategy": strategy, "result": result}))

    def hit_ratio(self, strategy: str) -> float | None:
        hits = self.lookup_count(strategy, "hit")
        total = hits + self.lookup_count(strategy, "miss")
        return hits / total if total else None

    def error_count(self, operation: str | None = None) -> int:
        total = 0
        for metric in self.errors.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total") and operation in (None, sample.labels["operation"]):
                    total += int(sample.value)
        return total

    def snapshot(self) -> dict[str, dict[str, float | int | None]]:
        """Per strategy: hits, misses and hit ratio (what the seed's ``getMetrics`` reported)."""
        strategies = sorted({key for key in (*self._hit, *self._miss)})
        return {
            name: {
                "hits": self.lookup_count(name, "hit"),
                "misses": self.lookup_count(name, "miss"),
                "hitRatio": self.hit_ratio(name),
            }
            for name in strategies
        }
