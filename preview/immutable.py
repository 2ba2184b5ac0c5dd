"""Which field changes cannot be applied in place, so the resource is deleted and created again.

Kubernetes rejects updates to these fields (the API server answers "field is immutable");
Pulumi replaces the object instead. Providers of other resources force a new resource when
an identifying input changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.quantities import memory_bytes

if TYPE_CHECKING:
    from preview.diff import FieldChange

# Per Kubernetes kind: field paths (and everything below them) that are immutable.
_IMMUTABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec.selector",),
    "ReplicaSet": ("spec.selector",),
    "DaemonSet": ("spec.selector",),
    "Job": ("spec.selector", "spec.template", "spec.completionMode"),
    "PersistentVolumeClaim": (
        "spec.accessModes",
        "spec.dataSource",
        "spec.dataSourceRef",
        "spec.selector",
        "spec.storageClassName",
        "spec.volumeMode",
        "spec.volumeName",
    ),
    "Secret": ("type",),
    "RoleBinding": ("roleRef",),
    "ClusterRoleBinding": ("roleRef",),
    "StorageClass": ("parameters", "provisioner", "reclaimPolicy", "volumeBindingMode"),
}

# A StatefulSet is the other way round: the API server allows updates to these spec fields only
# (selector, serviceName, volumeClaimTemplates, podManagementPolicy, ... are immutable).
_STATEFULSET_MUTABLE = (
    "spec.replicas",
    "spec.ordinals",
    "spec.template",
    "spec.updateStrategy",
    "spec.persistentVolumeClaimRetentionPolicy",
    "spec.minReadySeconds",
)

# Inputs that identify a non-Kubernetes resource: changing one creates a new resource.
_FORCE_NEW_INPUTS: dict[str, tuple[str, ...]] = {
    "cloudflare:index/zone:Zone": ("account", "name"),
    "cloudflare:index/zoneSetting:ZoneSetting": ("zoneId", "settingId"),
    "cloudflare:index/ruleset:Ruleset": ("zoneId", "accountId", "kind", "phase"),
    "cloudflare:index/dnsRecord:DnsRecord": ("zoneId",),
    "cloudflare:index/tieredCache:TieredCache": ("zoneId",),
    # terraform-provider-docker's resource_docker_service.go: only the name (and registry auth).
    "docker:index/service:Service": ("name", "auth"),
}
# Docker resources the provider cannot update at all (no Update function: every input is
# ForceNew in resource_docker_{network,volume,secret,config}.go).
_REPLACED_ON_ANY_CHANGE = (
    "docker:index/network:Network",
    "docker:index/volume:Volume",
    "docker:index/secret:Secret",
    "docker:index/serviceConfig:ServiceConfig",
)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith((prefix + ".", prefix + "[")) for prefix in prefixes)


def needs_replacement(type_: str, change: FieldChange, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether ``change`` (of a resource of ``type_``, ``old`` -> ``new``) forces a replacement."""
    if type_.startswith("random:") or type_ in _REPLACED_ON_ANY_CHANGE:
        return True  # every input of these resources is force-new
    if not type_.startswith("kubernetes:"):
        return _under(change.path, _FORCE_NEW_INPUTS.get(type_, ()))
    kind = type_.rsplit(":", 1)[-1]
    path = change.path
    if path in ("metadata.name", "metadata.namespace"):
        return True  # the object's identity: a new name is a new object
    if kind == "StatefulSet":
        return path.startswith("spec") and not _under(path, _STATEFULSET_MUTABLE)
    if kind == "Service":
        return _service_cluster_ip(path, new)
    if kind == "PersistentVolumeClaim" and path == "spec.resources.requests.storage":
        return _storage_shrinks(change.old, change.new)
    if kind in ("ConfigMap", "Secret") and old.get("immutable") is True:
        return _under(path, ("data", "binaryData", "stringData", "immutable"))
    return _under(path, _IMMUTABLE_FIELDS.get(kind, ()))


def _service_cluster_ip(path: str, new: dict[str, Any]) -> bool:
    # clusterIP(s) cannot change, except by turning the Service into an ExternalName one.
    if not _under(path, ("spec.clusterIP", "spec.clusterIPs")):
        return False
    return (new.get("spec") or {}).get("type") != "ExternalName"


def _storage_shrinks(old: Any, new: Any) -> bool:
    # A claim can grow in place (volume expansion); it can never shrink.
    if not isinstance(old, str) or not isinstance(new, str):
        return old is not None and new is None
    return memory_bytes(new) < memory_bytes(old)
