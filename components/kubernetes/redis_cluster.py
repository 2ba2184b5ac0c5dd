"""RedisCluster: the sharded cache (masters with replicas), formed once by a bootstrap Job."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.images import parse_image_reference
from components.kubernetes.conventions import (
    REDIS_CLIENT_LABEL,
    TIER_LABEL,
    labels,
    namespace_peer,
    pod_security_context,
    selector_labels,
    service_host,
)
from components.kubernetes.redis_pods import (
    JOB_RESOURCES,
    config_mounts,
    config_volumes,
    container_port,
    data_node_volumes,
    exporter_container,
    files_checksum,
    headless_service_spec,
    pod_host,
    pod_name_env,
    pods,
    redis_container,
    redis_probes,
    rule,
    secret_env,
    service_port,
    store_pod_spec,
    store_statefulset_spec,
)
from components.protection import guarded
from components.render.redis_layout import (
    ADMIN_PASSWORD_KEY,
    CLUSTER_BUS_PORT,
    CONFIG_DIR,
    EXPORTER_PORT,
    REDIS_PORT,
)
from components.settings.protection import ProtectionSettings
from components.settings.redis import RedisSettings
from components.workloads import BOOTSTRAP_WAIT_SECONDS, cluster_files, member_names


class RedisCluster(pulumi.ComponentResource):
    """Redis Cluster: ``masters x (1 + replicasPerMaster)`` pods, AOF + RDB, ACL auth, metrics."""

    nodes: list[str]
    client_service: str
    expected_masters: int
    replicas_per_master: int
    secret_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        settings: RedisSettings,
        secret_name: pulumi.Output[str],
        monitoring_namespace: str,
        strict_spread: bool,
        protection: ProtectionSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:redis:RedisCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = settings.cluster
        self._name, self._namespace = name, namespace
        self.headless = f"{name}-headless"
        hosts = [pod_host(pod, self.headless, namespace) for pod in member_names(name, cluster.node_count)]
        self.nodes = [f"{host}:{REDIS_PORT}" for host in hosts]
        self.client_service = service_host(name, namespace)
        self.expected_masters = cluster.masters
        self.replicas_per_master = cluster.replicas_per_master
        self.secret_name = secret_name
        self._labels = labels(
            name, "cache", version=parse_image_reference(settings.image).tag, **{TIER_LABEL: "data"}
        )

        files = cluster_files(settings, hosts)
        config = k8s.core.v1.ConfigMap(
            f"{name}-config", metadata=self._metadata(f"{name}-config"), data=files, opts=child
        )
        self._services(child)
        k8s.apps.v1.StatefulSet(
            name,
            metadata=self._metadata(name),
            spec=store_statefulset_spec(
                name,
                headless_service=self.headless,
                replicas=cluster.node_count,
                pod_labels=self._labels,
                checksum=files_checksum(files),
                pod_spec=self._pod_spec(settings, config.metadata.name, strict_spread),
                storage_size=cluster.storage_size if settings.persistence else None,
                claim_retention=protection.volume_claim_retention,
            ),
            opts=guarded(protection, child),
        )
        k8s.batch.v1.Job(
            f"{name}-bootstrap",
            metadata=self._metadata(f"{name}-bootstrap"),
            spec=self._bootstrap_spec(settings, config.metadata.name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[config]),
        )
        k8s.policy.v1.PodDisruptionBudget(
            name,
            metadata=self._metadata(name),
            spec={"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(name)}},
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            name,
            metadata=self._metadata(name),
            spec=self._network_policy(monitoring_namespace),
            opts=child,
        )
        self.register_outputs({"nodes": self.nodes, "client_service": self.client_service})

    def _metadata(self, object_name: str) -> dict[str, Any]:
        return {"name": object_name, "namespace": self._namespace, "labels": self._labels}

    def _services(self, opts: pulumi.ResourceOptions) -> None:
        ports = [service_port("redis", REDIS_PORT), service_port("cluster-bus", CLUSTER_BUS_PORT)]
        selector = selector_labels(self._name)
        k8s.core.v1.Service(
            self.headless,
            metadata=self._metadata(self.headless),
            spec=headless_service_spec(selector, ports),
            opts=opts,
        )
        k8s.core.v1.Service(
            f"{self._name}-client",
            metadata=self._metadata(self._name),
            spec={"type": "ClusterIP", "selector": selector, "ports": ports[:1]},
            opts=opts,
        )

    def _pod_spec(
        self, settings: RedisSettings, config_map: pulumi.Output[str], strict: bool
    ) -> dict[str, Any]:
        announce = f"$(POD_NAME).{service_host(self.headless, self._namespace)}"
        redis = redis_container(
            "redis",
            settings.image,
            command=["redis-server", f"{CONFIG_DIR}/redis.conf", "--cluster-announce-hostname", announce],
            resources=settings.resources,
            ports=[container_port("redis", REDIS_PORT), container_port("cluster-bus", CLUSTER_BUS_PORT)],
            env=[pod_name_env(), secret_env("REDISCLI_AUTH", self.secret_name, ADMIN_PASSWORD_KEY)],
            probes=redis_probes("liveness.sh", "readiness.sh"),
            mounts=config_mounts(),
        )
        volumes = data_node_volumes(config_map, self.secret_name, persistence=settings.persistence)
        containers = [redis, exporter_container(settings, self.secret_name)]
        return store_pod_spec(selector_labels(self._name), containers, volumes, strict_spread=strict)

    def _bootstrap_spec(self, settings: RedisSettings, config_map: pulumi.Output[str]) -> dict[str, Any]:
        job = f"{self._name}-bootstrap"
        pod_labels = labels(job, "bootstrap", **{REDIS_CLIENT_LABEL: "true"})
        container = redis_container(
            "bootstrap",
            settings.image,
            command=["sh", f"{CONFIG_DIR}/bootstrap.sh"],
            resources=JOB_RESOURCES,
            ports=[],
            env=[secret_env("REDISCLI_AUTH", self.secret_name, ADMIN_PASSWORD_KEY)],
            probes={},
            mounts=config_mounts(secrets=False, data=False),
        )
        return {
            "backoffLimit": 4,
            "activeDeadlineSeconds": 2 * BOOTSTRAP_WAIT_SECONDS,
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": pod_security_context(),
                    "restartPolicy": "OnFailure",
                    "containers": [container],
                    "volumes": config_volumes(config_map),
                },
            },
        }

    def _network_policy(self, monitoring_namespace: str) -> dict[str, Any]:
        selector = selector_labels(self._name)
        return {
            "podSelector": {"matchLabels": selector},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                rule("from", pods({REDIS_CLIENT_LABEL: "true"}), [REDIS_PORT]),
                # Replication (6379) and the cluster bus (16379) only between the nodes.
                rule("from", pods(selector), [REDIS_PORT, CLUSTER_BUS_PORT]),
                rule("from", namespace_peer(monitoring_namespace), [EXPORTER_PORT]),
            ],
            "egress": [rule("to", pods(selector), [REDIS_PORT, CLUSTER_BUS_PORT])],
        }
