"""The shape of Prometheus rules, and where each metric comes from on a platform.

Plain data: the rule modules build these, ``render_rule_groups`` turns them into the
document Prometheus (``rule_files``) and the operator's PrometheusRule both take.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["critical", "warning"]
ReplicaSource = Literal["kube-state-metrics", "autoscaler"]
RestartSource = Literal["kube-state-metrics", "uptime"]


@dataclass(frozen=True)
class Record:
    record: str
    expr: str

    def to_rule(self, runbook_url: str) -> dict[str, Any]:
        return {"record": self.record, "expr": self.expr}


@dataclass(frozen=True)
class Alert:
    """One alert. ``threshold`` and ``window`` are what the README's alert table shows."""

    name: str
    expr: str
    duration: str
    severity: Severity
    summary: str
    description: str
    threshold: str
    window: str

    def to_rule(self, runbook_url: str) -> dict[str, Any]:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.duration,
            "labels": {"severity": self.severity},
            "annotations": {
                "summary": self.summary,
                "description": self.description,
                "runbook_url": f"{runbook_url}#{self.name.lower()}",
            },
        }


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: list[Record | Alert]


@dataclass(frozen=True)
class MetricSources:
    """Which scrape jobs carry which metrics, and the labels that scope them to one stack.

    On Kubernetes the operator's PodMonitors name each job after the store or tier and add a
    ``namespace`` label; on Swarm the stack's own Prometheus names its jobs the same and adds
    the same label. Every rule selects with ``scope`` and aggregates ``by`` its keys, so two
    stacks scraped by one Prometheus never mix.

    What differs by platform is where three facts come from: replica counts and bounds
    (``replicas``: kube-state-metrics' HPA series, the Swarm autoscaler's own, or nothing when
    no autoscaler runs), restarts (``restarts``: kube-state-metrics, or the ``uptime`` of the
    processes Prometheus scrapes by a stable name), and whether an nginx exporter reads each
    NGINX's stub_status (``nginx_status``: a pod sidecar; a Swarm task has no sidecar).
    """

    scope: dict[str, str]
    replicas: ReplicaSource | None
    restarts: RestartSource = "kube-state-metrics"
    nginx_status: bool = True
    cache_job: str = "redis-cluster"
    sessions_job: str = "redis-sessions"
    sentinel_job: str = "redis-sessions-sentinel"
    cdn_job: str = "cdn"
    autoscaler_job: str = "autoscaler"
    # What the service label of replica series holds for a service of the settings (Swarm
    # names a service after the stack: ``technovastore-frontend``).
    service_prefix: str = ""

    @classmethod
    def kubernetes(cls, namespace: str) -> MetricSources:
        return cls(scope={"namespace": namespace}, replicas="kube-state-metrics")

    @classmethod
    def swarm(cls, namespace: str, *, autoscaler: bool, service_prefix: str) -> MetricSources:
        return cls(
            scope={"namespace": namespace},
            service_prefix=service_prefix,
            replicas="autoscaler" if autoscaler else None,
            restarts="uptime",
            nginx_status=False,
        )

    def select(self, job: str | None = None, **labels: str) -> str:
        """A label matcher: ``{namespace="shop",job="cdn",status=~"5.."}``.

        A value starting with ``~`` or ``!`` is a regex (``=~``) or negative (``!=``) match.
        """
        matchers = [f'{key}="{value}"' for key, value in self.scope.items()]
        if job:
            labels = {"job": job, **labels}
        for key, value in labels.items():
            if value.startswith("~"):
                matchers.append(f'{key}=~"{value[1:]}"')
            elif value.startswith("!"):
                matchers.append(f'{key}!="{value[1:]}"')
            else:
                matchers.append(f'{key}="{value}"')
        return "{" + ",".join(matchers) + "}"

    def by(self, *labels: str) -> str:
        """The ``by (...)`` clause that keeps the scope's labels (and ``labels``)."""
        return "by (" + ", ".join([*self.scope, *labels]) + ")"
