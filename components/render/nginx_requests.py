"""What the CDN decides about each request before it reaches the origin: NGINX maps.

One rule ties them together: whatever the origin receives for a request that may be stored
is a function of the cache key alone. So a request that may be stored carries no cookie, no
credential and no header of the visitor's to the origin; a request that may not be stored
(signed in, with cookies on a page or the API, a write) carries the allow-listed headers
too, and is never answered from nor written to the shared cache.

Pure text. Variables set here (all ``$cdn_*``) are read by the server blocks in nginx.py;
``$cdn_class`` (``page``, ``api`` or ``asset``) is set by the location that handles the request.
"""

from __future__ import annotations

import re

from components.render.nginx_syntax import block
from components.settings.cdn import CdnSettings

# Variables other modules read.
PRIVATE = "$cdn_private"
ORIGIN_FORBIDS_STORE = "$cdn_origin_forbids_store"
FINGERPRINT_CACHE_CONTROL = "$cdn_fingerprint_cache_control"
SCHEME = "$cdn_scheme"
AMBIGUOUS_PATH = "$cdn_ambiguous_path"
GET_WITH_BODY = "$cdn_get_with_body"
REFUSED_PEER = "$cdn_refused_peer"

# Encoded '.', '/', '\', ';', '%' or NUL, overlong UTF-8 (%C0/%C1, %E0%80-%E0%9F) or IIS
# %u escapes, a literal ';' or '\', '//', or a '.'/'..' segment, anywhere in the path (not
# the query): NGINX and the origin could read such a path differently, so it is refused
# before any location is chosen.
AMBIGUOUS_PATH_PATTERN = (
    r"^[^?]*(?:%(?:2[eEfF5]|5[cC]|3[bB]|00|[cC][01]|[eE]0%[89]|[uU])|[;\x5c]|//|/\.\.?(?:[/?]|$))"
)
# The origin says the answer is one visitor's, or must not be reused without asking it.
PRIVATE_CACHE_CONTROL = r"(?:^|[,\s])(?:private|no-store|no-cache)(?:[,\s=]|$)"


def header_variable(name: str) -> str:
    """NGINX's name for a request header: ``X-CSRF-Token`` -> ``x_csrf_token``."""
    return name.lower().replace("-", "_")


def cookie_names_pattern(names: list[str]) -> str:
    """An alternation of cookie names; a trailing ``*`` stands for any name suffix."""
    parts = []
    for name in names:
        if name.endswith("*"):
            parts.append(re.escape(name[:-1]) + r"[^=;,\s]*")
        else:
            parts.append(re.escape(name))
    return "|".join(parts)


def session_cookie_pattern(cookies: list[str]) -> str:
    """A PCRE matching a Cookie header that carries any of ``cookies`` as a cookie name.

    Parsed like the frameworks do: pairs split on ';' (or ','), whitespace around the name
    ignored, names compared case-insensitively (the map uses ``~*``).
    """
    return rf"(?:^|[;,])\s*(?:{cookie_names_pattern(cookies)})\s*="


def only_harmless_cookies_pattern(harmless: list[str]) -> str:
    """A PCRE matching a Cookie header made of nothing but ``harmless`` cookies."""
    pair = rf"\s*(?:{cookie_names_pattern(harmless)})\s*=[^;,]*(?:[;,]|$)"
    return rf"^(?:{pair})*\s*$"


def _quoted(text: str) -> str:
    if '"' in text:
        raise ValueError(f"cannot quote {text!r} for NGINX")
    return f'"{text}"'


def _trusted_peers(settings: CdnSettings) -> list[str]:
    """``$cdn_via_proxy`` is 1 when the connection itself comes from a trusted proxy."""
    ranges = [f"{cidr} 1;" for cidr in settings.real_ip_sources]
    # geo reads the connection's address, not the one the real-IP module put in its place.
    return block("geo $realip_remote_addr $cdn_via_proxy", ['default "";', *ranges])


def _scheme() -> list[str]:
    # A trusted proxy that terminated TLS says which scheme the visitor used; nobody else can.
    return block(
        f'map "$cdn_via_proxy:$http_x_forwarded_proto" {SCHEME}',
        ["default $scheme;", '"1:https" https;', '"1:http" http;'],
    )


