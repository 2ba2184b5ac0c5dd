"""Autoscaling: replicas against their bounds, utilization against the HPA targets, scaling events.

On Kubernetes from kube-state-metrics (HPA spec and status, container requests) and cAdvisor
(container usage), which kube-prometheus-stack scrapes.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from components.render.dashboards.panels import Query, graph, new_dashboard
from components.render.rules import MetricSources
from components.render.rules.scaling import KSM_HPA_CURRENT, KSM_HPA_DESIRED
from components.settings import Settings


def _utilization(sources: MetricSources, service: str, usage: str, resource: str) -> str:
    pods = sources.select(pod=f"~{service}-.*", container="!")
    requests = sources.select(pod=f"~{service}-.*", resource=resource)
    return (
        f"sum {sources.by()} ({usage.format(pods=pods)}) / "
        f"sum {sources.by()} (kube_pod_container_resource_requests{requests})"
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
        hpa = sources.select(horizontalpodautoscaler=name)
        board = (
            board.with_row(dashboard.Row(f"{name} ({service.min_replicas}..{service.max_replicas} replicas)"))
            .with_panel(
                graph(
                    "Replicas",
                    [
                        Query(f"{KSM_HPA_CURRENT}{hpa}", "current"),
                        Query(f"{KSM_HPA_DESIRED}{hpa}", "desired"),
                    ],
                    span=8,
                    thresholds=[(None, "green"), (service.max_replicas, "red")],
                    soft_max=service.max_replicas,
                )
            )
            .with_panel(
                graph(
                    "CPU and memory, share of requests",
                    [
                        Query(
                            _utilization(
                                sources, name, "rate(container_cpu_usage_seconds_total{pods}[5m])", "cpu"
                            ),
                            "cpu",
                        ),
                        Query(
                            _utilization(sources, name, "container_memory_working_set_bytes{pods}", "memory"),
                            "memory",
                        ),
                    ],
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
                    [Query(f"changes({KSM_HPA_DESIRED}{hpa}[5m])", "changes in 5 m")],
                    span=8,
                )
            )
        )
    return board
