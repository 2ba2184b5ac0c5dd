"""SwarmRedisStores: the Redis Cluster (cache) and the Sentinel group (sessions) on Swarm.

The same members, files and scripts as on Kubernetes (components/workloads.py): six cluster
nodes formed once by a one-shot bootstrap service running the same bootstrap script, and a
primary with replicas watched by three Sentinels.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from components.redis_members import (
    MemberHosts,
    cluster_bootstrap,
    cluster_node,
    sentinel,
    session_data_node,
    with_wrapper,
)
from components.settings import Settings
from components.settings.redis import RedisSettings
from components.swarm.conventions import swarm_name
from components.swarm.credentials import SwarmRedisCredentials
from components.swarm.files import service_config
from components.swarm.network import SwarmNetwork
from components.swarm.redis_member import MemberSpec, member_service
from components.swarm.single_task import state_volume
from components.workloads import (
    CLUSTER_STORE,
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
        self.hosts = MemberHosts(
            cluster=[swarm_name(settings, m) for m in member_names(CLUSTER_STORE, redis.cluster.node_count)],
            data=[swarm_name(settings, m) for m in member_names(SESSION_STORE, redis.sentinel.data_nodes)],
            sentinels=[
                swarm_name(settings, m)
                for m in member_names(f"{SESSION_STORE}-sentinel", redis.sentinel.sentinels)
            ],
        )
        self._cluster(redis)
        self._sessions(redis)
        self.register_outputs({"nodes": self.hosts.cluster})

    def _configs(self, store: str, files: dict[str, str]) -> dict[str, docker.ServiceConfig]:
        opts = pulumi.ResourceOptions(parent=self)
        return {
            file: service_config(self._settings, f"{store}-{file.replace('.', '-')}", text, opts)
            for file, text in with_wrapper(files).items()
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
        hosts = self.hosts.cluster
        configs = self._configs(CLUSTER_STORE, cluster_files(redis, hosts))
        members = member_names(CLUSTER_STORE, len(hosts))
        nodes = [
            self._member(cluster_node(redis, host, self._volume(member, redis)), configs)
            for member, host in zip(members, hosts, strict=True)
        ]
        # Swarm has no Job in pulumi-docker 5: a one-task service that is never restarted runs
        # the same idempotent bootstrap script as the Kubernetes Job.
        bootstrap = cluster_bootstrap(swarm_name(self._settings, f"{CLUSTER_STORE}-bootstrap"))
        self._member(bootstrap, configs, after=nodes)

    def _sessions(self, redis: RedisSettings) -> None:
        hosts = self.hosts
        configs = self._configs(SESSION_STORE, sentinel_files(redis, hosts.data, hosts.sentinels))
        members = member_names(SESSION_STORE, len(hosts.data))
        for member, host in zip(members, hosts.data, strict=True):
            self._member(session_data_node(redis, host, self._volume(member, redis)), configs)
        sentinels = member_names(f"{SESSION_STORE}-sentinel", len(hosts.sentinels))
        for member, host in zip(sentinels, hosts.sentinels, strict=True):
            self._member(sentinel(redis, host, self._volume(member, redis)), configs)

    def addresses(self) -> RedisAddresses:
        """How the services reach both stores (their Swarm service names)."""
        return self.hosts.addresses(self._settings.redis)

    def endpoints(self) -> dict[str, Any]:
        """The stack output entries the post-deploy checks connect to, shaped as on Kubernetes."""
        return self.hosts.endpoints(self._settings.redis)
