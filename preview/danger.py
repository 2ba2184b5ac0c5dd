"""Changes that delete data or take capacity away: why each is dangerous and what to do instead.

Every danger has an acknowledgement key ``<action>:<Kind>/<name>`` (the stack's ``acknowledge``
list, components/settings/acknowledgements.py); ``--strict`` fails on any danger the stack
has not acknowledged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from components.settings.acknowledgements import acknowledges
from preview.capacity_dangers import capacity_dangers
from preview.claim_dangers import claim_deletions, moved_namespace, only_moves_with_namespace
from preview.danger_texts import Danger, change_text, rename_text
from preview.diff import Diff
from preview.edge_dangers import edge_danger
from preview.rendering import Rendering
from preview.verdicts import ResourceChange

# What deleting or replacing one of these loses (data, every replica, credentials, everything in it).
_DESTRUCTIVE_KINDS = (
    "StatefulSet",
    "PersistentVolumeClaim",
    "Namespace",
    "Secret",
    "Deployment",
    "DaemonSet",
)


def find_dangers(diff: Diff, old: Rendering, new: Rendering, acknowledge: Sequence[str] = ()) -> list[Danger]:
    """Every danger in ``diff`` (``old`` -> ``new``), marked acknowledged where the stack says so."""
    found: list[Danger] = []
    renamed = {urn for rename in diff.renames for urn in rename.covered}
    for rename in diff.renames:
        found.append(rename_text(rename, diff.changes))
    namespace_moves = any(moved_namespace(change) for change in diff.changes)
    for change in diff.changes:
        if change.op in ("create", "import") or (change.op == "delete" and change.urn in renamed):
            continue  # part of a rename: said once, with the alias that avoids it
        if namespace_moves and only_moves_with_namespace(change):
            continue  # the namespace's move says it once, for everything in it
        danger = _change_danger(change, old, new, diff.changes)
        if danger is not None:
            found.append(danger)
        found += claim_deletions(
            change, old.documents.get(change.old_file), new.documents.get(change.new_file)
        )
    found += capacity_dangers(diff.changes, new.documents)
    allowed = list(acknowledge)
    return [replace(t, acknowledged=acknowledges(allowed, t.action, t.kind, t.name)) for t in found]


def _change_danger(
    change: ResourceChange, old: Rendering, new: Rendering, changes: list[ResourceChange]
) -> Danger | None:
    kind = change.type.rsplit(":", 1)[-1]
    # The object as deployed: what a replacement or a delete takes away.
    document: Mapping[str, Any] = (
        old.documents[change.old_file] if change.old_file else new.documents[change.new_file]
    )
    if change.type.startswith("cloudflare:") and not change.blocked:
        return edge_danger(change, document)
    if not change.blocked and (not change.type.startswith("kubernetes:") or kind not in _DESTRUCTIVE_KINDS):
        return None
    return change_text(change, kind, document, new.documents.values(), changes)
