"""RedisStores: both Redis data stores of a stack, their shared credentials, and how to reach them."""

from __future__ import annotations

from typing import Any

import pulumi

from components.kubernetes.redis_cluster import RedisCluster
from components.kubernetes.redis_credentials import RedisCredentials
from components.kubernetes.redis_pods import secret_env
from components.kubernetes.redis_sentinel import RedisSentinel
from components.render.redis_layout import ADMIN_USER, APP_PASSWORD_KEY, APP_USER, REDIS_PORT
from components.settings import Settings


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

    def client_env(self) -> list[dict[str, Any]]:
        """REDIS_* variables of a service that uses Redis; the password only as a secretKeyRef."""
        return [
            {"name": "REDIS_CLUSTER_NODES", "value": ",".join(self.cluster.nodes)},
            {"name": "REDIS_CLUSTER_SERVICE", "value": f"{self.cluster.client_service}:{REDIS_PORT}"},
            {"name": "REDIS_SENTINELS", "value": ",".join(self.sentinel.sentinels)},
            {"name": "REDIS_SENTINEL_MASTER", "value": self.sentinel.master_name},
            {"name": "REDIS_USERNAME", "value": APP_USER},
            secret_env("REDIS_PASSWORD", self.credentials.secret_name, APP_PASSWORD_KEY),
        ]

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
