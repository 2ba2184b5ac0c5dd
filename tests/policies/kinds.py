"""One compliant pod wrapped in every kind that runs pods, and the objects around it.

``workload(kind)`` puts the same pod (builders.pod_spec) where each kind keeps it, so a rule can
be checked on a Deployment and a CronJob alike; the other builders make the RBAC, Ingress and
ServiceAccount objects the newer rules look at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from components.kubernetes.conventions import selector_labels
from preview.synth import DeclaredResource
from tests.policies.builders import kube, pod_labels, pod_spec

POD_BEARING_KINDS = (
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
)
PodEdit = Callable[[dict[str, Any]], Any]


def _template(name: str, tier: str, batch: bool) -> dict[str, Any]:
    spec = pod_spec(name=name)
    if batch:
        spec["restartPolicy"] = "Never"
    return {"metadata": {"labels": pod_labels(name, tier)}, "spec": spec}


def _spec_for(kind: str, name: str, template: dict[str, Any]) -> dict[str, Any]:
    if kind == "CronJob":
        return {
            "schedule": "*/5 * * * *",
            "startingDeadlineSeconds": 120,
            "jobTemplate": {"spec": {"template": template}},
        }
    if kind == "Job":
        return {"backoffLimit": 2, "template": template}
    if kind == "ReplicationController":
        return {"replicas": 2, "selector": selector_labels(name), "template": template}
    spec: dict[str, Any] = {"selector": {"matchLabels": selector_labels(name)}, "template": template}
    if kind != "DaemonSet":
        spec["replicas"] = 2
    if kind == "StatefulSet":
        spec["serviceName"] = f"{name}-headless"
    return spec


def workload(
    kind: str, name: str = "web", *, tier: str = "backend", edit_pod: PodEdit | None = None
) -> DeclaredResource:
    """A compliant object of ``kind`` running the compliant pod; ``edit_pod`` changes the pod spec."""
    template = _template(name, tier, batch=kind in ("Job", "CronJob"))
    if edit_pod:
        edit_pod(template["spec"])
    if kind == "Pod":
        return kube(
            "Pod",
            name,
            template["spec"],
            edit=lambda i: i["metadata"]["labels"].update(template["metadata"]["labels"]),
        )
    return kube(kind, name, _spec_for(kind, name, template))


def on_pod(kind: str, edit: PodEdit) -> list[DeclaredResource]:
    """A one-object stack: the compliant ``kind`` with its pod spec changed by ``edit``."""
    return [workload(kind, edit_pod=edit)]


def on_container(kind: str, edit: PodEdit) -> list[DeclaredResource]:
    """A one-object stack: the compliant ``kind`` with its first container changed by ``edit``."""
    return on_pod(kind, lambda pod: edit(pod["containers"][0]))


def pod_spec_of(item: DeclaredResource) -> dict[str, Any]:
    """The pod spec inside any pod-bearing object (to edit it in place in a test)."""
    inputs: Any = item.inputs
    kind = inputs["kind"]
    if kind == "Pod":
        return inputs["spec"]
    if kind == "CronJob":
        return inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return inputs["spec"]["template"]["spec"]


def service_account(name: str = "web", *, automount: bool | None = False) -> DeclaredResource:
    extra: dict[str, Any] = {} if automount is None else {"automountServiceAccountToken": automount}
    return kube("ServiceAccount", name, None, **extra)


def rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def role(name: str, *rules: dict[str, Any], kind: str = "Role") -> DeclaredResource:
    return kube(kind, name, None, rules=list(rules))


def binding(name: str, role_kind: str, role_name: str, *, kind: str = "RoleBinding") -> DeclaredResource:
    return kube(
        kind,
        name,
        None,
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
        subjects=[{"kind": "ServiceAccount", "name": "web", "namespace": "technovastore"}],
    )


def ingress(name: str = "web", *, service: str = "web", port: Any = 80, tls: bool = True) -> DeclaredResource:
    port_field = {"number": port} if isinstance(port, int) else {"name": port}
    spec: dict[str, Any] = {
        "rules": [
            {
                "host": "shop.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": service, "port": port_field}},
                        }
                    ]
                },
            }
        ]
    }
    if tls:
        spec["tls"] = [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
    return kube("Ingress", name, spec)
