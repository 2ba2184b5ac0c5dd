"""Replication health from ``INFO replication``: the same rules for the cluster and the Sentinel group.

Flags cannot show it: the cluster bus and the Sentinels reach a replica whose replication
link is down (a wrong ``masterauth`` after a password rotation, a full sync that keeps
failing), and the replica keeps serving ever older data and cannot take over from its
master. Two signals, both from Redis itself:

- the replica's ``master_link_status`` (``up`` or ``down``);
- its lag as the master sees it (the ``lag`` field of ``slaveN`` in the master's
  ``INFO replication``: seconds since the replica last acknowledged the stream, which it
  does every second; the same figure ``min-replicas-max-lag`` uses).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ReplicaLink:
    """A replica's own view of its link, with its master named as the caller knows it."""

    address: str
    master: str
    status: str  # master_link_status
    down_seconds: int | None = None  # master_link_down_since_seconds, when Redis knows it


def replica_link(info: Mapping[str, str], address: str, master: str | None = None) -> ReplicaLink | None:
    """The link described by a replica's ``INFO replication`` (None when the node is no replica).

    ``master`` names the master the way the rest of the report does (the cluster's node
    address); by default it is the replica's ``master_host:master_port``.
    """
    if info.get("role") != "slave":
        return None
    since = info.get("master_link_down_since_seconds", "")
    return ReplicaLink(
        address=address,
        master=master or f"{info.get('master_host', '?')}:{info.get('master_port', '?')}",
        status=info.get("master_link_status", "?"),
        # Redis reports -1 when the link has never been up since the replica started.
        down_seconds=int(since) if since.lstrip("-").isdigit() and int(since) >= 0 else None,
    )


def replica_lags(info: Mapping[str, str]) -> dict[str, int]:
    """``ip:port`` -> lag in seconds of every replica a master lists in its ``INFO replication``."""
    lags = {}
    for name, value in info.items():
        if not (name.startswith("slave") and name[5:].isdigit()):
            continue
        fields = dict(item.split("=", 1) for item in value.split(",") if "=" in item)
        if fields.get("state") == "online" and fields.get("lag", "").isdigit():
            lags[f"{fields.get('ip')}:{fields.get('port')}"] = int(fields["lag"])
    return lags


def problems(
    links: Iterable[ReplicaLink], lags: Mapping[str, int], max_lag_seconds: int
) -> list[tuple[ReplicaLink, str]]:
    """Each replica whose link is down, or whose master sees it lag too far behind, with why.

    ``lags`` is keyed by the replicas' addresses as in ``links``.
    """
    found = []
    for link in sorted(links, key=lambda link: link.address):
        where = f"replica {link.address} of master {link.master}"
        if link.status != "up":
            since = f" for {link.down_seconds} s" if link.down_seconds else ""
            found.append((link, f"{where} has master_link_status:{link.status}{since}"))
        elif lags.get(link.address, 0) > max_lag_seconds:
            lag = lags[link.address]
            found.append((link, f"{where} lags {lag} s behind (more than {max_lag_seconds} s)"))
    return found
