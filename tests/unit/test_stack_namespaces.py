"""Every stack lives in its own namespace: a review stack never lands in staging's (finding 1)."""

from __future__ import annotations

import pytest

from components.settings import PROJECT, SettingsError, load_settings
from preview.synth import Synthesis
from tests.support.stacks import REVIEW_STACK, stack_config, synthesized


def namespaces(synthesis: Synthesis) -> set[str]:
    """Every namespace the stack's Kubernetes objects name (the Namespace object's own name too)."""
    found = set()
    for resource in synthesis.resources:
        if resource.is_kubernetes and resource.custom:
            metadata = resource.inputs.get("metadata") or {}
            found.add(
                metadata["name"] if resource.inputs.get("kind") == "Namespace" else metadata["namespace"]
            )
    return found


def test_a_review_stack_made_from_staging_renders_into_its_own_namespace() -> None:
    review, staging = synthesized(REVIEW_STACK), synthesized("staging")

    assert namespaces(review) == {f"technovastore-{REVIEW_STACK}"}
    assert namespaces(staging) == {"technovastore-staging"}
    assert review.outputs["namespace"] == f"technovastore-{REVIEW_STACK}"


def test_no_two_stacks_share_a_namespace() -> None:
    stacks = ("production", "staging", REVIEW_STACK)
    owners = {stack: namespaces(synthesized(stack)) for stack in stacks}
    for index, stack in enumerate(stacks):
        for other in stacks[index + 1 :]:
            assert owners[stack].isdisjoint(owners[other]), (stack, other)


def test_the_namespace_defaults_to_one_derived_from_the_stack() -> None:
    assert load_settings({}, "staging").namespace == "technovastore-staging"
    assert load_settings({}, "pr-7").namespace == "technovastore-pr-7"
    assert load_settings({}, "production").namespace == "technovastore-production"


@pytest.mark.parametrize(
    ("stack", "namespace", "expected"),
    [
        ("pr-7", "technovastore-staging", "must be technovastore-pr-7 (remove the key)"),
        ("staging", "technovastore", "must be technovastore-staging (remove the key)"),
        ("production", "technovastore-staging", "is another stack's namespace"),
        ("production", "technovastore-pr-7", "is another stack's namespace"),
    ],
)
def test_a_namespace_that_another_stack_could_own_is_refused(
    stack: str, namespace: str, expected: str
) -> None:
    config = {**stack_config("staging"), f"{PROJECT}:namespace": namespace}
    with pytest.raises(SettingsError) as raised:
        load_settings(config, stack)
    assert f"{PROJECT}:namespace = {namespace!r}: {expected}" in str(raised.value)


def test_production_keeps_the_namespace_it_names() -> None:
    assert load_settings(stack_config("production"), "production").namespace == "technovastore"
