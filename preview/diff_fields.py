"""Field-level differences between two versions of a resource's inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Keys = tuple[str | int, ...]


@dataclass(frozen=True)
class FieldChange:
    """One changed leaf: its readable path, old and new value (None: absent).

    ``keys`` is the path as the engine sees it (list positions on the new side, or the old
    side for a removed element); rules and ``ignore_changes`` are matched against it.
    """

    path: str
    old: Any
    new: Any
    keys: Keys = field(default=(), compare=False)
    # A secret value changed: ``old`` and ``new`` are only markers, never the values.
    secret: bool = False


def field_changes(old: Any, new: Any, path: str = "", keys: Keys = ()) -> list[FieldChange]:
    """Leaf-level differences with their paths (``spec.template.spec.containers[name=web].image``)."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[FieldChange] = []
        for key in sorted(old.keys() | new.keys(), key=str):
            child, child_keys = f"{path}.{key}" if path else str(key), (*keys, key)
            if key not in old:
                changes.append(FieldChange(child, None, new[key], child_keys))
            elif key not in new:
                changes.append(FieldChange(child, old[key], None, child_keys))
            else:
                changes += field_changes(old[key], new[key], child, child_keys)
        return changes
    if isinstance(old, list) and isinstance(new, list):
        return _list_changes(old, new, path, keys)
    return [] if old == new else [FieldChange(path, old, new, keys)]


def _item_name(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    name = item.get("name") or (item.get("metadata") or {}).get("name")
    return str(name) if name is not None else None


def _named(items: list[Any]) -> dict[str, int] | None:
    """A list of objects with unique names (containers, env, volumes, claim templates): name -> position."""
    names = [_item_name(item) for item in items]
    if not items or None in names or len(set(names)) != len(items):
        return None
    return {str(name): index for index, name in enumerate(names)}


def _list_changes(old: list[Any], new: list[Any], path: str, keys: Keys) -> list[FieldChange]:
    old_named, new_named = _named(old), _named(new)
    if old_named is not None and new_named is not None:
        # Matched by name, so inserting one container does not show every later one as changed.
        return _by_name(old, new, old_named, new_named, path, keys)
    if len(old) == len(new):
        pairs = enumerate(zip(old, new, strict=True))
        return [
            change
            for index, (a, b) in pairs
            for change in field_changes(a, b, f"{path}[{index}]", (*keys, index))
        ]
    return [FieldChange(path, old, new, keys)]


def _by_name(
    old: list[Any], new: list[Any], old_at: dict[str, int], new_at: dict[str, int], path: str, keys: Keys
) -> list[FieldChange]:
    changes: list[FieldChange] = []
    common = [name for name in new_at if name in old_at]
    if common != [name for name in old_at if name in new_at]:
        # The same elements in another order: the provider diffs lists by position, so it is a change.
        changes.append(FieldChange(f"{path}[*].name", common_order(old_at, new_at), common, keys))
    for name in sorted(old_at.keys() | new_at.keys()):
        child = f"{path}[name={name}]"
        if name not in old_at:
            changes.append(FieldChange(child, None, new[new_at[name]], (*keys, new_at[name])))
        elif name not in new_at:
            changes.append(FieldChange(child, old[old_at[name]], None, (*keys, old_at[name])))
        else:
            index = new_at[name]
            changes += field_changes(old[old_at[name]], new[index], child, (*keys, index))
    return changes


def common_order(old_at: dict[str, int], new_at: dict[str, int]) -> list[str]:
    return [name for name in old_at if name in new_at]
