"""Cloudflare settings: plan limits and safety checks fail before anything is registered."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi_cloudflare
import pytest
from pydantic.alias_generators import to_snake

import preview.synth
from components.edge.rules import OriginFacts, bypass_expression
from components.edge.zone_lookup import GET_ZONE_TOKEN, ZonePlanMismatch, checked_zone_id, offline_plan
from components.settings import SettingsError, load_settings
from components.settings.cloudflare import EdgeCacheSettings
from preview.synth import synthesize
from tests.support.stacks import stack_config, synthesize_stack

KEY = "technovastore-scaling:cloudflare"


def cloudflare_config(stack: str, **changes: Any) -> dict[str, Any]:
    """The stack's own cloudflare section with ``changes`` applied."""
    return {**json.loads(stack_config(stack)[KEY]), **changes}


def rejected(stack: str, monitors: list[Any], **overrides: Any) -> str:
    with pytest.raises(SettingsError) as error:
        synthesize_stack(stack, **overrides)
    assert [m.options for m in monitors] == [{}], "nothing may be registered"
    return str(error.value)


def rate_limit(ref: str, period: int = 10) -> dict[str, Any]:
    return {"ref": ref, "description": ref, "paths": ["/api/"], "requestsPerPeriod": 50, "period": period}


def test_business_plan_accepts_a_period_pro_rejects() -> None:
    config = cloudflare_config("production", plan="business", rateLimits=[rate_limit("api", period=600)])
    synthesis = synthesize_stack("production", cloudflare=config)
    [rules] = [
        r
        for r in synthesis.of_type("cloudflare:index/ruleset:Ruleset")
        if r.inputs["phase"] == "http_ratelimit"
    ]
    assert rules.inputs["rules"][0]["ratelimit"]["period"] == 600


def test_a_plan_limit_stops_the_stack_before_anything_is_registered(monitors: list[Any]) -> None:
    config = cloudflare_config("staging", rateLimits=[rate_limit("one"), rate_limit("two")])
    message = rejected("staging", monitors, cloudflare=config)
    assert "cloudflare.rateLimits = 2: has 2 rules: the 'free' plan allows at most 1" in message


@pytest.mark.parametrize(
    ("changes", "key", "expected"),
    [
        ({"originAddress": "10.1.2.3"}, "originAddress", "must be a public address"),
        ({"originAddress": "127.0.0.1"}, "originAddress", "must be a public address"),
        ({"originAddress": "www.technovastore.com"}, "originAddress", "would point at itself"),
        ({"hostnames": ["shop.example.org"]}, "hostnames.0", "must be inside the zone technovastore.com"),
        ({"hostnames": [], "staticHostnames": []}, "hostnames", "must list at least one hostname"),
        ({"staticHostnames": ["cdn.technovastore.com"]}, "staticHostnames.0", "must be one of"),
        ({"zoneId": "not-an-id"}, "zoneId", "32 lowercase hex digits"),
        ({"cache": {"bypassPaths": ['/cart") or true or ("']}}, "cache.bypassPaths.0", "no quotes"),
        (
            {"wafRules": [{"ref": "x", "description": "d", "action": "block", "expression": 'a eq "b'}]},
            "wafRules.0.expression",
            "unterminated string",
        ),
        ({"rateLimits": [rate_limit("api", 25)]}, "rateLimits.0.period", "must be one of 10, 15, 20, 30"),
        (
            {
                "wafRules": [
                    {"ref": "x", "description": "d", "action": "block", "paths": ["/a"], "expression": "true"}
                ]
            },
            "wafRules.0.expression",
            "set exactly one of paths and expression",
        ),
        (
            {"rateLimits": [rate_limit("api"), rate_limit("api")]},
            "rateLimits.1.ref",
            "used by an earlier rule",
        ),
    ],
)
def test_unsafe_settings_name_the_key(
    changes: dict[str, Any], key: str, expected: str, monitors: list[Any]
) -> None:
    message = rejected("production", monitors, cloudflare=cloudflare_config("production", **changes))
    assert f"technovastore-scaling:cloudflare.{key}" in message
    assert expected in message