def _lockdown(settings: CdnSettings) -> list[str]:
    if not settings.origin_lockdown:
        return []
    allowed = [*settings.real_ip_sources, *settings.cluster_networks]
    return block(
        f"geo $realip_remote_addr {REFUSED_PEER}", ["default 1;", *[f'{cidr} "";' for cidr in allowed]]
    )


def _cookies(settings: CdnSettings) -> list[str]:
    session = block(
        "map $http_cookie $cdn_session_cookie",
        ['default "";', f"{_quoted('~*' + session_cookie_pattern(settings.session_cookies))} 1;"],
    )
    harmless = (
        [f'{_quoted("~" + only_harmless_cookies_pattern(settings.harmless_cookies))} "";']
        if settings.harmless_cookies
        else []
    )
    other = block("map $http_cookie $cdn_other_cookie", ["default 1;", '"" "";', *harmless])
    return [*session, *other]


def _privacy() -> list[str]:
    return [
        # Signed in: a credential or a session cookie, whatever is asked for.
        *block('map "$http_authorization$cdn_session_cookie" $cdn_signed_in', ["default 1;", '"" "";']),
        # Never stored nor answered from the cache: signed in anywhere; any other cookie on
        # pages and the API (assets are answered the same for everyone, cookies stripped).
        *block(
            f'map "$cdn_class:$cdn_signed_in:$cdn_other_cookie" {PRIVATE}',
            ['default "";', '"~^[a-z]*:1:" 1;', '"~^(?:page|api)::1$" 1;'],
        ),
        # The visitor's own headers go to the origin only when the answer cannot be stored.
        *block(
            f'map "{PRIVATE}:$request_method" $cdn_pass_headers', ["default 1;", '"~^:(?:GET|HEAD)$" "";']
        ),
    ]


def forwarded_header_names(settings: CdnSettings) -> list[str]:
    return ["Cookie", "Authorization", *settings.forwarded_headers]


def _forwarding(settings: CdnSettings) -> list[str]:
    lines: list[str] = []
    for name in forwarded_header_names(settings):
        variable = header_variable(name)
        lines += block(
            f"map $cdn_pass_headers $cdn_pass_{variable}", ['"" "";', f"default $http_{variable};"]
        )
    return lines


def forwarded_header_directives(settings: CdnSettings) -> list[str]:
    """``proxy_set_header`` for each allow-listed header (empty values are not sent)."""
    return [
        f"proxy_set_header {name} $cdn_pass_{header_variable(name)};"
        for name in forwarded_header_names(settings)
    ]


def _responses(settings: CdnSettings) -> list[str]:
    immutable = f"public, max-age={settings.ttl.fingerprinted_seconds}, immutable"
    return [
        *block(
            f"map $upstream_http_cache_control {ORIGIN_FORBIDS_STORE}",
            ['default "";', f"{_quoted('~*' + PRIVATE_CACHE_CONTROL)} 1;"],
        ),
        # Immutable only for a full, public, cookie-free answer; redirects, errors and
        # private answers keep what the origin said.
        *block(
            f'map "$status:{ORIGIN_FORBIDS_STORE}:$upstream_http_set_cookie" {FINGERPRINT_CACHE_CONTROL}',
            ["default $upstream_http_cache_control;", f'"~^(?:200|206|304)::$" "{immutable}";'],
        ),
    ]


def _refusals() -> list[str]:
    return [
        *block(
            f"map $request_uri {AMBIGUOUS_PATH}",
            ['default "";', f"{_quoted('~' + AMBIGUOUS_PATH_PATTERN)} 1;"],
        ),
        # A GET or HEAD with a body: the body is not part of the key, so it never goes on.
        *block(
            f'map "$request_method:$http_content_length:$http_transfer_encoding" {GET_WITH_BODY}',
            ['default "";', '"~^(?:GET|HEAD):0*[1-9]" 1;', '"~^(?:GET|HEAD):[^:]*:." 1;'],
        ),
    ]


def request_maps(settings: CdnSettings) -> list[str]:
    """Every map and geo block the server blocks read, in the http context."""
    return [
        *_trusted_peers(settings),
        *_scheme(),
        *_lockdown(settings),
        *_cookies(settings),
        *_privacy(),
        *_forwarding(settings),
        *_responses(settings),
        *_refusals(),
    ]
