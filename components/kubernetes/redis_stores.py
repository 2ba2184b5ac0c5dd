"""RedisStores: both Redis data stores of a stack, their shared credentials, and how to reach them."""

from __future__ import annotations

from typing import Any

import pulumi

from components.kubernetes.redis_cluster import RedisCluster
from components.kubernetes.redis_credentials import RedisCredentials
from components.kubernetes.redis_sentinel import RedisSentinel
from components.render.redis_layout import ADMIN_USER, REDIS_PORT
from components.settings import Settings
from components.workloads import RedisAddresses


class RedisStores(pulumi.ComponentResource):
    """The cache (Redis Cluster) and the session store (Sentinel group), one Secret for both."""

    cluster: RedisCluster
    sentinel: RedisSentinel
    credentials: RedisCredentials
    admin_password: pulumi.Output[str]

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("technovastore:redis:RedisStores", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        common: dict[str, Any] = {
            "namespace": settings.namespace,
            "settings": settings.redis,
            "monitoring_namespace": settings.monitoring_namespace,
            "strict_spread": settings.strict_spread,
            "protection": settings.protection,
        }
        self.credentials = RedisCredentials(
            f"{name}-credentials",
            namespace=settings.namespace,
            admin_password=settings.redis_password,
            previous_admin_password=settings.redis_previous_password,
            rotation=settings.redis.password_rotation,
            sentinel_master_name=settings.redis.sentinel.master_name,
            protection=settings.protection,
            opts=child,
        )
        secret = self.credentials.secret_name
        common["secret_checksum"] = self.credentials.checksum
        after_secret = pulumi.ResourceOptions(parent=self, depends_on=[self.credentials])
        self.cluster = RedisCluster(f"{name}-cluster", secret_name=secret, **common, opts=after_secret)
        self.sentinel = RedisSentinel(f"{name}-sessions", secret_name=secret, **common, opts=after_secret)
        self.admin_password = self.credentials.admin_password
        self.register_outputs({"secret_name": secret})

    def addresses(self) -> RedisAddresses:
        """How the services reach both stores (their cluster DNS names)."""
        return RedisAddresses(
            cluster_nodes=self.cluster.nodes,
            cluster_service=f"{self.cluster.client_service}:{REDIS_PORT}",
            sentinels=self.sentinel.sentinels,
            master_name=self.sentinel.master_name,
        )

    def endpoints(self) -> dict[str, Any]:
        """The stack output entries the post-deploy checks connect to (never a password)."""
        cluster, sentinel = self.cluster, self.sentinel
        return {
            "redisCluster": {
                "nodes": cluster.nodes,
                "clientService": f"{cluster.client_service}:{REDIS_PORT}",
                "expectedMasters": cluster.expected_masters,
                "replicasPerMaster": cluster.replicas_per_master,
                "username": ADMIN_USER,
                "secretName": self.credentials.secret_name,
            },
            "sentinel": {
                "service": f"{sentinel.service}:{sentinel.port}",
                "masterName": sentinel.master_name,
                "sentinels": sentinel.sentinels,
                "count": len(sentinel.sentinels),
                "quorum": sentinel.quorum,
                "dataNodes": sentinel.data_nodes,
                "replicas": len(sentinel.data_nodes) - 1,
                "username": ADMIN_USER,
                "secretName": self.credentials.secret_name,
            },
        }
