"""CDN: what the cache answered (hit, miss, stale, bypass), bytes it saved the origin, 429s."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from components.render.dashboards.panels import Query, graph, new_dashboard
from components.render.rules import MetricSources
from components.settings import Settings


def cdn_dashboard(settings: Settings, sources: MetricSources) -> dashboard.Dashboard:
    cdn = sources.select(job=sources.cdn_job)
    through_cache = sources.select(job=sources.cdn_job, cache_status="!NONE")
    by = sources.by()
    from_cache = sources.select(job=sources.cdn_job, cache_status="~HIT|STALE|UPDATING|REVALIDATED")
    limited = sources.select(job=sources.cdn_job, status="429")
    board = (
        new_dashboard(
            "technovastore-cdn",
            "TechNovaStore: CDN",
            "The NGINX caching tier in front of the frontend",
            ["cdn"],
        )
        .with_row(dashboard.Row("Cache"))
        .with_panel(
            graph(
                "Answers by cache status (share of requests through the cache)",
                [
                    Query(
                        f"sum {sources.by('cache_status')} (rate(cdn_requests_total{through_cache}[5m])) "
                        f"/ ignoring (cache_status) group_left "
                        f"sum {by} (rate(cdn_requests_total{through_cache}[5m]))",
                        "{{cache_status}}",
                    )
                ],
                unit="percentunit",
                thresholds=[(None, "red"), (settings.monitoring.cdn_min_hit_ratio, "green")],
            )
        )
        .with_panel(
            graph(
                "Bytes served from the cache (saved the origin)",
                [
                    Query(
                        f"sum {by} (rate(cdn_response_bytes_total{from_cache}[5m]))",
                        "from cache",
                    )
                ],
                unit="Bps",
            )
        )
        .with_row(dashboard.Row("Clients and origin"))
        .with_panel(
            graph(
                "Rate-limited requests (429) per second",
                [
                    Query(
                        f"sum {by} (rate(cdn_requests_total{limited}[5m]))",
                        "429",
                    )
                ],
                unit="reqps",
            )
        )
        .with_panel(
            graph(
                "Origin response time (p95) and errors",
                [
                    Query(
                        f"histogram_quantile(0.95, sum {sources.by('le')} "
                        f"(rate(cdn_upstream_duration_seconds_bucket{cdn}[5m])))",
                        "p95 seconds",
                    ),
                    Query(f"sum {by} (rate(cdn_upstream_errors_total{cdn}[5m]))", "errors/s"),
                ],
                thresholds=[(None, "green"), (settings.scaling.scale_up.response_time_ms / 1000, "red")],
            )
        )
    )
    if sources.nginx_status:
        board = board.with_panel(
            graph(
                "Active connections (stub_status)",
                [Query(f"sum {by} (nginx_connections_active{cdn})", "active")],
            )
        )
    return board
