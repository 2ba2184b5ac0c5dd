"""Which pods a changed Secret or ConfigMap reaches, and which of them will restart to see it.

Kubernetes does not restart a pod when a Secret or ConfigMap it reads changes: environment
variables are read when a container starts, and a program reads its files when it starts.
A pod sees the new value when its workload rolls, which happens when the workload's pod
template changes (here: a checksum annotation or an image in the same change).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from preview.verdicts import ResourceChange

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet")
# How a pod names the object: (kind of the object, reference kind in the pod spec)
_VOLUME_SOURCES = {"Secret": ("secret", "secretName"), "ConfigMap": ("configMap", "name")}
_ENV_REFERENCES = {"Secret": ("secretKeyRef", "secretRef"), "ConfigMap": ("configMapKeyRef", "configMapRef")}


@dataclass(frozen=True)
class Consumer:
    kind: str
    name: str
    # How it reads the object: ``env REDIS_PASSWORD``, ``volume secrets``.
    reads: tuple[str, ...]
    # Its pod template changes in the same change set: its pods restart.
    rolls: bool

    def __str__(self) -> str:
        return f"{self.kind} {self.name} ({', '.join(self.reads)})"


def consumers(
    kind: str,
    namespace: str,
    name: str,
    documents: Iterable[Mapping[str, Any]],
    changes: list[ResourceChange],
    keys: Collection[str] | None = None,
) -> list[Consumer]:
    """The workloads in ``namespace`` whose pods read ``keys`` (None: any) of the ``kind`` ``name``."""
    rolling = {
        (change.type.rsplit(":", 1)[-1], change.name)
        for change in changes
        if change.op == "replace" or any(f.path.startswith("spec.template") for f in change.fields)
    }
    found = []
    for document in documents:
        metadata = document.get("metadata") or {}
        if document.get("kind") not in WORKLOADS or metadata.get("namespace") != namespace:
            continue
        reads = _references(_pod_spec(document), kind, name, keys)
        if reads:
            workload = str(metadata.get("name"))
            rolls = (str(document["kind"]), f"{namespace}/{workload}") in rolling
            found.append(Consumer(str(document["kind"]), workload, reads, rolls))
    return sorted(found, key=lambda c: (c.kind, c.name))


def _pod_spec(workload: Mapping[str, Any]) -> Mapping[str, Any]:
    return ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}


def _references(
    pod: Mapping[str, Any], kind: str, name: str, keys: Collection[str] | None
) -> tuple[str, ...]:
    source, name_key = _VOLUME_SOURCES[kind]
    key_ref, all_ref = _ENV_REFERENCES[kind]
    reads: list[str] = []
    for volume in pod.get("volumes") or []:
        sources = [volume.get(source) or {}]
        sources += [s.get(source) or {} for s in (volume.get("projected") or {}).get("sources") or []]
        mounted = [s for s in sources if s.get(name_key if s is sources[0] else "name") == name]
        if any(_reads_any(s.get("items"), keys) for s in mounted):
            reads.append(f"volume {volume.get('name')}")
    for container in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
        for env in container.get("env") or []:
            reference = (env.get("valueFrom") or {}).get(key_ref) or {}
            if reference.get("name") == name and (keys is None or reference.get("key") in keys):
                reads.append(f"env {env.get('name')}")
        for env_from in container.get("envFrom") or []:
            if (env_from.get(all_ref) or {}).get("name") == name:
                reads.append(f"envFrom in {container.get('name')}")
    return tuple(dict.fromkeys(reads))


def _reads_any(items: list[Mapping[str, Any]] | None, keys: Collection[str] | None) -> bool:
    """A volume without ``items`` mounts every key; with them, only those keys."""
    return keys is None or not items or any(item.get("key") in keys for item in items)


def rollout_note(found: list[Consumer]) -> str:
    """One sentence for a reviewer: who restarts with the new value, who keeps the old one."""
    if not found:
        return "no workload in the namespace reads it"
    rolling = [str(c) for c in found if c.rolls]
    staying = [str(c) for c in found if not c.rolls]
    parts = []
    if rolling:
        parts.append(f"pods that roll (their template changes too): {', '.join(rolling)}")
    if staying:
        parts.append(f"pods that do not restart and keep the old value until they do: {', '.join(staying)}")
    return "; ".join(parts)


_DATA_FIELDS = ("data", "stringData", "binaryData")


def changed_keys(change: ResourceChange) -> set[str] | None:
    """The Secret's or ConfigMap's keys whose values change; None when the whole object does."""
    keys: set[str] = set()
    for field_change in change.fields:
        head, _, key = field_change.path.partition(".")
        if head in _DATA_FIELDS and key:
            keys.add(key)
        elif head in _DATA_FIELDS or change.op == "replace":
            return None
    return keys
