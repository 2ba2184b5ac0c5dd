"""pulumi-kubernetes: how it names an object, which changes replace it, and in which order.

Read from pulumi-kubernetes ``provider/pkg/provider/diff.go`` (``forceNewProperties``, rows in
preview/replace_rules.py) and ``provider/pkg/provider/provider.go`` (``Diff``: ``Replaces`` from
the force-new paths, ``DeleteBeforeReplace`` for a named object that keeps its name and
namespace; ``Configure``: the ``enableConfigMapMutable`` / ``enableSecretMutable`` settings).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from preview.diff_fields import FieldChange
from preview.providers.base import Provider
from preview.replace_rules import covers, rules_for

PREFIX = "kubernetes"
# Provider settings: the provider's own setting first, then the environment, else off.
_SETTING_ENVIRONMENT = {
    "enableConfigMapMutable": "PULUMI_K8S_ENABLE_CONFIGMAP_MUTABLE",
    "enableSecretMutable": "PULUMI_K8S_ENABLE_SECRET_MUTABLE",
}


def type_token(document: Mapping[str, Any]) -> str:
    """``kubernetes:apps/v1:Deployment``: the core group is spelled ``core``, as in the SDK."""
    group, _, version = str(document.get("apiVersion", "")).rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{document['kind']}"


def display_name(document: Mapping[str, Any]) -> str:
    """``namespace/name`` (or ``name`` for cluster-scoped objects), as ``kubectl`` shows it."""
    metadata = document.get("metadata") or {}
    name, namespace = metadata.get("name", "?"), metadata.get("namespace")
    return f"{namespace}/{name}" if namespace else str(name)


def identity(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The object in the cluster: group, kind, namespace, name (any version is the same object)."""
    group = str(document.get("apiVersion", "")).rpartition("/")[0] or "core"
    metadata = document.get("metadata") or {}
    return (
        PREFIX,
        group,
        str(document["kind"]),
        str(metadata.get("namespace", "")),
        str(metadata.get("name")),
    )


def body(document: Mapping[str, Any]) -> Any:
    """What the provider diffs: the whole object."""
    return document


def setting_enabled(name: str, settings: Mapping[str, str]) -> bool:
    """``enableConfigMapMutable`` and friends, as ``Configure`` reads them: the provider's own
    setting (an explicit provider's input, or the default provider's ``kubernetes:`` stack
    config), else the environment variable, else off."""
    value = settings.get(name)
    if value is None:
        value = os.environ.get(_SETTING_ENVIRONMENT.get(name, ""))
    return str(value).lower() == "true"


def forces_new(type_: str, change: FieldChange, new: Mapping[str, Any], settings: Mapping[str, str]) -> bool:
    """Whether ``change`` of an object of ``type_`` (new object ``new``) makes the provider replace it."""
    immutable = new.get("immutable") is True
    for row in rules_for(type_):
        if row.unless and setting_enabled(row.unless, settings) and not immutable:
            continue
        if any(covers(path, change.keys, change.new) for path in row.paths):
            return True
    return False


def delete_before_replace(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """A replaced object that keeps its fixed name and namespace must be deleted first."""
    old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
    named = bool(new_meta.get("name")) and not (new_meta.get("annotations") or {}).get("pulumi.com/autonamed")
    return (
        named
        and new_meta.get("name") == old_meta.get("name")
        and new_meta.get("namespace") == old_meta.get("namespace")
    )


PROVIDER = Provider(
    prefix=PREFIX,
    type_token=type_token,
    display_name=display_name,
    identity=identity,
    body=body,
    forces_new=forces_new,
    delete_before_replace=delete_before_replace,
)
