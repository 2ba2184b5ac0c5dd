"""Changes that delete data or take capacity away: why each is dangerous and what to do instead.

Every danger has an acknowledgement key ``<action>:<Kind>/<name>`` (the stack's ``acknowledge``
list, components/settings/acknowledgements.py); ``--strict`` fails on any danger the stack
has not acknowledged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.settings.acknowledgements import acknowledges
from preview.capacity_dangers import capacity_dangers
from preview.danger_texts import DangerText, change_text, rename_text
from preview.diff import Diff
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
        return f"{self.action}:{self.kind}/{self.name}"


def find_dangers(diff: Diff, old: Rendering, new: Rendering, acknowledge: Sequence[str] = ()) -> list[Danger]:
    """Every danger in ``diff`` (``old`` -> ``new``), marked acknowledged where the stack says so."""
    texts: list[DangerText] = []
    renamed = {urn for rename in diff.renames for urn in rename.covered}
    for rename in diff.renames:
        texts.append(rename_text(rename, diff.changes))
    for change in diff.changes:
        if change.op == "create" or (change.op == "delete" and change.urn in renamed):
            continue  # part of a rename: said once, with the alias that avoids it
        text = _change_danger(change, old, new, diff.changes)
        if text is not None:
            texts.append(text)
    texts += capacity_dangers(diff.changes, new.documents)
    acknowledged = list(acknowledge)
    return [
        Danger(
            t.action, t.kind, t.name, t.resource, t.why, t.instead, acknowledges(acknowledged, *t.key_parts)
        )
        for t in texts
    ]


def _change_danger(
    change: ResourceChange, old: Rendering, new: Rendering, changes: list[ResourceChange]
) -> DangerText | None:
    kind = change.type.rsplit(":", 1)[-1]
    if not change.blocked and (not change.type.startswith("kubernetes:") or kind not in _DESTRUCTIVE_KINDS):
        return None
    # The object as deployed: what a replacement or a delete takes away.
    document: Mapping[str, Any] = (
        old.documents[change.old_file] if change.old_file else new.documents[change.new_file]
    )
    return change_text(change, kind, document, new.documents.values(), changes)
