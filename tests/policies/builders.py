"""Hand-built resources in the wire shape the mock runtime captures, compliant by default.

Each builder returns a ``DeclaredResource``; keyword arguments or ``edit`` break it on purpose.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import unknown_checking_proxy

from components.kubernetes.conventions import (
    REDIS_CLIENT_LABEL,
    TIER_LABEL,
    container_security_context,
    http_probe,
    labels,
    pod_security_context,
    selector_labels,
    topology_spread,
)
from policies.offline import to_policy_resources
from preview.synth import DeclaredResource

NS = "technovastore"
API_VERSIONS = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "ReplicaSet": "apps/v1",
    "ReplicationController": "v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "Pod": "v1",
    "ServiceAccount": "v1",
    "Ingress": "networking.k8s.io/v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "ClusterRole": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    "ClusterRoleBinding": "rbac.authorization.k8s.io/v1",
    "Service": "v1",
    "ConfigMap": "v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "Secret": "v1",
}
Edit = Callable[[dict[str, Any]], Any]


def resource_type(kind: str) -> str:
    """The provider's type token: ``kubernetes:<group>/<version>:<Kind>``, the core group named ``core``."""
    api_version = API_VERSIONS[kind]
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{kind}"


def resource(
    type_: str, name: str, inputs: dict[str, Any], *, ignore_changes: tuple[str, ...] = ()
) -> DeclaredResource:
    return DeclaredResource(
        urn=f"urn:pulumi:test::technovastore-scaling::{type_}::{name}",
        type=type_,
        name=name,
        parent=None,
        custom=True,
        inputs=inputs,
        ignore_changes=ignore_changes,
    )


def kube(
    kind: str, name: str, spec: dict[str, Any] | None = None, *, edit: Edit | None = None, **extra: Any
) -> DeclaredResource:
    inputs: dict[str, Any] = {
        "apiVersion": API_VERSIONS[kind],
        "kind": kind,
        "metadata": {"name": name, "namespace": NS, "labels": labels(name, "test")},
        **extra,
    }
    if spec is not None:
        inputs["spec"] = spec
    if edit:
        edit(inputs)
    return resource(resource_type(kind), f"{name}-{kind.lower()}", inputs, ignore_changes=())


def container(
    name: str = "web", *, image: str = "ghcr.io/technovastore/web:1.0.0", port: int = 8080
) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "env": [{"name": "PORT", "value": str(port)}],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "readinessProbe": http_probe("/health/ready", "http", period=5, failures=3),
        "livenessProbe": http_probe("/health/live", "http", period=10, failures=3),
        "securityContext": container_security_context(),
    }


def pod_spec(*containers: dict[str, Any], name: str = "web") -> dict[str, Any]:
    return {
        "automountServiceAccountToken": False,
        "securityContext": pod_security_context(),
        "topologySpreadConstraints": topology_spread(selector_labels(name), strict_hostname=True),
        "containers": list(containers) or [container(name)],
    }


def pod_labels(name: str, tier: str = "backend", **extra: str) -> dict[str, str]:
    return labels(name, tier, **{TIER_LABEL: tier}, **extra)


def deployment(
    name: str = "web", *, tier: str = "backend", edit: Edit | None = None, **pod_extra: str
) -> DeclaredResource:
    spec = {
        "selector": {"matchLabels": selector_labels(name)},
        "template": {
            "metadata": {"labels": pod_labels(name, tier, **pod_extra)},
            "spec": pod_spec(name=name),
        },
    }
    return kube("Deployment", name, spec, edit=edit)


def pod_of(workload: DeclaredResource) -> dict[str, Any]:
    return workload.inputs["spec"]["template"]["spec"]


def first_container(inputs: dict[str, Any]) -> dict[str, Any]:
    return inputs["spec"]["template"]["spec"]["containers"][0]


def service(
    name: str = "web",
    *,
    selector: dict[str, str] | None = None,
    type_: str = "ClusterIP",
    port: int = 80,
    target_port: Any = "http",
) -> DeclaredResource:
    return kube(
        "Service",
        name,
        {
            "type": type_,
            "selector": selector if selector is not None else selector_labels(name),
            "ports": [{"name": "http", "port": port, "targetPort": target_port, "protocol": "TCP"}],
        },
    )


def scale_up(
    window: int = 0, percent: int = 100, pods: int = 4, period: int = 15, select: str = "Max"
) -> dict[str, Any]:
    return {
        "stabilizationWindowSeconds": window,
        "selectPolicy": select,
        "policies": [
            {"type": "Percent", "value": percent, "periodSeconds": period},
            {"type": "Pods", "value": pods, "periodSeconds": period},
        ],
    }


def hpa(
    name: str = "web",
    *,
    min_replicas: int = 2,
    max_replicas: int = 6,
    cpu: int = 70,
    memory: int = 80,
    target: str | None = None,
    behavior: dict[str, Any] | None = None,
) -> DeclaredResource:
    return kube(
        "HorizontalPodAutoscaler",
        name,
        {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target or name},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}},
                },
                {
                    "type": "Resource",
                    "resource": {
                        "name": "memory",
                        "target": {"type": "Utilization", "averageUtilization": memory},
                    },
                },
            ],
            "behavior": behavior if behavior is not None else {"scaleUp": scale_up()},
        },
    )


def pdb(
    name: str = "web", *, budget: dict[str, Any] | None = None, selector: dict[str, str] | None = None
) -> DeclaredResource:
    return kube(
        "PodDisruptionBudget",
        name,
        {
            **(budget if budget is not None else {"maxUnavailable": 1}),
            "selector": {"matchLabels": selector if selector is not None else selector_labels(name)},
        },
    )


def network_policy(name: str, spec: dict[str, Any]) -> DeclaredResource:
    return kube("NetworkPolicy", name, spec)


def default_deny() -> DeclaredResource:
    return network_policy("default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def allow_tier(
    tier: str = "backend", callers: tuple[str, ...] = ("gateway",), ports: list[int] | None = None
) -> DeclaredResource:
    rule: dict[str, Any] = {
        "from": [
            {
                "podSelector": {
                    "matchExpressions": [{"key": TIER_LABEL, "operator": "In", "values": list(callers)}]
                }
            }
        ]
    }
    if ports:
        rule["ports"] = [{"protocol": "TCP", "port": p} for p in ports]
    return network_policy(
        f"allow-ingress-to-{tier}",
        {"podSelector": {"matchLabels": {TIER_LABEL: tier}}, "policyTypes": ["Ingress"], "ingress": [rule]},
    )


def app_stack(name: str = "web") -> list[DeclaredResource]:
    """A compliant autoscaled service with its guard rails."""
    return [deployment(name), service(name), hpa(name), pdb(name), default_deny(), allow_tier()]


def configmap(name: str, data: dict[str, str]) -> DeclaredResource:
    return kube("ConfigMap", name, None, data=data)


def edited(item: DeclaredResource, edit: Edit) -> DeclaredResource:
    inputs = copy.deepcopy(item.inputs)
    edit(inputs)
    return resource(item.type, item.name, inputs, ignore_changes=item.ignore_changes)


def engine_proxies(resources: list[DeclaredResource]) -> list[PolicyResource]:
    """The resources as a real preview hands them over: read-only, unknown-checking proxies."""
    return [
        PolicyResource(
            r.resource_type, unknown_checking_proxy(dict(r.props)), r.urn, r.name, r.opts, None, None, [], {}
        )
        for r in to_policy_resources(resources)
    ]


__all__ = ["REDIS_CLIENT_LABEL", "TIER_LABEL"]
