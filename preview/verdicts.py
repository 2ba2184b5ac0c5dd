"""One resource, old and new: update, replace or nothing, decided as the engine and its provider do.

The engine's steps, from pulumi/pulumi ``pkg/resource/deploy/step_generator.go``:
``processIgnoreChanges`` puts every ``ignore_changes`` path back to its old value before the
provider diffs; the provider names the changes that force a replacement (preview/providers/);
``applyReplaceOnChanges`` adds the paths under ``replace_on_changes``; a replacement deletes
first when ``delete_before_replace`` says so, else when the provider asks; and a resource
protected in the old state and the program cannot be replaced (nor deleted, ``step.go``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from preview.diff_fields import FieldChange, field_changes
from preview.property_path import PropertyPathError, contains, parse, reset
from preview.providers import provider_of
from preview.rendering import ResourceRecord
from preview.secret_digests import is_marker
from preview.synth import REDACTED

PROTECTED = "protected: the engine refuses to {op} it until `protect` is removed and deployed first"
# step_generator.go: a replacement gets a new id, which contradicts the id the program imports.
IMPORTED = "imported: the engine refuses to replace a resource whose program still names an id (`import_`)"


@dataclass(frozen=True)
class ResourceChange:
    op: str
    type: str
    name: str
    fields: tuple[FieldChange, ...] = ()
    # The changed fields that cannot change in place (why this is a replace).
    replace_because: tuple[str, ...] = ()
    urn: str = ""
    # A replacement that deletes the old resource before it creates the new one.
    delete_first: bool = False
    # Changed fields the program's ``ignore_changes`` keeps at their deployed value.
    ignored: tuple[str, ...] = ()
    # Why the engine will refuse this step (a protected resource); empty when it will not.
    blocked: str = ""
    # The rendered files of the two sides (empty for the side that does not exist).
    old_file: str = ""
    new_file: str = ""
    # What else a reviewer should know (which pods see a changed Secret or ConfigMap).
    notes: tuple[str, ...] = ()


def created(document: Mapping[str, Any], record: ResourceRecord | None, file: str) -> ResourceChange:
    """A new resource; one the program names an existing id for (``import_``) is adopted instead."""
    provider = provider_of(document)
    urn = record.urn if record else ""
    op = "import" if record and record.import_id else "create"
    return ResourceChange(
        op, provider.type_token(document), provider.display_name(document), urn=urn, new_file=file
    )


def deleted(document: Mapping[str, Any], record: ResourceRecord | None, file: str) -> ResourceChange:
    provider = provider_of(document)
    blocked = PROTECTED.format(op="delete") if record and record.protect else ""
    urn = record.urn if record else ""
    return ResourceChange(
        "delete",
        provider.type_token(document),
        provider.display_name(document),
        urn=urn,
        blocked=blocked,
        old_file=file,
    )


def changed(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    records: tuple[ResourceRecord | None, ResourceRecord | None],
    files: tuple[str, str],
    settings: Mapping[str, str],
) -> ResourceChange | None:
    """The step for a resource present on both sides; None when nothing changed.

    ``old`` and ``new`` may carry secret digests (preview/secret_digests.py): a changed
    secret is reported with markers only.
    """
    old_record, new_record = records
    provider = provider_of(new)
    type_ = provider.type_token(new)
    old_body, new_body = provider.body(old), copy.deepcopy(provider.body(new))
    ignored = _apply_ignore_changes(new_record.ignore_changes if new_record else (), old_body, new_body)
    fields = tuple(_without_secrets(change) for change in field_changes(old_body, new_body))
    if not fields:
        return None
    replace_on = [pattern for _, pattern in _patterns(new_record.replace_on_changes if new_record else ())]
    replace_because = tuple(
        change.path
        for change in fields
        if provider.forces_new(type_, change, new_body, settings)
        or any(contains(pattern, change.keys) for pattern in replace_on)
    )
    op = "replace" if replace_because else "update"
    delete_first = False
    if op == "replace":
        chosen = new_record.delete_before_replace if new_record else None
        delete_first = chosen if chosen is not None else provider.delete_before_replace(old_body, new_body)
    protected = bool(old_record and old_record.protect and new_record and new_record.protect)
    blocked = ""
    if op == "replace" and protected:
        blocked = PROTECTED.format(op="replace")
    elif op == "replace" and new_record and new_record.import_id:
        blocked = IMPORTED
    return ResourceChange(
        op,
        type_,
        provider.display_name(new),
        fields,
        replace_because,
        urn=new_record.urn if new_record else "",
        delete_first=delete_first,
        ignored=ignored,
        blocked=blocked,
        old_file=files[0],
        new_file=files[1],
    )


def _patterns(paths: tuple[str, ...]) -> list[tuple[str, tuple[str | int, ...]]]:
    parsed = []
    for path in paths:
        try:
            parsed.append((path, parse(path)))
        except PropertyPathError:
            continue  # the engine refuses such a program before any diff; nothing to match here
    return parsed


def _apply_ignore_changes(paths: tuple[str, ...], old: Any, new: Any) -> tuple[str, ...]:
    """Reset each ignored path of ``new`` to ``old`` (in place); the paths that held a change."""
    ignored = []
    for text, pattern in _patterns(paths):
        before = copy.deepcopy(new)
        if reset(pattern, old, new) and before != new:
            ignored.append(text)
    return tuple(ignored)


def _without_secrets(change: FieldChange) -> FieldChange:
    """A change of a secret shows markers only: never a value, never its digest."""
    old, old_secret = _scrubbed(change.old)
    new, new_secret = _scrubbed(change.new)
    if not (old_secret or new_secret):
        return change
    return FieldChange(change.path, old, new, change.keys, secret=True)


def _scrubbed(value: Any) -> tuple[Any, bool]:
    """``value`` with every digest marker inside it replaced by ``[secret]``; whether there was one."""
    if is_marker(value):
        return REDACTED, True
    if isinstance(value, dict):
        items = {key: _scrubbed(item) for key, item in value.items()}
        return {key: item for key, (item, _) in items.items()}, any(found for _, found in items.values())
    if isinstance(value, list):
        scrubbed = [_scrubbed(item) for item in value]
        return [item for item, _ in scrubbed], any(found for _, found in scrubbed)
    return value, False
