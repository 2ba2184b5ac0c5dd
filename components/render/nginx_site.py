"""The public server blocks of the CDN's nginx.conf: the site and the catch-all for strangers.

The site refuses what it must not serve (ambiguous paths, GET bodies, unknown methods, peers
outside the lockdown), proxies with one set of cache and header rules, and picks a location
per content class; the catch-all answers probes and closes every other connection. Pure text.
"""

from __future__ import annotations

import re

from components.render.nginx_requests import (
    AMBIGUOUS_PATH,
    FINGERPRINT_CACHE_CONTROL,
    GET_WITH_BODY,
    ORIGIN_FORBIDS_STORE,
    PRIVATE,
    REFUSED_PEER,
    SCHEME,
    forwarded_header_directives,
)
from components.render.nginx_syntax import block
from components.settings.cdn import CdnSecurityHeaders, CdnSettings

CACHE_ZONE = "cdn_cache"
REQUEST_ZONE = "cdn_requests"
CONNECTION_ZONE = "cdn_connections"
UPSTREAM = "cdn_origin"
HEALTH_PATH = "/health"
IMAGE_EXTENSIONS = "png|jpe?g|gif|webp|avif|svg|ico|bmp"
ASSET_EXTENSIONS = "js|mjs|css|map|woff2?|ttf|otf|eot"
# Holds the cache file's header: the key (scheme, host and a request line of up to the 8k
# large_client_header_buffers allow) plus the origin's response headers.
PROXY_BUFFER_SIZE = "16k"
# Hidden files and directories (/.env, /.git/config) except RFC 8615's /.well-known/.
HIDDEN_PATH_PATTERN = r"/\.(?!well-known(?:/|$))"


def security_header_values(headers: CdnSecurityHeaders) -> dict[str, str]:
    hsts = f"max-age={headers.hsts_max_age_seconds}"
    if headers.hsts_include_subdomains:
        hsts += "; includeSubDomains"
    if headers.hsts_preload:
        hsts += "; preload"
    return {
        "Strict-Transport-Security": hsts,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": headers.frame_options,
        "Referrer-Policy": headers.referrer_policy,
        "Permissions-Policy": headers.permissions_policy,
        "Content-Security-Policy": headers.content_security_policy,
        "Cross-Origin-Opener-Policy": headers.cross_origin_opener_policy,
        "Cross-Origin-Resource-Policy": headers.cross_origin_resource_policy,
    }


def response_headers(settings: CdnSettings) -> list[str]:
    """Headers every response carries, errors included (``always``).

    NGINX drops all inherited add_header directives in a block that declares its own, so
    every block that adds a header repeats this list in full.
    """
    values = security_header_values(settings.security_headers)
    lines = [f'add_header {name} "{value}" always;' for name, value in values.items()]
    return [*lines, "add_header X-Cache-Status $upstream_cache_status always;"]


def _proxy_defaults(settings: CdnSettings) -> list[str]:
    """Proxy and cache behaviour shared by every proxied location (none redefines these)."""
    t = settings.timeouts
    return [
        # Upstream keepalive needs HTTP/1.1 and an empty Connection header.
        "proxy_http_version 1.1;",
        # An allow-list: the origin gets these headers and no other of the visitor's.
        "proxy_pass_request_headers off;",
        'proxy_set_header Connection "";',
        "proxy_set_header Host $host;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        f"proxy_set_header X-Forwarded-Proto {SCHEME};",
        *forwarded_header_directives(settings),
        "proxy_hide_header X-Powered-By;",
        f"proxy_buffer_size {PROXY_BUFFER_SIZE};",
        # Busy buffers (2 x the above by default) must stay below all buffers but one.
        "proxy_buffers 8 8k;",
        f"proxy_connect_timeout {t.origin_connect_seconds}s;",
        f"proxy_read_timeout {t.origin_read_seconds}s;",
        f"proxy_send_timeout {t.origin_send_seconds}s;",
        f"proxy_cache {CACHE_ZONE};",
        f"proxy_cache_key {SCHEME}$host$request_uri;",
        # The lock makes concurrent misses wait for the first: right where the answer will be
        # stored (assets), wrong where it often is not (pages that set a cookie, the API),
        # since NGINX then lets the waiting requests through one at a time.
        "proxy_cache_lock off;",
        "proxy_cache_lock_timeout 5s;",
        "proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;",
        # Off: a background refresh would hold the visitor's keep-alive connection until it
        # ends. The one request that refreshes waits; every other gets the stale copy.
        "proxy_cache_background_update off;",
        "proxy_cache_revalidate on;",
        f"proxy_cache_bypass {PRIVATE};",
        # The origin's private/no-store/no-cache wins over every TTL below.
        f"proxy_no_cache {PRIVATE} {ORIGIN_FORBIDS_STORE};",
    ]


def _proxied(
    settings: CdnSettings,
    content_class: str,
    ttl_lines: list[str],
    extra: list[str] | None = None,
    extra_headers: list[str] | None = None,
) -> list[str]:
    """A location that proxies to the origin, rate limited per visitor.

    ``content_class`` (page, api, asset) decides which cookies make a request private (see
    nginx_requests). Locations without headers of their own inherit the server's; one with
    its own repeats them all (see _response_headers).
    """
    rate = settings.rate_limit
    headers = [*response_headers(settings), *extra_headers] if extra_headers else []
    return [
        f"set $cdn_class {content_class};",
        f"limit_req zone={REQUEST_ZONE} burst={rate.burst} nodelay;",
        f"limit_conn {CONNECTION_ZONE} {rate.connections_per_client};",
        *ttl_lines,
        *(extra or []),
        *headers,
        f"proxy_pass http://{UPSTREAM};",
    ]


