"""DockerRedisStores: the Redis Cluster (cache) and the Sentinel group (sessions) as containers.

The same members, files and scripts as on the other targets (components/redis_members.py,
components/workloads.py); each member is one container named as it announces itself
(``redis-cluster-0``), with its own named volume, its files uploaded before it starts.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from components.docker.conventions import (
    config_upload,
    container_labels,
    container_resources,
    long_running,
    network_attachment,
    one_shot,
)
from components.docker.credentials import DockerRedisCredentials
from components.protection import guarded
from components.redis_members import (
    MemberHosts,
    MemberSpec,
    cluster_bootstrap,
    cluster_node,
    sentinel,
    session_data_node,
    with_wrapper,
)
from components.render.redis_layout import CONFIG_DIR, DATA_DIR
from components.settings import Settings
from components.settings.redis import RedisSettings
from components.swarm.conventions import tmpfs
from components.workloads import (
    CLUSTER_STORE,
    SESSION_STORE,
    RedisAddresses,
    cluster_files,
    member_names,
    sentinel_files,
)


class DockerRedisStores(pulumi.ComponentResource):
    """Both stores, their credentials (as files), and how services reach them."""

    credentials: DockerRedisCredentials
    admin_password: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        settings: Settings,
        *,
        network_name: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:docker:RedisStores", name, None, opts)
        self._settings, self._network_name = settings, network_name
        redis = settings.redis
        self.credentials = DockerRedisCredentials(
            f"{name}-credentials", settings, opts=pulumi.ResourceOptions(parent=self)
        )
        self.admin_password = self.credentials.admin_password
        self.hosts = MemberHosts(
            cluster=member_names(CLUSTER_STORE, redis.cluster.node_count),
            data=member_names(SESSION_STORE, redis.sentinel.data_nodes),
            sentinels=member_names(f"{SESSION_STORE}-sentinel", redis.sentinel.sentinels),
        )
        self._cluster(redis)
        self._sessions(redis)
        self.register_outputs({"nodes": self.hosts.cluster})

    def _member(
        self, spec: MemberSpec, files: dict[str, str], after: list[docker.Container] | None = None
    ) -> docker.Container:
        settings, user = self._settings, self._settings.docker.redis_user
        uploads = [config_upload(f"{CONFIG_DIR}/{file}", text) for file, text in files.items()]
        uploads += [self.credentials.upload(key, path, user) for key, path in spec.secret_paths.items()]
        mounts: list[dict[str, Any]] = [tmpfs(target, mb) for target, mb in spec.scratch.items()]
        if spec.volume is not None:
            mounts.append({"type": "volume", "source": spec.volume.name, "target": DATA_DIR})
        lifecycle = one_shot() if spec.one_shot else long_running(spec.healthcheck)
        return docker.Container(
            spec.name,
            name=spec.name,
            image=settings.redis.image,
            # Straight to the member's command: the image's entrypoint may try to chown as root.
            entrypoints=spec.command,
            envs=[f"{key}={value}" for key, value in spec.base_env.items()],
            uploads=uploads,
            user=user,
            mounts=mounts,
            **lifecycle,
            **container_resources(spec.resources),
            networks_advanced=network_attachment(self._network_name, [spec.name]),
            labels=container_labels(settings, spec.component, spec.healthcheck),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.credentials, *(after or [])]),
        )

    def _volume(self, member: str, redis: RedisSettings) -> docker.Volume | None:
        """A member's data volume, guarded by the stack's ``protection`` (a laptop's dev stack
        leaves nothing behind by default; ``retainOnDelete: true`` keeps the volumes)."""
        if not redis.persistence:
            return None
        return docker.Volume(
            f"{member}-data",
            name=f"{self._settings.namespace}-{member}-data",
            driver="local",
            labels=container_labels(self._settings, "data"),
            opts=guarded(self._settings.protection, pulumi.ResourceOptions(parent=self)),
        )

    def _cluster(self, redis: RedisSettings) -> None:
        hosts = self.hosts.cluster
        files = with_wrapper(cluster_files(redis, hosts))
        nodes = [self._member(cluster_node(redis, host, self._volume(host, redis)), files) for host in hosts]
        # Runs once after every node started; `pulumi up` waits for it to finish.
        self._member(cluster_bootstrap(f"{CLUSTER_STORE}-bootstrap"), files, after=nodes)

    def _sessions(self, redis: RedisSettings) -> None:
        hosts = self.hosts
        files = with_wrapper(sentinel_files(redis, hosts.data, hosts.sentinels))
        for host in hosts.data:
            self._member(session_data_node(redis, host, self._volume(host, redis)), files)
        for host in hosts.sentinels:
            self._member(sentinel(redis, host, self._volume(host, redis)), files)

    def addresses(self) -> RedisAddresses:
        """How the services reach both stores (the members' container names)."""
        return self.hosts.addresses(self._settings.redis)

    def endpoints(self) -> dict[str, Any]:
        """The stack output entries the post-deploy checks connect to, shaped as on Kubernetes."""
        return self.hosts.endpoints(self._settings.redis)
