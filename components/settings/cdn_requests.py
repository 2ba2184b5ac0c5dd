"""What the CDN lets through to the origin: cookie names, request headers, fingerprint rules.

Validated here so that every name that lands in nginx.conf is a plain token: settings can
never break out of a directive or a regular expression.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# Session cookies of the common web frameworks: Express, Django, Flask/Sinatra, PHP, Java
# servlets, Laravel, Rails, Rack, ASP.NET, Koa, NextAuth; and this platform's own.
DEFAULT_SESSION_COOKIES = [
    "tns_session",
    "connect.sid",
    "sessionid",
    "session",
    "PHPSESSID",
    "JSESSIONID",
    "laravel_session",
    "_session_id",
    "rack.session",
    "ASP.NET_SessionId",
    ".AspNetCore.Session",
    "koa.sess",
    "next-auth.session-token",
    "__Secure-next-auth.session-token",
]
# Cookies only the browser reads (analytics): stripped before the origin, so a page that a
# request with only these carries stays cacheable. A trailing '*' matches any suffix.
DEFAULT_HARMLESS_COOKIES = ["_ga", "_ga_*", "_gid", "_gcl_au", "_fbp"]
# Request headers the application may read on requests that are never stored (signed-in
# visitors, requests with cookies, writes). Cacheable requests get none of them.
DEFAULT_FORWARDED_HEADERS = [
    "Accept",
    "Accept-Language",
    "Content-Type",
    "Origin",
    "Referer",
    "User-Agent",
    "X-Requested-With",
    "X-CSRF-Token",
]
# Headers the CDN sets itself, or that rewrite what the request means to some frameworks
# (URL, method, host, port, prefix overrides), or that belong to the hop: never forwarded.
NEVER_FORWARDED = {
    name.lower()
    for name in (
        "Host",
        "Connection",
        "Keep-Alive",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "Content-Length",
        "Expect",
        "Proxy-Authorization",
        "Proxy-Connection",
        "Cookie",
        "Authorization",
        "Forwarded",
        "X-Real-IP",
        "X-Original-URL",
        "X-Rewrite-URL",
        "X-HTTP-Method-Override",
        "X-HTTP-Method",
        "X-Method-Override",
        "X-Original-Host",
        "Range",
        "If-Range",
        "If-Match",
        "If-None-Match",
        "If-Modified-Since",
        "If-Unmodified-Since",
    )
}
NEVER_FORWARDED_PREFIXES = ("x-forwarded-", "cf-", "x-cache")
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def _header_name(value: str) -> str:
    if not _TOKEN.match(value) or "$" in value:
        raise ValueError("must be an HTTP header name")
    lower = value.lower()
    if lower in NEVER_FORWARDED or lower.startswith(NEVER_FORWARDED_PREFIXES):
        raise ValueError(
            "is set by the CDN, belongs to the hop, or rewrites the request (host, URL, method): "
            "it is never forwarded"
        )
    return value


def _cookie_pattern(value: str) -> str:
    if not _TOKEN.match(value.removesuffix("*")) or "*" in value.removesuffix("*"):
        raise ValueError("must be a cookie name, optionally ending in '*' (any suffix)")
    return value


HeaderName = Annotated[str, AfterValidator(_header_name)]
CookiePattern = Annotated[str, AfterValidator(_cookie_pattern)]


def _pcre(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"must be a regular expression ({error})") from None
    return value


Pcre = Annotated[str, AfterValidator(_pcre)]
