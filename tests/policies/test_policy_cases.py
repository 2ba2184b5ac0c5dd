"""Each policy against its hand-built compliant and violating resources."""

from __future__ import annotations

from collections import Counter

import pytest

from policies.offline import run_policies
from policies.rules import ALL_POLICIES
from tests.policies import swarm_cases  # noqa: F401  (registers the Swarm cases into CASES)
from tests.policies.builders import engine_proxies
from tests.policies.cases import CASES as BASE_CASES
from tests.policies.cases import Case
from tests.policies.cases_pod_rules import POD_RULE_CASES
from tests.policies.cases_stack_rules import STACK_RULE_CASES

POLICIES = {policy.name: policy for policy in ALL_POLICIES}
CASES = [*BASE_CASES, *POD_RULE_CASES, *STACK_RULE_CASES]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case) -> None:
    policy = POLICIES[case.policy]
    config = {case.policy: {"enforcementLevel": "mandatory", **case.config}}
    violations = run_policies(case.resources, config, policies=[policy])
    assert all(v.policy == case.policy for v in violations)
    if case.violates:
        assert violations, f"{case.id}: expected a violation"
        assert all(v.message and v.enforcement_level == "mandatory" for v in violations)
    else:
        assert violations == [], f"{case.id}: " + "; ".join(v.message for v in violations)


def test_every_policy_has_a_compliant_and_a_violating_case() -> None:
    covered = Counter((case.policy, case.violates) for case in CASES)
    missing = [
        f"{name} ({'violating' if violates else 'compliant'})"
        for name in POLICIES
        for violates in (False, True)
        if not covered[(name, violates)]
    ]
    assert not missing, f"policies without cases: {missing}"


def test_cases_name_real_policies() -> None:
    assert {case.policy for case in CASES} <= set(POLICIES)
    assert len({case.id for case in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case_gives_the_same_verdict_on_engine_proxies(case: Case) -> None:
    config = {case.policy: {"enforcementLevel": "mandatory", **case.config}}
    policy = [POLICIES[case.policy]]
    assert run_policies(engine_proxies(case.resources), config, policies=policy) == run_policies(
        case.resources, config, policies=policy
    )
