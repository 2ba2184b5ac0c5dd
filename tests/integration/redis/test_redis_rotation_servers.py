"""Rotating the admin password on a real cluster: three rolls, no split, failover intact, nothing lost."""

from __future__ import annotations

import secrets

import pytest
import redis

from components.render.redis import render_redis_auth_conf
from components.render.redis_layout import REDIS_AUTH_FILE, RedisPasswords
from tests.support.redis_failover import replicas_of, time_cluster_failover
from tests.support.redis_load import WriteLoad
from tests.support.redis_processes import write_file
from tests.support.redis_servers import RedisClusterHandle, redis_cluster

pytestmark = pytest.mark.integration


def rotation_phases(old: RedisPasswords, new_admin: str) -> dict[str, RedisPasswords]:
    """The Secret in each phase of redis.passwordRotation (components/kubernetes/redis_credentials.py)."""
    users = {"app": old.app, "metrics": old.metrics}
    return {
        "accept-new": RedisPasswords(admin=old.admin, admin_also_accepted=new_admin, **users),
        "use-new": RedisPasswords(admin=new_admin, admin_also_accepted=old.admin, **users),
        "done": RedisPasswords(admin=new_admin, **users),
    }


def roll(cluster: RedisClusterHandle) -> None:
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


def test_rotating_the_admin_password_keeps_replication_and_failover_and_loses_no_write() -> None:
    with redis_cluster(masters=3, replicas_per_master=1) as cluster:
        old_admin, new_admin = cluster.passwords.admin, secrets.token_urlsafe(24)
        with WriteLoad(cluster.cluster_client) as load:
            for phase, passwords in rotation_phases(cluster.passwords, new_admin).items():
                write_file(cluster.secrets_dir / REDIS_AUTH_FILE, render_redis_auth_conf(passwords))
                cluster.passwords = passwords
                roll(cluster)
                for port in cluster.processes:
                    with cluster.client(port) as client:
                        info = client.info("replication")
                    assert info["role"] == "master" or info["master_link_status"] == "up", (phase, port)

        # Coordinated failovers: clients wait out the hand-over and follow MOVED; no error at all.
        assert load.errors == []
        with cluster.cluster_client() as client:
            assert load.lost(client) == []
        assert len(load.acknowledged) > 100
        for port in cluster.processes:
            with pytest.raises(redis.AuthenticationError), cluster.client(port, password=old_admin) as client:
                client.ping()
        # The finding: a replica restarted with the new password must still take over from its master.
        master = cluster.masters()[0]
        (replica,) = replicas_of(cluster, master)
        _, promoted = time_cluster_failover(cluster, master)
        assert promoted == replica
