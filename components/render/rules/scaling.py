"""Alerts on autoscaling and restarts.

On Kubernetes the facts come from kube-state-metrics (the HPA's spec and status, container
restarts); on Swarm the autoscaler exports the same facts under its own names, and a restart
shows as the uptime of a process Prometheus scrapes by a stable name going back to zero. The
alerts are written once (name, meaning, threshold); each platform gives only its series.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.render.rules.model import Alert, MetricSources, Record, RuleGroup
from components.settings import Settings

# kube-state-metrics' HPA series are labelled with the HPA's name, which is the service's.
KSM_HPA_CURRENT = "kube_horizontalpodautoscaler_status_current_replicas"
KSM_HPA_DESIRED = "kube_horizontalpodautoscaler_status_desired_replicas"
KSM_HPA_MAX = "kube_horizontalpodautoscaler_spec_max_replicas"
KSM_HPA_CONDITION = "kube_horizontalpodautoscaler_status_condition"
KSM_WAITING_REASON = "kube_pod_container_status_waiting_reason"
KSM_RESTARTS = "kube_pod_container_status_restarts_total"
# The Swarm autoscaler's series (autoscaler/observability.py), labelled with the Swarm service.
AUTOSCALER_CURRENT = "technovastore_autoscaler_current_replicas"
AUTOSCALER_DESIRED = "technovastore_autoscaler_desired_replicas"
AUTOSCALER_MIN = "technovastore_autoscaler_min_replicas"
AUTOSCALER_MAX = "technovastore_autoscaler_max_replicas"
AUTOSCALER_ACTIVE = "technovastore_autoscaler_scaling_active"
AUTOSCALER_METRIC_VALUE = "technovastore_autoscaler_metric_value"
AUTOSCALER_METRIC_TARGET = "technovastore_autoscaler_metric_target"
AUTOSCALER_LAST_CYCLE = "technovastore_autoscaler_last_successful_cycle_timestamp_seconds"
# Seconds without a finished decision cycle after which the autoscaler counts as stuck.
AUTOSCALER_STALE_SECONDS = 300
FLAPPING_WINDOW = "30m"
RESTART_WINDOW = "1h"
MAX_RESTARTS = 3


@dataclass(frozen=True)
class ReplicaSeries:
    """One platform's expressions for the replica alerts, and the label naming the service."""

    at_max: str
    changes: str  # replica-count changes per service over FLAPPING_WINDOW
    inactive: str
    service_label: str


def replica_series(sources: MetricSources) -> ReplicaSeries | None:
    scope = sources.select()
    if sources.replicas == "kube-state-metrics":
        return ReplicaSeries(
            at_max=f"{KSM_HPA_CURRENT}{scope} >= {KSM_HPA_MAX}{scope}",
            changes=f"changes({KSM_HPA_DESIRED}{scope}[{FLAPPING_WINDOW}])",
            inactive=f"{KSM_HPA_CONDITION}{sources.select(condition='ScalingActive', status='false')} == 1",
            service_label="horizontalpodautoscaler",
        )
    if sources.replicas == "autoscaler":
        return ReplicaSeries(
            at_max=f"{AUTOSCALER_CURRENT}{scope} >= {AUTOSCALER_MAX}{scope}",
            changes=f"changes({AUTOSCALER_DESIRED}{scope}[{FLAPPING_WINDOW}])",
            inactive=f"{AUTOSCALER_ACTIVE}{scope} == 0",
            service_label="service",
        )
    return None


def scaling_rules(settings: Settings, sources: MetricSources) -> list[RuleGroup]:
    alerts: list[Record | Alert] = []
    series = replica_series(sources)
    if series is not None:
        alerts += _replica_alerts(settings, series)
    if sources.replicas == "autoscaler":
        alerts.append(_autoscaler_down(sources))
    if sources.restarts == "kube-state-metrics":
        alerts += _pod_restarts(sources)
    else:
        alerts.append(_task_restarts(sources))
    return [RuleGroup("technovastore-scaling", alerts)]


