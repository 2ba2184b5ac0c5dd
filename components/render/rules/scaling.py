"""Alerts on autoscaling and restarts.

On Kubernetes the facts come from kube-state-metrics (the HPA's spec and status, container
restarts); on Swarm the autoscaler exports the same facts under its own names. Either way
the alert names and meanings are the same.
"""

from __future__ import annotations

from components.render.rules.model import Alert, MetricSources, Record, RuleGroup
from components.settings import Settings

# kube-state-metrics' HPA series are labelled with the HPA's name, which is the service's.
KSM_HPA_CURRENT = "kube_horizontalpodautoscaler_status_current_replicas"
KSM_HPA_DESIRED = "kube_horizontalpodautoscaler_status_desired_replicas"
KSM_HPA_MAX = "kube_horizontalpodautoscaler_spec_max_replicas"
KSM_HPA_CONDITION = "kube_horizontalpodautoscaler_status_condition"
KSM_WAITING_REASON = "kube_pod_container_status_waiting_reason"
KSM_RESTARTS = "kube_pod_container_status_restarts_total"
FLAPPING_WINDOW = "30m"


def scaling_rules(settings: Settings, sources: MetricSources) -> list[RuleGroup]:
    if sources.replicas != "kube-state-metrics":
        raise ValueError(f"no scaling rules for replica source {sources.replicas!r}")
    return [RuleGroup("technovastore-scaling", _kubernetes_alerts(settings, sources))]


def _kubernetes_alerts(settings: Settings, sources: MetricSources) -> list[Record | Alert]:
    scope = sources.select()
    changes = settings.monitoring.max_scaling_changes_per_30m
    return [
        Alert(
            "ServiceAtMaxReplicas",
            f"{KSM_HPA_CURRENT}{scope} >= {KSM_HPA_MAX}{scope}",
            "15m",
            "warning",
            "{{ $labels.horizontalpodautoscaler }} has run at its maximum replicas for 15 minutes",
            "The HPA wants more pods than maxReplicas allows: response times rise with the load. "
            "Raise services.<name>.maxReplicas (within scaling.maxScaleUpSeconds) or find the hot path.",
            "current >= max",
            "instant",
        ),
        Alert(
            "ScalingFlapping",
            f"changes({KSM_HPA_DESIRED}{scope}[{FLAPPING_WINDOW}]) > {changes}",
            "0m",
            "warning",
            "{{ $labels.horizontalpodautoscaler }} changed its replica target "
            "{{ $value }} times in 30 minutes",
            "Scaling up and down repeatedly: the scale-down window (scaling.scaleDownBehavior) is "
            "too short or the thresholds too close together.",
            f"> {changes} changes",
            FLAPPING_WINDOW,
        ),
        Alert(
            "ScalingInactive",
            f"{KSM_HPA_CONDITION}{sources.select(condition='ScalingActive', status='false')} == 1",
            "10m",
            "warning",
            "{{ $labels.horizontalpodautoscaler }} cannot compute a replica count",
            "The HPA's ScalingActive condition is false: usually its metrics (metrics-server or "
            "prometheus-adapter) are missing, so the service cannot scale.",
            "ScalingActive false",
            "instant",
        ),
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
            f"increase({KSM_RESTARTS}{scope}[1h]) > 3",
            "0m",
            "warning",
            "{{ $labels.pod }} ({{ $labels.container }}) restarted {{ $value | humanize }} times in an hour",
            "Frequent restarts: look at the previous container's log (kubectl logs --previous).",
            "> 3 restarts",
            "1h",
        ),
    ]
