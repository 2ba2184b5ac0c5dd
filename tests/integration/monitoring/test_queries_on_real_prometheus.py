"""Every rule and dashboard query against a real Prometheus scraping real exporters.

A misspelt metric or label gives an empty answer, which fails here; an expression Prometheus
cannot parse fails too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from components.settings import Settings
from tests.integration.monitoring.observed import (
    STATIC_PATHS,
    Observed,
    cache_reads,
    cdn_traffic,
    kubernetes_selectors,
    observed_platform,
    sources_for,
)
from tests.support.monitoring_queries import (
    dashboard_queries,
    empty_panels,
    empty_records,
    firing_unprovoked,
    missing_alert_series,
    rules,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def observed(production: Settings) -> Iterator[Observed]:
    sources = sources_for(production)
    expressions = [rule.expr for rule in rules(production, sources)] + [
        expr for _, expr in dashboard_queries(production, sources)
    ]
    with observed_platform(production, kubernetes_selectors=kubernetes_selectors(expressions)) as platform:
        assert platform.cluster and platform.sessions and platform.cdn
        cache_reads(platform.cluster, reads=600, hit_share=0.95)
        with platform.sessions.sentinel_client().master_for(platform.sessions.master_name) as primary:
            primary.set("session:1", "v")
            primary.get("session:1")
        # One client, sequential requests: past the test CDN's small rate limit (429s) without
        # bursts that outrun the metrics reader.
        cdn_traffic(platform.cdn)
        # Two scrapes after the traffic, so every rate has two samples to work with.
        platform.prometheus.wait_for('count(rate(cdn_requests_total{status="429"}[5m])) > 0')
        platform.prometheus.wait_for(
            "technovastore:redis_keyspace_lookups:increase15m{job='redis-cluster'} > 0", timeout=30
        )
        yield platform


def test_every_scrape_target_is_up(observed: Observed) -> None:
    assert observed.prometheus.targets_up() == {
        "redis-cluster": 6,
        "redis-sessions": 3,
        "redis-sessions-sentinel": 3,
        "cdn": 2,
        "kube-state-metrics": 1,
    }


def test_every_recording_rule_records_a_series(observed: Observed, production: Settings) -> None:
    assert not empty_records(observed.prometheus, production, sources_for(production))


def test_every_series_an_alert_reads_exists(observed: Observed, production: Settings) -> None:
    assert not missing_alert_series(observed.prometheus, production, sources_for(production))


def test_every_dashboard_panel_query_returns_data(observed: Observed, production: Settings) -> None:
    assert not empty_panels(observed.prometheus, production, sources_for(production))


def test_the_cdn_counters_match_what_nginx_logged(observed: Observed) -> None:
    assert observed.cdn
    logged = [entry for entry in observed.cdn.access_entries() if entry["uri"] in STATIC_PATHS]
    hits = sum(entry["cache_status"] == "HIT" for entry in logged)
    # Only static paths are cached in this traffic, so the HIT count is theirs alone; the
    # last lines may still be on their way through mtail and the next scrape.
    observed.prometheus.wait_for(f'sum(cdn_requests_total{{cache_status="HIT"}}) == {hits}', timeout=20)

    assert hits > 0


def test_no_redis_scaling_or_availability_alert_fires_on_a_healthy_platform(observed: Observed) -> None:
    assert firing_unprovoked(observed.prometheus) == []


def test_the_recorded_hit_ratio_agrees_with_the_post_deploy_checks(observed: Observed) -> None:
    assert observed.cluster
    seeds = ",".join(f"{host}:{port}" for host, port in observed.cluster.nodes)
    window = 6
    stop = threading.Event()
    # Steady traffic (70 % hits) for as long as the checks measure, so both see the same mix.
    load = threading.Thread(
        target=cache_reads,
        args=(observed.cluster,),
        kwargs={"reads": 0, "hit_share": 0.7, "seed": 11, "until": stop},
    )
    load.start()
    try:
        checks = subprocess.run(
            [
                sys.executable,
                "-m",
                "checks",
                "--redis-cluster",
                seeds,
                "--window",
                str(window),
                "--format",
                "json",
                "--min-lookups",
                "100",
                "--timeout",
                "60",
            ],
            env={"REDIS_PASSWORD": observed.cluster.password, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        recorded = observed.prometheus.value(
            f'sum(increase(redis_keyspace_hits_total{{job="redis-cluster"}}[{window + 2}s])) / '
            f'(sum(increase(redis_keyspace_hits_total{{job="redis-cluster"}}[{window + 2}s])) '
            f'+ sum(increase(redis_keyspace_misses_total{{job="redis-cluster"}}[{window + 2}s])))'
        )
    finally:
        stop.set()
        load.join()
    result = next(r for r in json.loads(checks.stdout)["results"] if r["name"] == "keyspace_hit_ratio")
    measured = re.search(r"hit ratio (\d\.\d+)", result["message"])

    assert measured, result
    assert recorded is not None
    assert abs(recorded - float(measured[1])) < 0.05, (recorded, result["message"])
