"""Alerts and recording rules for the NGINX CDN tier (mtail's request counters, the nginx exporter)."""

from __future__ import annotations

from components.render.rules.model import Alert, MetricSources, Record, RuleGroup
from components.settings import Settings

REQUESTS_RECORD = "technovastore:cdn_requests:rate5m"
WINDOW = "5m"
HIT_WINDOW = "15m"


def cdn_rules(settings: Settings, sources: MetricSources) -> list[RuleGroup]:
    return [RuleGroup("technovastore-cdn", [_requests_record(sources), *_alerts(settings, sources)])]


def _requests_record(sources: MetricSources) -> Record:
    return Record(
        REQUESTS_RECORD,
        f"sum {sources.by('status', 'cache_status')} "
        f"(rate(cdn_requests_total{sources.select(job=sources.cdn_job)}[{WINDOW}]))",
    )


def _share(sources: MetricSources, part: dict[str, str], whole: dict[str, str], window: str) -> str:
    by = sources.by()
    numerator = f"cdn_requests_total{sources.select(job=sources.cdn_job, **part)}"
    denominator = f"cdn_requests_total{sources.select(job=sources.cdn_job, **whole)}"
    return f"sum {by} (rate({numerator}[{window}])) / sum {by} (rate({denominator}[{window}]))"


def _enough(sources: MetricSources, minimum: int, window: str, **labels: str) -> str:
    total = f"cdn_requests_total{sources.select(job=sources.cdn_job, **labels)}"
    return f"sum {sources.by()} (increase({total}[{window}])) >= {minimum}"


def _alerts(settings: Settings, sources: MetricSources) -> list[Record | Alert]:
    monitoring = settings.monitoring
    cdn = sources.select(job=sources.cdn_job)
    minimum = monitoring.cdn_min_requests
    origin_seconds = settings.scaling.scale_up.response_time_ms / 1000
    # A ratio or a percentile over a handful of origin requests says nothing (one failure at night).
    origin_traffic = (
        f"sum {sources.by()} (increase(cdn_upstream_duration_seconds_count{cdn}[{WINDOW}])) >= {minimum}"
    )
    return [
        Alert(
            "CdnDown",
            f"nginx_up{cdn} == 0 or up{cdn} == 0",
            "2m",
            "critical",
            "CDN instance {{ $labels.instance }} is down",
            "NGINX (or its metrics sidecar) at {{ $labels.instance }} has not answered for 2 minutes.",
            "not answering",
            "instant",
        ),
        Alert(
            "CdnErrorRatioHigh",
            f"{_share(sources, {'status': '~5..'}, {}, WINDOW)} > {monitoring.cdn_max_error_ratio} "
            f"and {_enough(sources, minimum, WINDOW)}",
            "5m",
            "critical",
            "{{ $value | humanizePercentage }} of CDN answers are 5xx",
            f"More than {monitoring.cdn_max_error_ratio:.0%} of answers over {WINDOW} are server errors "
            f"(with at least {minimum} requests).",
            f"> {monitoring.cdn_max_error_ratio:.0%} 5xx",
            WINDOW,
        ),
        Alert(
            "CdnHitRatioLow",
            f"{_share(sources, {'cache_status': 'HIT'}, {'cache_status': '!NONE'}, HIT_WINDOW)} "
            f"< {monitoring.cdn_min_hit_ratio} and "
            f"{_enough(sources, minimum, HIT_WINDOW, cache_status='!NONE')}",
            "15m",
            "warning",
            "The CDN's hit ratio is {{ $value | humanizePercentage }}",
            f"HIT share of the requests that went through the cache is below "
            f"{monitoring.cdn_min_hit_ratio:.0%}: the origin takes the load the CDN should.",
            f"< {monitoring.cdn_min_hit_ratio:.0%} HIT",
            HIT_WINDOW,
        ),
        Alert(
            "CdnRateLimitedShareHigh",
            f"{_share(sources, {'status': '429'}, {}, WINDOW)} > {monitoring.cdn_max_rate_limited_ratio} "
            f"and {_enough(sources, minimum, WINDOW)}",
            "10m",
            "warning",
            "{{ $value | humanizePercentage }} of CDN requests are rate limited",
            "Either an attack (check the top client addresses in the access log) or limits too "
            "tight for real traffic (cdn.rateLimit).",
            f"> {monitoring.cdn_max_rate_limited_ratio:.0%} 429",
            WINDOW,
        ),
        Alert(
            "CdnOriginErrors",
            f"sum {sources.by()} (rate(cdn_upstream_errors_total{cdn}[{WINDOW}])) / "
            f"sum {sources.by()} (rate(cdn_upstream_duration_seconds_count{cdn}[{WINDOW}])) "
            f"> {monitoring.cdn_max_error_ratio} and {origin_traffic}",
            "5m",
            "warning",
            "{{ $value | humanizePercentage }} of origin requests fail",
            "The origin answers 5xx or cannot be reached; the CDN serves stale copies where it has them.",
            f"> {monitoring.cdn_max_error_ratio:.0%} of origin requests (>= {minimum} requests)",
            WINDOW,
        ),
        Alert(
            "CdnOriginSlow",
            f"histogram_quantile(0.95, sum {sources.by('le')} "
            f"(rate(cdn_upstream_duration_seconds_bucket{cdn}[{WINDOW}]))) > {origin_seconds:g} "
            f"and {origin_traffic}",
            "10m",
            "warning",
            "The origin's p95 response time is {{ $value | humanizeDuration }}",
            f"Above scaling.scaleUp.responseTimeMs ({settings.scaling.scale_up.response_time_ms} ms): "
            "the services should be scaling up; check they are not at their maximum.",
            f"p95 > {settings.scaling.scale_up.response_time_ms} ms (>= {minimum} requests)",
            WINDOW,
        ),
    ]
