"""The stack as stack-level policies see it: workloads with their pods, and what targets them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from policies.hpa import api_group, scale_target
from policies.kube import (
    CLUSTER_SCOPED_KINDS,
    containers,
    dig,
    is_empty_selector,
    kind_of,
    mapping,
    object_name,
    object_namespace,
    policy_types,
    selector_matches,
    sequence,
)
from policies.spec import describe
from policies.workloads import PodTemplate, pod_template

# Groups that served the same workload kinds before apps/v1 (an HPA may still name them).
_LEGACY_GROUPS = {"apps": ("apps", "extensions"), "extensions": ("apps", "extensions")}


@dataclass(frozen=True)
class KubeObject:
    resource: PolicyResource
    kind: str
    name: str
    namespace: str | None

    @property
    def props(self) -> Mapping[str, Any]:
        return self.resource.props

    @property
    def urn(self) -> str:
        return self.resource.urn

    @property
    def spec(self) -> Mapping[str, Any]:
        return mapping(self.props.get("spec"))

    @property
    def api_version(self) -> str | None:
        value = self.props.get("apiVersion")
        return value if isinstance(value, str) else None

    def describe(self) -> str:
        return describe(self.resource.resource_type, self.props, self.resource.name)


@dataclass(frozen=True)
class Workload(KubeObject):
    pod: PodTemplate

    @property
    def serving(self) -> bool:
        return self.pod.long_running

    @property
    def replicas(self) -> int | None:
        """The pods it runs without an autoscaler (spec.replicas defaulted as the API does)."""
        return self.pod.replicas


class StackView:
    """Indexes the stack's Kubernetes objects once; tolerant of anything it does not know."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.objects: list[KubeObject] = []
        self.workloads: list[Workload] = []
        for resource in resources:
            props = resource.props if isinstance(resource.props, Mapping) else {}
            kind = kind_of(resource.resource_type, props)
            if kind is None:
                continue
            name = object_name(props) or resource.name
            # Objects that name no namespace land in "default", as kubectl and the provider put them.
            namespace = None if kind in CLUSTER_SCOPED_KINDS else (object_namespace(props) or "default")
            template = pod_template(kind, props)
            if template is not None:
                workload = Workload(resource, kind, name, namespace, template)
                self.workloads.append(workload)
                self.objects.append(workload)
            else:
                self.objects.append(KubeObject(resource, kind, name, namespace))

    def of_kind(self, kind: str) -> list[KubeObject]:
        return [o for o in self.objects if o.kind == kind]

    def serving_workloads(self) -> list[Workload]:
        return [w for w in self.workloads if w.serving]

    def workloads_selected_by(self, selector: Any, namespace: str | None) -> list[Workload]:
        """Workloads of any kind in ``namespace`` whose pods a non-empty selector matches."""
        if is_empty_selector(selector):
            return []
        return [
            w for w in self.workloads if w.namespace == namespace and selector_matches(selector, w.pod.labels)
        ]

    def find(self, kind: str, name: str, namespace: str | None) -> KubeObject | None:
        for item in self.objects:
            if item.kind == kind and item.name == name and item.namespace == namespace:
                return item
        return None

    def ingress_policies_for(self, workload: Workload) -> list[KubeObject]:
        """NetworkPolicies that select this workload's pods by label (not namespace-wide) for ingress."""
        return [
            p
            for p in self.of_kind("NetworkPolicy")
            if p.namespace == workload.namespace
            and not is_empty_selector(p.spec.get("podSelector"))
            and selector_matches(p.spec.get("podSelector"), workload.pod.labels)
            and "Ingress" in policy_types(p.spec)
        ]

    def isolating_policies(self, workload: Workload, policy_type: str) -> list[KubeObject]:
        """NetworkPolicies (namespace-wide ones included) that restrict this traffic of its pods."""
        return [
            p
            for p in self.of_kind("NetworkPolicy")
            if p.namespace == workload.namespace
            and selector_matches(p.spec.get("podSelector"), workload.pod.labels)
            and policy_type in policy_types(p.spec)
        ]

    def hpa_for(self, workload: Workload) -> KubeObject | None:
        """The HPA (any API version) whose scaleTargetRef names this workload."""
        for hpa in self.of_kind("HorizontalPodAutoscaler"):
            api_version, kind, name = scale_target(hpa.spec)
            if (kind, name, hpa.namespace) == (workload.kind, workload.name, workload.namespace) and (
                api_version is None or same_group(api_version, workload.api_version)
            ):
                return hpa
        return None


def same_group(api_version: str, other: str | None) -> bool:
    """Do two apiVersions name the same API group (versions may differ)?"""
    group, other_group = api_group(api_version), api_group(other)
    return group == other_group or other_group in _LEGACY_GROUPS.get(group, ())


def ignores(resource: PolicyResource, path: str) -> bool:
    """Does the resource's ignoreChanges cover ``path`` (wire names, e.g. ``spec.replicas``)?"""
    ignored: Sequence[str] = sequence(getattr(resource.opts, "ignore_changes", None))
    return any(path == item or path.startswith(f"{item}.") for item in ignored)


def container_port_names(workload: Workload) -> set[str]:
    return {
        str(dig(port, "name"))
        for container in containers(workload.pod.spec, include_init=False)
        for port in sequence(container.container.get("ports"))
        if dig(port, "name")
    }
