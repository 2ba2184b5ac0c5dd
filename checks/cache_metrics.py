"""The cache manager's own lookup counts, from the metrics endpoints of the services.

Each URL is one process's Prometheus text exposition (the ``/metrics`` of a service replica
that serves ``DistributedCacheManager.metrics.registry``). Only the strategies stored in the
Redis Cluster are counted, so the figure covers the same reads as Redis's keyspace counters.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from cache_manager.metrics import LOOKUPS_SAMPLE
from cache_manager.strategies import Store, strategies_in
from checks.concurrency import Deadline, run_concurrently
from checks.hit_ratio import Counters

CLUSTER_STRATEGIES = strategies_in(Store.CLUSTER)
_FAMILY = LOOKUPS_SAMPLE.removesuffix("_total")  # the parser names counter families without it


class MetricsUnavailable(Exception):
    """An endpoint that could not be scraped, or that does not export the cache manager's lookups."""


def parse_lookups(text: str, url: str) -> Counters:
    """Hits and misses of the cluster-stored strategies in one exposition."""
    try:
        families = [family for family in text_string_to_metric_families(text) if family.name == _FAMILY]
    except ValueError as error:
        raise MetricsUnavailable(f"{url}: not Prometheus text format ({error})") from None
    if not families:
        # A service that never read the cache still exports the family (with no samples).
        raise MetricsUnavailable(f"{url}: does not export {LOOKUPS_SAMPLE}")
    counts = {"hit": 0.0, "miss": 0.0}
    for sample in families[0].samples:
        if sample.name == LOOKUPS_SAMPLE and sample.labels.get("strategy") in CLUSTER_STRATEGIES:
            result = sample.labels.get("result", "")
            if result in counts:
                counts[result] += sample.value
    return Counters(int(counts["hit"]), int(counts["miss"]))


def scrape(url: str, timeout: float) -> Counters:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            text = response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        raise MetricsUnavailable(f"{url}: answered {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        why = getattr(error, "reason", None) or error
        raise MetricsUnavailable(f"{url}: {why}") from None
    return parse_lookups(text, url)


def sample(urls: list[str], timeout: float, deadline: Deadline) -> dict[str, Counters | BaseException]:
    """Every endpoint's counters (or why it could not be read), all scraped concurrently."""

    def call(url: str) -> Callable[[], Counters]:
        return lambda: scrape(url, deadline.cap(timeout))

    return run_concurrently({url: call(url) for url in urls}, deadline)
