"""AutoscaledService: one application service as Deployment, Service, HPA and PDB."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.hpa_behavior import hpa_behavior
from components.kubernetes.checksums import SECRET_CHECKSUM_ANNOTATION
from components.kubernetes.conventions import (
    REDIS_CLIENT_LABEL,
    TIER_LABEL,
    container_security_context,
    disruption_budget_spec,
    hpa_owned_deployment_spec,
    http_probe,
    labels,
    pod_security_context,
    selector_labels,
    service_host,
    topology_spread,
)
from components.kubernetes.redis_pods import secret_env
from components.settings.scaling import ScalingSettings
from components.workloads import AppWorkload, EnvVar, PlainEnv


def utilization_metric(resource: str, percent: int) -> dict[str, Any]:
    """An HPA metric: the pods' average use of ``resource``, as a percentage of their requests."""
    return {
        "type": "Resource",
        "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": percent}},
    }


def hpa_metrics(scaling: ScalingSettings) -> list[dict[str, Any]]:
    up = scaling.scale_up
    metrics = [utilization_metric("cpu", up.cpu_percent), utilization_metric("memory", up.memory_percent)]
    if scaling.custom_metrics:
        metrics.append(
            {
                "type": "Pods",
                "pods": {
                    "metric": {"name": scaling.response_time_metric},
                    "target": {"type": "AverageValue", "averageValue": str(up.response_time_ms)},
                },
            }
        )
    return metrics


def env_var(var: EnvVar, secret_name: pulumi.Input[str]) -> dict[str, Any]:
    """A container env entry; secret values only as a secretKeyRef to the Redis credentials."""
    if isinstance(var, PlainEnv):
        return {"name": var.name, "value": var.value}
    return secret_env(var.name, secret_name, var.key)


class AutoscaledService(pulumi.ComponentResource):
    """A stateless service that the HPA scales between its min and max replicas."""

    service_name: pulumi.Output[str]
    host: pulumi.Output[str]
    port: int
    min_replicas: int
    max_replicas: int

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        workload: AppWorkload,
        scaling: ScalingSettings,
        strict_spread: bool,
        secret_name: pulumi.Input[str],
        secret_checksum: pulumi.Output[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``secret_checksum``: a digest of the Secret values the env reads (rolls the pods)."""
        super().__init__("technovastore:service:AutoscaledService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        service, version = workload, workload.version
        pod_labels = labels(
            name,
            service.tier,
            version=version,
            **{TIER_LABEL: service.tier},
            **({REDIS_CLIENT_LABEL: "true"} if service.uses_redis else {}),
        )
        metadata = {
            "name": name,
            "namespace": namespace,
            "labels": labels(name, service.tier, version=version),
        }
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=metadata,
            spec=hpa_owned_deployment_spec(
                name,
                pod_metadata=self._pod_metadata(pod_labels, secret_checksum),
                pod_spec=self._pod_spec(name, workload, strict_spread, secret_name),
            ),
            opts=child,
        )
        svc = k8s.core.v1.Service(
            f"{name}-service",
            metadata=metadata,
            spec={
                "type": "ClusterIP",
                "selector": selector_labels(name),
                "ports": [{"name": "http", "port": service.port, "targetPort": "http", "protocol": "TCP"}],
            },
            opts=child,
        )
        down = scaling.scale_down
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata={
                **metadata,
                # autoscaling/v2 has one target per metric; the scale-down thresholds are
                # recorded for dashboards and alerts, the calm behavior below enforces them.
                "annotations": {
                    "technovastore.io/scale-down-thresholds": (
                        f"cpu={down.cpu_percent}%,memory={down.memory_percent}%,"
                        f"responseTime={down.response_time_ms}ms"
                    )
                },
            },
            spec={
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": service.min_replicas,
                "maxReplicas": service.max_replicas,
                "metrics": hpa_metrics(scaling),
                "behavior": hpa_behavior(scaling),
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[deployment]),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=metadata,
            spec=disruption_budget_spec(name, service.min_replicas),
            opts=child,
        )
        self.service_name = svc.metadata.apply(lambda m: m.name or name)
        self.host = pulumi.Output.from_input(service_host(name, namespace))
        self.port = service.port
        self.min_replicas = service.min_replicas
        self.max_replicas = service.max_replicas
        self.register_outputs({"service_name": self.service_name, "host": self.host})

    @staticmethod
    def _pod_metadata(
        pod_labels: dict[str, str], secret_checksum: pulumi.Output[str] | None
    ) -> dict[str, Any]:
        # Environment variables from a Secret are read when a container starts: a changed
        # value must roll the pods, or old and new ones would hold different passwords.
        if secret_checksum is None:
            return {"labels": pod_labels}
        return {"labels": pod_labels, "annotations": {SECRET_CHECKSUM_ANNOTATION: secret_checksum}}

    @staticmethod
    def _pod_spec(
        name: str, service: AppWorkload, strict_spread: bool, secret_name: pulumi.Input[str]
    ) -> dict[str, Any]:
        return {
            "automountServiceAccountToken": False,
            "securityContext": pod_security_context(),
            "terminationGracePeriodSeconds": 30,
            "topologySpreadConstraints": topology_spread(
                selector_labels(name), strict_hostname=strict_spread
            ),
            "containers": [
                {
                    "name": name,
                    "image": service.image,
                    "imagePullPolicy": "IfNotPresent",
                    "ports": [{"name": "http", "containerPort": service.port, "protocol": "TCP"}],
                    "env": [env_var(var, secret_name) for var in service.env],
                    "resources": service.resources.model_dump(),
                    # Startup allows 150 s to boot before liveness may restart the pod.
                    "startupProbe": http_probe(service.readiness_path, "http", period=5, failures=30),
                    "readinessProbe": http_probe(service.readiness_path, "http", period=5, failures=3),
                    "livenessProbe": http_probe(service.liveness_path, "http", period=10, failures=3),
                    "securityContext": container_security_context(),
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                }
            ],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
        }
