"""URNs and aliases exactly as the Pulumi engine computes them.

Ported from pulumi/pulumi, so the offline preview pairs resources the way ``pulumi up`` does:

- ``pkg/resource/deploy/deployment.go`` (``generateURN``): a resource's URN carries the whole
  chain of its parents' types, without the root stack's type;
- ``sdk/go/common/resource/urn/urn.go`` (``New``) and ``sdk/go/common/resource/alias.go``
  (``CreateURN``): the URN text;
- ``pkg/resource/deploy/step_generator.go`` (``collapseAliasToUrn``, ``inheritedChildAlias``,
  ``generateAliases``, ``getOldResource``): which old URN a new resource takes over. A parent's
  alias is inherited only once the parent was found under it.

The SDK's mock monitor (``pulumi/runtime/mocks.py``) prefixes only the direct parent's type,
so renaming a component there moved no child URN; here it moves every one, as for the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
_PREFIX = "urn:pulumi:"


@dataclass(frozen=True)
class AliasSpec:
    """One ``pulumi.Alias`` as the SDK sends it (``alias.proto``): a whole URN or the parts that differ."""

    urn: str = ""
    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent: str = ""
    no_parent: bool = False

    def as_record(self) -> dict[str, object]:
        """The non-empty fields, as written to the rendering's index."""
        fields = {
            "urn": self.urn,
            "name": self.name,
            "type": self.type,
            "stack": self.stack,
            "project": self.project,
            "parent": self.parent,
            "noParent": self.no_parent,
        }
        return {key: value for key, value in fields.items() if value}

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> AliasSpec:
        return cls(
            urn=str(record.get("urn", "")),
            name=str(record.get("name", "")),
            type=str(record.get("type", "")),
            stack=str(record.get("stack", "")),
            project=str(record.get("project", "")),
            parent=str(record.get("parent", "")),
            no_parent=bool(record.get("noParent", False)),
        )


def split(urn: str) -> tuple[str, str, str, str]:
    """``(stack, project, qualified type, name)``; the name may itself contain ``::``."""
    head, project, qualified_type, name = urn.split("::", 3)
    return head.removeprefix(_PREFIX), project, qualified_type, name


def qualified_type(urn: str) -> str:
    """``a:b:Parent$c:d:Child``: the resource's type after its parents' types."""
    return split(urn)[2]


def urn_type(urn: str) -> str:
    return qualified_type(urn).rsplit("$", 1)[-1]


def urn_name(urn: str) -> str:
    return split(urn)[3]


def without_stack(urn: str) -> str:
    """``project::types::name``: the same resource of the same program in any stack."""
    return urn.split("::", 1)[-1]


def new_urn(stack: str, project: str, parent_type: str, type_: str, name: str) -> str:
    """``urn.New``: the parent's qualified type (never the root stack's) before the resource's."""
    qualified = f"{parent_type}${type_}" if parent_type and parent_type != ROOT_STACK_TYPE else type_
    return f"{_PREFIX}{stack}::{project}::{qualified}::{name}"


def resource_urn(stack: str, project: str, parent_urn: str | None, type_: str, name: str) -> str:
    """``Deployment.generateURN``: the URN the engine gives a resource registered under ``parent_urn``."""
    return new_urn(stack, project, qualified_type(parent_urn) if parent_urn else "", type_, name)


def create_urn(name: str, type_: str, parent: str, project: str, stack: str) -> str:
    """``resource.CreateURN``: an alias's URN (the parent's URN text up to its name, then the type)."""
    if not parent:
        return f"{_PREFIX}{stack}::{project}::{type_}::{name}"
    return parent[: parent.rindex("::")] + f"${type_}::{name}"


class AliasResolver:
    """Finds, for each new resource in registration order, the old URN the engine would take over.

    ``old_urns`` are the URNs of the previous deployment; ``resolve`` must see a parent before
    its children (registration order guarantees it).
    """

    def __init__(self, old_urns: Iterable[str], stack: str, project: str) -> None:
        self._olds = set(old_urns)
        self._stack, self._project = stack, project
        # new URN -> the old URN it matched through an alias (the engine's ``sg.aliases``)
        self.matched: dict[str, str] = {}
        self._claimed: set[str] = set()

    def candidates(self, urn: str, parent: str | None, aliases: Iterable[AliasSpec]) -> list[str]:
        """``generateAliases``: the resource's own aliases, then those inherited from its parent."""
        type_, name = urn_type(urn), urn_name(urn)
        own = [self._collapse(name, type_, parent or "", alias) for alias in aliases]
        result = list(own)
        if parent and parent in self.matched:
            parent_alias = self.matched[parent]
            result.append(self._inherited(type_, name, urn_name(parent), parent_alias))
            result += [
                self._inherited(urn_type(alias), urn_name(alias), urn_name(parent), parent_alias)
                for alias in own
            ]
        return list(dict.fromkeys(result))

    def resolve(self, urn: str, parent: str | None, aliases: Iterable[AliasSpec]) -> str | None:
        """``getOldResource``: the URN itself when it is old, else the first alias that is; else None."""
        for candidate in [urn, *self.candidates(urn, parent, aliases)]:
            if candidate in self._olds and candidate not in self._claimed:
                self._claimed.add(candidate)
                if candidate != urn:
                    self.matched[urn] = candidate
                return candidate
        return None

    def _collapse(self, name: str, type_: str, parent: str, alias: AliasSpec) -> str:
        """``collapseAliasToUrn``: the alias's parts default to the resource's own."""
        if alias.urn:
            return alias.urn
        alias_parent = alias.parent or parent
        if alias.parent and alias_parent in self.matched:
            # A parent found under an old URN: this resource was below that one.
            alias_parent = self.matched[alias_parent]
        if alias.no_parent or (alias_parent and qualified_type(alias_parent) == ROOT_STACK_TYPE):
            alias_parent = ""
        return create_urn(
            alias.name or name,
            alias.type or type_,
            alias_parent,
            alias.project or self._project,
            alias.stack or self._stack,
        )

    def _inherited(self, child_type: str, child_name: str, parent_name: str, parent_alias: str) -> str:
        """``inheritedChildAlias``: a child named ``<parent>-x`` follows its parent's old name."""
        alias_name = child_name
        if child_name.startswith(parent_name):
            alias_name = urn_name(parent_alias) + child_name[len(parent_name) :]
        return new_urn(self._stack, self._project, qualified_type(parent_alias), child_type, alias_name)
