"""The Cloudflare ruleset rules of a stack, as plain data (settings in, rule dicts out).

Expressions are written in Cloudflare's rules language. Every value quoted into one was
validated by the settings (no quotes or backslashes), so it cannot break out of its string.
"""

from __future__ import annotations

from typing import Any

from components.settings.cloudflare import CloudflareSettings, EdgeCacheSettings

# Rate limits count per client IP; Cloudflare requires the colo as a characteristic too.
RATE_LIMIT_CHARACTERISTICS = ["cf.colo.id", "ip.src"]
READ_METHODS = ("GET", "HEAD")

Rule = dict[str, Any]


def quoted(value: str) -> str:
    return f'"{value}"'


def any_of(conditions: list[str]) -> str:
    """``a or b or c``, each in parentheses; one condition stays as it is."""
    if len(conditions) == 1:
        return conditions[0]
    return " or ".join(f"({condition})" for condition in conditions)


def path_starts_with(paths: list[str], *, lower: bool = False) -> str:
    field = "lower(http.request.uri.path)" if lower else "http.request.uri.path"
    return any_of([f"starts_with({field}, {quoted(path.lower() if lower else path)})" for path in paths])


def in_set(field: str, values: list[str] | tuple[str, ...]) -> str:
    return f"{field} in {{{' '.join(quoted(v) for v in values)}}}"


def static_expression(cache: EdgeCacheSettings, static_hostnames: list[str]) -> str:
    conditions = [in_set("http.request.uri.path.extension", cache.static_extensions)]
    if cache.static_paths:
        conditions.append(path_starts_with(cache.static_paths))
    if static_hostnames:
        conditions.append(in_set("http.host", static_hostnames))
    return any_of(conditions)


def bypass_expression(cache: EdgeCacheSettings, session_cookies: list[str]) -> str:
    api_write = (
        f'starts_with(http.request.uri.path, "/api/") and not {in_set("http.request.method", READ_METHODS)}'
    )
    return any_of(
        [
            path_starts_with(cache.bypass_paths),
            api_write,
            # Personalised responses: anything a signed-in visitor asks for.
            *[f"http.cookie contains {quoted(cookie + '=')}" for cookie in session_cookies],
        ]
    )


def cache_rules(settings: CloudflareSettings, product_ttl: int, session_cookies: list[str]) -> list[Rule]:
    """Cache rules in evaluation order: a later matching rule overrides an earlier one.

    So products come first, the bypass second, and static assets last: assets stay cacheable
    for signed-in visitors, product pages do not.
    """
    cache = settings.cache
    return [
        {
            "ref": "product_pages",
            "description": "Product pages and product API reads: cached for cacheTtl.product",
            "expression": path_starts_with(cache.product_paths),
            "action": "set_cache_settings",
            "action_parameters": {
                "cache": True,
                "edge_ttl": {"mode": "override_origin", "default": product_ttl},
                "browser_ttl": {"mode": "override_origin", "default": cache.product_browser_ttl},
                "cache_key": {"ignore_query_strings_order": True},
                "serve_stale": {"disable_stale_while_updating": False},
            },
            "enabled": True,
        },
        {
            "ref": "bypass_private",
            "description": "Never cache cart, checkout, account, API writes or signed-in requests",
            "expression": bypass_expression(cache, session_cookies),
            "action": "set_cache_settings",
            "action_parameters": {"cache": False},
            "enabled": True,
        },
        {
            "ref": "static_assets",
            "description": "Static assets: long edge and browser TTLs",
            "expression": static_expression(cache, settings.static_hostnames),
            "action": "set_cache_settings",
            "action_parameters": {
                "cache": True,
                "edge_ttl": {"mode": "override_origin", "default": cache.static_edge_ttl},
                "browser_ttl": {"mode": "override_origin", "default": cache.static_browser_ttl},
                "respect_strong_etags": True,
            },
            "enabled": True,
        },
    ]


def rate_limit_rules(settings: CloudflareSettings) -> list[Rule]:
    return [
        {
            "ref": rule.ref,
            "description": rule.description,
            "expression": path_starts_with(rule.paths),
            "action": rule.action,
            "ratelimit": {
                "characteristics": list(RATE_LIMIT_CHARACTERISTICS),
                "period": rule.period,
                "requests_per_period": rule.requests_per_period,
                "mitigation_timeout": rule.mitigation_timeout,
            },
            "enabled": True,
        }
        for rule in settings.rate_limits
    ]


def waf_rules(settings: CloudflareSettings) -> list[Rule]:
    return [
        {
            "ref": rule.ref,
            "description": rule.description,
            # Probes come in any letter case: compare the lowercased path.
            "expression": rule.expression or path_starts_with(rule.paths, lower=True),
            "action": rule.action,
            "enabled": True,
        }
        for rule in settings.waf_rules
    ]
