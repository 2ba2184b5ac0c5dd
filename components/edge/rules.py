"""The Cloudflare ruleset rules of a stack, as plain data (settings in, rule dicts out).

Expressions are written in Cloudflare's rules language. Every value quoted into one was
validated by the settings (no quotes or backslashes), so it cannot break out of its string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.settings.cloudflare import CloudflareSettings, RulesetKey
from components.settings.cloudflare_rules import MANAGED_RULESET_IDS, EdgeCacheSettings

# Rate limits count per client IP; Cloudflare requires the colo as a characteristic too.
RATE_LIMIT_CHARACTERISTICS = ["cf.colo.id", "ip.src"]
READ_METHODS = ("GET", "HEAD")

Rule = dict[str, Any]


@dataclass(frozen=True)
class OriginFacts:
    """What the rules must know about the origin, stated once in its own settings."""

    # cdn.sessionCookies: cookies that mark a signed-in visitor.
    session_cookies: list[str]
    # cdn.apiPrefix
    api_prefix: str = "/api/"


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


# Cloudflare's recipe for "this header is present", whatever its letter case:
# https://developers.cloudflare.com/waf/custom-rules/use-cases/require-specific-headers/
HAS_AUTHORIZATION = 'any(lower(http.request.headers.names[*])[*] eq "authorization")'
# Cache Deception Armor: a response is cached only when its Content-Type matches the URL's
# extension, so /account/orders.css answered with HTML is never stored.
DECEPTION_ARMOR = {"cache_deception_armor": True}
# The origin decides how long the edge keeps an answer. An edge TTL that overrides the origin
# would store its private and no-store answers, and strip the Set-Cookie from an answer and
# store it for everyone; respecting it, Cloudflare stores none of them:
# https://developers.cloudflare.com/cache/concepts/cache-behavior/
# The CDN tier states the TTLs below for answers that say nothing (Cloudflare-CDN-Cache-Control).
RESPECT_ORIGIN = {"mode": "respect_origin"}


def has_cookie(name: str) -> str:
    """The raw Cookie header mentions ``name``, in any letter case and however it is spaced.

    Wider than a parsed match on purpose (``tns_session =v`` and ``TNS_SESSION=v`` count):
    a false match only costs a cache miss, a missed one leaks a page. The parsed map
    ``http.request.cookies`` would also need the Pro plan.
    """
    return f"lower(http.cookie) contains {quoted(name.lower())}"


def api_except_product_reads(cache: EdgeCacheSettings, api_prefix: str) -> str:
    """The API is never cached at the edge but for product reads: the rest answers per visitor."""
    api = f"starts_with(lower(http.request.uri.path), {quoted(api_prefix.lower())})"
    product_api = [path for path in cache.product_paths if path.lower().startswith(api_prefix.lower())]
    if not product_api:
        return api
    product_read = f"({path_starts_with(product_api)}) and {in_set('http.request.method', READ_METHODS)}"
    return f"{api} and not ({product_read})"


def bypass_expression(cache: EdgeCacheSettings, origin: OriginFacts) -> str:
    """Requests whose answer belongs to one visitor.

    Paths are compared lowercased (the origin routes /Account like /account); Cloudflare's URL
    normalization has already resolved dot segments, repeated slashes and encoded letters.
    """
    return any_of(
        [
            path_starts_with(cache.bypass_paths, lower=True),
            api_except_product_reads(cache, origin.api_prefix),
            HAS_AUTHORIZATION,
            *[has_cookie(cookie) for cookie in origin.session_cookies],
        ]
    )


def cache_rules(settings: CloudflareSettings, origin: OriginFacts) -> list[Rule]:
    """Cache rules in evaluation order: every matching rule applies and the last one wins.

    So the bypass comes last and overrides both cacheable rules for anything private; a
    signed-in visitor's assets are not cached either (serve assets from a static host the
    session cookie is not sent to). https://developers.cloudflare.com/cache/how-to/cache-rules/order/
    """
    cache = settings.cache
    return [
        {
            "ref": "product_pages",
            "description": "Product pages and product API reads: cached as the origin says",
            "expression": path_starts_with(cache.product_paths),
            "action": "set_cache_settings",
            "action_parameters": {
                "cache": True,
                "edge_ttl": RESPECT_ORIGIN,
                "browser_ttl": {"mode": "override_origin", "default": cache.product_browser_ttl},
                "cache_key": {"ignore_query_strings_order": True, **DECEPTION_ARMOR},
                "serve_stale": {"disable_stale_while_updating": False},
            },
            "enabled": True,
        },
        {
            "ref": "static_assets",
            "description": "Static assets: long edge and browser TTLs",
            "expression": static_expression(cache, settings.static_hostnames),
            "action": "set_cache_settings",
            "action_parameters": {
                "cache": True,
                "edge_ttl": RESPECT_ORIGIN,
                "browser_ttl": {"mode": "override_origin", "default": cache.static_browser_ttl},
                "cache_key": dict(DECEPTION_ARMOR),
                "respect_strong_etags": True,
            },
            "enabled": True,
        },
        {
            "ref": "bypass_private",
            "description": "Never cache private paths, the API (but product reads), "
            "or requests with Authorization or a session cookie",
            "expression": bypass_expression(cache, origin),
            "action": "set_cache_settings",
            "action_parameters": {"cache": False},
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


def managed_waf_rules(settings: CloudflareSettings) -> list[Rule]:
    """One rule per managed ruleset the plan runs, each executing it on every request."""
    return [
        {
            "ref": f"execute_{name}",
            "description": f"Run the {name.replace('_', ' ')} ruleset",
            "expression": "true",
            "action": "execute",
            "action_parameters": {"id": MANAGED_RULESET_IDS[name]},
            "enabled": True,
        }
        for name in settings.active_managed_rulesets
    ]


def phase_rules(settings: CloudflareSettings, origin: OriginFacts) -> dict[RulesetKey, list[Rule]]:
    """Every phase's rules, in evaluation order; a phase without rules gets no ruleset."""
    rules: dict[RulesetKey, list[Rule]] = {
        "cache": cache_rules(settings, origin),
        "ratelimit": rate_limit_rules(settings),
        "waf": waf_rules(settings),
        "managedWaf": managed_waf_rules(settings),
    }
    return {key: phase for key, phase in rules.items() if phase}
