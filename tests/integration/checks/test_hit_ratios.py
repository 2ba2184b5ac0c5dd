"""Redis's keyspace hit ratio and the application's, side by side, on the same traffic.

The traffic is the services' read path: ``get_or_load`` over a Zipf-like product mix, from
one cache manager whose metrics are served over HTTP as a service would serve them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from prometheus_client import start_http_server

from cache_manager import DistributedCacheManager
from components.settings import load_settings
from components.settings.cache import CacheClientSettings
from tests.integration.checks.conftest import Deployment, joined, reset_stats, run_checks
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

PRODUCTS = 60
READS = 500


@contextmanager
def cache_manager(deployment: Deployment) -> Iterator[DistributedCacheManager]:
    settings = load_settings({}, "staging")
    cache = CacheClientSettings(key_prefix=f"t{uuid.uuid4().hex[:12]}")
    cluster = deployment.cluster
    with DistributedCacheManager.from_settings(
        settings.model_copy(update={"cache": cache}),
        cluster_nodes=cluster.nodes,
        username=cluster.app_user,
        password=cluster.app_password,
    ) as manager:
        yield manager


@contextmanager
def metrics_endpoint(manager: DistributedCacheManager) -> Iterator[str]:
    """The manager's registry on /metrics, as a service exports it."""
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=manager.metrics.registry)
    try:
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def read_path_traffic(manager: DistributedCacheManager) -> list[int]:
    """READS product reads, each a get_or_load; returns the products read, in order."""
    rng = random.Random(7)
    weights = [1 / rank for rank in range(1, PRODUCTS + 1)]
    numbers = rng.choices(range(PRODUCTS), weights=weights, k=READS)
    for number in numbers:
        manager.get_or_load("product", f"p-{number}", lambda n=number: {"id": f"p-{n}"})  # type: ignore[misc]
    return numbers


def test_the_checks_report_both_ratios_and_each_matches_the_managers_count(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    reset_stats(deployment.cluster)
    with cache_manager(deployment) as manager, metrics_endpoint(manager) as url:
        products = read_path_traffic(manager)
        hits, misses = (manager.metrics.lookup_count("product", result) for result in ("hit", "miss"))
        run = run_checks(
            capsys, "--redis-cluster", joined(deployment.cluster.nodes[:1]), "--cache-metrics", url
        )
    assert (hits + misses, misses) == (READS, len(set(products)))  # each product loaded once
    counts = f"{hits / READS:.3f} ({hits} hits / {READS} lookups)"
    keyspace = run.result("hit-ratio", "keyspace_hit_ratio")
    application = run.result("hit-ratio", "application_hit_ratio")
    assert keyspace["message"].startswith(f"keyspace hit ratio {counts}")
    assert application["message"].startswith(f"application hit ratio {counts}")
    assert keyspace["target"].startswith("Redis keyspace lookups, since start")
    assert application["target"] == "cache manager reads, since each process started, 1 metrics endpoint(s)"


def test_a_metrics_endpoint_that_does_not_answer_means_the_ratio_could_not_be_read(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    silent = f"http://127.0.0.1:{free_port()}/metrics"
    run = run_checks(
        capsys, "--redis-cluster", joined(deployment.cluster.nodes[:1]), "--cache-metrics", silent
    )
    result = run.result("hit-ratio", "application_hit_ratio")
    assert result["status"] == "error"
    assert result["message"].startswith(f"could not read the cache manager's metrics: {silent}: ")
    assert run.code == 2
