"""The generated corpus: each mutation of a compliant stack flips its rule's verdict, and objects of
every kind with fields missing or of the wrong type never make a rule raise."""

from __future__ import annotations

import pytest

from policies.offline import run_policies
from policies.rules import ALL_POLICIES
from tests.policies.broken_objects import broken_variants, every_kind
from tests.policies.corpus import Mutation, compliant_stack, mutations

POLICIES = {policy.name: policy for policy in ALL_POLICIES}
MUTATIONS = mutations()
EVERY_RULE_MANDATORY = {"all": "mandatory"}


def flagged_by(policy: str, stack: list) -> list[str]:
    return [v.message for v in run_policies(stack, EVERY_RULE_MANDATORY, policies=[POLICIES[policy]])]


def test_the_compliant_stack_passes_every_rule() -> None:
    violations = run_policies(compliant_stack(), EVERY_RULE_MANDATORY)
    assert [str(v) for v in violations] == []


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[f"{m.policy}:{m.id}" for m in MUTATIONS])
def test_mutation_flips_the_verdict(mutation: Mutation) -> None:
    stack = compliant_stack()
    assert flagged_by(mutation.policy, stack) == []
    assert flagged_by(mutation.policy, mutation.apply(stack)), f"{mutation.policy} missed {mutation.id}"


def test_every_kubernetes_rule_has_a_generated_mutation() -> None:
    kubernetes_rules = {name for name in POLICIES if name.startswith("k8s-")}
    assert kubernetes_rules <= {m.policy for m in MUTATIONS}


@pytest.mark.parametrize("item", every_kind(), ids=lambda item: item.name)
def test_no_rule_raises_on_fields_missing_or_of_the_wrong_type(item) -> None:
    variants = list(broken_variants(item))
    assert variants
    for variant in variants:
        run_policies([variant], EVERY_RULE_MANDATORY)  # raising is the failure
    # and next to each other, where the stack rules cross-reference them
    run_policies([*compliant_stack(), *variants], EVERY_RULE_MANDATORY)
