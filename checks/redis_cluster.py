"""Redis Cluster formation, judged from CLUSTER INFO and CLUSTER NODES on every node."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import redis

from checks import replication
from checks.concurrency import Deadline
from checks.model import CheckResult, Status
from checks.redis_client import Credentials, command, query_each
from checks.redis_text import (
    SLOT_COUNT,
    ClusterNode,
    info_int,
    parse_cluster_nodes,
    parse_info,
    slot_owners,
    slot_ranges,
)
from checks.verdicts import reachability, verdict

FAMILY = "redis-cluster"
BAD_FLAGS = ("fail", "fail?", "handshake", "noaddr")


@dataclass(frozen=True)
class NodeView:
    """What one node answered: its CLUSTER INFO, its view of every node, its INFO stats and
    INFO replication."""

    address: str
    info: dict[str, str]
    nodes: list[ClusterNode]
    stats: dict[str, str] = field(default_factory=dict)
    replication: dict[str, str] = field(default_factory=dict)

    @property
    def myself(self) -> ClusterNode | None:
        return next((node for node in self.nodes if node.is_myself), None)


Outcome = NodeView | BaseException


def query_node(client: redis.Redis, address: str) -> NodeView:
    return NodeView(
        address=address,
        info=parse_info(command(client, "CLUSTER", "INFO")),
        nodes=parse_cluster_nodes(command(client, "CLUSTER", "NODES")),
        stats=parse_info(command(client, "INFO", "stats")),
        replication=parse_info(command(client, "INFO", "replication")),
    )


def collect(
    seeds: list[str], credentials: Credentials, timeout: float, deadline: Deadline
) -> dict[str, Outcome]:
    """Every seed, then every node the seeds know about that no seed is, all queried concurrently."""
    outcomes = query_each(seeds, credentials, timeout, deadline, query_node)
    known_ids = {view.myself.node_id for view in _views(outcomes) if view.myself}
    discovered = {
        node.address
        for view in _views(outcomes)
        for node in view.nodes
        if node.node_id not in known_ids and node.address not in outcomes and not node.address.endswith(":0")
    }
    if discovered:
        outcomes.update(query_each(sorted(discovered), credentials, timeout, deadline, query_node))
    return outcomes


def _views(outcomes: Mapping[str, Outcome]) -> list[NodeView]:
    return [outcome for outcome in outcomes.values() if isinstance(outcome, NodeView)]


def evaluate(
    outcomes: Mapping[str, Outcome], *, masters: int, replicas_per_master: int, max_replica_lag_seconds: int
) -> list[CheckResult]:
    """Every cluster check over the collected views (pure: testable on captured text)."""
    reachable = reachability(FAMILY, outcomes, "cluster nodes")
    views = sorted(_views(outcomes), key=lambda view: view.address)
    if reachable.status is Status.ERROR or not views:
        return [reachable]
    names = _names(views)
    return [
        reachable,
        _check_state(views),
        _check_slots(views),
        _check_flags(views, names),
        _check_topology(views[0], names, masters, replicas_per_master),
        _check_replication(views, names, max_replica_lag_seconds),
        _check_agreement(views),
        _check_open_slots(views, names),
    ]


def _names(views: list[NodeView]) -> dict[str, str]:
    """node id -> the address people know it by."""
    return {node.node_id: node.address for view in views for node in view.nodes}


def _check_state(views: list[NodeView]) -> CheckResult:
    problems = [
        f"{view.address} reports cluster_state:{view.info.get('cluster_state', '?')}"
        for view in views
        if view.info.get("cluster_state") != "ok"
    ]
    return verdict(
        FAMILY, "cluster_state", problems, f"cluster_state:ok on all {len(views)} answering nodes", "cluster"
    )


def _check_slots(views: list[NodeView]) -> CheckResult:
    problems = []
    for view in views:
        assigned = info_int(view.info, "cluster_slots_assigned")
        if assigned != SLOT_COUNT:
            missing = set(range(SLOT_COUNT)) - set(slot_owners(view.nodes))
            unassigned = slot_ranges(missing)
            problems.append(
                f"{view.address} has {assigned} of {SLOT_COUNT} slots assigned (unassigned: {unassigned})"
            )
        slots_ok = info_int(view.info, "cluster_slots_ok")
        if slots_ok != assigned:
            pfail, fail = (
                info_int(view.info, "cluster_slots_pfail"),
                info_int(view.info, "cluster_slots_fail"),
            )
            problems.append(f"{view.address} sees {pfail} slots in pfail and {fail} in fail")
    return verdict(
        FAMILY, "slot_coverage", problems, f"all {SLOT_COUNT} slots assigned and ok on every node", "cluster"
    )


def _check_flags(views: list[NodeView], names: dict[str, str]) -> CheckResult:
    """Flags other nodes put on a node, and cluster-bus links that are down."""
    seen: dict[tuple[str, str], list[str]] = {}
    for view in views:
        for node in view.nodes:
            marks = [f"flagged {flag}" for flag in sorted(node.flags.intersection(BAD_FLAGS))]
            if node.link_state != "connected" and not node.is_myself:
                marks.append(f"seen {node.link_state}")
            for mark in marks:
                seen.setdefault((node.node_id, mark), []).append(view.address)
    problems = [
        f"node {names.get(node_id, node_id)} ({node_id[:8]}) {mark} by {len(by)} node(s)"
        for (node_id, mark), by in sorted(seen.items())
    ]
    ok = "no node flagged fail, pfail, handshake or noaddr; every cluster-bus link connected"
    return verdict(FAMILY, "node_health", problems, ok, "cluster")


def _check_topology(
    view: NodeView, names: dict[str, str], masters: int, replicas_per_master: int
) -> CheckResult:
    serving = [node for node in view.nodes if node.is_master and node.slots and "fail" not in node.flags]
    healthy_replicas: dict[str, int] = {node.node_id: 0 for node in serving}
    for node in view.nodes:
        if node.master_id in healthy_replicas and not node.flags.intersection(BAD_FLAGS):
            healthy_replicas[node.master_id] += 1
    problems = []
    if len(serving) != masters:
        problems.append(f"{len(serving)} masters serve slots, expected {masters}")
    for node in sorted(serving, key=lambda n: n.address):
        count = healthy_replicas[node.node_id]
        if count != replicas_per_master:
            problems.append(
                f"master {node.address} (slots {slot_ranges(node.slots)}) has {count} healthy replica(s), "
                f"expected {replicas_per_master}"
            )
    ok = f"{masters} masters, each with {replicas_per_master} replica(s)"
    return verdict(FAMILY, "topology", problems, ok, f"view of {view.address}")


def _check_replication(views: list[NodeView], names: dict[str, str], max_lag_seconds: int) -> CheckResult:
    """Every replica's own link to its master, and its lag as that master reports it."""
    # The masters list their replicas by the address the replica connected from.
    lags_by_connection = {
        address: lag for view in views for address, lag in replication.replica_lags(view.replication).items()
    }
    links, lags = [], {}
    for view in views:
        myself = view.myself
        master = names.get(myself.master_id) if myself is not None and myself.master_id else None
        link = replication.replica_link(view.replication, view.address, master)
        if link is None:
            continue
        links.append(link)
        own = myself.address if myself is not None else view.address
        if own in lags_by_connection:
            lags[view.address] = lags_by_connection[own]
    ok = f"all {len(links)} replicas linked to their masters, none lagging more than {max_lag_seconds} s"
    problems = [problem for _, problem in replication.problems(links, lags, max_lag_seconds)]
    return verdict(FAMILY, "replication", problems, ok, "cluster")


