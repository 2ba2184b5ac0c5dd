"""How a stack guards its data: Pulumi's protect and retain-on-delete, and what happens to PVCs.

Production keeps everything by default (on Docker Swarm too); staging is long-lived but
rebuildable; review stacks (``pr-<n>``) and a laptop's ``dev`` stack are ephemeral and leave
nothing behind when destroyed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from components.settings.base import SettingsModel

# What a StatefulSet does with its PersistentVolumeClaims when it is deleted or scaled down
# (``persistentVolumeClaimRetentionPolicy``, GA in Kubernetes 1.32).
ClaimRetention = Literal["Retain", "Delete"]


class ProtectionSettings(SettingsModel):
    # Pulumi `protect` on the Namespace, the Redis StatefulSets, the credentials Secret and the
    # generated passwords: `pulumi destroy` and any replacement of them stop with an error.
    protect: bool
    # Pulumi `retainOnDelete` on the same resources: when Pulumi deletes them (the program no
    # longer declares them, `pulumi destroy` after unprotecting), they stay in the cluster.
    retain_on_delete: bool
    # The Redis StatefulSets' PVC retention, both when the StatefulSet is deleted and when it
    # is scaled down: Retain keeps the data volumes, Delete removes them with their pods.
    volume_claim_retention: ClaimRetention


DEFAULTS: dict[str, dict[str, Any]] = {
    "production": {"protect": True, "retainOnDelete": True, "volumeClaimRetention": "Retain"},
    "staging": {"protect": False, "retainOnDelete": False, "volumeClaimRetention": "Retain"},
    "review": {"protect": False, "retainOnDelete": False, "volumeClaimRetention": "Delete"},
    # A developer's laptop: `pulumi destroy` leaves nothing behind.
    "development": {"protect": False, "retainOnDelete": False, "volumeClaimRetention": "Delete"},
}


def with_environment_defaults(given: Any, environment: str) -> Any:
    """The stack's ``protection`` mapping completed with its environment's defaults."""
    if given is None:
        return dict(DEFAULTS[environment])
    if isinstance(given, BaseModel) or not isinstance(given, dict):
        return given  # already a model, or not a mapping: pydantic reports it
    return {**DEFAULTS[environment], **given}
