"""AppNamespace: the namespace and its guard rails (Pod Security, quota, default-deny network)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.capacity import Footprint
from components.kubernetes.conventions import REDIS_CLIENT_LABEL, TIER_LABEL, labels, namespace_peer
from components.protection import guarded
from components.render.redis_layout import REDIS_PORT, SENTINEL_PORT
from components.settings.protection import ProtectionSettings

# Which tiers may open connections to which (everything else is denied).
TIER_CALLERS: dict[str, tuple[str, ...]] = {
    "edge": ("cdn",),
    "gateway": ("cdn", "edge"),
    "backend": ("gateway",),
}
# What Redis clients connect to: the data nodes of both stores and the Sentinels (not the cluster bus).
REDIS_PORTS = (REDIS_PORT, SENTINEL_PORT)


def _tier_in(tiers: tuple[str, ...]) -> dict[str, Any]:
    return {"matchExpressions": [{"key": TIER_LABEL, "operator": "In", "values": sorted(tiers)}]}


def _callees(tier: str) -> tuple[str, ...]:
    return tuple(sorted(callee for callee, callers in TIER_CALLERS.items() if tier in callers))


class AppNamespace(pulumi.ComponentResource):
    """The namespace every workload of the stack lives in, locked down by default."""

    name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        monitoring_namespace: str,
        footprint: Footprint,
        max_container_limits: dict[str, str],
        protection: ProtectionSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:namespace:AppNamespace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._namespace = namespace
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": namespace,
                "labels": {
                    **labels(namespace, "namespace"),
                    # Restricted Pod Security: enforced, and reported on audit and warn.
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
            # Deleting the namespace deletes everything in it, the data volumes included.
            opts=guarded(protection, child),
        )
        self.name = ns.metadata.apply(lambda metadata: metadata.name or namespace)
        scoped = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=self._metadata("compute-quota"),
            spec={"hard": footprint.as_quota()},
            opts=scoped,
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=self._metadata("container-defaults"),
            spec={
                "limits": [
                    {
                        "type": "Container",
                        # For containers that forget to say: small, but never unbounded.
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                        "default": {"cpu": "500m", "memory": "256Mi"},
                        "max": max_container_limits,
                    }
                ]
            },
            opts=scoped,
        )
        for policy_name, spec in self._network_policies(monitoring_namespace).items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy_name}",
                metadata=self._metadata(policy_name),
                spec=spec,
                opts=scoped,
            )
        self.register_outputs({"name": self.name})

    def _metadata(self, name: str) -> dict[str, Any]:
        return {"name": name, "namespace": self._namespace, "labels": labels(name, "guard-rail")}

    @staticmethod
    def _network_policies(monitoring_namespace: str) -> dict[str, dict[str, Any]]:
        policies: dict[str, dict[str, Any]] = {
            "default-deny-all": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            "allow-dns-egress": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                **namespace_peer("kube-system"),
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
            "allow-redis-clients-egress": {
                "podSelector": {"matchLabels": {REDIS_CLIENT_LABEL: "true"}},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"podSelector": {"matchLabels": {TIER_LABEL: "data"}}}],
                        "ports": [{"protocol": "TCP", "port": port} for port in REDIS_PORTS],
                    }
                ],
            },
        }
        monitoring = namespace_peer(monitoring_namespace)
        for tier, callers in TIER_CALLERS.items():
            policies[f"allow-ingress-to-{tier}"] = {
                "podSelector": {"matchLabels": {TIER_LABEL: tier}},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": _tier_in(callers)}, monitoring]}],
            }
        for caller in sorted({c for callers in TIER_CALLERS.values() for c in callers}):
            policies[f"allow-egress-from-{caller}"] = {
                "podSelector": {"matchLabels": {TIER_LABEL: caller}},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"podSelector": _tier_in(_callees(caller))}]}],
            }
        return policies
