"""Every Cloudflare plan limit is a settings error naming the plan, and the larger plan that allows it.

The limits come from one table (components/settings/cloudflare_plans.py, each row citing
Cloudflare's documentation); the README's plan table is rendered from it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.settings import SettingsError, load_settings
from components.settings.cloudflare_plans import plan_limits_markdown
from components.settings.stack_file import PROJECT_ROOT
from tests.support.stacks import stack_config

CLOUDFLARE = "technovastore-scaling:cloudflare"


def config_with(stack: str, top: dict[str, Any] | None = None, **cloudflare: Any) -> dict[str, str]:
    config = stack_config(stack)
    config[CLOUDFLARE] = json.dumps({**json.loads(config[CLOUDFLARE]), **cloudflare})
    for key, value in (top or {}).items():
        config[f"technovastore-scaling:{key}"] = json.dumps(value)
    return config


def problems(stack: str, top: dict[str, Any] | None = None, **cloudflare: Any) -> list[str]:
    try:
        load_settings(config_with(stack, top, **cloudflare), stack)
    except SettingsError as error:
        return [str(problem) for problem in error.problems]
    return []


def rate_limit(**changes: Any) -> dict[str, Any]:
    return {
        "ref": "api",
        "description": "d",
        "paths": ["/api/"],
        "requestsPerPeriod": 50,
        "period": 10,
        **changes,
    }


def waf(expression: str = "true", action: str = "block") -> dict[str, Any]:
    return {"ref": "w", "description": "d", "action": action, "expression": expression}


# (stack, cloudflare changes, key, message, the smallest plan that accepts the same config)
CASES: list[tuple[str, dict[str, Any], str, str, str]] = [
    (
        "production",
        {"rateLimits": [rate_limit(mitigationTimeout=86400)]},
        "rateLimits.0.mitigationTimeout = 86400",
        "the 'pro' plan allows at most 3600 s; the 'business' plan allows 86400",
        "business",
    ),
    (
        "staging",
        {"rateLimits": [rate_limit(mitigationTimeout=3600)]},
        "rateLimits.0.mitigationTimeout = 3600",
        "the 'free' plan allows at most 10 s; the 'pro' plan allows 3600",
        "pro",
    ),
    (
        "production",
        {"wafRules": [waf(action="log")]},
        "wafRules.0.action = 'log'",
        "the log action needs the 'enterprise' plan or larger, not 'pro'",
        "enterprise",
    ),
    (
        "production",
        {"rateLimits": [rate_limit(action="log")]},
        "rateLimits.0.action = 'log'",
        "the log action needs the 'enterprise' plan or larger, not 'pro'",
        "enterprise",
    ),
    (
        "production",
        {"wafRules": [waf('http.request.uri.path matches "^/wp-"')]},
        "wafRules.0.expression",
        "the regex operator (matches, ~) needs the 'business' plan or larger, not 'pro'",
        "business",
    ),
    (
        "production",
        {"wafRules": [waf('lower(http.user_agent) ~ r"curl|wget"')]},
        "wafRules.0.expression",
        "the regex operator (matches, ~) needs the 'business' plan or larger, not 'pro'",
        "business",
    ),
    (
        "staging",
        {"wafRules": [waf('any(http.request.cookies["x"][*] eq "1")')]},
        "wafRules.0.expression",
        "the field http.request.cookies needs the 'pro' plan or larger, not 'free'",
        "pro",
    ),
    (
        "production",
        {"wafRules": [waf("ip.src.is_in_european_union")]},
        "wafRules.0.expression",
        "the field ip.src.is_in_european_union needs the 'business' plan or larger, not 'pro'",
        "business",
    ),
    (
        "staging",
        {"rateLimits": [rate_limit(ref="a"), rate_limit(ref="b")]},
        "rateLimits = 2",
        "has 2 rules: the 'free' plan allows at most 1 rate-limiting rules; the 'pro' plan allows 2",
        "pro",
    ),
    (
        "production",
        {"rateLimits": [rate_limit(period=600)]},
        "rateLimits.0.period = 600",
        "the 'pro' plan allows at most 60 s; the 'business' plan allows 600",
        "business",
    ),
    (
        "staging",
        {"wafRules": [{**waf(), "ref": f"r{n}"} for n in range(6)]},
        "wafRules = 6",
        "the 'free' plan allows at most 5 WAF custom rules; the 'pro' plan allows 6",
        "pro",
    ),
    (
        "production",
        {"rateLimits": [rate_limit(period=60, action="managed_challenge", mitigationTimeout=60)]},
        "rateLimits.0.mitigationTimeout = 60",
        "a mitigation timeout with the managed_challenge action (below it, challenges throttle: set 0) "
        "needs the 'enterprise' plan or larger, not 'pro'",
        "enterprise",
    ),
    (
        "production",
        {"rateLimits": [rate_limit(mitigationTimeout=0)]},
        "rateLimits.0.mitigationTimeout = 0",
        "throttling with the block action (mitigationTimeout 0) needs the 'enterprise' plan or larger",
        "enterprise",
    ),
    (
        "staging",
        {"managedRulesets": ["cloudflare_managed"]},
        "managedRulesets.0 = 'cloudflare_managed'",
        "the cloudflare_managed managed ruleset needs the 'pro' plan or larger, not 'free'",
        "pro",
    ),
    (
        "staging",
        {"bots": {"definitelyAutomated": "block"}},
        "bots.definitelyAutomated = 'block'",
        "Super Bot Fight Mode (the free plan has Bot Fight Mode, on or off) needs the 'pro' plan",
        "pro",
    ),
    (
        "production",
        {"bots": {"likelyAutomated": "managed_challenge"}},
        "bots.likelyAutomated = 'managed_challenge'",
        "an action for likely automated traffic needs the 'business' plan or larger, not 'pro'",
        "business",
    ),
    (
        "production",
        {"purgeBatchSize": 101},
        "purgeBatchSize = 101",
        "too many: the 'pro' plan allows at most 100 URLs per request; the 'enterprise' plan allows 101",
        "enterprise",
    ),
    (
        "staging",
        {"cache": {"productEdgeTtl": 7200, "staticEdgeTtl": 3600}},
        "cache.staticEdgeTtl = 3600",
        "is below the 'free' plan's shortest edge cache TTL of 7200 s",
        "pro",
    ),
]


@pytest.mark.parametrize(
    ("stack", "changes", "key", "message", "accepted_on"), CASES, ids=[case[2] for case in CASES]
)
def test_a_value_beyond_the_plan_names_the_plan_and_the_plan_that_allows_it(
    stack: str, changes: dict[str, Any], key: str, message: str, accepted_on: str
) -> None:
    found = problems(stack, **changes)
    assert len(found) == 1, found
    [problem] = found
    assert f"technovastore-scaling:cloudflare.{key}" in problem
    assert message in problem
    assert "https://developers.cloudflare.com/" in problem
    assert problems(stack, **changes, plan=accepted_on) == []


def test_a_regex_word_inside_a_string_is_not_the_regex_operator() -> None:
    assert problems("production", wafRules=[waf('http.request.uri.path contains " matches ~ "')]) == []


def test_the_product_edge_ttl_must_reach_the_plans_shortest_edge_ttl() -> None:
    cache_ttl = {"cacheTtl": {"product": 1800}}
    [problem] = problems("production", cache_ttl, cache={})
    assert problem.startswith("technovastore-scaling:cacheTtl.product = 1800: (the product pages' edge TTL)")
    assert "below the 'pro' plan's shortest edge cache TTL of 3600 s" in problem
    assert "set cloudflare.cache.productEdgeTtl" in problem
    assert problems("production", cache_ttl, cache={"productEdgeTtl": 3600}) == []


def test_every_problem_is_listed_at_once() -> None:
    found = problems(
        "production",
        rateLimits=[
            rate_limit(mitigationTimeout=86400),
            rate_limit(ref="b", period=600),
            rate_limit(ref="c"),
        ],
        wafRules=[waf(action="log")],
        purgeBatchSize=200,
    )
    keys = [problem.split(" = ")[0].removeprefix("technovastore-scaling:cloudflare.") for problem in found]
    assert sorted(keys) == [
        "purgeBatchSize",
        "rateLimits",
        "rateLimits.0.mitigationTimeout",
        "rateLimits.1.period",
        "wafRules.0.action",
    ]


def test_a_disabled_edge_declares_nothing_a_plan_could_refuse() -> None:
    assert problems("staging", enabled=False, rateLimits=[rate_limit(ref="a"), rate_limit(ref="b")]) == []


def test_the_readme_plan_table_is_the_codes_table() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert plan_limits_markdown() in readme


def test_a_generated_expression_longer_than_cloudflare_allows_is_refused() -> None:
    paths = [f"/private/area-number-{n}/" for n in range(200)]
    [problem] = problems("production", cache={"productEdgeTtl": 3600, "bypassPaths": paths})
    assert problem.startswith("technovastore-scaling:cloudflare.cache.bypassPaths = ")
    assert "Cloudflare allows 4096: list fewer paths, extensions or cookies" in problem
