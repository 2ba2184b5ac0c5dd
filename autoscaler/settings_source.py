"""The stack settings as autoscaling rules: what the Swarm target writes into service labels.

The same settings the Kubernetes HPAs are built from: ``scaling.scaleUp`` targets (CPU and
memory always, response time with ``scaling.customMetrics``, as on Kubernetes),
``scaling.scaleUpBehavior``/``scaleDownBehavior`` through ``components.hpa_behavior`` (the one
translation both platforms use), and each service's ``minReplicas``/``maxReplicas`` and
liveness path (where the response-time probe asks when no Prometheus is configured).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autoscaler.labels import HealthEndpoint, ServiceRules
from autoscaler.spec import AutoscalingSpec, MetricTarget, behavior_from_api

if TYPE_CHECKING:
    from components.settings import Settings


def service_rules(settings: Settings, service: str) -> ServiceRules:
    from components.hpa_behavior import hpa_behavior

    scaling, config = settings.scaling, settings.services[service]
    metrics = [
        MetricTarget("cpu", scaling.scale_up.cpu_percent),
        MetricTarget("memory", scaling.scale_up.memory_percent),
    ]
    if scaling.custom_metrics:
        metrics.append(MetricTarget("response_time", scaling.scale_up.response_time_ms))
    spec = AutoscalingSpec(
        min_replicas=config.min_replicas,
        max_replicas=config.max_replicas,
        metrics=tuple(metrics),
        behavior=behavior_from_api(hpa_behavior(scaling)),
    )
    return ServiceRules(spec, HealthEndpoint(config.port, config.probes.liveness))


def cdn_rules(settings: Settings) -> ServiceRules:
    """The CDN tier: CPU only, as its Kubernetes HPA."""
    from components.hpa_behavior import hpa_behavior
    from components.render.nginx import HEALTH_PATH

    cdn = settings.cdn
    spec = AutoscalingSpec(
        min_replicas=cdn.min_replicas,
        max_replicas=cdn.max_replicas,
        metrics=(MetricTarget("cpu", settings.scaling.scale_up.cpu_percent),),
        behavior=behavior_from_api(hpa_behavior(settings.scaling)),
    )
    return ServiceRules(spec, HealthEndpoint(cdn.port, HEALTH_PATH))


def stack_rules(settings: Settings) -> dict[str, ServiceRules]:
    """Every application service of the stack and the CDN, by workload name."""
    return {**{name: service_rules(settings, name) for name in settings.services}, "cdn": cdn_rules(settings)}
