"""What may be purged: URLs, cache tags, hosts and prefixes, checked before any API call.

Relative paths (``/products/123``) are expanded against the stack's hostnames, because the
edge caches each host's copy of a URL separately. An item that can never be purged is
refused (with the reason) and never sent, so it cannot fail the batch it would have joined.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Cloudflare: a cache tag is at most 1024 characters, printable ASCII without spaces.
_TAG = re.compile(r"^[\x21-\x7e]{1,1024}$")
_PRODUCT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Cloudflare answers 414 for longer URIs, so nothing longer is ever cached.
# https://developers.cloudflare.com/support/troubleshooting/http-status-codes/4xx-client-error/error-414/
MAX_URL_BYTES = 32 * 1024
# The only ports Cloudflare caches on (the others it proxies are never cached):
# https://developers.cloudflare.com/fundamentals/reference/network-ports/
CACHED_PORTS = (80, 443, 8080)
# Shown in an error, at most this many bad items (the rest are counted).
_SHOWN = 5


class InvalidTarget(ValueError):
    """The purge cannot start: nothing valid to purge, or a bad option."""


@dataclass(frozen=True)
class Refused:
    """An item refused before anything was sent, and why."""

    item: str
    reason: str


@dataclass
class Targets:
    """The items to send (valid, deduplicated, in order) and the ones refused."""

    items: list[str] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def _checked(kind: str, candidates: Iterable[str], problem: Callable[[str], str | None]) -> Targets:
    targets = Targets()
    for item in candidates:
        reason = problem(item)
        if reason:
            targets.refused.append(Refused(item, reason))
        else:
            targets.items.append(item)
    targets.items = list(dict.fromkeys(targets.items))
    if not targets.items:
        shown = "; ".join(f"{r.item[:100]!r} {r.reason}" for r in targets.refused[:_SHOWN])
        more = f" (and {len(targets.refused) - _SHOWN} more)" if len(targets.refused) > _SHOWN else ""
        raise InvalidTarget(f"no valid {kind} to purge: {shown}{more}" if shown else f"no {kind} given")
    return targets


def in_zone(host: str, zone_name: str | None) -> bool:
    return zone_name is None or host == zone_name or host.endswith(f".{zone_name}")


def url_problem(url: str, zone_name: str | None) -> str | None:
    """Why ``url`` can never be purged, or None."""
    if len(url.encode()) > MAX_URL_BYTES:
        return f"is longer than {MAX_URL_BYTES} bytes (Cloudflare answers 414 and never caches it)"
    if _UNSAFE.search(url):
        return "contains whitespace or control characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL or a path starting with '/'"
    if "@" in parts.netloc:
        return "has user info (user:password@): cached URLs never do"
    try:
        port = parts.port
    except ValueError:
        return "has an invalid port"
    if port is not None and port not in CACHED_PORTS:
        return f"port {port} is never cached (only {', '.join(map(str, CACHED_PORTS))} are)"
    if _BAD_ESCAPE.search(url):
        return "has a bad percent-encoding ('%' not followed by two hex digits)"
    if parts.fragment:
        return "has a #fragment (never sent to the edge)"
    if not in_zone(parts.hostname, zone_name):
        return f"is not in the zone {zone_name}"
    return None


def expand_urls(items: Sequence[str], hostnames: Sequence[str], zone_name: str | None = None) -> Targets:
    """Absolute URLs to purge: paths expand on every hostname; invalid ones are refused."""
    if not items:
        raise InvalidTarget("no URLs given")
    unexpandable = "is a path, but no hostnames are known to expand it (use --stack or --hostname)"
    candidates: list[str] = []
    problems: dict[str, str] = {}
    for item in items:
        if item.startswith("/") and not item.startswith("//"):
            if not hostnames:
                problems[item] = unexpandable
            candidates += [f"https://{host}{item}" for host in hostnames] or [item]
        else:
            candidates.append(item)
    return _checked("URLs", candidates, lambda url: problems.get(url) or url_problem(url, zone_name))


def check_tags(tags: Sequence[str]) -> Targets:
    return _checked(
        "cache tags",
        tags,
        lambda tag: None if _TAG.match(tag) else "is not 1-1024 printable characters without spaces",
    )


def _host_problem(host: str, zone_name: str | None) -> str | None:
    if not host or _UNSAFE.search(host) or "/" in host or not in_zone(host, zone_name):
        return "is not a hostname in the zone"
    return None


def check_hosts(hosts: Sequence[str], zone_name: str | None = None) -> Targets:
    return _checked("hosts", hosts, lambda host: _host_problem(host, zone_name))


def _prefix_problem(prefix: str, zone_name: str | None) -> str | None:
    host, _, path = prefix.partition("/")
    if "://" in prefix or not path or _host_problem(host, zone_name):
        return "is not 'host/path' (no scheme) with a host in the zone"
    return None


def check_prefixes(prefixes: Sequence[str], zone_name: str | None = None) -> Targets:
    """Prefixes are ``host/path`` without a scheme, as the purge API takes them."""
    return _checked("prefixes", prefixes, lambda prefix: _prefix_problem(prefix, zone_name))


def check_product_id(product_id: str) -> str:
    if not _PRODUCT_ID.match(product_id):
        raise InvalidTarget(f"product id {product_id!r} must be 1-64 letters, digits, '-' or '_'")
    return product_id


def batches(items: Sequence[str], size: int) -> list[list[str]]:
    if size < 1:
        raise InvalidTarget(f"batch size must be at least 1, not {size}")
    return [list(items[start : start + size]) for start in range(0, len(items), size)]
