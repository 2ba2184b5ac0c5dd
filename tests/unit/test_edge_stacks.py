"""The Cloudflare edge each stack declares, field by field, under the mock runtime."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from cloudflare.types.zones.setting_edit_params import (
    Variant1ValueZonesSecurityHeaderValue as SecurityHeaderValue,
)
from cloudflare.types.zones.setting_edit_params import (
    Variant1ValueZonesSecurityHeaderValueStrictTransportSecurity as StrictTransportSecurity,
)

from components.settings.cdn import DEFAULT_SESSION_COOKIES
from preview.synth import OFFLINE_LOAD_BALANCER, DeclaredResource, Synthesis
from tests.support.stacks import stack_config, synthesize_stack

CF = "cloudflare:index/"
EDGE_TYPE = "technovastore:edge:CloudflareEdge"
ZONES = {"production": "technovastore.com", "staging": "technovastore-staging.com"}
PATH = "http.request.uri.path"
LOWER_PATH = "lower(http.request.uri.path)"


def cloudflare_section(stack: str) -> dict[str, Any]:
    return dict(json.loads(stack_config(stack)["technovastore-scaling:cloudflare"]))


def zone_id(stack: str) -> str:
    # Offline, the zone lookup answers with an id derived from the zone name.
    return hashlib.sha256(ZONES[stack].encode()).hexdigest()[:32]


def starts(*paths: str, field: str = PATH) -> str:
    parts = [f'starts_with({field}, "{path}")' for path in paths]
    return parts[0] if len(parts) == 1 else " or ".join(f"({part})" for part in parts)


def _cloudflare(stack: str) -> dict[str, Any]:
    return dict(json.loads(stack_config(stack)["technovastore-scaling:cloudflare"]))


def edge_of(synthesis: Synthesis) -> DeclaredResource:
    [edge] = synthesis.of_type(EDGE_TYPE)
    return edge


def cloudflare_resources(synthesis: Synthesis) -> list[DeclaredResource]:
    return [r for r in synthesis.resources if r.type.startswith("cloudflare:")]


def ruleset(synthesis: Synthesis, phase: str) -> dict[str, Any]:
    [found] = [r for r in synthesis.of_type(f"{CF}ruleset:Ruleset") if r.inputs["phase"] == phase]
    return found.inputs


def test_every_cloudflare_resource_is_a_child_of_the_edge(synthesis: Synthesis) -> None:
    edge = edge_of(synthesis)
    resources = cloudflare_resources(synthesis)
    # zone settings, rulesets, records, tiered cache, DNSSEC, bots, URL normalization
    assert len(resources) == 11 + 4 + 3 + 1 + 1 + 1 + 1
    assert {r.parent for r in resources} == {edge.urn}
    assert len({r.urn for r in synthesis.resources}) == len(synthesis.resources)
    assert {r.inputs["zoneId"] for r in resources} == {zone_id(synthesis.stack)}


def test_zone_settings_are_the_security_and_performance_baseline(synthesis: Synthesis) -> None:
    settings = {
        r.inputs["settingId"]: r.inputs["value"] for r in synthesis.of_type(f"{CF}zoneSetting:ZoneSetting")
    }
    hsts = settings.pop("security_header")
    assert {f"{setting}={value}" for setting, value in settings.items()} == {
        "ssl=strict",
        "min_tls_version=1.2",
        "tls_1_3=on",
        "always_use_https=on",
        "automatic_https_rewrites=on",
        "brotli=on",
        "http3=on",
        "early_hints=on",
        "security_level=medium",
        "browser_check=on",
    }
    # The keys are the API's own, as the installed cloudflare SDK types them.
    assert set(hsts) == set(SecurityHeaderValue.__annotations__)
    assert set(hsts["strict_transport_security"]) == set(StrictTransportSecurity.__annotations__)
    assert hsts == {
        "strict_transport_security": {
            "enabled": True,
            "max_age": 31536000,
            "include_subdomains": True,
            "preload": False,
            "nosniff": True,
        }
    }


def test_cache_rules_products_then_static_then_the_bypass_last(synthesis: Synthesis) -> None:
    zone = ZONES[synthesis.stack]
    cache = ruleset(synthesis, "http_request_cache_settings")
    assert cache["kind"] == "zone"
    product, static, bypass = cache["rules"]
    assert product == {
        "ref": "product_pages",
        "description": "Product pages and product API reads: cached for the product edge TTL",
        "expression": starts("/products/", "/api/products/"),
        "action": "set_cache_settings",
        "actionParameters": {
            "cache": True,
            # cloudflare.cache.productEdgeTtl: the plan's shortest edge TTL
            "edgeTtl": {
                "mode": "override_origin",
                "default": {"production": 3600, "staging": 7200}[synthesis.stack],
            },
            "browserTtl": {"mode": "override_origin", "default": 60},
            "cacheKey": {"ignoreQueryStringsOrder": True, "cacheDeceptionArmor": True},
            "serveStale": {"disableStaleWhileUpdating": False},
        },
        "enabled": True,
    }
    extensions = (
        '"css" "js" "mjs" "map" "png" "jpg" "jpeg" "gif" "webp" "avif" "svg" "ico" "woff" "woff2" "ttf"'
    )
    assert static == {
        "ref": "static_assets",
        "description": "Static assets: long edge and browser TTLs",
        "expression": (
            f"(http.request.uri.path.extension in {{{extensions}}})"
            f" or ({starts('/static/', '/assets/', '/images/')})"
            f' or (http.host in {{"static.{zone}"}})'
        ),
        "action": "set_cache_settings",
        "actionParameters": {
            "cache": True,
            "edgeTtl": {"mode": "override_origin", "default": 30 * 86400},
            "browserTtl": {"mode": "override_origin", "default": 7 * 86400},
            "cacheKey": {"cacheDeceptionArmor": True},
            "respectStrongEtags": True,
        },
        "enabled": True,
    }
    private_paths = starts(
        *("/cart", "/checkout", "/account", "/login", "/logout"),
        *("/api/cart", "/api/orders", "/api/auth", "/api/users"),
        field=LOWER_PATH,
    )
    api_but_product_reads = (
        f'starts_with({LOWER_PATH}, "/api/") and not '
        f'(({starts("/api/products/")}) and http.request.method in {{"GET" "HEAD"}})'
    )
    assert bypass == {
        "ref": "bypass_private",
        "description": "Never cache private paths, the API (but product reads), "
        "or requests with Authorization or a session cookie",
        "expression": (
            f"({private_paths}) or ({api_but_product_reads})"
            ' or (any(lower(http.request.headers.names[*])[*] eq "authorization"))'
            + "".join(
                f' or (lower(http.cookie) contains "{name.lower()}")' for name in DEFAULT_SESSION_COOKIES
            )
        ),
        "action": "set_cache_settings",
        "actionParameters": {"cache": False},
        "enabled": True,
    }


def test_production_rate_limits_login_and_api_within_pro_plan() -> None:
    rules = ruleset(synthesize_stack("production"), "http_ratelimit")["rules"]
    per_client = ["cf.colo.id", "ip.src"]
    assert rules == [
        {
            "ref": "login",
            "description": "Slow down credential stuffing on the login endpoints",
            "expression": starts("/api/auth/login", "/login"),
            "action": "block",
            "ratelimit": {
                "characteristics": per_client,
                "period": 60,
                "requestsPerPeriod": 10,
                "mitigationTimeout": 60,
            },
            "enabled": True,
        },
        {
            "ref": "api",
            "description": "Cap API calls per client",
            "expression": starts("/api/"),
            "action": "managed_challenge",
            "ratelimit": {
                "characteristics": per_client,
                "period": 60,
                "requestsPerPeriod": 600,
                "mitigationTimeout": 0,
            },
            "enabled": True,
        },
    ]


def test_staging_has_one_free_plan_rate_limit_over_api_and_login() -> None:
    rules = ruleset(synthesize_stack("staging"), "http_ratelimit")["rules"]
    assert rules == [
        {
            "ref": "api_and_login",
            "description": "Cap API and login calls per client",
            "expression": starts("/api/", "/login"),
            "action": "block",
            "ratelimit": {
                "characteristics": ["cf.colo.id", "ip.src"],
                "period": 10,
                "requestsPerPeriod": 100,
                "mitigationTimeout": 10,
            },
            "enabled": True,
        }
    ]


def test_waf_blocks_probes_and_challenges_anonymous_clients(synthesis: Synthesis) -> None:
    rules = ruleset(synthesis, "http_request_firewall_custom")["rules"]
    probes = starts(
        *("/.env", "/.git", "/.svn", "/.hg", "/.aws", "/.ssh", "/.ds_store"),
        *("/wp-admin", "/wp-login.php", "/xmlrpc.php", "/phpmyadmin", "/server-status", "/cgi-bin"),
        field=LOWER_PATH,
    )
    assert [(r["ref"], r["action"], r["expression"]) for r in rules] == [
        ("block_probes", "block", probes),
        (
            "block_unknown_methods",
            "block",
            'not http.request.method in {"GET" "HEAD" "POST" "PUT" "PATCH" "DELETE" "OPTIONS"}',
        ),
        ("challenge_anonymous_clients", "managed_challenge", 'http.user_agent eq ""'),
    ]
    assert all(r["enabled"] and r["description"] for r in rules)


def test_records_are_proxied_to_the_cdn_origin(synthesis: Synthesis) -> None:
    zone = ZONES[synthesis.stack]
    # The origin is the CDN's public address (its Ingress's load balancer), not a configured name.
    origin = {stack: OFFLINE_LOAD_BALANCER for stack in ("production", "staging")}
    assert synthesis.outputs["cdnAddress"] == OFFLINE_LOAD_BALANCER
    records = sorted(
        (r.inputs for r in synthesis.of_type(f"{CF}dnsRecord:DnsRecord")), key=lambda i: i["name"]
    )
    assert [r["name"] for r in records] == sorted([zone, f"www.{zone}", f"static.{zone}"])
    for record in records:
        assert record == {
            "zoneId": zone_id(synthesis.stack),
            "name": record["name"],
            "type": "CNAME",
            "content": origin[synthesis.stack],
            "ttl": 1,
            "proxied": True,
            "comment": "technovastore: proxied to the CDN tier",
        }


def test_dnssec_is_on(synthesis: Synthesis) -> None:
    [dnssec] = synthesis.of_type(f"{CF}zoneDnssec:ZoneDnssec")
    assert dnssec.inputs == {"zoneId": zone_id(synthesis.stack), "status": "active"}


# https://developers.cloudflare.com/bots/plans/: Bot Fight Mode on Free, Super Bot Fight Mode on
# Pro (without the Business-only "likely automated" class).
BOTS: dict[str, dict[str, Any]] = {
    "production": {
        "sbfmDefinitelyAutomated": "managed_challenge",
        "sbfmVerifiedBots": "allow",
        "sbfmStaticResourceProtection": False,
        "enableJs": True,
    },
    "staging": {"fightMode": True, "enableJs": True},
}
# https://developers.cloudflare.com/waf/managed-rules/: Free Managed, Cloudflare Managed, OWASP.
FREE_MANAGED, CLOUDFLARE_MANAGED, OWASP = (
    "77454fe2d30c4220b5701f6fdfb893ba",
    "efb7b8c949ac4650a09736fc376e9aee",
    "4814384a9e5d4991b9815dcfc25d2f1f",
)


def managed_rulesets_run(synthesis: Synthesis) -> list[str]:
    rules = ruleset(synthesis, "http_request_firewall_managed")["rules"]
    assert all(rule["action"] == "execute" and rule["expression"] == "true" for rule in rules)
    return [rule["actionParameters"]["id"] for rule in rules]


def test_bot_protection_and_managed_waf_are_what_each_plan_has(synthesis: Synthesis) -> None:
    [bots] = synthesis.of_type(f"{CF}botManagement:BotManagement")
    assert bots.inputs == {"zoneId": zone_id(synthesis.stack), **BOTS[synthesis.stack]}
    expected = {"production": [CLOUDFLARE_MANAGED], "staging": [FREE_MANAGED]}
    assert managed_rulesets_run(synthesis) == expected[synthesis.stack]


def test_business_plan_options_are_declared() -> None:
    config = {
        **_cloudflare("production"),
        "plan": "business",
        "bots": {"likelyAutomated": "block"},
        "managedRulesets": ["cloudflare_managed", "owasp_core"],
    }
    synthesis = synthesize_stack("production", cloudflare=config)
    [bots] = synthesis.of_type(f"{CF}botManagement:BotManagement")
    assert bots.inputs["sbfmLikelyAutomated"] == "block"
    assert managed_rulesets_run(synthesis) == [CLOUDFLARE_MANAGED, OWASP]


def test_rules_and_origin_read_one_normalized_url(synthesis: Synthesis) -> None:
    [normalization] = synthesis.of_type(f"{CF}urlNormalizationSettings:UrlNormalizationSettings")
    assert normalization.inputs == {"zoneId": zone_id(synthesis.stack), "type": "cloudflare", "scope": "both"}


def test_smart_tiered_cache_is_on(synthesis: Synthesis) -> None:
    [tiered] = synthesis.of_type(f"{CF}tieredCache:TieredCache")
    assert tiered.inputs == {"zoneId": zone_id(synthesis.stack), "value": "on"}


def test_outputs_name_the_zone_hostnames_and_rulesets(synthesis: Synthesis) -> None:
    zone = ZONES[synthesis.stack]
    assert synthesis.outputs["edge"] == {
        "zoneId": zone_id(synthesis.stack),
        "hostnames": [zone, f"www.{zone}", f"static.{zone}"],
        "rulesetIds": {
            "cache": "edge-cache-id",
            "ratelimit": "edge-ratelimit-id",
            "waf": "edge-waf-id",
            "managedWaf": "edge-managedWaf-id",
        },
    }


@pytest.mark.parametrize("stack", ["production", "pr-17"])
def test_disabled_or_review_stack_declares_no_cloudflare_resource(stack: str) -> None:
    # pr-<n> stacks read staging's config (Cloudflare enabled) but must not manage its zone.
    disabled = {"cloudflare": {**cloudflare_section(stack), "enabled": False}}
    overrides = disabled if stack == "production" else {}
    synthesis = synthesize_stack(stack, **overrides)
    assert cloudflare_resources(synthesis) == []
    assert synthesis.of_type(EDGE_TYPE) == []
    assert "edge" not in synthesis.outputs
    assert synthesis.of_type("kubernetes:apps/v1:Deployment")  # the rest is still there
