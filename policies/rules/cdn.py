"""The NGINX CDN tier: its nginx.conf (as shipped in a ConfigMap) hides versions, sends security
headers on every response, answers rate-limited clients with 429, and caches safely."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies.spec import Report, Validate, object_policy, resource_policy, settings
from policies.textconf import NginxBlock, configmap_nginx_blocks

NginxCheck = Callable[[ResourceValidationArgs, list[NginxBlock], Report], None]


def nginx_policy(check: NginxCheck) -> Validate:
    """Run ``check`` over the parsed NGINX config of each ConfigMap that carries one."""

    def on_configmap(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
        blocks = configmap_nginx_blocks(args.props)
        if blocks:
            check(args, blocks, report)

    return object_policy(("ConfigMap",), on_configmap)


def _all(blocks: list[NginxBlock], name: str) -> list[list[str]]:
    return [d for block in blocks for d in block.directives if d[0] == name]


def _server_tokens(args: ResourceValidationArgs, blocks: list[NginxBlock], report: Report) -> None:
    values = _all(blocks, "server_tokens")
    if not values or any(len(d) < 2 or d[1] != "off" for d in values):
        report("NGINX announces its version; set `server_tokens off;` in the http block")


_HEADERS_CONFIG = {
    "headers": {
        "type": "array",
        "items": {"type": "string"},
        "default": [
            "Strict-Transport-Security",
            "X-Content-Type-Options",
            "X-Frame-Options",
            "Referrer-Policy",
        ],
        "description": "response headers every response carries (add_header ... always)",
    }
}


def _headers_in(block: NginxBlock) -> dict[str, bool]:
    """Header name (lower case) -> declared with ``always``."""
    return {d[1].lower(): d[-1] == "always" for d in block.directives if d[0] == "add_header" and len(d) >= 3}


def _security_headers(args: ResourceValidationArgs, blocks: list[NginxBlock], report: Report) -> None:
    required = list(settings(args, _HEADERS_CONFIG)["headers"])
    declaring = [(block, _headers_in(block)) for block in blocks if _headers_in(block)]
    if not declaring:
        report(f"no security headers; add `add_header <name> <value> always;` for {required}")
        return
    for block, headers in declaring:
        missing = [h for h in required if h.lower() not in headers]
        not_always = [h for h in required if headers.get(h.lower()) is False]
        if missing:
            report(
                f"`{block.context}` declares add_header but not {missing}; a block with its own add_header "
                "drops every inherited one, so repeat the security headers there"
            )
        if not_always:
            report(
                f"`{block.context}` sends {not_always} without `always`; add it so error responses carry them"
            )


def _rate_limit(args: ResourceValidationArgs, blocks: list[NginxBlock], report: Report) -> None:
    if not _all(blocks, "limit_req_zone") or not _all(blocks, "limit_req"):
        report(
            "no request rate limiting; add `limit_req_zone "
            "$binary_remote_addr ...` and `limit_req ... burst=N`"
        )
    for directive, limiter in (("limit_req_status", "limit_req"), ("limit_conn_status", "limit_conn")):
        if _all(blocks, limiter) and not any(d[1:] == ["429"] for d in _all(blocks, directive)):
            report(f"rate-limited clients get 503 (a server error); set `{directive} 429;`")


def _cache_used(blocks: list[NginxBlock]) -> bool:
    return any(len(d) > 1 and d[1] != "off" for d in _all(blocks, "proxy_cache"))


def _cache_lock(args: ResourceValidationArgs, blocks: list[NginxBlock], report: Report) -> None:
    if _cache_used(blocks) and not any(d[1:] == ["on"] for d in _all(blocks, "proxy_cache_lock")):
        report("a cache miss stampede reaches the origin; set `proxy_cache_lock on;`")


_STALE_REQUIRED = ("error", "timeout", "updating")


def _serve_stale(args: ResourceValidationArgs, blocks: list[NginxBlock], report: Report) -> None:
    if not _cache_used(blocks):
        return
    options = {word for d in _all(blocks, "proxy_cache_use_stale") for word in d[1:]}
    missing = [o for o in _STALE_REQUIRED if o not in options]
    if missing or not options & {"http_500", "http_502", "http_503", "http_504"}:
        report(
            "the cache does not shield clients from an origin "
            "outage; set `proxy_cache_use_stale error timeout "
            "updating http_500 http_502 http_503 http_504;`"
        )


POLICIES = [
    resource_policy(
        name="cdn-server-tokens-off",
        description="The CDN's NGINX does not announce its version (server_tokens off).",
        severity=Severity.LOW,
        validate=nginx_policy(_server_tokens),
    ),
    resource_policy(
        name="cdn-security-headers",
        description=(
            "The CDN sends HSTS, nosniff, frame and referrer headers on every response, in every block."
        ),
        severity=Severity.HIGH,
        validate=nginx_policy(_security_headers),
        config=_HEADERS_CONFIG,
    ),
    resource_policy(
        name="cdn-rate-limit-429",
        description="The CDN rate-limits per client and answers 429 (not 503) when it does.",
        severity=Severity.MEDIUM,
        validate=nginx_policy(_rate_limit),
    ),
    resource_policy(
        name="cdn-cache-lock",
        description=(
            "The CDN collapses concurrent misses for one key into one origin request (proxy_cache_lock)."
        ),
        severity=Severity.MEDIUM,
        validate=nginx_policy(_cache_lock),
    ),
    resource_policy(
        name="cdn-serve-stale",
        description="The CDN serves stale content while the origin errors, times out or is being refreshed.",
        severity=Severity.MEDIUM,
        validate=nginx_policy(_serve_stale),
    ),
]
