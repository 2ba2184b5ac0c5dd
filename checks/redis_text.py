"""Parsers for the text Redis answers with: INFO, CLUSTER INFO and CLUSTER NODES.

Pure functions over the raw text, so every rule the checks apply can be tested on captured
output without a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SLOT_COUNT = 16384
# Open slots in CLUSTER NODES: "[42->-<node id>]" (migrating) and "[42-<-<node id>]" (importing).
_OPEN_SLOT = re.compile(r"^\[(\d+)-([<>])-([0-9a-f]+)\]$")


def parse_info(text: str) -> dict[str, str]:
    """``INFO`` and ``CLUSTER INFO``: ``key:value`` lines; section headers and blanks ignored."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        key, value = line.split(":", 1)
        fields[key] = value
    return fields


def info_int(fields: dict[str, str], key: str) -> int:
    """An integer field; a missing field counts as 0 (older servers omit zero counters)."""
    return int(fields.get(key, "0"))


@dataclass(frozen=True)
class ClusterNode:
    """One line of ``CLUSTER NODES``: a node as seen by the node that answered."""

    node_id: str
    address: str  # host:port (the client port)
    hostname: str
    flags: frozenset[str]
    master_id: str | None
    link_state: str
    slots: frozenset[int] = field(repr=False)
    migrating: dict[int, str] = field(default_factory=dict)  # slot -> destination node id
    importing: dict[int, str] = field(default_factory=dict)  # slot -> source node id

    @property
    def is_master(self) -> bool:
        return "master" in self.flags

    @property
    def is_myself(self) -> bool:
        return "myself" in self.flags


def parse_cluster_nodes(text: str) -> list[ClusterNode]:
    """Every line of ``CLUSTER NODES`` (format of Redis 7: ``ip:port@cport[,hostname]``)."""
    return [_parse_node_line(line) for line in text.splitlines() if line.strip()]


def _parse_node_line(line: str) -> ClusterNode:
    parts = line.split()
    if len(parts) < 8:
        raise ValueError(f"not a CLUSTER NODES line: {line!r}")
    node_id, endpoint, flags, master, *_, link_state = parts[:8]
    address, _, rest = endpoint.partition("@")
    hostname = rest.partition(",")[2]
    slots: set[int] = set()
    migrating: dict[int, str] = {}
    importing: dict[int, str] = {}
    for token in parts[8:]:
        opened = _OPEN_SLOT.match(token)
        if opened:
            slot, direction, peer = int(opened[1]), opened[2], opened[3]
            (migrating if direction == ">" else importing)[slot] = peer
            continue
        first, _, last = token.partition("-")
        slots.update(range(int(first), int(last or first) + 1))
    return ClusterNode(
        node_id=node_id,
        address=address,
        hostname=hostname,
        flags=frozenset(flags.split(",")),
        master_id=None if master == "-" else master,
        link_state=link_state,
        slots=frozenset(slots),
        migrating=migrating,
        importing=importing,
    )


def slot_owners(nodes: list[ClusterNode]) -> dict[int, str]:
    """slot -> id of the master serving it, in one node's view."""
    return {slot: node.node_id for node in nodes if node.is_master for slot in node.slots}


def slot_ranges(slots: set[int] | frozenset[int]) -> str:
    """``{0, 1, 2, 7}`` -> ``"0-2, 7"``: how Redis itself writes slot sets."""
    ranges: list[str] = []
    ordered = sorted(slots)
    start = previous = None
    for slot in [*ordered, None]:
        if slot is not None and previous is not None and slot == previous + 1:
            previous = slot
            continue
        if start is not None:
            ranges.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = slot
    return ", ".join(ranges)
