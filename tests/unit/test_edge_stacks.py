"""The Cloudflare edge each stack declares, field by field, under the mock runtime."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from components.settings.cdn import DEFAULT_SESSION_COOKIES
from preview.synth import DeclaredResource, Synthesis
from tests.support.stacks import synthesize_stack

CF = "cloudflare:index/"
EDGE_TYPE = "technovastore:edge:CloudflareEdge"
ZONES = {"production": "technovastore.com", "staging": "technovastore-staging.com"}
PATH = "http.request.uri.path"
LOWER_PATH = "lower(http.request.uri.path)"


def zone_id(stack: str) -> str:
    # Offline, the zone lookup answers with an id derived from the zone name.
    return hashlib.sha256(ZONES[stack].encode()).hexdigest()[:32]


def starts(*paths: str, field: str = PATH) -> str:
    parts = [f'starts_with({field}, "{path}")' for path in paths]
    return parts[0] if len(parts) == 1 else " or ".join(f"({part})" for part in parts)


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
    assert len(resources) == 9 + 3 + 3 + 1  # zone settings, rulesets, records, tiered cache
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
    }
    assert hsts == {
        "strictTransportSecurity": {
            "enabled": True,
            "maxAge": 31536000,
            "includeSubdomains": True,
            "preload": False,
            "nosniff": True,
        }
    }


def test_cache_rules_products_then_bypass_then_static(synthesis: Synthesis) -> None:
    zone = ZONES[synthesis.stack]
    cache = ruleset(synthesis, "http_request_cache_settings")
    assert cache["kind"] == "zone"
    product, bypass, static = cache["rules"]
    assert product == {
        "ref": "product_pages",
        "description": "Product pages and product API reads: cached for cacheTtl.product",
        "expression": starts("/products/", "/api/products/"),
        "action": "set_cache_settings",
        "actionParameters": {
            "cache": True,
            "edgeTtl": {"mode": "override_origin", "default": 1800},  # cacheTtl.product
            "browserTtl": {"mode": "override_origin", "default": 60},
            "cacheKey": {"ignoreQueryStringsOrder": True},
            "serveStale": {"disableStaleWhileUpdating": False},
        },
        "enabled": True,
    }
    private_paths = starts(
        *("/cart", "/checkout", "/account", "/login", "/logout"),
        *("/api/cart", "/api/orders", "/api/auth", "/api/users"),
    )
    api_writes = f'starts_with({PATH}, "/api/") and not http.request.method in {{"GET" "HEAD"}}'
    signed_in = " or ".join(f'(http.cookie contains "{name}=")' for name in DEFAULT_SESSION_COOKIES)
    assert bypass == {
        "ref": "bypass_private",
        "description": "Never cache cart, checkout, account, API writes or signed-in requests",
        "expression": f"({private_paths}) or ({api_writes}) or {signed_in}",
        "action": "set_cache_settings",
        "actionParameters": {"cache": False},
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
            "respectStrongEtags": True,
        },
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
    origin = {"production": "cdn-origin.technovastore.net", "staging": "cdn-origin-staging.technovastore.net"}
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


def test_smart_tiered_cache_is_on(synthesis: Synthesis) -> None:
    [tiered] = synthesis.of_type(f"{CF}tieredCache:TieredCache")
    assert tiered.inputs == {"zoneId": zone_id(synthesis.stack), "value": "on"}


def test_outputs_name_the_zone_hostnames_and_rulesets(synthesis: Synthesis) -> None:
    zone = ZONES[synthesis.stack]
    assert synthesis.outputs["edge"] == {
        "zoneId": zone_id(synthesis.stack),
        "hostnames": [zone, f"www.{zone}", f"static.{zone}"],
        "rulesetIds": {"cache": "edge-cache-id", "ratelimit": "edge-ratelimit-id", "waf": "edge-waf-id"},
    }


@pytest.mark.parametrize("stack", ["production", "pr-17"])
def test_disabled_or_review_stack_declares_no_cloudflare_resource(stack: str) -> None:
    # pr-<n> stacks read staging's config (Cloudflare enabled) but must not manage its zone.
    overrides = {"cloudflare": {"enabled": False}} if stack == "production" else {}
    synthesis = synthesize_stack(stack, **overrides)
    assert cloudflare_resources(synthesis) == []
    assert synthesis.of_type(EDGE_TYPE) == []
    assert "edge" not in synthesis.outputs
    assert synthesis.of_type("kubernetes:apps/v1:Deployment")  # the rest is still there
