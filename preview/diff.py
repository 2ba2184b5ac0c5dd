"""Two renderings compared per resource: create, update, delete or replace, with field-level changes.

A rendering is what ``--out`` writes (or the same documents in memory): Kubernetes manifests
and the inputs of every other resource. Secret values were redacted before they got here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from preview.immutable import needs_replacement
from preview.manifests import INDEX_FILE

OPS = ("create", "update", "replace", "delete")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RenderingError(Exception):
    """A folder that is not a rendering written by ``--out``."""


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ResourceChange:
    op: str
    type: str
    name: str
    fields: tuple[FieldChange, ...] = ()
    # The changed fields that cannot be updated in place (why this is a replace).
    replace_because: tuple[str, ...] = ()


@dataclass
class Diff:
    changes: list[ResourceChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def summary(self) -> dict[str, int]:
        counts = {op: sum(1 for c in self.changes if c.op == op) for op in OPS}
        return {**counts, "unchanged": self.unchanged}

    @property
    def empty(self) -> bool:
        return not self.changes


@dataclass(frozen=True)
class Rendering:
    """Documents by file path, and (when known) which Pulumi resource each file is."""

    documents: Mapping[str, Any]
    index: Mapping[str, str] = field(default_factory=dict)


Key = tuple[str, str]


def identity(document: Mapping[str, Any]) -> Key:
    """(type, name) as ``pulumi preview`` shows it: ``kubernetes:apps/v1:Deployment``, ``ns/name``."""
    if "kind" in document:
        api_version = str(document.get("apiVersion", ""))
        group, _, version = api_version.rpartition("/")
        metadata = document.get("metadata") or {}
        name = metadata.get("name", "?")
        namespace = metadata.get("namespace")
        return (
            f"kubernetes:{group or 'core'}/{version}:{document['kind']}",
            f"{namespace}/{name}" if namespace else name,
        )
    return str(document["type"]), str(document["name"])


def _paired(rendering: Rendering, by_logical_id: bool) -> dict[str, tuple[Key, Any]]:
    """Documents keyed for pairing: by Pulumi logical id when both sides know it, else by identity."""
    result: dict[str, tuple[Key, Any]] = {}
    for path, document in rendering.documents.items():
        key = identity(document)
        pair_key = rendering.index[path] if by_logical_id else "::".join(key)
        if pair_key in result:
            raise RenderingError(f"{path}: a second document for {key[0]} {key[1]}")
        result[pair_key] = (key, document)
    return result


def load_rendering(folder: Path) -> Rendering:
    """The documents ``--out`` wrote into ``folder``, by relative path, with its index if any."""
    files = [
        path for part in ("kubernetes", "docker", "other") for path in sorted(folder.glob(f"{part}/*.yaml"))
    ]
    if not files:
        raise RenderingError(f"{folder} holds no rendering (no kubernetes/*.yaml or other/*.yaml from --out)")
    documents = {str(path.relative_to(folder)): _read_document(path) for path in files}
    index_path = folder / INDEX_FILE
    index = _read_yaml(index_path) if index_path.exists() else {}
    complete = isinstance(index, dict) and set(documents) <= set(index)
    return Rendering(documents, index if complete else {})


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(), Loader=_LOADER)
    except yaml.YAMLError as error:
        raise RenderingError(f"{path} is not valid YAML: {error}") from None


def _read_document(path: Path) -> Any:
    document = _read_yaml(path)
    if not isinstance(document, dict) or not ({"kind", "metadata"} <= set(document) or "type" in document):
        raise RenderingError(f"{path} is not a rendered resource")
    return document


def diff_renderings(old: Rendering, new: Rendering) -> Diff:
    """Compare two renderings; changes sorted by type and name."""
    by_logical_id = bool(old.index) and bool(new.index)
    before, after = _paired(old, by_logical_id), _paired(new, by_logical_id)
    result = Diff()
    for pair_key in sorted(before.keys() | after.keys(), key=lambda k: ((after.get(k) or before[k])[0], k)):
        old_side, new_side = before.get(pair_key), after.get(pair_key)
        key = new_side[0] if new_side else before[pair_key][0]
        change = _resource_change(key, old_side[1] if old_side else None, new_side[1] if new_side else None)
        if change is None:
            result.unchanged += 1
        else:
            result.changes.append(change)
    return result


def _resource_change(key: Key, old: Any, new: Any) -> ResourceChange | None:
    type_, name = key
    if old is None:
        return ResourceChange("create", type_, name)
    if new is None:
        return ResourceChange("delete", type_, name)
    if "kind" not in new:
        old, new = old.get("inputs") or {}, new.get("inputs") or {}
    fields = tuple(field_changes(old, new))
    if not fields:
        return None
    immutable = tuple(f.path for f in fields if needs_replacement(type_, f, old, new))
    return ResourceChange("replace" if immutable else "update", type_, name, fields, immutable)


def field_changes(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """Leaf-level differences with their paths (``spec.template.spec.containers[name=web].image``)."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[FieldChange] = []
        for key in sorted(old.keys() | new.keys(), key=str):
            child = f"{path}.{key}" if path else str(key)
            if key not in old:
                changes.append(FieldChange(child, None, new[key]))
            elif key not in new:
                changes.append(FieldChange(child, old[key], None))
            else:
                changes += field_changes(old[key], new[key], child)
        return changes
    if isinstance(old, list) and isinstance(new, list):
        return _list_changes(old, new, path)
    return [] if old == new else [FieldChange(path, old, new)]


def _item_name(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    name = item.get("name") or (item.get("metadata") or {}).get("name")
    return str(name) if name is not None else None


def _named(items: list[Any]) -> dict[str, Any] | None:
    """A list of objects with unique names (containers, env, volumes, claim templates) as a mapping."""
    names = [_item_name(item) for item in items]
    if not items or None in names or len(set(names)) != len(items):
        return None
    return {str(name): item for name, item in zip(names, items, strict=True)}


def _list_changes(old: list[Any], new: list[Any], path: str) -> list[FieldChange]:
    old_named, new_named = _named(old), _named(new)
    if old_named is not None and new_named is not None:
        # Matched by name, so inserting one container does not show every later one as changed.
        return _by_name(old_named, new_named, path)
    if len(old) == len(new):
        pairs = enumerate(zip(old, new, strict=True))
        return [change for index, (a, b) in pairs for change in field_changes(a, b, f"{path}[{index}]")]
    return [FieldChange(path, old, new)]


def _by_name(old: dict[str, Any], new: dict[str, Any], path: str) -> list[FieldChange]:
    changes: list[FieldChange] = []
    for name in sorted(old.keys() | new.keys()):
        child = f"{path}[name={name}]"
        if name not in old:
            changes.append(FieldChange(child, None, new[name]))
        elif name not in new:
            changes.append(FieldChange(child, old[name], None))
        else:
            changes += field_changes(old[name], new[name], child)
    return changes
