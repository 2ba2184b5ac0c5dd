"""The pack's metadata and config: valid names, complete metadata, valid JSON Schema, valid configs."""

from __future__ import annotations

import re

import jsonschema
import pytest
import yaml
from pulumi_policy import EnforcementLevel, Policy, ResourceValidationPolicy, StackValidationPolicy

from policies.config_schema import pack_config_schema
from policies.offline import CONFIG_DIR, enforcement_level, load_pack_config
from policies.rules import ALL_POLICIES

# Policy names: kebab-case (the length limit is checked below).
POLICY_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
STACKS = ("production", "staging")


def test_at_least_35_policies_with_unique_valid_names() -> None:
    names = [p.name for p in ALL_POLICIES]
    assert len(names) >= 35
    assert len(set(names)) == len(names)
    bad = [n for n in names if n == "all" or len(n) > 100 or not POLICY_NAME.match(n)]
    assert not bad


def test_every_policy_has_description_severity_and_enforcement() -> None:
    for policy in ALL_POLICIES:
        assert policy.description.endswith("."), policy.name
        assert policy.severity is not None, policy.name
        assert policy.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY), (
            policy.name
        )


def test_safe_rules_offer_a_remediation() -> None:
    remediable = {
        p.name for p in ALL_POLICIES if isinstance(p, ResourceValidationPolicy) and p.has_remediation()
    }
    assert {
        "k8s-seccomp-runtime-default",
        "k8s-no-privilege-escalation",
        "k8s-drop-all-capabilities",
    } <= remediable
    assert all(p.remediation_steps for p in ALL_POLICIES if p.name in remediable)


def test_every_policy_config_schema_is_valid_json_schema_with_defaults() -> None:
    for policy in ALL_POLICIES:
        if policy.config_schema is None:
            continue
        schema = {"type": "object", "properties": policy.config_schema.properties}
        jsonschema.Draft202012Validator.check_schema(schema)
        for name, prop in policy.config_schema.properties.items():
            assert "default" in prop and "description" in prop, f"{policy.name}.{name}"
            jsonschema.validate(prop["default"], prop)


def test_pack_config_schema_is_valid_and_both_stack_configs_conform() -> None:
    schema = pack_config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for stack in STACKS:
        jsonschema.validate(load_pack_config(stack), schema)


@pytest.mark.parametrize(
    "config",
    [
        {"k8s-no-such-policy": "mandatory"},
        {"k8s-hpa-min-replicas": {"enforcementLevel": "blocking"}},
        {"k8s-hpa-min-replicas": {"minimum": "two"}},
        {"k8s-hpa-min-replicas": {"minimun": 2}},
    ],
)
def test_pack_config_schema_rejects_mistakes(config: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, pack_config_schema())


def test_staging_only_relaxes_production() -> None:
    """Staging may lower a level (advisory, remediate), never block what production lets through."""
    production, staging = load_pack_config("production"), load_pack_config("staging")
    rank = {"disabled": 0, "advisory": 1, "remediate": 2, "mandatory": 2}
    for policy in ALL_POLICIES:
        default = (policy.enforcement_level or EnforcementLevel.ADVISORY).value

        def level(config: dict, name: str = policy.name, fallback: str = default) -> str:
            entry = config.get(name, {})
            return entry.get("enforcementLevel", fallback) if isinstance(entry, dict) else entry

        assert rank[level(staging)] <= rank[level(production)], policy.name


def test_review_stacks_use_the_staging_config() -> None:
    assert load_pack_config("pr-123") == load_pack_config("staging")
    with pytest.raises(FileNotFoundError):
        load_pack_config("qa")


def test_pack_project_files() -> None:
    project = yaml.safe_load((CONFIG_DIR.parent / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python" and project["version"]
    requirements = (CONFIG_DIR.parent / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements


def _readme_rows() -> dict[str, list[str]]:
    """The README's policy table: policy name -> its cells after the name."""
    readme = (CONFIG_DIR.parents[1] / "README.md").read_text()
    section = readme.split("## Policy pack", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (.*) \|$", section, re.M)
    return {name: [cell.strip() for cell in cells.split(" | ")] for name, cells in rows}


def _kind(policy: Policy) -> str:
    if isinstance(policy, StackValidationPolicy):
        return "stack"
    assert isinstance(policy, ResourceValidationPolicy)
    return "resource (remediation)" if policy.has_remediation() else "resource"


def test_readme_table_is_the_pack() -> None:
    """One row per policy, nothing else: kind, severity, description and levels as the pack has them."""
    rows = _readme_rows()
    production, staging = load_pack_config("production"), load_pack_config("staging")
    assert set(rows) - {"policy"} == {policy.name for policy in ALL_POLICIES}
    for policy in ALL_POLICIES:
        kind, severity, checks, why, in_production, in_staging = rows[policy.name]
        assert policy.severity is not None
        assert (kind, severity, checks) == (_kind(policy), policy.severity.value, policy.description)
        assert why, policy.name
        assert (in_production, in_staging) == (
            enforcement_level(policy, production).value,
            enforcement_level(policy, staging).value,
        ), policy.name
