"""Cloudflare's published edge address ranges, shipped as data beside this module.

The CDN tier trusts these (and only these) to name the real visitor when Cloudflare fronts
the stack. Cloudflare changes them rarely and announces changes ahead; refresh the data with

    python -m components.settings.cloudflare_ips          # rewrites cloudflare_ips.json

which asks Cloudflare's public ``GET /ips`` endpoint through the official SDK (no token
needed), checks every entry, and writes the file only when the answer is complete.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("cloudflare_ips.json")
SOURCE = "GET https://api.cloudflare.com/client/v4/ips (python -m components.settings.cloudflare_ips)"


class RangesError(ValueError):
    """The ranges are missing, empty or not networks of the right family."""


def validated(ipv4: list[str], ipv6: list[str]) -> tuple[list[str], list[str]]:
    """Both lists, non-empty, each entry a public network of its family."""
    for family, cidrs, version in (("IPv4", ipv4, 4), ("IPv6", ipv6, 6)):
        if not cidrs:
            raise RangesError(f"no {family} ranges")
        for cidr in cidrs:
            try:
                network = ipaddress.ip_network(cidr)
            except ValueError as error:
                raise RangesError(f"{family} range {cidr!r}: {error}") from None
            if network.version != version or not network.is_global:
                raise RangesError(f"{family} range {cidr!r} is not a public {family} network")
    return ipv4, ipv6


def cloudflare_ranges(path: Path = DATA_FILE) -> list[str]:
    """Every published range, IPv4 first, as the data file lists them."""
    data = json.loads(path.read_text())
    ipv4, ipv6 = validated(list(data.get("ipv4_cidrs") or []), list(data.get("ipv6_cidrs") or []))
    return [*ipv4, *ipv6]


def fetch_ranges(base_url: str | None = None) -> dict[str, Any]:
    """The current ranges from Cloudflare's API, as the data file stores them."""
    from cloudflare import Cloudflare  # the SDK is only needed to refresh

    # /ips is public; the SDK insists on some credential, which the endpoint ignores.
    client = Cloudflare(api_token="unused-public-endpoint", base_url=base_url, max_retries=2)
    answer = client.ips.list()
    if answer is None:
        raise RangesError("the API answered without a result")
    ipv4, ipv6 = validated(list(answer.ipv4_cidrs or []), list(answer.ipv6_cidrs or []))
    return {"source": SOURCE, "etag": answer.etag, "ipv4_cidrs": ipv4, "ipv6_cidrs": ipv6}


def main(argv: list[str] | None = None) -> int:
    """Rewrite the data file from the API: exit 0 written, 2 could not fetch or check."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DATA_FILE
    base_url = args[1] if len(args) > 1 else None
    try:
        data = fetch_ranges(base_url)
    except Exception as error:  # any failure (network, API, data) leaves the shipped file untouched
        print(f"could not refresh Cloudflare's ranges: {error}", file=sys.stderr)
        return 2
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {len(data['ipv4_cidrs'])} IPv4 and {len(data['ipv6_cidrs'])} IPv6 ranges to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
