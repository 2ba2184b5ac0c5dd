"""The real program, both stacks, through the offline runner with each stack's pack config."""

from __future__ import annotations

import re
from pathlib import Path

from policies.offline import load_pack_config, run_policies
from preview.synth import Synthesis
from tests.policies.builders import engine_proxies

README = Path(__file__).resolve().parents[2] / "README.md"
ADVISORY_HEADING = "### Advisory violations of the real stacks"


def documented_advisories() -> set[tuple[str, str]]:
    """(stack, policy) rows of the README's table of accepted advisory violations."""
    text = README.read_text()
    section = text.split(ADVISORY_HEADING, 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\|\s*(production|staging)\s*\|\s*`?([a-z0-9-]+)`?\s*\|", section, re.M))


def test_no_mandatory_violation_and_no_remediation_needed(synthesis: Synthesis) -> None:
    violations = run_policies(synthesis.resources, load_pack_config(synthesis.stack))
    blocking = [str(v) for v in violations if v.enforcement_level != "advisory"]
    assert blocking == []


def test_advisory_violations_are_documented(synthesis: Synthesis) -> None:
    violations = run_policies(synthesis.resources, load_pack_config(synthesis.stack))
    found = {(synthesis.stack, v.policy) for v in violations if v.enforcement_level == "advisory"}
    assert found <= documented_advisories()


def test_the_rules_actually_saw_the_program(synthesis: Synthesis) -> None:
    """Guard against a vacuous pass: with every rule mandatory and tightened, the stack fails."""
    tightened = {
        "all": "mandatory",
        "k8s-hpa-min-replicas": {"minimum": 3},
        "k8s-image-trusted-registry": {"registries": ["registry.example"]},
    }
    violations = run_policies(synthesis.resources, tightened)
    policies = {v.policy for v in violations}
    assert {"k8s-hpa-min-replicas", "k8s-image-trusted-registry"} <= policies
    assert all(v.mandatory for v in violations)


def test_engine_style_proxied_props_give_the_same_verdicts(synthesis: Synthesis) -> None:
    """In a real preview props are read-only Mapping proxies; the rules must not need dicts."""
    tightened = {"all": "mandatory", "k8s-hpa-min-replicas": {"minimum": 3}}
    assert run_policies(engine_proxies(synthesis.resources), tightened) == run_policies(
        synthesis.resources, tightened
    )
