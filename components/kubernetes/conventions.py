"""Kubernetes building blocks every component shares: labels and secure defaults.

These return plain dicts in the Kubernetes API's own (camelCase) shape, which the
pulumi-kubernetes input types accept as they are.
"""

from __future__ import annotations

from typing import Any

PART_OF = "technovastore"
MANAGED_BY = "pulumi"
# Pods with this label may reach the Redis data stores (see AppNamespace's policies).
REDIS_CLIENT_LABEL = "technovastore.io/redis-client"
# Which traffic tier a pod belongs to: cdn, edge, gateway, backend or data.
TIER_LABEL = "technovastore.io/tier"
# A non-root UID/GID that exists in no base image, so nothing relies on its name.
RUNTIME_UID = 10001


def selector_labels(name: str) -> dict[str, str]:
    """The stable subset used by selectors (never change these on a live workload)."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


def labels(name: str, component: str, *, version: str | None = None, **extra: str) -> dict[str, str]:
    """The recommended ``app.kubernetes.io/*`` labels, plus any extra ones."""
    result = {
        **selector_labels(name),
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    if version:
        result["app.kubernetes.io/version"] = version[:63]
    result.update(extra)
    return result


def pod_security_context(uid: int = RUNTIME_UID) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> dict[str, Any]:
    """Restricted Pod Security, and then some: read-only root, no capabilities at all."""
    return {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def http_probe(path: str, port: int | str, *, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def zone_spread(selector: dict[str, str]) -> list[dict[str, Any]]:
    """Spread replicas over zones where the scheduler can (never a reason to leave one pending)."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector},
        }
    ]


def topology_spread(selector: dict[str, str], *, strict_hostname: bool) -> list[dict[str, Any]]:
    """Spread replicas over nodes and zones; ``strict_hostname`` refuses to co-locate."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule" if strict_hostname else "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector},
        },
        *zone_spread(selector),
    ]


def namespace_peer(name: str) -> dict[str, Any]:
    """A NetworkPolicy peer: every pod of the namespace ``name``."""
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def hpa_owned_deployment_spec(
    name: str, *, pod_metadata: dict[str, Any], pod_spec: dict[str, Any]
) -> dict[str, Any]:
    """A Deployment spec whose replica count belongs to an HPA.

    No ``replicas``: re-applying a number on every ``pulumi up`` would fight the HPA. Rolling
    updates surge instead of taking pods away, so capacity never dips during a rollout.
    """
    return {
        "selector": {"matchLabels": selector_labels(name)},
        "revisionHistoryLimit": 5,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "template": {"metadata": pod_metadata, "spec": pod_spec},
    }


def disruption_budget(min_replicas: int) -> dict[str, int]:
    """A PDB budget that always allows one voluntary eviction.

    minAvailable stays below the HPA minimum (a budget equal to it blocks every drain);
    with a single replica the only budget that still allows eviction is maxUnavailable 1.
    """
    if min_replicas >= 2:
        return {"minAvailable": min_replicas - 1}
    return {"maxUnavailable": 1}


def disruption_budget_spec(name: str, min_replicas: int) -> dict[str, Any]:
    """A PodDisruptionBudget spec for the workload ``name`` scaled from ``min_replicas``."""
    return {
        **disruption_budget(min_replicas),
        "selector": {"matchLabels": selector_labels(name)},
        # A crash-looping pod must not block node drains.
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
    }


def service_host(name: str, namespace: str) -> str:
    """The cluster DNS name of a Service."""
    return f"{name}.{namespace}.svc.cluster.local"
