"""Whether Cloudflare's edge stores an origin's answer, and for how long, read from its docs.

The second half of the edge's cache decision: the rules (cloudflare_rules.decide_cache) say
whether a request is eligible; the origin's answer then decides whether it is stored.

- Set-Cookie: https://developers.cloudflare.com/cache/concepts/cache-behavior/ — eligible for
  cache with an edge TTL that overrides the origin: the Set-Cookie is removed and the answer
  stored; eligible without one: the Set-Cookie is kept and nothing is stored.
- Cache-Control: https://developers.cloudflare.com/cache/concepts/cache-control/ — private,
  no-store, no-cache or max-age=0 are not stored; s-maxage, then max-age, is the edge TTL.
- CDN-Cache-Control: https://developers.cloudflare.com/cache/concepts/cdn-cache-control/ —
  Cloudflare-CDN-Cache-Control, else CDN-Cache-Control, replaces Cache-Control for the edge.
- Edge TTL modes and the default TTLs by status:
  https://developers.cloudflare.com/cache/how-to/edge-browser-cache-ttl/ and
  https://developers.cloudflare.com/cache/how-to/configure-cache-status-code/
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tests.support.cloudflare_rules import CacheDecision

# Cloudflare's edge TTL for an eligible answer that names none (seconds).
DEFAULT_EDGE_TTLS = {200: 7200, 206: 7200, 301: 7200, 302: 1200, 303: 1200, 404: 180, 410: 180}
_NOT_STORED = re.compile(r"(?:^|[,\s])(?:private|no-store|no-cache)(?:[,\s=]|$)", re.IGNORECASE)


def _directive_seconds(control: str, name: str) -> int | None:
    found = re.search(rf"(?:^|[,\s]){name}\s*=\s*\"?(\d+)", control, re.IGNORECASE)
    return int(found.group(1)) if found else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


def _expires_in(expires: str) -> int | None:
    """Seconds until an Expires date; an unreadable or past one means already stale."""
    try:
        when = parsedate_to_datetime(expires)
    except (TypeError, ValueError):
        return None
    seconds = int((when - datetime.now(UTC)).total_seconds())
    return seconds if seconds > 0 else None


def _origin_ttl(status: int, headers: Mapping[str, str]) -> int | None:
    """The edge TTL the origin's headers give, ``None`` when they forbid storing."""
    cdn_control = _header(headers, "Cloudflare-CDN-Cache-Control") or _header(headers, "CDN-Cache-Control")
    control = cdn_control if cdn_control is not None else _header(headers, "Cache-Control")
    if control is not None:
        if _NOT_STORED.search(control):
            return None
        shared = _directive_seconds(control, "s-maxage") if cdn_control is None else None
        seconds = shared if shared is not None else _directive_seconds(control, "max-age")
        if seconds is not None:
            return seconds or None
    expires = _header(headers, "Expires")
    if expires is not None:
        return _expires_in(expires)
    return DEFAULT_EDGE_TTLS.get(status)


def edge_ttl(decision: CacheDecision, status: int, headers: Mapping[str, str]) -> int | None:
    """How long the edge keeps this answer to the decided request; ``None``: not stored."""
    if not decision.eligible:
        return None
    mode = (decision.settings.get("edge_ttl") or {}).get("mode", "respect_origin")
    if mode == "override_origin":
        # Stored whatever the origin said; a Set-Cookie is removed first.
        return int(decision.settings["edge_ttl"]["default"])
    if _header(headers, "Set-Cookie") is not None:
        return None
    stated = _origin_ttl(status, headers)
    if mode == "bypass_by_default" and _header(headers, "Cache-Control") is None:
        return None
    return stated
