"""Monitoring on the real Swarm: the stack's own Prometheus service scrapes the stack's exporters.

Prometheus (Debian's package, at the upstream image's paths) runs as the stack's service with
its configuration and rules from the stack's Swarm configs; the Redis exporter and the CDN's
metrics reader are the stack's services too. Under a bounded load (cache reads through the
product service, CDN hits, misses, origin errors and a burst past the rate limit) every
recording rule, every series an alert reads and every dashboard panel query must return data.
"""

from __future__ import annotations

import concurrent.futures
import http.client

import pytest

from components.render.rules import MetricSources, render_rule_groups
from components.settings import Settings
from components.swarm.conventions import swarm_name
from tests.integration.swarm.conftest import STACK, Deployment
from tests.support.monitoring_queries import (
    empty_panels,
    empty_records,
    firing_unprovoked,
    missing_alert_series,
)
from tests.support.prometheus_server import PrometheusApi
from tests.support.stacks import deployment_settings
from tests.support.swarm_stack import get

pytestmark = pytest.mark.integration
STATIC_PATHS = [f"/static/monitoring-{index}.css" for index in range(10)]
# More requests at once than the CDN's per-client rate (50/s, burst 100) lets through.
BURST_REQUESTS = 400
BURST_CLIENTS = 16
CACHE_LOAD = """
import sys, urllib.request
base = sys.argv[1]
for round in range(3):
    for product in range(30):
        urllib.request.urlopen(f"{base}/api/products/monitoring-{product}", timeout=10).read()
"""


def _settings(deployment: Deployment) -> Settings:
    return deployment_settings(STACK, deployment.overrides)


def _sources(settings: Settings) -> MetricSources:
    autoscaler = settings.swarm.autoscaler.enabled
    return MetricSources.swarm(
        settings.namespace, autoscaler=autoscaler, service_prefix=swarm_name(settings, "")
    )


def _cdn_traffic(deployment: Deployment) -> None:
    for path in [*STATIC_PATHS, *STATIC_PATHS, "/status/500", "/status/503"]:
        assert get(deployment.cdn_port, path)[0] in (200, 500, 503)

    def one(_: int) -> int:
        try:
            return get(deployment.cdn_port, "/")[0]
        except (OSError, http.client.HTTPException):
            return 0

    with concurrent.futures.ThreadPoolExecutor(BURST_CLIENTS) as pool:
        statuses = list(pool.map(one, range(BURST_REQUESTS)))
    assert 429 in statuses, sorted(set(statuses))


@pytest.fixture(scope="module")
def observed(stack: Deployment) -> PrometheusApi:
    """The stack's Prometheus once the load has been scraped (module-wide: one load for all)."""
    deployment = stack.deployed()
    prometheus = PrometheusApi(deployment.prometheus_port)
    product = deployment.outputs["services"]["product-service"]
    loaded = deployment.run_on_network(
        ["python3", "-c", CACHE_LOAD, f"http://{product['host']}:{product['port']}"], timeout=120
    )
    assert loaded.exit_code == 0, loaded.stderr[-2000:]
    _cdn_traffic(deployment)
    # Scraped twice after the traffic (every 5 s here), so every rate has its samples.
    prometheus.wait_for('count(rate(cdn_requests_total{status="429"}[5m])) > 0', timeout=60)
    prometheus.wait_for(
        'technovastore:redis_keyspace_lookups:increase15m{job="redis-cluster"} > 0', timeout=60
    )
    return prometheus


def test_prometheus_runs_in_the_stack_and_every_exporter_target_is_up(observed: PrometheusApi) -> None:
    assert observed.targets_up() == {
        "redis-cluster": 6,
        "redis-sessions": 3,
        "redis-sessions-sentinel": 3,
        "cdn": 1,
        "prometheus": 1,
        "autoscaler": 1,
    }
    assert observed.value("count(up == 0)") is None


def test_prometheus_loaded_the_rendered_rules(observed: PrometheusApi, deployment: Deployment) -> None:
    settings = _settings(deployment)
    rendered = render_rule_groups(settings, _sources(settings))["groups"]
    loaded = observed.rule_groups()

    # Prometheus lists its groups by name.
    assert sorted((g["name"], len(g["rules"])) for g in loaded) == sorted(
        (g["name"], len(g["rules"])) for g in rendered
    )
    assert all(rule["health"] == "ok" for group in loaded for rule in group["rules"]), loaded


def test_every_recording_rule_records_a_series(observed: PrometheusApi, deployment: Deployment) -> None:
    settings = _settings(deployment)
    assert not empty_records(observed, settings, _sources(settings))


def test_every_series_an_alert_reads_exists(observed: PrometheusApi, deployment: Deployment) -> None:
    settings = _settings(deployment)
    assert not missing_alert_series(observed, settings, _sources(settings))


def test_every_dashboard_panel_query_returns_data(observed: PrometheusApi, deployment: Deployment) -> None:
    settings = _settings(deployment)
    assert not empty_panels(observed, settings, _sources(settings))


def test_no_redis_restart_or_liveness_alert_fires_on_the_healthy_stack(observed: PrometheusApi) -> None:
    # Besides the CDN alerts the traffic provokes, the cache's hit ratio may be low: the Swarm
    # tests read fresh products (each a miss first) and nothing else warms the cache.
    assert firing_unprovoked(observed, provoked=("Cdn", "RedisCacheHitRatioLow")) == []
