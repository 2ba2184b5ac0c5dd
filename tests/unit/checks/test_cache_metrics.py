"""Reading the cache manager's lookups out of a service's Prometheus exposition."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest

from cache_manager.metrics import CacheMetrics
from checks.cache_metrics import MetricsUnavailable, parse_lookups
from checks.hit_ratio import Counters


def exposition(metrics: CacheMetrics) -> str:
    return generate_latest(metrics.registry).decode()


def test_only_the_strategies_stored_in_the_cluster_count() -> None:
    metrics = CacheMetrics()
    metrics.hit("product", 7)
    metrics.miss("product", 2)
    metrics.hit("search", 3)
    metrics.miss("recommendations")
    metrics.hit("session", 50)  # the Sentinel group: Redis Cluster's counters never see these
    metrics.miss("session", 50)
    assert parse_lookups(exposition(metrics), "http://svc/metrics") == Counters(10, 3)


def test_a_service_that_never_read_the_cache_counts_nothing() -> None:
    assert parse_lookups(exposition(CacheMetrics()), "http://svc/metrics") == Counters(0, 0)


def test_an_endpoint_without_the_cache_managers_metrics_is_named() -> None:
    with pytest.raises(
        MetricsUnavailable, match=r"http://svc/metrics: does not export technovastore_cache_lookups_total"
    ):
        parse_lookups("# TYPE up gauge\nup 1\n", "http://svc/metrics")
