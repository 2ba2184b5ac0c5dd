"""Two renderings compared resource by resource, paired as the engine pairs them.

With an index on both sides (``--out`` writes one) resources are paired by URN and by the
aliases the program declares (preview/urns.py): renaming a component moves its children's
URNs, so they are created and deleted, exactly as ``pulumi up`` would do; preview/renames.py
then says which alias brings them back. Without an index on either side, resources are paired
by what they manage (a Kubernetes object's kind, namespace and name; a Cloudflare record).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from preview.providers import provider_of
from preview.renames import RenameSuggestion, suggest_aliases
from preview.rendering import Rendering, RenderingError, ResourceRecord
from preview.rollout import changed_keys, consumers, rollout_note
from preview.secret_digests import with_digests
from preview.urns import AliasResolver, split
from preview.verdicts import ResourceChange, changed, created, deleted

OPS = ("create", "import", "update", "replace", "delete")


@dataclass
class Diff:
    changes: list[ResourceChange] = field(default_factory=list)
    unchanged: int = 0
    renames: list[RenameSuggestion] = field(default_factory=list)
    # Whether secret values could be compared (both sides carry digests of one key).
    secrets_compared: bool = False

    @property
    def summary(self) -> dict[str, int]:
        counts = {op: sum(1 for c in self.changes if c.op == op) for op in OPS}
        return {**counts, "unchanged": self.unchanged}

    @property
    def empty(self) -> bool:
        return not self.changes


# A pair of rendered files (old, new); "" for the side that does not exist.
FilePair = tuple[str, str]


def diff_renderings(old: Rendering, new: Rendering, *, config: Mapping[str, str] | None = None) -> Diff:
    """Compare two renderings; changes sorted by type and name. ``config``: the new stack config."""
    indexed = bool(old.records) and bool(new.records)
    pairs = _pairs_by_urn(old, new) if indexed else _pairs_by_identity(old, new)
    compare_secrets = bool(old.secrets_key) and old.secrets_key == new.secrets_key
    result = Diff(secrets_compared=compare_secrets)
    for old_file, new_file in pairs:
        change = _step(old, new, (old_file, new_file), compare_secrets, config or {})
        if change is None:
            result.unchanged += 1
        else:
            result.changes.append(change)
    result.changes.sort(key=lambda c: (c.type, c.name, OPS.index(c.op)))
    result.changes = [_with_readers(change, new, result.changes) for change in result.changes]
    if indexed:
        result.renames = suggest_aliases(old, new)
    return result


def _step(
    old: Rendering, new: Rendering, files: FilePair, compare_secrets: bool, config: Mapping[str, str]
) -> ResourceChange | None:
    old_file, new_file = files
    old_record, new_record = old.record_of(old_file), new.record_of(new_file)
    if not old_file:
        return created(new.documents[new_file], new_record, new_file)
    if not new_file:
        return deleted(old.documents[old_file], old_record, old_file)
    old_document, new_document = old.documents[old_file], new.documents[new_file]
    if compare_secrets:
        old_document = with_digests(old_document, old.secrets.get(old_file, []))
        new_document = with_digests(new_document, new.secrets.get(new_file, []))
    settings = _provider_settings(new, new_record, new_document, config)
    return changed(old_document, new_document, (old_record, new_record), files, settings)


def _provider_settings(
    rendering: Rendering,
    record: ResourceRecord | None,
    document: Mapping[str, Any],
    config: Mapping[str, str],
) -> dict[str, str]:
    """The settings of the provider that diffs this resource: an explicit provider's inputs, or
    for the default provider the stack config under its package name (``kubernetes:...``)."""
    if record and record.provider:
        provider = rendering.document_of(record.provider) or {}
        return {str(key): str(value) for key, value in (provider.get("inputs") or {}).items()}
    package = provider_of(document).prefix + ":"
    return {key.removeprefix(package): value for key, value in config.items() if key.startswith(package)}


def _pairs_by_urn(old: Rendering, new: Rendering) -> list[FilePair]:
    """The engine's pairing: each new resource takes over its own URN or an alias's (parents first)."""
    stack, project = _stack_and_project(new.records)
    resolver = AliasResolver((record.urn for record in old.records), stack, project)
    old_files = {record.urn: record.file for record in old.records}
    pairs: list[FilePair] = []
    taken: set[str] = set()
    for record in sorted(new.records, key=lambda r: (r.depth, r.urn)):
        old_urn = resolver.resolve(record.urn, record.parent, record.aliases)
        old_file = old_files.get(old_urn or "") or ""
        if record.file:
            pairs.append((old_file, record.file))
            taken.add(old_file)
    pairs += [(record.file, "") for record in old.records if record.file and record.file not in taken]
    return pairs


def _stack_and_project(records: Sequence[ResourceRecord]) -> tuple[str, str]:
    stack, project, _, _ = split(records[0].urn)
    return stack, project


def _pairs_by_identity(old: Rendering, new: Rendering) -> list[FilePair]:
    """Without an index: the same object (kind, namespace, name; or type and name) is the same resource."""
    before, after = _by_identity(old.documents), _by_identity(new.documents)
    keys = sorted(before.keys() | after.keys())
    return [(before.get(key, ""), after.get(key, "")) for key in keys]


def _by_identity(documents: Mapping[str, Any]) -> dict[tuple[str, ...], str]:
    result: dict[tuple[str, ...], str] = {}
    for path, document in documents.items():
        provider = provider_of(document)
        key = provider.identity(document) or (provider.type_token(document), provider.display_name(document))
        if key in result:
            raise RenderingError(f"{path}: a second document for {' '.join(key)}")
        result[key] = path
    return result


_READ_BY_PODS = ("kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap")


def _with_readers(change: ResourceChange, new: Rendering, changes: list[ResourceChange]) -> ResourceChange:
    """A changed Secret or ConfigMap says which pods read it and which of them restart."""
    if change.type not in _READ_BY_PODS or change.op not in ("update", "replace"):
        return change
    metadata = new.documents[change.new_file].get("metadata") or {}
    found = consumers(
        change.type.rsplit(":", 1)[-1],
        str(metadata.get("namespace", "")),
        str(metadata.get("name", "")),
        new.documents.values(),
        changes,
        changed_keys(change),
    )
    return replace(change, notes=(*change.notes, rollout_note(found)))
