"""SwarmRedisStores: the Redis Cluster (cache) and the Sentinel group (sessions) on Swarm.

The same members, files and scripts as on Kubernetes (components/workloads.py): six cluster
nodes formed once by a one-shot bootstrap service running the same bootstrap script, and a
primary with replicas watched by three Sentinels.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from components.render.redis_layout import (
    ADMIN_USER,
    CONFIG_DIR,
    DATA_DIR,
    REDIS_AUTH_FILE,
    REDIS_PORT,
    SENTINEL_AUTH_FILE,
    SENTINEL_PORT,
    SENTINEL_RUNTIME_DIR,
)
from components.render.secret_files import render_env_from_files_script
from components.settings import Settings
from components.settings.redis import RedisSettings
from components.swarm.conventions import swarm_name
from components.swarm.credentials import SwarmRedisCredentials
from components.swarm.files import service_config
from components.swarm.network import SwarmNetwork
from components.swarm.redis_member import (
    WRAPPER,
    MemberSpec,
    member_service,
    script_healthcheck,
    wrapped,
)
from components.swarm.single_task import state_volume
from components.workloads import (
    BOOTSTRAP_FILE,
    CLUSTER_START_FILE,
    CLUSTER_STORE,
    HELPER_RESOURCES,
    SESSION_STORE,
    RedisAddresses,
    cluster_files,
    member_names,
    sentinel_files,
)


class SwarmRedisStores(pulumi.ComponentResource):
    """Both stores, their credentials as Swarm secrets, and how services reach them."""

    credentials: SwarmRedisCredentials
    admin_password: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        settings: Settings,
        *,
        network: SwarmNetwork,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:swarm:RedisStores", name, None, opts)
        self._settings, self._network = settings, network
        redis = settings.redis
        self.credentials = SwarmRedisCredentials(
            f"{name}-credentials", settings, opts=pulumi.ResourceOptions(parent=self)
        )
        self.admin_password = self.credentials.admin_password
        self.cluster_hosts = [
            swarm_name(settings, m) for m in member_names(CLUSTER_STORE, redis.cluster.node_count)
        ]
        self.data_hosts = [
            swarm_name(settings, m) for m in member_names(SESSION_STORE, redis.sentinel.data_nodes)
        ]
        sentinel_store = f"{SESSION_STORE}-sentinel"
        self.sentinel_hosts = [
            swarm_name(settings, m) for m in member_names(sentinel_store, redis.sentinel.sentinels)
        ]
        self._cluster(redis)
        self._sessions(redis)
        self.register_outputs({"nodes": self.cluster_hosts})

    def _configs(self, store: str, files: dict[str, str]) -> dict[str, docker.ServiceConfig]:
        files = {**files, WRAPPER: render_env_from_files_script(["REDISCLI_AUTH"])}
        opts = pulumi.ResourceOptions(parent=self)
        return {
            file: service_config(self._settings, f"{store}-{file.replace('.', '-')}", text, opts)
            for file, text in files.items()
        }

    def _member(
        self,
        spec: MemberSpec,
        configs: dict[str, docker.ServiceConfig],
        after: list[docker.Service] | None = None,
    ) -> docker.Service:
        return member_service(
            self._settings,
            spec,
            configs=configs,
            credentials=self.credentials,
            network_id=self._network.network_id,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.credentials, *(after or [])]),
        )

    def _volume(self, member: str, redis: RedisSettings) -> docker.Volume | None:
        return (
            state_volume(self._settings, member, pulumi.ResourceOptions(parent=self))
            if redis.persistence
            else None
        )

    def _cluster(self, redis: RedisSettings) -> None:
        configs = self._configs(CLUSTER_STORE, cluster_files(redis, self.cluster_hosts))
        nodes = []
        for member, host in zip(
            member_names(CLUSTER_STORE, len(self.cluster_hosts)), self.cluster_hosts, strict=True
        ):
            spec = MemberSpec(
                name=host,
                component="cache",
                # Points its saved peers at their current addresses (a restarted task has a new
                # one), then runs redis-server announcing ANNOUNCE_HOST, as on Kubernetes.
                command=wrapped("sh", f"{CONFIG_DIR}/{CLUSTER_START_FILE}"),
                resources=redis.resources,
                healthcheck=script_healthcheck("liveness.sh"),
                env={"ANNOUNCE_HOST": host},
                secret_files=(REDIS_AUTH_FILE,),
                volume=self._volume(member, redis),
                scratch={} if redis.persistence else {"/data": 1024},
            )
            nodes.append(self._member(spec, configs))
        # Swarm has no Job in pulumi-docker 5: a one-task service that is never restarted runs
        # the same idempotent bootstrap script as the Kubernetes Job.
        bootstrap = MemberSpec(
            name=swarm_name(self._settings, f"{CLUSTER_STORE}-bootstrap"),
            component="bootstrap",
            command=wrapped("sh", f"{CONFIG_DIR}/{BOOTSTRAP_FILE}"),
            resources=HELPER_RESOURCES,
            healthcheck=None,
            one_shot=True,
        )
        self._member(bootstrap, configs, after=nodes)

    def _sessions(self, redis: RedisSettings) -> None:
        configs = self._configs(SESSION_STORE, sentinel_files(redis, self.data_hosts, self.sentinel_hosts))
        for member, host in zip(
            member_names(SESSION_STORE, len(self.data_hosts)), self.data_hosts, strict=True
        ):
            spec = MemberSpec(
                name=host,
                component="session-store",
                command=wrapped("sh", f"{CONFIG_DIR}/start-data-node.sh"),
                resources=redis.resources,
                healthcheck=script_healthcheck("liveness.sh"),
                env={"ANNOUNCE_HOST": host},
                secret_files=(REDIS_AUTH_FILE,),
                volume=self._volume(member, redis),
                scratch={} if redis.persistence else {"/data": 1024},
            )
            self._member(spec, configs)
        sentinels = member_names(f"{SESSION_STORE}-sentinel", len(self.sentinel_hosts))
        for member, host in zip(sentinels, self.sentinel_hosts, strict=True):
            spec = MemberSpec(
                name=host,
                component="sentinel",
                command=wrapped("sh", f"{CONFIG_DIR}/start-sentinel.sh"),
                resources=redis.sentinel.resources,
                healthcheck=script_healthcheck("sentinel-liveness.sh"),
                env={"ANNOUNCE_HOST": host},
                secret_files=(SENTINEL_AUTH_FILE,),
                # Its state (id, epochs, known peers; no password) on its own volume, as on
                # Kubernetes, so a restarted Sentinel keeps its identity.
                volume=self._volume(member, redis),
                # Sentinel rewrites its config (with the included passwords): memory only.
                scratch={SENTINEL_RUNTIME_DIR: 16, **({} if redis.persistence else {DATA_DIR: 16})},
            )
            self._member(spec, configs)

    def addresses(self) -> RedisAddresses:
        """How the services reach both stores (their Swarm service names)."""
        return RedisAddresses(
            cluster_nodes=[f"{host}:{REDIS_PORT}" for host in self.cluster_hosts],
            cluster_service=f"{self.cluster_hosts[0]}:{REDIS_PORT}",
            sentinels=[f"{host}:{SENTINEL_PORT}" for host in self.sentinel_hosts],
            master_name=self._settings.redis.sentinel.master_name,
        )

    def endpoints(self) -> dict[str, Any]:
        """The stack output entries the post-deploy checks connect to, shaped as on Kubernetes."""
        redis, addresses = self._settings.redis, self.addresses()
        return {
            "redisCluster": {
                "nodes": list(addresses.cluster_nodes),
                "clientService": addresses.cluster_service,
                "expectedMasters": redis.cluster.masters,
                "replicasPerMaster": redis.cluster.replicas_per_master,
                "username": ADMIN_USER,
            },
            "sentinel": {
                "service": addresses.sentinels[0],
                "masterName": addresses.master_name,
                "sentinels": list(addresses.sentinels),
                "count": len(addresses.sentinels),
                "quorum": redis.sentinel.quorum,
                "dataNodes": [f"{host}:{REDIS_PORT}" for host in self.data_hosts],
                "replicas": len(self.data_hosts) - 1,
                "username": ADMIN_USER,
            },
        }
