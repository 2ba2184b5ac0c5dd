"""Monitoring: the alert thresholds and windows that are not already stated elsewhere.

Thresholds that other settings already state are read from there by the rule renderer, so
one number means one thing everywhere: the Redis hit-ratio minimum and its minimum-traffic
guard (``checks.minHitRatio``, ``checks.minLookups``), the response-time target
(``scaling.scaleUp.responseTimeMs``), the replica bounds (``services.*``).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_core import PydanticCustomError

from components.settings.base import PinnedImage, SettingsModel, cross_field_error
from components.settings.services import ComputeQuantities, ComputeResources

_LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_./-]{0,62}$"


class SloSettings(SettingsModel):
    # The seed's availability target for the store front, measured at the CDN.
    availability_target: float = Field(default=0.999, ge=0.9, lt=1)
    # The error budget's period (the SRE workbook's burn rates assume 30 days).
    period_days: int = Field(default=30, ge=7, le=90)


class PrometheusSettings(SettingsModel):
    """The Prometheus server a Swarm or dev stack runs itself (kube-prometheus-stack's on Kubernetes)."""

    image: PinnedImage = "prom/prometheus:v2.53.2"
    # Published on the Swarm's nodes (or the laptop): the seed's 9090. Prometheus has no login:
    # keep this port behind the firewall or VPN that guards the nodes.
    published_port: int = Field(default=9090, ge=1, le=65535)
    retention_days: int = Field(default=15, ge=1, le=365)
    resources: ComputeResources = ComputeResources(
        requests=ComputeQuantities(cpu="250m", memory="512Mi"),
        limits=ComputeQuantities(cpu="1", memory="2Gi"),
    )


class GrafanaSettings(SettingsModel):
    """The Grafana a Swarm or dev stack runs, its data source and dashboards provisioned from files."""

    enabled: bool = True
    image: PinnedImage = "grafana/grafana:11.2.2"
    # The seed's port for the dashboards (Grafana's own http_port, published as it is).
    port: int = Field(default=3013, ge=1, le=65535)
    resources: ComputeResources = ComputeResources(
        requests=ComputeQuantities(cpu="100m", memory="128Mi"),
        limits=ComputeQuantities(cpu="500m", memory="512Mi"),
    )


class MonitoringSettings(SettingsModel):
    # Declare the PrometheusRule, PodMonitors and dashboard ConfigMaps (Kubernetes) or the
    # Prometheus and Grafana services (Swarm, dev).
    enabled: bool = True
    # Where each alert's runbook_url points: the README's "Alerts" section.
    runbook_url: str = Field(
        default="https://github.com/technovastore/scaling-infrastructure/blob/main/README.md",
        pattern=r"^https://[^\s#]+$",
    )
    # Labels the Prometheus operator selects rules and monitors by (kube-prometheus-stack's
    # default `ruleSelector`/`podMonitorSelector` is `release: <its release name>`).
    selector_labels: dict[str, str] = Field(default_factory=lambda: {"release": "kube-prometheus-stack"})
    # The label Grafana's dashboard sidecar watches ConfigMaps for.
    dashboard_label: str = Field(default="grafana_dashboard", pattern=_LABEL_NAME)
    scrape_interval_seconds: int = Field(default=30, ge=5, le=300)
    slo: SloSettings = SloSettings()
    # CDN alerts: share of 5xx answers, HIT share of cacheable answers, share of 429s.
    cdn_max_error_ratio: float = Field(default=0.01, gt=0, lt=1)
    cdn_min_hit_ratio: float = Field(default=0.8, ge=0, le=1)
    cdn_max_rate_limited_ratio: float = Field(default=0.05, gt=0, lt=1)
    # Fewer CDN requests than this in an alert's window say nothing about its ratios.
    cdn_min_requests: int = Field(default=100, ge=1)
    # Redis memory alert: used / maxmemory above this share.
    redis_max_memory_ratio: float = Field(default=0.9, gt=0, le=1)
    # Cache cluster evictions per second that mean the cache is too small for its working set.
    redis_max_evictions_per_second: float = Field(default=10, gt=0)
    # Replica-count changes in 30 minutes above which a service is flapping.
    max_scaling_changes_per_30m: int = Field(default=6, ge=2)
    # The log-to-metrics sidecar next to each NGINX (per-status and cache-status counters,
    # latency histograms): stub_status alone has no status codes.
    cdn_metrics_image: PinnedImage = "ghcr.io/jaqx0r/mtail:3.4.4"
    # Swarm and dev only: the Prometheus and Grafana the stack runs itself.
    prometheus: PrometheusSettings = PrometheusSettings()
    grafana: GrafanaSettings = GrafanaSettings()


def platform_problems(
    monitoring: MonitoringSettings, platform: str, cdn_port: int
) -> list[PydanticCustomError]:
    """What a stack's monitoring settings cannot do on its platform.

    On Kubernetes kube-prometheus-stack runs Prometheus and Grafana, and the plain Docker stack
    runs neither: their blocks here would do nothing. On Swarm the ports they publish must
    differ from each other and from the CDN's (Swarm refuses a second service on a published
    port, at deploy time).
    """
    own = [key for key in ("prometheus", "grafana") if key in monitoring.model_fields_set]
    if platform != "swarm":
        return [
            cross_field_error(
                f"monitoring.{key}", "(set)", "applies only to a stack that runs its own (swarm)"
            )
            for key in own
        ]
    if not monitoring.enabled:
        return []
    taken = {cdn_port: "swarm.cdnPublishedPort"}
    ports = [("monitoring.prometheus.publishedPort", monitoring.prometheus.published_port)]
    if monitoring.grafana.enabled:
        ports.append(("monitoring.grafana.port", monitoring.grafana.port))
    problems = []
    for key, port in ports:
        if port in taken:
            problems.append(cross_field_error(key, port, f"is already published by {taken[port]}"))
        taken.setdefault(port, key)
    return problems
