"""Crash a Redis master (cluster) or primary (Sentinel group) and time the failover.

Shared by the integration tests and the benchmark, so both measure the same thing: from
the SIGKILL to the moment a replica serves as master and clients can use it again.
"""

from __future__ import annotations

import subprocess
import time

import redis

from tests.support.redis_load import WriteLoad
from tests.support.redis_servers import Address, RedisClusterHandle
from tests.support.sentinel_servers import SentinelGroupHandle

POLL_SECONDS = 0.05


def replicas_of(cluster: RedisClusterHandle, master_port: int) -> list[int]:
    """Ports of the replicas the master on ``master_port`` has, as it sees them."""
    with cluster.client(master_port) as client:
        nodes = client.execute_command("CLUSTER NODES")
    myself = next(node for node in nodes.values() if "myself" in node["flags"])
    return [
        int(addr.split(":")[1].split("@")[0])
        for addr, n in nodes.items()
        if n["master_id"] == myself["node_id"]
    ]


def _is_master(cluster: RedisClusterHandle | SentinelGroupHandle, port: int) -> bool:
    try:
        with cluster.client(port) as client:
            return bool(client.execute_command("ROLE")[0] == "master")
    except redis.RedisError:
        return False


def _cluster_ok(cluster: RedisClusterHandle, ports: list[int]) -> bool:
    try:
        return all(cluster.cluster_info(port)["cluster_state"] == "ok" for port in ports)
    except redis.RedisError:
        return False


def time_cluster_failover(
    cluster: RedisClusterHandle, master_port: int, *, timeout: float = 60.0
) -> tuple[float, int]:
    """SIGKILL the master on ``master_port``; (seconds until a replica took over, its port)."""
    replicas = replicas_of(cluster, master_port)
    if not replicas:
        raise ValueError(f"the master on {master_port} has no replica to fail over to")
    live = [port for port in cluster.masters() + replicas if port != master_port]
    started = time.monotonic()
    cluster.kill(master_port)
    while time.monotonic() - started < timeout:
        promoted = [port for port in replicas if _is_master(cluster, port)]
        if promoted and _cluster_ok(cluster, live):
            return time.monotonic() - started, promoted[0]
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"no replica of {master_port} took over within {timeout} s")


def _failover_ended(group: SentinelGroupHandle, old: Address) -> Address | None:
    """The new primary once a live Sentinel has finished failing over from ``old``, else None.

    GET-MASTER-ADDR-BY-NAME already names the promoted replica while the leader is still
    reconfiguring the other replicas; until then SENTINEL MASTERS still lists ``old``, down,
    and Sentinel clients (redis-py's discover_master) find no usable primary. The failover is
    over for clients when a Sentinel lists another primary that it does not consider down.
    """
    for port in group.sentinel_ports:
        if not group.processes[port].running:
            continue
        try:
            with group.client(port) as client:
                state = client.sentinel_master(group.master_name)
        except redis.RedisError:
            continue
        new = (str(state["ip"]), int(state["port"]))
        if new != old and state["is_master"] and not (state["is_sdown"] or state["is_odown"]):
            return new
    return None


def time_sentinel_failover(group: SentinelGroupHandle, *, timeout: float = 60.0) -> tuple[float, Address]:
    """SIGKILL the current primary; (seconds until a Sentinel client finds the promoted one, it)."""
    old = group.primary()
    if old is None:
        raise RuntimeError("no Sentinel names a primary")
    started = time.monotonic()
    group.kill(old[1])
    while time.monotonic() - started < timeout:
        new = _failover_ended(group, old)
        if new is not None and _is_master(group, new[1]):
            return time.monotonic() - started, new
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"the Sentinels finished no failover within {timeout} s")


def time_full_restart_with_new_addresses(cluster: RedisClusterHandle, *, timeout: float = 60.0) -> float:
    """Stop every node, give each a new address, start them all; seconds until re-formed."""
    for port in cluster.processes:
        cluster.terminate(port)
    for port in cluster.processes:
        cluster.move(port)
    started = time.monotonic()
    for port in cluster.processes:
        cluster.restart(port)
    cluster.wait_formed(timeout=timeout)
    return time.monotonic() - started


def add_masters_under_load(
    cluster: RedisClusterHandle, masters: int
) -> tuple[subprocess.CompletedProcess[str], WriteLoad, float]:
    """Start the new pods and run the bootstrap Job while a client writes: (its result, the load, seconds)."""
    started = time.monotonic()
    with WriteLoad(cluster.cluster_client) as load:
        cluster.grow(masters=masters)
        result = cluster.bootstrap(timeout=120)
    return result, load, time.monotonic() - started


def remove_masters_under_load(
    cluster: RedisClusterHandle, masters: int
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str], WriteLoad]:
    """Lower ``masters`` as a `pulumi up` does, while a client writes: the drain Job, then the
    StatefulSet removes the highest pods, then the bootstrap Job. (drain result, bootstrap result, load)."""
    count = masters * (1 + cluster.settings.replicas_per_master)
    ports = list(cluster.processes)
    staying, leaving = ports[:count], ports[count:]
    with WriteLoad(cluster.cluster_client) as load:
        drained = cluster.run_script(cluster.drain_script(staying), timeout=120)
        if drained.returncode == 0:
            for port in leaving:
                cluster.remove(port)
            cluster.settings = cluster.settings.model_copy(update={"masters": masters})
            formed = cluster.bootstrap(timeout=120)
        else:
            formed = drained
    return drained, formed, load
