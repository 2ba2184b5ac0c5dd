"""Rotating the admin password on real servers: three rolls, no split, failover intact, nothing lost."""

from __future__ import annotations

import secrets

import pytest
import redis

from components.render.redis_layout import RedisPasswords
from tests.support.redis_failover import replicas_of, time_cluster_failover, time_sentinel_failover
from tests.support.redis_load import WriteLoad
from tests.support.redis_processes import Servers
from tests.support.redis_servers import RedisClusterHandle, redis_cluster
from tests.support.sentinel_servers import SentinelGroupHandle, sentinel_group

pytestmark = pytest.mark.integration


def rotation_phases(old: RedisPasswords, new_admin: str) -> dict[str, RedisPasswords]:
    """The Secret in each phase of redis.passwordRotation (components/kubernetes/redis_credentials.py)."""
    users = {"app": old.app, "metrics": old.metrics}
    return {
        "accept-new": RedisPasswords(admin=old.admin, admin_also_accepted=new_admin, **users),
        "use-new": RedisPasswords(admin=new_admin, admin_also_accepted=old.admin, **users),
        "done": RedisPasswords(admin=new_admin, **users),
    }


def roll_cluster(cluster: RedisClusterHandle) -> None:
    """A StatefulSet roll as the pods do it: one at a time, replicas first, each master after
    its preStop handed its slots over (CLUSTER FAILOVER), each back in the cluster before the next."""
    replicas = [port for port in cluster.processes if port not in cluster.masters()]
    for port in [*replicas, *cluster.masters()]:
        if port in cluster.masters():
            handover = cluster.prestop(port)
            assert handover.returncode == 0 and "taking over" in handover.stdout, handover
        cluster.terminate(port)
        cluster.restart(port)
        cluster.wait_formed(timeout=60)


def roll_group(group: SentinelGroupHandle) -> None:
    """Both StatefulSets rolled: each Sentinel, then the replicas, then the primary after its
    preStop asked the Sentinels to fail over; the group whole again before the next pod."""
    for port in group.sentinel_ports:
        group.terminate(port)
        group.restart(port)
        group.wait_ready(timeout=60)
    # Which node is primary, from the nodes themselves: right after a failover one Sentinel
    # may still name the old one.
    primary = next(port for port in group.data_ports if role(group, port) == "master")
    for port in [*(p for p in group.data_ports if p != primary), primary]:
        if port == primary:
            handover = group.run_prestop(port)
            assert handover.returncode == 0 and "started a failover" in handover.stdout, handover
        group.terminate(port)
        group.restart(port)
        group.wait_ready(timeout=60)


def role(servers: Servers, port: int) -> str:
    with servers.client(port) as client:
        return str(client.execute_command("ROLE")[0])


def assert_replicas_linked(servers: Servers, ports: list[int], phase: str) -> None:
    for port in ports:
        with servers.client(port) as client:
            info = client.info("replication")
        assert info["role"] == "master" or info["master_link_status"] == "up", (phase, port)


def assert_old_password_refused(servers: Servers, ports: list[int], old_admin: str) -> None:
    for port in ports:
        with pytest.raises(redis.AuthenticationError), servers.client(port, password=old_admin) as client:
            client.ping()


def test_rotating_the_cluster_password_keeps_replication_and_failover_and_loses_no_write() -> None:
    with redis_cluster(masters=3, replicas_per_master=1) as cluster:
        old_admin, new_admin = cluster.passwords.admin, secrets.token_urlsafe(24)
        with WriteLoad(cluster.cluster_client) as load:
            for phase, passwords in rotation_phases(cluster.passwords, new_admin).items():
                cluster.write_secret(passwords)
                roll_cluster(cluster)
                assert_replicas_linked(cluster, list(cluster.processes), phase)

        # Coordinated failovers: clients wait out the hand-over and follow MOVED; no error at all.
        assert load.errors == []
        with cluster.cluster_client() as client:
            assert load.lost(client) == []
        assert len(load.acknowledged) > 100
        assert_old_password_refused(cluster, list(cluster.processes), old_admin)
        # The finding: a replica restarted with the new password must still take over from its master.
        master = cluster.masters()[0]
        (replica,) = replicas_of(cluster, master)
        _, promoted = time_cluster_failover(cluster, master)
        assert promoted == replica


def test_rotating_the_session_store_password_keeps_the_sentinels_and_the_primary_reachable() -> None:
    # Two data nodes: a restarted replica resyncs at once (with more it waits out the diskless
    # sync delay for the others); the Sentinel side is the same with any number.
    with sentinel_group(data_nodes=2, sentinels=3, down_after_ms=3000) as group:
        old_admin, new_admin = group.passwords.admin, secrets.token_urlsafe(24)
        for phase, passwords in rotation_phases(group.passwords, new_admin).items():
            group.write_secret(passwords)
            roll_group(group)
            assert_replicas_linked(group, group.data_ports, phase)
            for port in group.sentinel_ports:
                assert group.ckquorum(port).startswith("OK 3 usable Sentinels"), phase

        assert_old_password_refused(group, group.data_ports + group.sentinel_ports, old_admin)
        # The Sentinels authenticate to the data nodes with the new password: they still fail over,
        # and the old primary, restarted, rejoins with it.
        old = group.primary()
        assert old is not None
        _, new = time_sentinel_failover(group)
        group.restart(old[1])
        group.wait_ready(timeout=60)
        group.sentinel_client().master_for(group.master_name).set("session:after-rotation", "dave")
        assert group.primary() == new
