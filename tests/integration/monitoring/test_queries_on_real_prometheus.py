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

from components.render.dashboards import panel_queries, render_dashboards
from components.render.rules import Alert, Record, rule_groups
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
from tests.support.promql import vector_selectors

pytestmark = pytest.mark.integration


def _dashboard_queries(settings: Settings) -> list[tuple[str, str]]:
    return [
        (f"{uid}: {title}", expr)
        for uid, model in render_dashboards(settings, sources_for(settings)).items()
        for title, expr in panel_queries(model)
    ]


def _rules(settings: Settings) -> list[Record | Alert]:
    return [rule for group in rule_groups(settings, sources_for(settings)) for rule in group.rules]


@pytest.fixture(scope="module")
def observed(production: Settings) -> Iterator[Observed]:
    expressions = [rule.expr for rule in _rules(production)] + [
        expr for _, expr in _dashboard_queries(production)
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
    records = {rule.record for rule in _rules(production) if isinstance(rule, Record)}
    empty = []
    for record in sorted(records):
        try:
            observed.prometheus.wait_for(record, timeout=20)
        except TimeoutError:
            empty.append(record)
    assert not empty


# Series that exist only while their fault lasts; each is proven by the fault test named.
FAULT_ONLY_SELECTORS = {
    'redis_errors_total{namespace="technovastore",job="redis-sessions",err="OOM"}': (
        "test_faults.py: a full session store"
    ),
}


def test_every_series_an_alert_reads_exists(observed: Observed, production: Settings) -> None:
    missing = []
    for alert in [rule for rule in _rules(production) if isinstance(rule, Alert)]:
        observed.prometheus.query(alert.expr)  # Prometheus accepts the whole expression
        for selector in vector_selectors(alert.expr):
            if selector not in FAULT_ONLY_SELECTORS and not observed.prometheus.query(selector):
                missing.append(f"{alert.name}: {selector}")
    assert not missing


def test_every_dashboard_panel_query_returns_data(observed: Observed, production: Settings) -> None:
    empty = [
        f"{panel}: {expr}"
        for panel, expr in _dashboard_queries(production)
        if not observed.prometheus.query(expr)
    ]
    assert not empty


def test_the_cdn_counters_match_what_nginx_logged(observed: Observed) -> None:
    assert observed.cdn
    logged = [entry for entry in observed.cdn.access_entries() if entry["uri"] in STATIC_PATHS]
    hits = sum(entry["cache_status"] == "HIT" for entry in logged)
    # Only static paths are cached in this traffic, so the HIT count is theirs alone; the
    # last lines may still be on their way through mtail and the next scrape.
    observed.prometheus.wait_for(f'sum(cdn_requests_total{{cache_status="HIT"}}) == {hits}', timeout=20)

    assert hits > 0


def test_no_redis_scaling_or_availability_alert_fires_on_a_healthy_platform(observed: Observed) -> None:
    # The traffic provokes origin errors and rate limiting on purpose: the CDN's error,
    # origin, rate-limit and SLO alerts may fire; nothing about Redis, CDN liveness or scaling may.
    provoked = {"Cdn"}
    firing = [
        alert["labels"]["alertname"]
        for alert in observed.prometheus.alerts()
        if not alert["labels"]["alertname"].startswith(tuple(provoked))
        or alert["labels"]["alertname"] == "CdnDown"
    ]

    assert firing == []


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
