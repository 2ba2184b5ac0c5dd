"""Monitoring on Kubernetes: what kube-prometheus-stack users expect to find.

A PrometheusRule with the rendered rules, a PodMonitor per scraped workload (the job named
after the workload, from its ``app.kubernetes.io/name`` label), and one ConfigMap per Grafana
dashboard, labelled for Grafana's dashboard sidecar. The operator picks the rules and monitors
up by ``monitoring.selectorLabels``; the sidecar must watch this namespace (its
``searchNamespace``) for the dashboards.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.kubernetes.conventions import labels, selector_labels
from components.render.dashboards import render_dashboards
from components.render.rules import MetricSources, render_rule_groups
from components.settings import Settings

OPERATOR_API = "monitoring.coreos.com/v1"
JOB_LABEL = "app.kubernetes.io/name"


class Monitoring(pulumi.ComponentResource):
    """PrometheusRule, PodMonitors and dashboard ConfigMaps for one stack."""

    def __init__(
        self,
        name: str,
        *,
        settings: Settings,
        sources: MetricSources,
        scraped: dict[str, list[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``scraped``: workload name -> the names of its pods' metrics ports."""
        super().__init__("technovastore:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        monitoring = settings.monitoring
        namespace = settings.namespace
        selected = {**labels(name, "monitoring"), **monitoring.selector_labels}
        k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version=OPERATOR_API,
            kind="PrometheusRule",
            metadata={"name": "technovastore", "namespace": namespace, "labels": selected},
            spec=render_rule_groups(settings, sources),
            opts=child,
        )
        for workload, ports in scraped.items():
            k8s.apiextensions.CustomResource(
                f"{name}-{workload}",
                api_version=OPERATOR_API,
                kind="PodMonitor",
                metadata={"name": workload, "namespace": namespace, "labels": selected},
                spec=self._pod_monitor(workload, ports, monitoring.scrape_interval_seconds),
                opts=child,
            )
        for board, model in render_dashboards(settings, sources).items():
            k8s.core.v1.ConfigMap(
                f"{name}-{board}",
                metadata={
                    "name": f"dashboard-{board}",
                    "namespace": namespace,
                    "labels": {**labels(name, "monitoring"), monitoring.dashboard_label: "1"},
                },
                data={f"{board}.json": json.dumps(model, indent=2, sort_keys=True)},
                opts=child,
            )
        self.register_outputs({})

    @staticmethod
    def _pod_monitor(workload: str, ports: list[str], interval_seconds: int) -> dict[str, Any]:
        return {
            "jobLabel": JOB_LABEL,
            "selector": {"matchLabels": selector_labels(workload)},
            "podMetricsEndpoints": [
                {"port": port, "interval": f"{interval_seconds}s", "path": "/metrics"} for port in ports
            ],
        }
