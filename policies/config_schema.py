"""The JSON Schema of a pack config file (policies/config/<stack>.json), built from the pack.

The Pulumi CLI validates each policy's settings against its ``config_schema``; this schema
adds what the CLI checks around them (known policy names, enforcement levels), so a typo in
a config file fails the tests instead of being ignored.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from policies.rules import ALL_POLICIES

LEVELS = [level.value for level in EnforcementLevel]


def policy_schema(policy: Policy) -> dict[str, Any]:
    properties = dict(policy.config_schema.properties) if policy.config_schema else {}
    return {
        "oneOf": [
            {"enum": LEVELS},
            {
                "type": "object",
                "properties": {"enforcementLevel": {"enum": LEVELS}, **properties},
                "additionalProperties": False,
            },
        ]
    }


def pack_config_schema(policies: list[Policy] | None = None) -> dict[str, Any]:
    chosen = ALL_POLICIES if policies is None else policies
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "TechNovaStore policy pack config",
        "type": "object",
        "properties": {"all": {"enum": LEVELS}, **{p.name: policy_schema(p) for p in chosen}},
        "additionalProperties": False,
    }
