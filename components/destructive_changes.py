"""Changes that lose data, found by comparing the previous ``dataFootprint`` with this one.

Refused unless the stack's ``acknowledge`` list names them (``<action>:<Kind>/<name>``):

- ``rename:Namespace/<old>``: the namespace moves; everything in the old one, data volumes
  included, is deleted. This one entry covers everything inside the namespace.
- ``replace:StatefulSet/<name>``: an immutable field of a StatefulSet with data volumes
  changes (storage size, persistence, serviceName, selector, podManagementPolicy); every pod
  is deleted at once and the kept claims never get the new size (README: "Resizing storage").
- ``delete:StatefulSet/<name>``: a StatefulSet with data volumes is no longer declared.
- ``delete:PersistentVolumeClaim/<claim>``: a claim is deleted with its StatefulSet (a
  replacement or deletion under the ``Delete`` retention policy) or by a scale-down under
  ``Delete``. ``*`` as the name covers every claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.data_footprint import IMMUTABLE_FIELDS
from components.settings.acknowledgements import acknowledges
from components.settings.base import MISSING, PROJECT, Problem


@dataclass(frozen=True)
class DestructiveChange:
    action: str
    kind: str
    name: str
    consequence: str

    @property
    def acknowledgement(self) -> str:
        return f"{self.action}:{self.kind}/{self.name}"


def _plain(value: Any) -> Any:
    """JSON as read back from stack outputs: integral floats are the ints they were."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def destructive_changes(
    previous: Mapping[str, Any] | None, current: Mapping[str, Any]
) -> list[DestructiveChange]:
    """What going from ``previous`` to ``current`` (two data footprints) destroys."""
    if not previous:
        return []  # the first deployment of this program: nothing to lose yet
    previous = _plain(previous)
    before_namespace, namespace = previous.get("namespace"), current["namespace"]
    if before_namespace and before_namespace != namespace:
        return [
            DestructiveChange(
                "rename",
                "Namespace",
                before_namespace,
                f"the namespace would move from {before_namespace} to {namespace}: everything in "
                f"{before_namespace}, the Redis data volumes included, is deleted",
            )
        ]
    changes: list[DestructiveChange] = []
    for name, before in sorted((previous.get("statefulSets") or {}).items()):
        if before.get("claims"):
            changes += _statefulset_changes(name, before, current["statefulSets"].get(name))
    return changes


def _statefulset_changes(
    name: str, before: dict[str, Any], after: dict[str, Any] | None
) -> list[DestructiveChange]:
    pods = before.get("replicas", 0)
    if after is None:
        gone = DestructiveChange(
            "delete", "StatefulSet", name, f"StatefulSet {name} with data volumes would be deleted"
        )
        return [gone, *_claims(name, before, range(pods), "deleted with it")]
    differing = [
        field
        for field in IMMUTABLE_FIELDS
        if (before.get("immutable") or {}).get(field) != after["immutable"].get(field)
    ]
    if differing:
        replaced = DestructiveChange(
            "replace",
            "StatefulSet",
            name,
            f"StatefulSet {name} would be replaced ({', '.join(differing)} cannot change in place): "
            f"all {pods} pods are deleted at once, and kept claims keep their old size",
        )
        # The old object is deleted with the retention policy it has.
        return [replaced, *_claims(name, before, range(pods), "deleted with the old StatefulSet")]
    if after["replicas"] < pods:
        return _claims(name, after, range(after["replicas"], pods), "deleted by the scale-down")
    return []


def _claims(name: str, policy_holder: dict[str, Any], ordinals: range, how: str) -> list[DestructiveChange]:
    """The claims of ``ordinals`` that the ``Delete`` retention policy removes."""
    if policy_holder.get("claimRetention") != "Delete":
        return []
    return [
        DestructiveChange(
            "delete",
            "PersistentVolumeClaim",
            f"{claim}-{name}-{ordinal}",
            f"PersistentVolumeClaim {claim}-{name}-{ordinal} would be {how} (retention policy Delete)",
        )
        for claim in policy_holder.get("claims") or []
        for ordinal in ordinals
    ]


def unacknowledged(changes: list[DestructiveChange], acknowledge: list[str]) -> list[DestructiveChange]:
    return [c for c in changes if not acknowledges(acknowledge, c.action, c.kind, c.name)]


# The entries this check answers for (others, like rotate:Secret/..., belong to other checks).
_CHECKED = (
    "rename:Namespace/",
    "replace:StatefulSet/",
    "delete:StatefulSet/",
    "delete:PersistentVolumeClaim/",
)


def unused_acknowledgements(changes: list[DestructiveChange], acknowledge: list[str]) -> list[str]:
    """This check's entries that allow nothing this deployment does: deployed already, or misspelt."""
    return [
        entry
        for entry in acknowledge
        if entry.startswith(_CHECKED)
        and not any(acknowledges([entry], c.action, c.kind, c.name) for c in changes)
    ]


def as_problems(changes: list[DestructiveChange], stack: str) -> list[Problem]:
    """One problem per unacknowledged change, saying what it destroys and which entry allows it."""
    return [
        Problem(
            "acknowledge",
            MISSING,
            f"{change.consequence}. If that is intended (README: 'Destructive changes'), add "
            f"'{change.acknowledgement}' to {PROJECT}:acknowledge in Pulumi.{stack}.yaml",
        )
        for change in changes
    ]
