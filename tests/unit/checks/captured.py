"""CLUSTER NODES / CLUSTER INFO text captured from a real Redis 7.0 cluster of six nodes."""

from __future__ import annotations

from checks.redis_cluster import NodeView
from checks.redis_text import parse_cluster_nodes, parse_info

M0, M1, M2 = (
    "1b86b9d8bdb02cd1207846e78bb83f191fa760ae",
    "49f3df5f863412b718bc1b4136869b4695751b48",
    "1acf49a4c5b694b12664aa8f2c87bcecaff0ce05",
)
R0, R1, R2 = (
    "26e7a49cef83c807b627f0b38ff85c5e96ffbe0e",
    "e9a67dce03a2af60ed027f4384561a79f4fa7f3e",
    "b1f6cdbd2e6fa825e7013087ddffb13acd973daf",
)
PORTS = {M0: 17000, M1: 17001, M2: 17002, R0: 17003, R1: 17004, R2: 17005}

HEALTHY = f"""\
{M2} 127.0.0.1:17002@27002 master - 0 1795731957579 3 connected 10923-16383
{M0} 127.0.0.1:17000@27000 master - 0 1795731957000 1 connected 0-5460
{R2} 127.0.0.1:17005@27005 slave {M2} 0 1795731957000 3 connected
{M1} 127.0.0.1:17001@27001 master - 0 1795731957479 2 connected 5461-10922
{R0} 127.0.0.1:17003@27003 slave {M0} 0 1795731957178 1 connected
{R1} 127.0.0.1:17004@27004 slave {M1} 0 1795731957078 2 connected
"""

# 17002 killed: flagged fail after the node timeout, its replica not yet promoted.
MASTER_FAILED = HEALTHY.replace(
    f"{M2} 127.0.0.1:17002@27002 master - 0 1795731957579 3 connected",
    f"{M2} 127.0.0.1:17002@27002 master,fail - 1795731959588 1795731959000 3 disconnected",
)

# ... and after the failover: 17005 serves 17002's slots and has no replica.
AFTER_FAILOVER = f"""\
{M2} 127.0.0.1:17002@27002 master,fail - 1795731959588 1795731959000 3 disconnected
{M0} 127.0.0.1:17000@27000 master - 0 1795731967000 1 connected 0-5460
{R2} 127.0.0.1:17005@27005 master - 0 1795731968131 7 connected 10923-16383
{M1} 127.0.0.1:17001@27001 master - 0 1795731968031 2 connected 5461-10922
{R0} 127.0.0.1:17003@27003 slave {M0} 0 1795731967628 1 connected
{R1} 127.0.0.1:17004@27004 slave {M1} 0 1795731968031 2 connected
"""

INFO_OK = """\
cluster_state:ok
cluster_slots_assigned:16384
cluster_slots_ok:16384
cluster_slots_pfail:0
cluster_slots_fail:0
cluster_known_nodes:6
cluster_size:3
"""

INFO_MASTER_FAILED = """\
cluster_state:fail
cluster_slots_assigned:16384
cluster_slots_ok:10923
cluster_slots_pfail:0
cluster_slots_fail:5461
"""


# INFO replication of a master and of its replica, as Redis 7.0 prints them (healthy pair).
MASTER_REPLICATION = """\
# Replication
role:master
connected_slaves:1
slave0:ip=127.0.0.1,port={replica_port},state=online,offset=1526,lag={lag}
master_failover_state:no-failover
master_replid:597fcfdefb725d4af6738f1cc57dd073973cdf1f
master_repl_offset:1526
"""
REPLICA_REPLICATION = """\
# Replication
role:slave
master_host:127.0.0.1
master_port:{master_port}
master_link_status:up
master_last_io_seconds_ago:1
master_sync_in_progress:0
slave_read_repl_offset:1526
slave_repl_offset:1526
slave_priority:100
slave_read_only:1
"""
# ... and a replica that cannot authenticate to its master any more (wrong masterauth).
REPLICA_LINK_DOWN = REPLICA_REPLICATION.replace(
    "master_link_status:up\nmaster_last_io_seconds_ago:1",
    "master_link_status:down\nmaster_last_io_seconds_ago:-1",
).replace("slave_priority:100", "master_link_down_since_seconds:42\nslave_priority:100")
PAIRS = {M0: R0, M1: R1, M2: R2}


def replication_of(node_id: str, *, lag: int = 1, link_down: bool = False) -> str:
    """The INFO replication text of a node of the HEALTHY cluster."""
    if node_id in PAIRS:
        return MASTER_REPLICATION.format(replica_port=PORTS[PAIRS[node_id]], lag=lag)
    master = next(m for m, r in PAIRS.items() if r == node_id)
    return (REPLICA_LINK_DOWN if link_down else REPLICA_REPLICATION).format(master_port=PORTS[master])


def as_seen_by(text: str, node_id: str) -> str:
    """The same table as one node prints it: that node's line carries ``myself``."""
    lines = []
    for line in text.splitlines():
        head, flags, rest = line.split(" ", 2)[0], line.split(" ")[2], line.split(" ", 3)[3]
        if head == node_id:
            flags = f"myself,{flags}"
        lines.append(f"{head} {line.split(' ')[1]} {flags} {rest}")
    return "\n".join(lines) + "\n"


def view(
    node_id: str, nodes: str = HEALTHY, info: str = INFO_OK, stats: str = "", replication: str | None = None
) -> NodeView:
    return NodeView(
        address=f"127.0.0.1:{PORTS[node_id]}",
        info=parse_info(info),
        nodes=parse_cluster_nodes(as_seen_by(nodes, node_id)),
        stats=parse_info(stats),
        replication=parse_info(replication_of(node_id) if replication is None else replication),
    )


def views(
    node_ids: list[str],
    nodes: str = HEALTHY,
    info: str = INFO_OK,
    replication: dict[str, str] | None = None,
) -> dict[str, NodeView]:
    """The views of ``node_ids``; ``replication`` overrides the INFO replication of some."""
    texts = replication or {}
    return {f"127.0.0.1:{PORTS[n]}": view(n, nodes, info, replication=texts.get(n)) for n in node_ids}


# After the failover the promoted replica is a master without replicas of its own.
PROMOTED_REPLICATION = """\
# Replication
role:master
connected_slaves:0
master_failover_state:no-failover
master_repl_offset:1526
"""
