"""Overview: what a visitor of the store front sees (CDN traffic, latency, errors, the SLO)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from components.render.dashboards.panels import Query, graph, new_dashboard, single
from components.render.rules import MetricSources
from components.render.rules.slo import error_ratio_record
from components.settings import Settings


def overview_dashboard(settings: Settings, sources: MetricSources) -> dashboard.Dashboard:
    cdn = sources.select(job=sources.cdn_job)
    by = sources.by()
    slo = settings.monitoring.slo
    budget = round(1 - slo.availability_target, 10)
    errors = sources.select(job=sources.cdn_job, status="~5..")
    period = f"{slo.period_days}d"
    latency = "sum {by} (rate(cdn_request_duration_seconds_bucket{cdn}[5m]))".format(
        by=sources.by("le"), cdn=cdn
    )
    return (
        new_dashboard(
            "technovastore-overview", "TechNovaStore: overview", "The store front as visitors see it", ["slo"]
        )
        .with_row(dashboard.Row("Traffic and errors"))
        .with_panel(
            graph(
                "Requests per second by status",
                [Query(f"sum {sources.by('status')} (rate(cdn_requests_total{cdn}[5m]))", "{{status}}")],
                unit="reqps",
                span=12,
            )
        )
        .with_panel(
            graph(
                "Latency at the CDN (p50, p95, p99)",
                [Query(f"histogram_quantile({q}, {latency})", f"p{int(q * 100)}") for q in (0.5, 0.95, 0.99)],
                unit="s",
                span=12,
                thresholds=[(None, "green"), (settings.scaling.scale_up.response_time_ms / 1000, "red")],
            )
        )
        .with_panel(
            graph(
                "Error ratio (5xx)",
                [Query(f"{error_ratio_record('5m')}{sources.select()}", "5xx share")],
                unit="percentunit",
                span=12,
                thresholds=[(None, "green"), (settings.monitoring.cdn_max_error_ratio, "red")],
            )
        )
        .with_row(dashboard.Row(f"Availability SLO ({slo.availability_target:.3%})"))
        .with_panel(
            single(
                f"Availability over {slo.period_days} days",
                Query(
                    f"1 - (sum {by} (increase(cdn_requests_total{errors}[{period}])) "
                    f"/ sum {by} (increase(cdn_requests_total{cdn}[{period}])))"
                ),
                unit="percentunit",
                thresholds=[(None, "red"), (slo.availability_target, "green")],
            )
        )
        .with_panel(
            graph(
                "Error budget burn rate (1 = exactly on budget)",
                [
                    Query(f"{error_ratio_record(window)}{sources.select()} / {budget:g}", window)
                    for window in ("5m", "1h", "6h", "1d")
                ],
                span=18,
                thresholds=[(None, "green"), (1, "orange"), (14.4, "red")],
            )
        )
    )
