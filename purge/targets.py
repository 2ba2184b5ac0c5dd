"""What may be purged: URLs, cache tags, hosts and prefixes, checked before any API call.

Relative paths (``/products/123``) are expanded against the stack's hostnames, because the
edge caches each host's copy of a URL separately.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

# Cloudflare: a cache tag is at most 1024 characters, printable ASCII without spaces.
_TAG = re.compile(r"^[\x21-\x7e]{1,1024}$")
_PRODUCT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")
# Shown in an error, at most this many bad items (the rest are counted).
_SHOWN = 5


class InvalidTarget(ValueError):
    """Some purge targets are not valid; nothing was sent."""


def _fail(kind: str, problems: list[str]) -> None:
    if problems:
        shown = "; ".join(problems[:_SHOWN])
        more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        raise InvalidTarget(f"{len(problems)} invalid {kind}: {shown}{more}")


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def in_zone(host: str, zone_name: str | None) -> bool:
    return zone_name is None or host == zone_name or host.endswith(f".{zone_name}")


def _url_problem(url: str, zone_name: str | None) -> str | None:
    if _UNSAFE.search(url):
        return f"{url!r} contains whitespace or control characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL or a path starting with '/'"
    if parts.fragment:
        return f"{url!r} has a #fragment (never sent to the edge)"
    if not in_zone(parts.hostname, zone_name):
        return f"{url!r} is not in the zone {zone_name}"
    return None


def expand_urls(items: Sequence[str], hostnames: Sequence[str], zone_name: str | None = None) -> list[str]:
    """Absolute URLs to purge, in order, without duplicates; InvalidTarget lists every bad item."""
    if not items:
        raise InvalidTarget("no URLs given")
    urls: list[str] = []
    problems: list[str] = []
    for item in items:
        if item.startswith("/") and not item.startswith("//"):
            if not hostnames:
                problems.append(f"{item!r} is a path, but no hostnames are known to expand it (use --stack)")
                continue
            candidates = [f"https://{host}{item}" for host in hostnames]
        else:
            candidates = [item]
        for url in candidates:
            problem = _url_problem(url, zone_name)
            if problem:
                problems.append(problem)
            else:
                urls.append(url)
    _fail("URLs", problems)
    return _unique(urls)


def check_tags(tags: Sequence[str]) -> list[str]:
    if not tags:
        raise InvalidTarget("no cache tags given")
    _fail(
        "cache tags",
        [f"{tag!r} is not 1-1024 printable characters without spaces" for tag in tags if not _TAG.match(tag)],
    )
    return _unique(tags)


def check_hosts(hosts: Sequence[str], zone_name: str | None = None) -> list[str]:
    if not hosts:
        raise InvalidTarget("no hosts given")
    problems = [f"{host!r} is not a hostname in the zone" for host in hosts if _host_problem(host, zone_name)]
    _fail("hosts", problems)
    return _unique(hosts)


def _host_problem(host: str, zone_name: str | None) -> bool:
    return not host or _UNSAFE.search(host) is not None or "/" in host or not in_zone(host, zone_name)


def check_prefixes(prefixes: Sequence[str], zone_name: str | None = None) -> list[str]:
    """Prefixes are ``host/path`` without a scheme, as the purge API takes them."""
    if not prefixes:
        raise InvalidTarget("no prefixes given")
    problems = []
    for prefix in prefixes:
        host, _, path = prefix.partition("/")
        if "://" in prefix or not path or _host_problem(host, zone_name):
            problems.append(f"{prefix!r} is not 'host/path' (no scheme) with a host in the zone")
    _fail("prefixes", problems)
    return _unique(prefixes)


def check_product_id(product_id: str) -> str:
    if not _PRODUCT_ID.match(product_id):
        raise InvalidTarget(f"product id {product_id!r} must be 1-64 letters, digits, '-' or '_'")
    return product_id


def batches(items: Sequence[str], size: int) -> list[list[str]]:
    if size < 1:
        raise InvalidTarget(f"batch size must be at least 1, not {size}")
    return [list(items[start : start + size]) for start in range(0, len(items), size)]
