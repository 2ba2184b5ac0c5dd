"""Which networks may tell the CDN who the visitor is.

A trusted proxy's header (``CF-Connecting-IP``, ``X-Forwarded-For``) replaces the connection's
address for rate limits, logs and what the origin is told. Trusting too much lets any client
choose its own address, so the settings refuse catch-all and very broad ranges, and private
ranges unless they lie inside the cluster's own networks (its nodes and pods): a private
range elsewhere (an office, a VPN, another tenant) is not a proxy we run.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Narrower than any proxy fleet needs, wider than this is a mistake (Cloudflare's widest
# published ranges are /13 and /29).
SHORTEST_PREFIX = {4: 8, 6: 16}


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as error:
        raise ValueError(f"must be an IP address or CIDR block ({error})") from None
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]


def network(cidr: str) -> Network:
    return ipaddress.ip_network(cidr, strict=False)


def breadth_problem(cidr: str) -> str | None:
    """Why ``cidr`` is too broad to trust as a whole, or None."""
    net = network(cidr)
    if net.prefixlen == 0:
        return "trusts every address, so any client could name itself; list the proxies' own ranges"
    shortest = SHORTEST_PREFIX[net.version]
    if net.prefixlen < shortest:
        return f"is broader than /{shortest}; list the proxies' own ranges"
    return None


def trusted_proxy_problem(cidr: str, cluster_networks: list[str]) -> str | None:
    """Why ``cidr`` must not be a trusted proxy given the cluster's networks, or None."""
    problem = breadth_problem(cidr)
    if problem:
        return problem
    net = network(cidr)
    if net.is_global or net.is_loopback:
        return None
    inside = [network(c) for c in cluster_networks if network(c).version == net.version]
    if any(net.subnet_of(c) for c in inside):  # type: ignore[arg-type]
        return None
    return (
        "is a private or reserved range outside cdn.clusterNetworks; only proxies inside the "
        "cluster (nodes, pods) or public proxy ranges may be trusted"
    )
