"""What each kind of destructive change does, and what to do instead, for one changed resource."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from preview.renames import RenameSuggestion
from preview.rollout import changed_keys, consumers, rollout_note
from preview.verdicts import ResourceChange

TIER_LABEL = "technovastore.io/tier"
VOLUME_CLAIMS = "spec.volumeClaimTemplates"


@dataclass(frozen=True)
class Danger:
    action: str
    kind: str
    name: str
    # ``type name`` as the diff lists the resource.
    resource: str
    why: str
    instead: str
    acknowledged: bool = False

    @property
    def key(self) -> str:
        """What the stack's ``acknowledge`` list names to allow it: ``<action>:<Kind>/<name>``."""
        return f"{self.action}:{self.kind}/{self.name}"


def rename_text(rename: RenameSuggestion, changes: list[ResourceChange]) -> Danger:
    kind = rename.type.rsplit(":", 1)[-1]
    lost = sorted(
        f"{c.type.rsplit(':', 1)[-1]} {c.name}"
        for c in changes
        if c.op == "delete" and c.urn in rename.covered and _holds_data(c.type)
    )
    why = (
        f"its URN changed (it was {rename.old_urn}). Without an alias the engine creates the "
        f"{rename.resources} resources under the new URNs first and deletes the old ones after: every "
        "named Kubernetes object fails with AlreadyExists (or is deleted with its old resource), and "
        "generated passwords get new values."
    )
    if lost:
        why += f" Data and credentials deleted on the way: {', '.join(lost)}."
    instead = (
        f"add `{rename.code}` to its `pulumi.ResourceOptions` (its children inherit it); the preview then "
        "pairs every resource with its deployed one again."
    )
    return Danger("rename", kind, rename.name, f"{rename.type} {rename.name}", why, instead)


def _holds_data(type_: str) -> bool:
    return type_.rsplit(":", 1)[-1] in ("StatefulSet", "PersistentVolumeClaim", "Namespace", "Secret")


def change_text(
    change: ResourceChange,
    kind: str,
    document: Mapping[str, Any],
    documents: Iterable[Mapping[str, Any]],
    changes: list[ResourceChange],
) -> Danger | None:
    """The danger of one change of a Kubernetes object (or of any protected resource); None if none."""
    metadata = document.get("metadata") or {}
    name = str(metadata.get("name") or change.name)
    namespace = str(metadata.get("namespace") or "")
    resource = f"{change.type} {change.name}"
    if kind == "Secret" and any(f.secret for f in change.fields):
        danger = _rotation(change, name, namespace, resource, list(documents), changes)
    elif change.op in ("replace", "delete") and kind in _REMOVALS:
        why, instead = _REMOVALS[kind](change, name, namespace, document)
        # A namespace whose name changes moves: the program's own check names it a rename.
        action = "rename" if kind == "Namespace" and "metadata.name" in change.replace_because else change.op
        danger = Danger(action, kind, name, resource, why, instead)
    elif change.blocked:
        danger = Danger(change.op, kind, name, resource, "", "keep the fields that force the replacement.")
    else:
        return None
    return _refused(danger, change.blocked) if change.blocked else danger


def _refused(danger: Danger, blocked: str) -> Danger:
    """The engine will refuse this step outright: say so first, and how to let it through."""
    option = "the `import_` option" if "import_" in blocked else "`protect`"
    why = f"{blocked}. {danger.why[:1].upper()}{danger.why[1:]}".strip()
    instead = (
        f"if this is meant, remove {option} in a change of its own and deploy it first; else {danger.instead}"
    )
    return replace(danger, why=why, instead=instead)


def _how_removed(change: ResourceChange) -> str:
    if change.op == "delete":
        return "it is deleted"
    because = ", ".join(f"`{path}`" for path in change.replace_because)
    order = "deletes it first (it keeps its name)" if change.delete_first else "creates the new one first"
    return f"it is replaced ({because} cannot change in place) and the provider {order}"