def _check_agreement(views: list[NodeView]) -> CheckResult:
    reference = views[0]
    owners = slot_owners(reference.nodes)
    problems = []
    for view in views[1:]:
        theirs = slot_owners(view.nodes)
        differing = {slot for slot in set(owners) | set(theirs) if owners.get(slot) != theirs.get(slot)}
        if differing:
            problems.append(
                f"{view.address} disagrees with {reference.address} on slots {slot_ranges(differing)}"
            )
    return verdict(
        FAMILY,
        "slot_map_agreement",
        problems,
        f"all {len(views)} answering nodes agree on the slot map",
        "cluster",
    )


def _check_open_slots(views: list[NodeView], names: dict[str, str]) -> CheckResult:
    problems = []
    for view in views:
        myself = view.myself
        if myself is None:
            continue
        for slot, peer in sorted(myself.migrating.items()):
            problems.append(f"slot {slot} migrating from {view.address} to {names.get(peer, peer)}")
        for slot, peer in sorted(myself.importing.items()):
            problems.append(f"slot {slot} importing into {view.address} from {names.get(peer, peer)}")
    return verdict(FAMILY, "open_slots", problems, "no slot migrating or importing", "cluster")


def master_replica_pairs(outcomes: Mapping[str, Outcome]) -> list[tuple[ClusterNode, ClusterNode]]:
    """(master, replica) pairs in the first answering node's view, for the Kubernetes spread check."""
    views = sorted(_views(outcomes), key=lambda view: view.address)
    if not views:
        return []
    by_id = {node.node_id: node for node in views[0].nodes}
    return [
        (by_id[node.master_id], node)
        for node in views[0].nodes
        if node.master_id in by_id and not node.flags.intersection(BAD_FLAGS)
    ]
