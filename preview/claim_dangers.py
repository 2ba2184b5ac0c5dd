"""Claims a StatefulSet deletes, and a namespace that moves: the data dangers the program checks too.

Their keys are the ones the program's own check asks for (components/destructive_changes.py),
so one acknowledgement lets both through:

- ``delete:PersistentVolumeClaim/<template>-<statefulset>-<ordinal>``: under
  ``persistentVolumeClaimRetentionPolicy`` ``Delete``, deleting (or replacing, which deletes
  first) a StatefulSet deletes its claims (``whenDeleted``), and a scale-down deletes the
  claims of the ordinals it removes (``whenScaled``);
- ``rename:Namespace/<old>``: every object moves to a new namespace; the old one, with
  everything in it, is deleted. This one entry covers the objects that only move with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from preview.danger_texts import Danger
from preview.verdicts import ResourceChange

Document = Mapping[str, Any]
MOVED = ("metadata.namespace",)


def claim_deletions(change: ResourceChange, old: Document | None, new: Document | None) -> list[Danger]:
    """The claims that ``change`` of a StatefulSet deletes through its retention policy."""
    if not change.type.endswith(":StatefulSet") or old is None:
        return []
    spec = old.get("spec") or {}
    policy = spec.get("persistentVolumeClaimRetentionPolicy") or {}
    replicas = int(spec.get("replicas", 1))
    if change.op in ("replace", "delete") and policy.get("whenDeleted") == "Delete":
        return _claims(change, old, range(replicas), "deleted with the StatefulSet (whenDeleted: Delete)")
    remaining = int(((new or {}).get("spec") or {}).get("replicas", replicas))
    new_policy = ((new or {}).get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
    if change.op == "update" and remaining < replicas and new_policy.get("whenScaled") == "Delete":
        return _claims(
            change, old, range(remaining, replicas), "deleted by the scale-down (whenScaled: Delete)"
        )
    return []


def _claims(change: ResourceChange, statefulset: Document, ordinals: range, how: str) -> list[Danger]:
    name = (statefulset.get("metadata") or {}).get("name")
    templates = (statefulset.get("spec") or {}).get("volumeClaimTemplates") or []
    instead = (
        "keep the claims: set `persistentVolumeClaimRetentionPolicy` to Retain in a change of its own "
        "first, or copy the data away before it goes."
    )
    return [
        Danger(
            "delete",
            "PersistentVolumeClaim",
            claim,
            f"{change.type} {change.name}",
            f"claim {claim} and its data are {how}.",
            instead,
        )
        for template in templates
        for ordinal in ordinals
        if (claim := f"{(template.get('metadata') or {}).get('name')}-{name}-{ordinal}")
    ]


def moved_namespace(change: ResourceChange) -> bool:
    """A Namespace whose name changes: the whole namespace moves (and the old one is deleted)."""
    return change.type.endswith(":Namespace") and "metadata.name" in change.replace_because


def only_moves_with_namespace(change: ResourceChange) -> bool:
    """An object replaced only because its namespace is the moved one: covered by the move's entry."""
    return change.op == "replace" and tuple(change.replace_because) == MOVED