def _statefulset(change: ResourceChange, name: str, ns: str, document: Mapping[str, Any]) -> tuple[str, str]:
    replicas = (document.get("spec") or {}).get("replicas", "all")
    why = f"{_how_removed(change)}: all {replicas} of its pods stop at once."
    claims_changed = any(path.startswith(VOLUME_CLAIMS) for path in change.replace_because)
    templates = [
        t.get("metadata", {}).get("name")
        for t in (document.get("spec") or {}).get("volumeClaimTemplates") or []
    ]
    claim = f"{templates[0]}-{name}-<ordinal>" if len(templates) == 1 else f"<template>-{name}-<ordinal>"
    if claims_changed:
        why += (
            " The new StatefulSet re-uses the existing claims as they are: Kubernetes never applies a "
            "claim template to claims that exist, so not one volume changes."
        )
        instead = (
            f"change the claims themselves (a larger size: `kubectl patch pvc {claim} -n {ns}` "
            "with the new `spec.resources.requests.storage`, where the StorageClass allows expansion), then "
            f"{_orphan(name, ns)} and the new StatefulSet adopts them and rolls them one at a time."
        )
    elif change.op == "delete":
        why = f"{_how_removed(change)}: its pods stop; its claims stay behind but nothing serves their data."
        instead = "keep it; retire a data store in a change of its own, after its clients have moved away."
    else:
        instead = (
            f"{_orphan(name, ns)} and the new StatefulSet adopts them and rolls them one at a time; or keep "
            "the fields that force the replacement as they are."
        )
    return why, instead


def _orphan(name: str, ns: str) -> str:
    command = f"kubectl delete statefulset {name} -n {ns} --cascade=orphan"
    return f"`{command}` right before `pulumi up`: the pods keep running"


def _claim(change: ResourceChange, name: str, ns: str, document: Mapping[str, Any]) -> tuple[str, str]:
    why = (
        f"{_how_removed(change)}: the claim's volume is released, and with the usual reclaim policy Delete "
        "its data is gone."
    )
    instead = (
        "keep the claim: its size can grow in place (where the StorageClass allows expansion); copy the data "
        "to a new claim before the old one goes."
    )
    return why, instead


def _namespace(change: ResourceChange, name: str, ns: str, document: Mapping[str, Any]) -> tuple[str, str]:
    why = (
        f"{_how_removed(change)}: deleting a namespace deletes everything in it: pods, Services, Secrets "
        "and PersistentVolumeClaims with their data."
    )
    instead = (
        "create the new namespace beside the old one, move the workloads and their data, and delete the old "
        "namespace in a change of its own once it is empty."
    )
    return why, instead


def _secret(change: ResourceChange, name: str, ns: str, document: Mapping[str, Any]) -> tuple[str, str]:
    why = (
        f"{_how_removed(change)}: it holds credentials; pods that start while it is missing fail "
        "(CreateContainerConfigError), and a value generated for it is lost."
    )
    instead = "keep its name, namespace and type; change values by rotating them."
    return why, instead


def _workload(change: ResourceChange, name: str, ns: str, document: Mapping[str, Any]) -> tuple[str, str]:
    tier = ((document.get("metadata") or {}).get("labels") or {}).get(TIER_LABEL, "its")
    if change.op == "replace" and not change.delete_first:
        why = f"{_how_removed(change)}: for a moment two copies run under one name."
    else:
        why = f"{_how_removed(change)}: every replica of the {tier} tier's {name} stops at once."
    instead = (
        f"create the changed workload under a new name beside `{name}`, move its Service and autoscaler to "
        "it once it is ready, and delete the old one afterwards; or keep the fields that force the "
        "replacement as they are."
    )
    return why, instead


_REMOVALS = {
    "StatefulSet": _statefulset,
    "PersistentVolumeClaim": _claim,
    "Namespace": _namespace,
    "Secret": _secret,
    "Deployment": _workload,
    "DaemonSet": _workload,
}


def _rotation(
    change: ResourceChange,
    name: str,
    namespace: str,
    resource: str,
    documents: list[Mapping[str, Any]],
    changes: list[ResourceChange],
) -> Danger:
    fields = ", ".join(f"`{f.path}`" for f in change.fields if f.secret)
    note = rollout_note(consumers("Secret", namespace, name, documents, changes, changed_keys(change)))
    how = _how_removed(change) if change.op == "replace" else "it is updated in place"
    why = f"secret values change ({fields}); {how}. {note[0].upper()}{note[1:]}."
    instead = (
        "rotate in two steps so servers and clients never disagree: add the new password beside the old one "
        "(a Redis ACL user accepts several), roll the servers, then the clients, then remove the old one."
    )
    return Danger("rotate", "Secret", name, resource, why, instead)