def _replica_alerts(settings: Settings, series: ReplicaSeries) -> list[Record | Alert]:
    changes = settings.monitoring.max_scaling_changes_per_30m
    service = f"{{{{ $labels.{series.service_label} }}}}"
    return [
        Alert(
            "ServiceAtMaxReplicas",
            series.at_max,
            "15m",
            "warning",
            f"{service} has run at its maximum replicas for 15 minutes",
            "The autoscaler wants more replicas than maxReplicas allows: response times rise with "
            "the load. Raise services.<name>.maxReplicas (within scaling.maxScaleUpSeconds) or find "
            "the hot path.",
            "current >= max",
            "instant",
        ),
        Alert(
            "ScalingFlapping",
            f"{series.changes} > {changes}",
            "0m",
            "warning",
            f"{service} changed its replica count {{{{ $value | humanize }}}} times in 30 minutes",
            "Scaling up and down repeatedly: the scale-down window (scaling.scaleDownBehavior) is "
            "too short or the thresholds too close together.",
            f"> {changes} changes",
            FLAPPING_WINDOW,
        ),
        Alert(
            "ScalingInactive",
            series.inactive,
            "10m",
            "warning",
            f"{service} cannot compute a replica count",
            "No metric of the service can be read (metrics-server or prometheus-adapter on "
            "Kubernetes, the tasks' stats and health paths on Swarm), so it cannot scale.",
            "ScalingActive false",
            "instant",
        ),
    ]


def _autoscaler_down(sources: MetricSources) -> Alert:
    autoscaler = sources.select(job=sources.autoscaler_job)
    return Alert(
        "AutoscalerDown",
        f"up{autoscaler} == 0 or time() - {AUTOSCALER_LAST_CYCLE}{autoscaler} > {AUTOSCALER_STALE_SECONDS}",
        "5m",
        "critical",
        "The Swarm autoscaler has not finished a decision cycle for 5 minutes",
        "No service scales while it is down or stuck: read its log (docker service logs).",
        f"no cycle in {AUTOSCALER_STALE_SECONDS // 60}m",
        "instant",
    )


def _pod_restarts(sources: MetricSources) -> list[Record | Alert]:
    return [
        Alert(
            "PodCrashLooping",
            f"max_over_time({KSM_WAITING_REASON}{sources.select(reason='CrashLoopBackOff')}[5m]) >= 1",
            "15m",
            "warning",
            "{{ $labels.pod }} ({{ $labels.container }}) is crash looping",
            "The container keeps exiting and Kubernetes backs off restarting it.",
            "CrashLoopBackOff",
            "5m",
        ),
        Alert(
            "PodRestartingOften",
            f"increase({KSM_RESTARTS}{sources.select()}[{RESTART_WINDOW}]) > {MAX_RESTARTS}",
            "0m",
            "warning",
            "{{ $labels.pod }} ({{ $labels.container }}) restarted {{ $value | humanize }} times in an hour",
            "Frequent restarts: look at the previous container's log (kubectl logs --previous).",
            f"> {MAX_RESTARTS} restarts",
            RESTART_WINDOW,
        ),
    ]


def _task_restarts(sources: MetricSources) -> Alert:
    """Restarts of what Prometheus scrapes by a stable name (a Redis member, a monitoring service).

    A replaced task gets a new address but keeps its service name, which is the target's
    ``instance``: its Redis uptime falling back, or its process start time changing (the
    exporters, Prometheus), is a restart. The tasks of replicated services (the apps, the CDN)
    are not scraped one by one, so their restarts are not seen here.
    """
    scope = sources.select()
    return Alert(
        "TaskRestartingOften",
        f"resets(redis_uptime_in_seconds{scope}[{RESTART_WINDOW}]) > {MAX_RESTARTS} "
        f"or changes(process_start_time_seconds{scope}[{RESTART_WINDOW}]) > {MAX_RESTARTS}",
        "0m",
        "warning",
        "{{ $labels.instance }} ({{ $labels.job }}) restarted {{ $value }} times in an hour",
        "Its task keeps being replaced: `docker service ps --no-trunc <service>` shows why (exit "
        "code, failed health check, out of memory).",
        f"> {MAX_RESTARTS} restarts",
        RESTART_WINDOW,
    )
