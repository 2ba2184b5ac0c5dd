"""RedisCluster: the sharded cache (masters with replicas), formed once by a bootstrap Job."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.images import parse_image_reference
from components.kubernetes.checksums import content_hash
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
    data_pod_spec,
    headless_service_spec,
    pod_checksum,
    pod_host,
    pod_name_env,
    pods,
    redis_container,
    redis_probes,
    rule,
    secret_env,
    service_port,
    store_disruption_budget_spec,
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
from components.workloads import (
    BOOTSTRAP_FILE,
    BOOTSTRAP_WAIT_SECONDS,
    CLUSTER_START_FILE,
    DRAIN_FILE,
    PRESTOP_WAIT_SECONDS,
    cluster_files,
    member_names,
    node_files,
)

JOB_CHECKSUM_ANNOTATION = "technovastore.io/script-checksum"


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
        secret_checksum: pulumi.Output[str],
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
        after_config = pulumi.ResourceOptions(parent=self, depends_on=[config])
        # Removing masters: their slots move off the leaving pods before the StatefulSet
        # removes them. Nothing to do otherwise (first deployment, more masters).
        drain = self._job("drain", DRAIN_FILE, files, settings, config.metadata.name, after_config)
        k8s.apps.v1.StatefulSet(
            name,
            metadata=self._metadata(name),
            spec=store_statefulset_spec(
                name,
                headless_service=self.headless,
                replicas=cluster.node_count,
                pod_labels=self._labels,
                checksum=pod_checksum(node_files(settings), secret_checksum),
                pod_spec=self._pod_spec(settings, config.metadata.name, strict_spread),
                storage_size=cluster.storage_size if settings.persistence else None,
                claim_retention=protection.volume_claim_retention,
            ),
            opts=guarded(protection, pulumi.ResourceOptions(parent=self, depends_on=[drain])),
        )
        # Not after the StatefulSet: its pods become ready only once this Job formed the cluster.
        after_drain = pulumi.ResourceOptions(parent=self, depends_on=[config, drain])
        self._job("bootstrap", BOOTSTRAP_FILE, files, settings, config.metadata.name, after_drain)
        k8s.policy.v1.PodDisruptionBudget(
            name,
            metadata=self._metadata(name),
            spec=store_disruption_budget_spec(name),
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
            command=["sh", f"{CONFIG_DIR}/{CLUSTER_START_FILE}"],
            resources=settings.resources,
            ports=[container_port("redis", REDIS_PORT), container_port("cluster-bus", CLUSTER_BUS_PORT)],
            env=[
                pod_name_env(),
                {"name": "ANNOUNCE_HOST", "value": announce},
                secret_env("REDISCLI_AUTH", self.secret_name, ADMIN_PASSWORD_KEY),
            ],
            probes=redis_probes("liveness.sh", "readiness.sh"),
            mounts=config_mounts(),
        )
        # A master being stopped on purpose hands its slots to its replica first.
        return data_pod_spec(
            self._name,
            redis,
            settings,
            config_map=config_map,
            secret_name=self.secret_name,
            strict_spread=strict,
            prestop_wait_seconds=PRESTOP_WAIT_SECONDS,
        )

    def _job(
        self,
        role: str,
        script: str,
        files: dict[str, str],
        settings: RedisSettings,
        config_map: pulumi.Output[str],
        opts: pulumi.ResourceOptions,
    ) -> k8s.batch.v1.Job:
        """A Job that runs ``script`` from the ConfigMap as a Redis client, with the admin password."""
        job = f"{self._name}-{role}"
        pod_labels = labels(job, role, **{REDIS_CLIENT_LABEL: "true"})
        container = redis_container(
            role,
            settings.image,
            command=["sh", f"{CONFIG_DIR}/{script}"],
            resources=JOB_RESOURCES,
            ports=[],
            env=[secret_env("REDISCLI_AUTH", self.secret_name, ADMIN_PASSWORD_KEY)],
            probes={},
            mounts=config_mounts(secrets=False, data=False),
        )
        checksum = content_hash({script: files[script]})
        spec = {
            "backoffLimit": 4,
            "activeDeadlineSeconds": 2 * BOOTSTRAP_WAIT_SECONDS,
            "template": {
                "metadata": {"labels": pod_labels, "annotations": {JOB_CHECKSUM_ANNOTATION: checksum}},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": pod_security_context(),
                    "restartPolicy": "OnFailure",
                    "containers": [container],
                    "volumes": config_volumes(config_map),
                },
            },
        }
        # The Job is its own app.kubernetes.io instance, not the cluster's: its selectors must not match it.
        metadata = {"name": job, "namespace": self._namespace, "labels": labels(job, role)}
        return k8s.batch.v1.Job(job, metadata=metadata, spec=spec, opts=opts)

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
