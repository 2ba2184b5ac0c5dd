"""Autoscaling: replicas against their bounds, utilization against the targets, scaling events.

On Kubernetes from kube-state-metrics (HPA spec and status, container requests) and cAdvisor
(container usage), which kube-prometheus-stack scrapes; on Swarm from the autoscaler's own
series (the utilization it measured of each service's reservations, in percent).
"""

from __future__ import annotations

from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard

from components.render.dashboards.panels import Query, graph, new_dashboard
from components.render.rules import MetricSources
from components.render.rules.scaling import (
    AUTOSCALER_CURRENT,
    AUTOSCALER_DESIRED,
    AUTOSCALER_METRIC_VALUE,
    KSM_HPA_CURRENT,
    KSM_HPA_DESIRED,
)
from components.settings import Settings


@dataclass(frozen=True)
class ServiceQueries:
    current: str
    desired: str
    cpu: str  # share of the requested (reserved) CPU, 1 = 100 %
    memory: str


def _kubernetes_utilization(sources: MetricSources, service: str, usage: str, resource: str) -> str:
    pods = sources.select(pod=f"~{service}-.*", container="!")
    requests = sources.select(pod=f"~{service}-.*", resource=resource)
    return (
        f"sum {sources.by()} ({usage.format(pods=pods)}) / "
        f"sum {sources.by()} (kube_pod_container_resource_requests{requests})"
    )


def service_queries(sources: MetricSources, name: str) -> ServiceQueries:
    if sources.replicas == "kube-state-metrics":
        hpa = sources.select(horizontalpodautoscaler=name)
        return ServiceQueries(
            current=f"{KSM_HPA_CURRENT}{hpa}",
            desired=f"{KSM_HPA_DESIRED}{hpa}",
            cpu=_kubernetes_utilization(
                sources, name, "rate(container_cpu_usage_seconds_total{pods}[5m])", "cpu"
            ),
            memory=_kubernetes_utilization(
                sources, name, "container_memory_working_set_bytes{pods}", "memory"
            ),
        )
    service = sources.select(service=f"{sources.service_prefix}{name}")
    measured = f"{AUTOSCALER_METRIC_VALUE}{{metric}} / 100"
    return ServiceQueries(
        current=f"{AUTOSCALER_CURRENT}{service}",
        desired=f"{AUTOSCALER_DESIRED}{service}",
        cpu=measured.format(metric=sources.select(service=f"{sources.service_prefix}{name}", metric="cpu")),
        memory=measured.format(
            metric=sources.select(service=f"{sources.service_prefix}{name}", metric="memory")
        ),
    )


def autoscaling_dashboard(settings: Settings, sources: MetricSources) -> dashboard.Dashboard:
    board = new_dashboard(
        "technovastore-autoscaling",
        "TechNovaStore: autoscaling",
        "Replicas, utilization and scaling events",
        ["scaling"],
    )
    targets = settings.scaling.scale_up
    for name, service in settings.services.items():
        queries = service_queries(sources, name)
        board = (
            board.with_row(dashboard.Row(f"{name} ({service.min_replicas}..{service.max_replicas} replicas)"))
            .with_panel(
                graph(
                    "Replicas",
                    [Query(queries.current, "current"), Query(queries.desired, "desired")],
                    span=8,
                    thresholds=[(None, "green"), (service.max_replicas, "red")],
                    soft_max=service.max_replicas,
                )
            )
            .with_panel(
                graph(
                    "CPU and memory, share of requests",
                    [Query(queries.cpu, "cpu"), Query(queries.memory, "memory")],
                    unit="percentunit",
                    span=8,
                    thresholds=[
                        (None, "green"),
                        (targets.cpu_percent / 100, "orange"),
                        (targets.memory_percent / 100, "red"),
                    ],
                )
            )
            .with_panel(
                graph(
                    "Scaling events (replica target changes)",
                    [Query(f"changes({queries.desired}[5m])", "changes in 5 m")],
                    span=8,
                )
            )
        )
    return board
