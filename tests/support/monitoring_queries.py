"""Every rendered rule and dashboard query, run against a real Prometheus: what returns nothing.

Shared by the tests that observe a platform (real exporters on loopback as the Kubernetes
PodMonitors label them, and the Swarm stack's own Prometheus service): a misspelt metric or
label gives an empty answer, and an expression Prometheus cannot parse raises.
"""

from __future__ import annotations

from collections.abc import Collection

from components.render.dashboards import panel_queries, render_dashboards
from components.render.rules import Alert, MetricSources, Record, rule_groups
from components.settings import Settings
from tests.support.prometheus_server import PrometheusApi
from tests.support.promql import vector_selectors

# Series that exist only while their fault lasts; each is proven by the fault test named.
FAULT_ONLY_SELECTORS = {
    'redis_errors_total{namespace="technovastore",job="redis-sessions",err="OOM"}': (
        "tests/integration/monitoring/test_faults.py: a full session store"
    ),
}


def dashboard_queries(settings: Settings, sources: MetricSources) -> list[tuple[str, str]]:
    """(``<dashboard>: <panel>``, PromQL) for every panel target of every dashboard."""
    return [
        (f"{uid}: {title}", expr)
        for uid, model in render_dashboards(settings, sources).items()
        for title, expr in panel_queries(model)
    ]


def rules(settings: Settings, sources: MetricSources) -> list[Record | Alert]:
    return [rule for group in rule_groups(settings, sources) for rule in group.rules]


def empty_records(prometheus: PrometheusApi, settings: Settings, sources: MetricSources) -> list[str]:
    """Recording rules with no series after a while (they are evaluated every interval)."""
    records = {rule.record for rule in rules(settings, sources) if isinstance(rule, Record)}
    empty = []
    for record in sorted(records):
        try:
            prometheus.wait_for(record, timeout=20)
        except TimeoutError:
            empty.append(record)
    return empty


def missing_alert_series(
    prometheus: PrometheusApi,
    settings: Settings,
    sources: MetricSources,
    fault_only: Collection[str] = tuple(FAULT_ONLY_SELECTORS),
) -> list[str]:
    """``<alert>: <selector>`` for each series an alert reads that Prometheus does not have.

    Each alert's whole expression must also be accepted (a healthy platform fires none, so its
    answer is empty by design; its selectors are what must exist).
    """
    missing = []
    for alert in [rule for rule in rules(settings, sources) if isinstance(rule, Alert)]:
        prometheus.query(alert.expr)
        for selector in vector_selectors(alert.expr):
            if selector not in fault_only and not prometheus.query(selector):
                missing.append(f"{alert.name}: {selector}")
    return missing


def empty_panels(prometheus: PrometheusApi, settings: Settings, sources: MetricSources) -> list[str]:
    return [
        f"{panel}: {expr}"
        for panel, expr in dashboard_queries(settings, sources)
        if not prometheus.query(expr)
    ]


def firing_unprovoked(prometheus: PrometheusApi, provoked: tuple[str, ...] = ("Cdn",)) -> list[str]:
    """Alerts pending or firing that the test traffic did not provoke on purpose.

    The traffic provokes origin errors and rate limiting: the CDN's error, origin, rate-limit
    and SLO alerts (names starting with one of ``provoked``) may fire; nothing about Redis, CDN
    liveness or scaling may.
    """
    return [
        alert["labels"]["alertname"]
        for alert in prometheus.alerts()
        if not alert["labels"]["alertname"].startswith(provoked) or alert["labels"]["alertname"] == "CdnDown"
    ]