def test_browsers_may_not_keep_product_pages_longer_than_the_edge(monitors: list[Any]) -> None:
    config = cloudflare_config("production", plan="business", cache={"productBrowserTtl": 900})
    message = rejected("production", monitors, cloudflare=config, cacheTtl={"product": 600})
    assert (
        "cloudflare.cache.productBrowserTtl = 900: must not exceed the product pages' edge TTL "
        "(cacheTtl.product: 600 s)"
    ) in message


def test_product_edge_ttl_follows_cache_ttl_product() -> None:
    # Stated to Cloudflare by the CDN tier, for the pages whose origin says nothing.
    config = cloudflare_config("production", plan="business", cache={})
    synthesis = synthesize_stack("production", cloudflare=config, cacheTtl={"product": 900})
    [cdn_config] = [
        r.inputs["data"]["nginx.conf"]
        for r in synthesis.of_type("kubernetes:core/v1:ConfigMap")
        if "nginx.conf" in r.inputs.get("data", {})
    ]
    assert '"~^(?:page|api):(?:200|203|301|308):::$" "max-age=900";' in cdn_config


def test_zone_is_looked_up_by_name_or_by_id(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    answer = preview.synth._Mocks.call

    def recording(self: Any, args: Any) -> Any:
        if args.token.startswith("cloudflare:"):
            calls.append((args.token, dict(args.args)))
        return answer(self, args)

    monkeypatch.setattr(preview.synth._Mocks, "call", recording)
    account = "0123456789abcdef0123456789abcdef"
    synthesize_stack("production", cloudflare=cloudflare_config("production", accountId=account))
    by_id = "fedcba9876543210fedcba9876543210"
    synthesis = synthesize_stack("production", cloudflare=cloudflare_config("production", zoneId=by_id))
    by_name_zone = hashlib.sha256(b"technovastore.com").hexdigest()[:32]  # the offline lookup's id
    assert calls == [
        (
            "cloudflare:index/getZone:getZone",
            {"filter": {"name": "technovastore.com", "match": "all", "account": {"id": account}}},
        ),
        # Then the zone's rulesets, to find entrypoints made elsewhere.
        ("cloudflare:index/getRulesets:getRulesets", {"zoneId": by_name_zone}),
        ("cloudflare:index/getZone:getZone", {"zoneId": by_id}),
        ("cloudflare:index/getRulesets:getRulesets", {"zoneId": by_id}),
    ]
    assert synthesis.outputs["edge"]["zoneId"] == by_id


def test_a_zone_on_a_smaller_plan_than_configured_stops_the_deployment() -> None:
    # Checked on the lookup's result (a failed run under the mock runtime would leak into the next).
    plan = pulumi_cloudflare.outputs.GetZonePlanResult(
        **{to_snake(key): value for key, value in offline_plan("free").items()}
    )
    zone = pulumi_cloudflare.GetZoneResult(id="ab" * 16, name="technovastore.com", plan=plan)
    settings = load_settings(stack_config("production"), "production").cloudflare
    with pytest.raises(ZonePlanMismatch, match=r"is on the 'free' plan but cloudflare\.plan is 'pro'"):
        checked_zone_id(zone, settings)
    assert checked_zone_id(zone, settings.model_copy(update={"plan": "free"})) == "ab" * 16


def test_a_zone_on_a_larger_plan_is_fine() -> None:
    zone = {"id": "ab" * 16, "name": "technovastore.com", "plan": offline_plan("enterprise")}
    synthesis = synthesize("production", stack_config("production"), invoke_answers={GET_ZONE_TOKEN: zone})
    assert synthesis.outputs["edge"]["zoneId"] == "ab" * 16


def test_the_edge_bypasses_every_configured_session_cookie() -> None:
    expression = bypass_expression(EdgeCacheSettings(), OriginFacts(["tns_session", "Connect.SID"]))

    assert 'lower(http.cookie) contains "tns_session"' in expression
    assert 'lower(http.cookie) contains "connect.sid"' in expression
