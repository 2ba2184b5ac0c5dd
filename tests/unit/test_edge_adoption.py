"""A zone that already has a phase's entrypoint ruleset: stop with how to adopt it, or adopt it.

Cloudflare refuses a second entrypoint ruleset per phase ("A similar configuration with rules
already exists"), so the program lists the zone's rulesets (getRulesets) before writing any.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.edge.zone_lookup import (
    GET_RULESETS_TOKEN,
    EntrypointExists,
    check_entrypoints,
    offline_ruleset,
    ruleset_name,
    zone_lookup_answers,
)
from components.settings import SettingsError, load_settings
from components.settings.cloudflare import CloudflareSettings, RulesetKey
from preview.synth import synthesize
from tests.support.stacks import stack_config

ZONE_ID = "0123456789abcdef0123456789abcdef"
FOREIGN_CACHE = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
FOREIGN_WAF = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def production(**cloudflare: Any) -> dict[str, str]:
    config = stack_config("production")
    key = "technovastore-scaling:cloudflare"
    config[key] = json.dumps({**json.loads(config[key]), **cloudflare})
    return config


def edge_settings(**cloudflare: Any) -> CloudflareSettings:
    return load_settings(production(**cloudflare), "production").cloudflare


def test_a_foreign_entrypoint_stops_the_run_naming_the_phase_and_how_to_adopt_it() -> None:
    existing = [
        offline_ruleset("cache", FOREIGN_CACHE, "default"),
        offline_ruleset("waf", FOREIGN_WAF, "made in the dashboard"),
        {**offline_ruleset("ratelimit", "c" * 32, "a managed one"), "kind": "managed"},
    ]
    with pytest.raises(EntrypointExists) as error:
        check_entrypoints(existing, edge_settings(), "production", ZONE_ID)
    message = str(error.value)
    assert message.count("already has an entrypoint ruleset") == 2
    assert f"phase http_request_cache_settings (id {FOREIGN_CACHE}, name 'default')" in message
    assert f"cloudflare.adoptRulesets.cache: {FOREIGN_CACHE} and cloudflare.zoneId: {ZONE_ID}" in message
    assert (
        "pulumi import --stack production --protect=false --parent 'edge=<URN of the CloudflareEdge, "
        "from pulumi stack --show-urns>' cloudflare:index/ruleset:Ruleset edge-cache "
        f"zones/{ZONE_ID}/{FOREIGN_CACHE}"
    ) in message
    assert f"phase http_request_firewall_custom (id {FOREIGN_WAF}" in message
    assert "http_ratelimit" not in message  # not an entrypoint (kind managed)


def test_entrypoints_this_stack_made_or_adopted_pass() -> None:
    keys: list[RulesetKey] = ["cache", "waf"]
    ours = [offline_ruleset(key, f"{n}" * 32, ruleset_name(key)) for n, key in enumerate(keys)]
    adopted = edge_settings(zoneId=ZONE_ID, adoptRulesets={"cache": FOREIGN_CACHE})
    check_entrypoints(ours, edge_settings(), "production", ZONE_ID)
    check_entrypoints([offline_ruleset("cache", FOREIGN_CACHE, "default")], adopted, "production", ZONE_ID)


def test_a_phase_this_stack_does_not_declare_is_left_alone() -> None:
    settings = edge_settings(rateLimits=[])
    check_entrypoints([offline_ruleset("ratelimit", FOREIGN_CACHE, "x")], settings, "production", ZONE_ID)


def test_the_program_checks_the_zones_rulesets_before_writing_any() -> None:
    config = production()
    answers = zone_lookup_answers(load_settings(config, "production"))
    answers[GET_RULESETS_TOKEN] = {"rulesets": [offline_ruleset("cache", FOREIGN_CACHE, "default")]}
    with pytest.raises(EntrypointExists, match="phase http_request_cache_settings"):
        synthesize("production", config, invoke_answers=answers)


def test_an_adopted_entrypoint_is_imported_and_its_rules_replaced() -> None:
    config = production(zoneId=ZONE_ID, adoptRulesets={"cache": FOREIGN_CACHE, "managedWaf": FOREIGN_WAF})
    synthesis = synthesize(
        "production", config, invoke_answers=zone_lookup_answers(load_settings(config, "production"))
    )
    imports = {r.name: r.import_id for r in synthesis.of_type("cloudflare:index/ruleset:Ruleset")}
    assert imports == {
        "edge-cache": f"zones/{ZONE_ID}/{FOREIGN_CACHE}",
        "edge-managedWaf": f"zones/{ZONE_ID}/{FOREIGN_WAF}",
        "edge-ratelimit": None,
        "edge-waf": None,
    }
    [cache] = [r for r in synthesis.of_type("cloudflare:index/ruleset:Ruleset") if r.name == "edge-cache"]
    assert cache.inputs["name"] == "technovastore cache rules"
    assert [rule["ref"] for rule in cache.inputs["rules"]] == [
        "product_pages",
        "static_assets",
        "bypass_private",
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"adoptRulesets": {"cache": FOREIGN_CACHE}}, "cloudflare.adoptRulesets = {'cache'"),
        (
            {"zoneId": ZONE_ID, "rateLimits": [], "adoptRulesets": {"ratelimit": FOREIGN_CACHE}},
            "cloudflare.adoptRulesets.ratelimit = 'aaaa",
        ),
        ({"zoneId": ZONE_ID, "adoptRulesets": {"transform": FOREIGN_CACHE}}, "adoptRulesets.transform"),
    ],
)
def test_adoption_settings_are_checked(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(production(**changes), "production")
    assert expected in str(error.value)
