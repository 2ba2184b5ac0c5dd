"""The preview's URNs are the engine's, and aliases resolve as the engine resolves them."""

from __future__ import annotations

import pytest
from pulumi.runtime.resource import create_urn
from pulumi.runtime.sync_await import _sync_await

from components.settings import PROJECT
from preview.synth import Synthesis
from preview.urns import AliasResolver, AliasSpec, resource_urn


def sdk_urn(name: str, type_: str, parent: str | None, stack: str) -> str:
    """What ``pulumi.runtime``'s own ``create_urn`` computes (the whole chain of parent types)."""
    output = create_urn(name, type_, parent=parent, project=PROJECT, stack=stack)
    return str(_sync_await(output.future()))


def test_a_resource_three_components_deep_has_the_urn_the_sdk_computes(synthesis: Synthesis) -> None:
    chain = [
        ("technovastore", "technovastore:platform:Platform"),
        ("redis", "technovastore:redis:RedisStores"),
        ("redis-credentials", "technovastore:redis:RedisCredentials"),
        ("redis-credentials", "kubernetes:core/v1:Secret"),
    ]
    parent: str | None = None
    for name, type_ in chain:
        expected = sdk_urn(name, type_, parent, synthesis.stack)
        [resource] = [r for r in synthesis.resources if r.type == type_ and r.name == name]
        assert resource.urn == expected
        assert parent is None or resource.parent == parent
        parent = expected
    assert parent is not None and parent.count("$") == 3  # the Secret's URN names all three components' types


def test_every_urn_follows_from_its_recorded_parent(synthesis: Synthesis) -> None:
    by_urn = {r.urn: r for r in synthesis.resources}
    for resource in synthesis.resources:
        parent = resource.parent if resource.parent in by_urn else None
        assert resource.urn == sdk_urn(resource.name, resource.type, parent, synthesis.stack)


def test_a_top_level_resource_carries_no_stack_type() -> None:
    stack_urn = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"
    assert resource_urn("s", "p", stack_urn, "a:b:C", "c") == "urn:pulumi:s::p::a:b:C::c"


OLD_PARENT = "urn:pulumi:s::p::a:index:Old::app"
OLD_CHILD = "urn:pulumi:s::p::a:index:Old$k:v:Secret::app-secret"
NEW_PARENT = "urn:pulumi:s::p::a:index:New::newapp"
NEW_CHILD = "urn:pulumi:s::p::a:index:New$k:v:Secret::newapp-secret"


def test_a_child_inherits_its_parents_alias_with_the_parents_old_name_in_its_own() -> None:
    resolver = AliasResolver([OLD_PARENT, OLD_CHILD], "s", "p")
    assert resolver.resolve(NEW_PARENT, None, [AliasSpec(name="app", type="a:index:Old")]) == OLD_PARENT
    # The engine's inheritedChildAlias: "newapp-secret" under "newapp" was "app-secret" under "app".
    assert resolver.resolve(NEW_CHILD, NEW_PARENT, []) == OLD_CHILD


def test_a_child_inherits_nothing_from_a_parent_found_under_its_own_urn() -> None:
    resolver = AliasResolver([NEW_PARENT, OLD_CHILD], "s", "p")
    assert resolver.resolve(NEW_PARENT, None, [AliasSpec(type="a:index:Old")]) == NEW_PARENT
    assert resolver.resolve(NEW_CHILD, NEW_PARENT, []) is None


@pytest.mark.parametrize(
    ("alias", "old"),
    [
        (AliasSpec(no_parent=True), "urn:pulumi:s::p::k:v:Secret::newapp-secret"),
        (AliasSpec(parent=OLD_PARENT, name="app-secret"), OLD_CHILD),
        (AliasSpec(urn="urn:pulumi:other::p::k:v:Secret::x"), "urn:pulumi:other::p::k:v:Secret::x"),
        # As resource.CreateURN: under a parent, the parent's URN decides the stack.
        (AliasSpec(stack="other", no_parent=True), "urn:pulumi:other::p::k:v:Secret::newapp-secret"),
    ],
)
def test_an_alias_names_the_parts_that_differ(alias: AliasSpec, old: str) -> None:
    resolver = AliasResolver([NEW_PARENT, old], "s", "p")
    resolver.resolve(NEW_PARENT, None, [])
    assert resolver.resolve(NEW_CHILD, NEW_PARENT, [alias]) == old


def test_an_old_resource_is_taken_over_once() -> None:
    resolver = AliasResolver([OLD_PARENT], "s", "p")
    alias = [AliasSpec(type="a:index:Old", name="app")]
    assert resolver.resolve(NEW_PARENT, None, alias) == OLD_PARENT
    assert resolver.resolve("urn:pulumi:s::p::a:index:New::other", None, alias) is None