def _ttl(seconds: int, not_found_seconds: int, statuses: str = "200 203 301 308") -> list[str]:
    lines = [f"proxy_cache_valid {statuses} {seconds}s;"]
    if not_found_seconds:
        lines.append(f"proxy_cache_valid 404 {not_found_seconds}s;")
    return lines


def fingerprint_pattern(settings: CdnSettings) -> str:
    """The regex of content-addressed asset paths: a hex hash with at least one letter."""
    if settings.fingerprint.pattern:
        return settings.fingerprint.pattern
    length = settings.fingerprint.min_hash_length
    extensions = f"{ASSET_EXTENSIONS}|{IMAGE_EXTENSIONS}"
    return rf"[.-](?=[0-9]*[a-f])[0-9a-f]{{{length},}}\.(?:{extensions})$"


def api_location_patterns(api_prefix: str) -> tuple[str, str]:
    """The API prefix without and with its slash, case-insensitive (origins often are)."""
    bare = re.escape(api_prefix.rstrip("/"))
    return f"^{bare}$", f"^{bare}/"


LOCKED = ["proxy_cache_lock on;"]


def _fingerprinted(settings: CdnSettings) -> list[str]:
    # Content-addressed names never change: a year here and for browsers, whatever TTL the
    # origin sent, unless it said private/no-store/no-cache or set a cookie.
    ttl = settings.ttl
    return block(
        f'location ~ "{fingerprint_pattern(settings)}"',
        _proxied(
            settings,
            "asset",
            _ttl(ttl.fingerprinted_seconds, ttl.not_found_seconds, statuses="200"),
            extra=[
                *LOCKED,
                "proxy_ignore_headers Cache-Control Expires;",
                "proxy_hide_header Cache-Control;",
            ],
            extra_headers=[f"add_header Cache-Control {FINGERPRINT_CACHE_CONTROL} always;"],
        ),
    )


def _locations(settings: CdnSettings) -> list[str]:
    ttl = settings.ttl
    api_bare, api_tree = api_location_patterns(settings.api_prefix)
    return [
        *_health_location(),
        *block(f'location ~ "{HIDDEN_PATH_PATTERN}"', ["deny all;"]),
        # The API's bare prefix: a relative redirect (absolute_redirect off), any scheme.
        *block(f'location ~* "{api_bare}"', [f"return 301 {settings.api_prefix}$is_args$args;"]),
        # No default TTL: only what the origin marks cacheable is stored.
        *block(f'location ~* "{api_tree}"', _proxied(settings, "api", [])),
        *_fingerprinted(settings),
        # Below, the origin's Cache-Control wins when it sends one; these TTLs are the default.
        *block(
            rf'location ~* "\.(?:{IMAGE_EXTENSIONS})$"',
            _proxied(settings, "asset", _ttl(ttl.images_seconds, ttl.not_found_seconds), LOCKED),
        ),
        *block(
            rf'location ~* "\.(?:{ASSET_EXTENSIONS})$"',
            _proxied(settings, "asset", _ttl(ttl.assets_seconds, ttl.not_found_seconds), LOCKED),
        ),
        *block("location /", _proxied(settings, "page", _ttl(ttl.html_seconds, ttl.not_found_seconds))),
    ]


def _health_location() -> list[str]:
    # Answered here: never rate limited, never cached, never touches the origin.
    return block(
        f"location = {HEALTH_PATH}", ["access_log off;", "default_type text/plain;", 'return 200 "ok\\n";']
    )


def _refusals(settings: CdnSettings) -> list[str]:
    """Requests refused before any location is chosen (server rewrite phase, in order)."""
    methods = "|".join(settings.allowed_methods)
    lockdown = [*block(f"if ({REFUSED_PEER})", ["return 403;"])] if settings.origin_lockdown else []
    return [
        *lockdown,
        *block(f"if ({AMBIGUOUS_PATH})", ["return 400;"]),
        *block(f"if ({GET_WITH_BODY})", ["return 400;"]),
        *block(f"if ($request_method !~ ^(?:{methods})$)", ["return 405;"]),
    ]


def unknown_hosts_server(settings: CdnSettings, listen: str) -> list[str]:
    # Probes reach the pod by its address: /health answers any Host. Everything else is
    # closed without an answer (444): never proxied, never cached under a stranger's key.
    body = [
        f"listen {listen} default_server;",
        "server_name _;",
        *response_headers(settings),
        *_health_location(),
        *block("location /", ["return 444;"]),
    ]
    return block("server", body)


def site_server(settings: CdnSettings, listen: str, names: list[str]) -> list[str]:
    body = [
        f"listen {listen};",
        f"server_name {' '.join(names)};",
        "",
        *response_headers(settings),
        "",
        "set $cdn_class page;",
        *_refusals(settings),
        "",
        *_proxy_defaults(settings),
        "",
        *_locations(settings),
    ]
    return block("server", body)
