"""The one accessor for every kind that runs pods: the pod it runs and how many, as the API says.

Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job and CronJob all
carry a pod spec at a different path; rules read them through :func:`pod_template` and never
test kinds themselves, so a rule written for Deployments holds for a bare Pod or a CronJob too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.kube import as_int, dig, mapping

# Where each kind keeps its pod: (path to the pod template, or () for a Pod itself).
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
POD_BEARING_KINDS = tuple(_TEMPLATE_PATHS)
# Kinds whose spec.replicas the API defaults to 1 and an HPA may own.
REPLICATED_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")
# Kinds whose pods run to completion: they serve nothing, so probes and spreading do not apply.
BATCH_KINDS = ("Job", "CronJob")


@dataclass(frozen=True)
class PodTemplate:
    """The pod an object runs: its labels, annotations and spec (for a bare Pod, the object itself)."""

    kind: str
    labels: Mapping[str, Any]
    annotations: Mapping[str, Any]
    spec: Mapping[str, Any]
    spec_path: tuple[str, ...]
    object_spec: Mapping[str, Any]

    @property
    def long_running(self) -> bool:
        """Its pods are meant to keep running (and usually serve), unlike a Job's."""
        return self.kind not in BATCH_KINDS

    @property
    def declared_replicas(self) -> int | None:
        """spec.replicas as written (None when omitted or not a number)."""
        return as_int(self.object_spec.get("replicas")) if self.kind in REPLICATED_KINDS else None

    @property
    def replicas(self) -> int | None:
        """How many pods the API runs when nothing else scales it; None for a DaemonSet (one per node).

        spec.replicas defaults to 1 for the replicated kinds, as the API server defaults it; a Job
        runs ``parallelism`` pods at a time (default 1); a bare Pod is one pod.
        """
        if self.kind in REPLICATED_KINDS:
            declared = self.declared_replicas
            return 1 if declared is None else declared
        if self.kind == "Job":
            parallelism = as_int(self.object_spec.get("parallelism"))
            return 1 if parallelism is None else parallelism
        if self.kind == "CronJob":
            parallelism = as_int(dig(self.object_spec, "jobTemplate", "spec", "parallelism"))
            return 1 if parallelism is None else parallelism
        return None if self.kind == "DaemonSet" else 1

    @property
    def known_single(self) -> bool:
        """Declared to run at most one pod: spec.replicas written as 0 or 1.

        A workload that omits spec.replicas runs one pod by the API's default, but it is usually
        one whose count an autoscaler owns (HPA-owned workloads omit it on purpose), so rules
        about replicated workloads (disruption budgets, spreading) hold it to that standard.
        """
        declared = self.declared_replicas
        return declared is not None and declared < 2


def pod_template(kind: str | None, props: Mapping[str, Any]) -> PodTemplate | None:
    """The pod ``props`` runs, or None when ``kind`` runs no pods."""
    if kind not in _TEMPLATE_PATHS:
        return None
    path = _TEMPLATE_PATHS[kind]
    template = mapping(dig(props, *path) if path else props)
    metadata = mapping(template.get("metadata"))
    return PodTemplate(
        kind=kind,
        labels=mapping(metadata.get("labels")),
        annotations=mapping(metadata.get("annotations")),
        spec=mapping(template.get("spec")),
        spec_path=(*path, "spec"),
        object_spec=mapping(props.get("spec")),
    )
