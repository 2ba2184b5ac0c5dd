"""Pulumi property paths (``spec.containers[0].image``, ``metadata.labels["app"]``, ``a.*.b``).

What ``ignore_changes`` and ``replace_on_changes`` name. Ported from pulumi/pulumi
``sdk/go/common/resource/properties_path.go``: ``parsePropertyPath`` (non-strict, as the engine
parses options), ``Contains`` (``*`` matches any key or index) and ``Reset`` (how the engine's
``processIgnoreChanges`` in ``pkg/resource/deploy/step_generator.go`` puts an ignored field
back to its old value before the provider diffs).
"""

from __future__ import annotations

import copy
from typing import Any

Key = str | int
Path = tuple[Key, ...]
WILDCARD = "*"


class PropertyPathError(ValueError):
    """Text that is not a property path."""


def parse(text: str) -> Path:
    """``a.b[0]["c.d"]`` -> ``("a", "b", 0, "c.d")``; ``[*]`` is the wildcard."""
    if text.startswith("."):
        raise PropertyPathError(f"{text!r}: a property path starts with a name or an index")
    elements: list[Key] = []
    rest = text
    while rest:
        if rest[0] == ".":
            rest = rest[1:]
            if not rest:
                raise PropertyPathError(f"{text!r}: a property path ends with a name or an index")
        elif rest[0] == "[":
            element, rest = _bracket(text, rest)
            elements.append(element)
        else:
            end = min((i for i in (rest.find("."), rest.find("[")) if i >= 0), default=len(rest))
            elements.append(rest[:end])
            rest = rest[end:]
    return tuple(elements)


def _bracket(text: str, rest: str) -> tuple[Key, str]:
    if rest[1:2] == '"':
        key, i = [], 2
        while True:
            if i >= len(rest):
                raise PropertyPathError(f"{text!r}: missing closing quote")
            if rest[i] == '"':
                i += 1
                break
            if rest[i] == "\\" and rest[i + 1 : i + 2] == '"':
                key.append('"')
                i += 2
            else:
                key.append(rest[i])
                i += 1
        if rest[i : i + 1] != "]":
            raise PropertyPathError(f"{text!r}: missing closing bracket")
        return "".join(key), rest[i + 1 :]
    end = rest.find("]")
    if end < 0:
        raise PropertyPathError(f"{text!r}: missing closing bracket")
    segment = rest[1:end]
    if segment == WILDCARD:
        return WILDCARD, rest[end + 1 :]
    try:
        return int(segment), rest[end + 1 :]
    except ValueError:
        raise PropertyPathError(f"{text!r}: {segment!r} is not an array index") from None


def contains(pattern: Path, path: Path) -> bool:
    """Whether ``path`` is ``pattern`` or below it (``foo.*.baz`` contains ``foo.bar.baz.bam``)."""
    if len(path) < len(pattern):
        return False
    for want, got in zip(pattern, path, strict=False):
        if want == WILDCARD and isinstance(got, str | int):
            continue
        if type(want) is not type(got) or want != got:
            return False
    return True


_MISSING = object()


def reset(path: Path, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Put ``new`` at ``path`` back to ``old``'s value (in place); False where the engine cannot.

    The engine cannot ignore a change that adds or removes an array element or an
    intermediate object; it then reports the path and diffs the field as changed.
    """
    return _reset(path, old, new) if path else False


def _reset(path: Path, old: Any, new: Any) -> bool:
    key, rest = path[0], path[1:]
    if isinstance(key, int):
        return _reset_index(key, rest, old, new)
    if key == WILDCARD:
        return _reset_wildcard(rest, old, new)
    if not rest:
        if isinstance(old, dict) and key in old:
            if not isinstance(new, dict):
                return False
            new[key] = copy.deepcopy(old[key])
        elif isinstance(new, dict):
            new.pop(key, None)
        return True
    if not isinstance(old, dict) or not isinstance(new, dict):
        return not isinstance(old, dict) and not isinstance(new, dict)
    old_value, new_value = old.get(key, _MISSING), new.get(key, _MISSING)
    if new_value is _MISSING:
        return old_value is _MISSING
    return _reset(rest, None if old_value is _MISSING else old_value, new_value)


def _reset_index(index: int, rest: Path, old: Any, new: Any) -> bool:
    if index < 0:
        return False
    if not isinstance(old, list) or not isinstance(new, list):
        return not isinstance(old, list) and not isinstance(new, list)
    if not rest and index >= len(old) and index >= len(new):
        return True
    if index >= len(old) or index >= len(new):
        return False
    if not rest:
        new[index] = copy.deepcopy(old[index])
        return True
    return _reset(rest, old[index], new[index])


def _reset_wildcard(rest: Path, old: Any, new: Any) -> bool:
    if not rest:
        if isinstance(new, dict):
            if isinstance(old, dict):
                new.clear()
                new.update(copy.deepcopy(old))
            return True
        if isinstance(new, list):
            if isinstance(old, list):
                for index in range(min(len(old), len(new))):
                    new[index] = copy.deepcopy(old[index])
                return len(old) == len(new)
            return True
        return False
    if isinstance(old, dict) and isinstance(new, dict):
        return all(key in new and _reset(rest, old[key], new[key]) for key in old)
    if isinstance(old, list) and isinstance(new, list):
        pairs = zip(old, new, strict=False)
        return all(_reset(rest, a, b) for a, b in pairs) and len(old) == len(new)
    return False
