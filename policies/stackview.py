"""The stack as stack-level policies see it: workloads with their pods, and what targets them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from policies.kube import (
    SERVING_KINDS,
    PodTemplate,
    as_int,
    containers,
    dig,
    is_empty_selector,
    kind_of,
    mapping,
    object_name,
    object_namespace,
    pod_template,
    policy_types,
    selector_matches,
    sequence,
)
from policies.spec import describe


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

    def describe(self) -> str:
        return describe(self.resource.resource_type, self.props, self.resource.name)


@dataclass(frozen=True)
class Workload(KubeObject):
    pod: PodTemplate

    @property
    def serving(self) -> bool:
        return self.kind in SERVING_KINDS

    @property
    def replicas(self) -> int | None:
        return as_int(self.spec.get("replicas"))


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
            namespace = object_namespace(props)
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
        """Serving workloads in ``namespace`` whose pods a non-empty selector matches."""
        if is_empty_selector(selector):
            return []
        return [
            w
            for w in self.serving_workloads()
            if w.namespace == namespace and selector_matches(selector, w.pod.labels)
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

    def hpa_for(self, workload: Workload) -> KubeObject | None:
        for hpa in self.of_kind("HorizontalPodAutoscaler"):
            target = mapping(hpa.spec.get("scaleTargetRef"))
            if (
                target.get("kind") == workload.kind
                and target.get("name") == workload.name
                and hpa.namespace == workload.namespace
            ):
                return hpa
        return None


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
