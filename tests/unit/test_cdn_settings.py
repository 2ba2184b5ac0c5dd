"""The cdn section of the stack settings: defaults, and errors that name the key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.settings import SettingsError, load_settings
from tests.support.stacks import stack_config


def load_with_cdn(cdn: dict[str, Any], **other: Any) -> Any:
    config = stack_config("staging")
    # On top of staging's own cdn settings (its exposure is Cloudflare's origin).
    config["technovastore-scaling:cdn"] = json.dumps(
        {**json.loads(config["technovastore-scaling:cdn"]), **cdn}
    )
    config.update({f"technovastore-scaling:{k}": json.dumps(v) for k, v in other.items()})
    return load_settings(config, "staging")


def problems(cdn: dict[str, Any], **other: Any) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        load_with_cdn(cdn, **other)
    return [str(problem) for problem in raised.value.problems]


def test_defaults_are_the_documented_ones() -> None:
    cdn = load_with_cdn({}).cdn

    assert cdn.ttl.fingerprinted_seconds == 365 * 86400
    assert (cdn.rate_limit.requests_per_second, cdn.rate_limit.burst) == (50, 100)
    assert cdn.brotli is False
    assert cdn.sample_static_urls == ["/favicon.ico", "/manifest.json", "/robots.txt"]


def test_camel_case_keys_reach_nested_fields() -> None:
    cdn = load_with_cdn(
        {
            "ttl": {"htmlSeconds": 5},
            "rateLimit": {"burst": 7},
            "securityHeaders": {"frameOptions": "SAMEORIGIN"},
        }
    ).cdn

    assert (cdn.ttl.html_seconds, cdn.rate_limit.burst, cdn.security_headers.frame_options) == (
        5,
        7,
        "SAMEORIGIN",
    )


@pytest.mark.parametrize(
    "cdn, key",
    [
        ({"rateLimit": {"burst": -1}}, "cdn.rateLimit.burst"),
        ({"ttl": {"htmlSeconds": 0}}, "cdn.ttl.htmlSeconds"),
        (
            {"securityHeaders": {"contentSecurityPolicy": 'default-src "self"'}},
            "cdn.securityHeaders.contentSecurityPolicy",
        ),
        ({"securityHeaders": {"frameOptions": "ALLOW"}}, "cdn.securityHeaders.frameOptions"),
        ({"sessionCookies": ["tns_session", "sid; evil"]}, "cdn.sessionCookies.1"),
        ({"sampleStaticUrls": ["favicon.ico"]}, "cdn.sampleStaticUrls.0"),
        ({"trustedProxies": ["10.0.0.0/8", "not-a-network"]}, "cdn.trustedProxies.1"),
        ({"apiPrefix": "/api"}, "cdn.apiPrefix"),
        ({"minReplicas": 4, "maxReplicas": 3}, "cdn.maxReplicas"),
        ({"statusPort": 8080}, "cdn.statusPort"),
        ({"allowedMethods": ["GET", "get"]}, "cdn.allowedMethods.1"),
        ({"image": "nginxinc/nginx-unprivileged:latest"}, "cdn.image"),
        ({"brotly": True}, "cdn.brotly"),
    ],
)
def test_bad_values_name_their_key(cdn: dict[str, Any], key: str) -> None:
    found = problems(cdn)

    assert any(f"technovastore-scaling:{key} " in p or f"technovastore-scaling:{key}:" in p for p in found), (
        found
    )


def test_every_problem_is_reported_at_once() -> None:
    found = problems({"rateLimit": {"burst": -1}, "ttl": {"imagesSeconds": 0}, "port": 80})

    assert len(found) == 3
    assert {p.split(" = ")[0] for p in found} == {
        "technovastore-scaling:cdn.rateLimit.burst",
        "technovastore-scaling:cdn.ttl.imagesSeconds",
        "technovastore-scaling:cdn.port",
    }


def test_origin_must_be_a_configured_service() -> None:
    found = problems({"originService": "nope"})

    assert any("cdn.originService" in p for p in found), found


def test_shared_memory_must_fit_in_the_memory_limit() -> None:
    found = problems(
        {
            "expectedKeys": 2_000_000,
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"},
            },
        }
    )

    assert any("cdn.expectedKeys" in p and "shared memory" in p for p in found), found
