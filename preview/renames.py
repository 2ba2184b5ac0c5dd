"""Renamed resources: which ones the engine would create and delete, and the alias that avoids it.

A resource that disappears while another appears is the same resource renamed when both
manage the same thing (the same Kubernetes object, the same Cloudflare record: see each
provider's ``identity``), when both have the same type and name under parents that are the
same resource, or, for a component, when its children are. Without an alias the engine
creates the new one first and deletes the old one after: a named Kubernetes object fails with
``AlreadyExists`` (or is deleted by the old resource's delete), a generated password gets a
new value. The suggestion is the alias, on the outermost renamed resource, that makes the
engine take the old resource over (its children inherit it, preview/urns.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from preview.providers import provider_of
from preview.rendering import Rendering, ResourceRecord
from preview.urns import ROOT_STACK_TYPE, AliasResolver, AliasSpec, qualified_type, split


@dataclass(frozen=True)
class RenameSuggestion:
    """Add ``alias`` to the options of the resource ``urn`` (``type`` ``name``): it was ``old_urn``."""

    urn: str
    type: str
    name: str
    old_urn: str
    alias: AliasSpec
    # The old URNs the alias brings back (this resource's and those below it).
    covered: tuple[str, ...]

    @property
    def resources(self) -> int:
        return len(self.covered)

    @property
    def code(self) -> str:
        """The exact option to add, as Python."""
        return f"aliases=[{alias_code(self.alias)}]"


def alias_code(alias: AliasSpec) -> str:
    if alias.urn:
        return _urn_expression(alias.urn)
    arguments = []
    if alias.name:
        arguments.append(f"name={json.dumps(alias.name)}")
    if alias.type:
        arguments.append(f"type_={json.dumps(alias.type)}")
    if alias.no_parent:
        arguments.append("parent=None")
    elif alias.parent:
        arguments.append(f"parent={_urn_expression(alias.parent)}")
    return f"pulumi.Alias({', '.join(arguments)})"


def _urn_expression(urn: str) -> str:
    """A URN as Python that holds in every stack of the project (the stack and project filled in)."""
    _, _, qualified, name = split(urn)
    return f'f"urn:pulumi:{{pulumi.get_stack()}}::{{pulumi.get_project()}}::{qualified}::{name}"'


def suggest_aliases(old: Rendering, new: Rendering) -> list[RenameSuggestion]:
    """One suggestion per outermost renamed resource; none when nothing was renamed."""
    renamed = _renamed_pairs(old, new)
    if not renamed:
        return []
    stack, project, _, _ = split(new.records[0].urn)
    resolver = AliasResolver((record.urn for record in old.records), stack, project)
    old_parents = {record.urn: record.parent for record in old.records}
    suggested: dict[str, tuple[ResourceRecord, AliasSpec]] = {}
    # The resource whose alias brings each one back: itself, or the nearest ancestor with one.
    owner: dict[str, str] = {}
    covered: dict[str, list[str]] = {}
    for record in sorted(new.records, key=lambda r: (r.depth, r.urn)):
        aliases = record.aliases
        target = renamed.get(record.urn)
        if target and target not in resolver.candidates(record.urn, record.parent, aliases):
            alias = _alias_for(record, target, old_parents.get(target), resolver)
            suggested[record.urn] = (record, alias)
            aliases = (*aliases, alias)
        owner[record.urn] = record.urn if record.urn in suggested else owner.get(record.parent or "", "")
        if target and resolver.resolve(record.urn, record.parent, aliases) == target and owner[record.urn]:
            covered.setdefault(owner[record.urn], []).append(target)
    return [
        RenameSuggestion(urn, record.type, record.name, renamed[urn], alias, tuple(covered.get(urn, ())))
        for urn, (record, alias) in suggested.items()
    ]


def _alias_for(
    record: ResourceRecord, old_urn: str, old_parent: str | None, resolver: AliasResolver
) -> AliasSpec:
    """The smallest alias (type, name, then parent) under which the engine finds ``old_urn``."""
    _, _, old_qualified, old_name = split(old_urn)
    old_type = old_qualified.rsplit("$", 1)[-1]
    spec = AliasSpec(
        name=old_name if old_name != record.name else "",
        type=old_type if old_type != record.type else "",
    )
    if old_urn in resolver.candidates(record.urn, record.parent, (spec,)):
        return spec
    if not old_parent or qualified_type(old_parent) == ROOT_STACK_TYPE:
        moved = AliasSpec(name=spec.name, type=spec.type, no_parent=True)
    else:
        moved = AliasSpec(name=spec.name, type=spec.type, parent=old_parent)
    if old_urn in resolver.candidates(record.urn, record.parent, (moved,)):
        return moved
    return AliasSpec(urn=old_urn)


def _renamed_pairs(old: Rendering, new: Rendering) -> dict[str, str]:
    """New URN -> old URN for every resource the engine would not pair but that is the same one."""
    stack, project, _, _ = split(new.records[0].urn)
    resolver = AliasResolver((record.urn for record in old.records), stack, project)
    taken: dict[str, str] = {}
    for record in sorted(new.records, key=lambda r: (r.depth, r.urn)):
        if old_urn := resolver.resolve(record.urn, record.parent, record.aliases):
            taken[record.urn] = old_urn
    lone_new = {r.urn: r for r in new.records if r.urn not in taken}
    lone_old = {r.urn: r for r in old.records if r.urn not in set(taken.values())}
    pairs = _same_objects(old, new, lone_new, lone_old)
    while True:
        found = _same_parents(pairs, lone_new, lone_old) | _same_names({**taken, **pairs}, lone_new, lone_old)
        found = {n: o for n, o in found.items() if n not in pairs and o not in pairs.values()}
        if not found:
            return pairs
        pairs |= found


def _same_objects(
    old: Rendering,
    new: Rendering,
    lone_new: Mapping[str, ResourceRecord],
    lone_old: Mapping[str, ResourceRecord],
) -> dict[str, str]:
    """Custom resources that manage the same thing outside Pulumi."""
    by_identity: dict[tuple[str, ...], str] = {}
    for urn, record in lone_old.items():
        if record.file and (key := _identity(old.documents[record.file])):
            by_identity[key] = urn
    pairs = {}
    for urn, record in lone_new.items():
        if record.file and (key := _identity(new.documents[record.file])) and key in by_identity:
            pairs[urn] = by_identity.pop(key)
    return pairs


def _identity(document: Mapping[str, object]) -> tuple[str, ...] | None:
    return provider_of(document).identity(document)


def _same_parents(
    pairs: Mapping[str, str], lone_new: Mapping[str, ResourceRecord], lone_old: Mapping[str, ResourceRecord]
) -> dict[str, str]:
    """Components whose children are the same resources: the parent most of them agree on."""
    votes: dict[tuple[str, str], int] = {}
    for new_urn, old_urn in pairs.items():
        new_parent, old_parent = lone_new[new_urn].parent or "", lone_old[old_urn].parent or ""
        if new_parent in lone_new and old_parent in lone_old:
            votes[(new_parent, old_parent)] = votes.get((new_parent, old_parent), 0) + 1
    chosen: dict[str, str] = {}
    for (new_parent, old_parent), _ in sorted(votes.items(), key=lambda item: -item[1]):
        if new_parent not in chosen and old_parent not in chosen.values():
            chosen[new_parent] = old_parent
    return chosen


def _same_names(
    known: Mapping[str, str], lone_new: Mapping[str, ResourceRecord], lone_old: Mapping[str, ResourceRecord]
) -> dict[str, str]:
    """Same type and name (or the parent's new name in place of its old one) under a known parent."""
    found: dict[str, str] = {}
    for urn, record in lone_new.items():
        old_parent = known.get(record.parent or "")
        if not old_parent or not record.parent:
            continue
        names = {record.name}
        new_parent_name, old_parent_name = split(record.parent)[3], split(old_parent)[3]
        if record.name.startswith(new_parent_name):
            names.add(old_parent_name + record.name[len(new_parent_name) :])
        for old_urn, old_record in lone_old.items():
            if (
                old_record.parent == old_parent
                and old_record.type == record.type
                and old_record.name in names
                and old_urn not in found.values()
            ):
                found[urn] = old_urn
                break
    return found
