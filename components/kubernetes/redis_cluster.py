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
from components.render.redis import render_cluster_node_conf
from components.render.redis_cluster_drain import render_cluster_drain_script
from components.render.redis_cluster_scripts import (
    render_cluster_bootstrap_script,
    render_cluster_node_start_script,
    render_cluster_prestop_script,
    render_cluster_readiness_script,
)
from components.render.redis_layout import (
    ADMIN_PASSWORD_KEY,
    CLUSTER_BUS_PORT,
    CONFIG_DIR,
    DATA_DIR,
    EXPORTER_PORT,
    REDIS_PORT,
    NodeLayout,
)
from components.render.redis_scripts import render_liveness_script
from components.settings.protection import ProtectionSettings
from components.settings.redis import RedisSettings

# The bootstrap Job waits this long for every node to answer (image pulls, volume binding).
BOOTSTRAP_WAIT_SECONDS = 600
# A starting node waits this long in all for its peers' names to resolve (pods still scheduling).
RESOLVE_SECONDS = 30
# A stopping master waits this long for its replica to take over; the grace period adds 30 s.
PRESTOP_WAIT_SECONDS = 30
BOOTSTRAP_FILE = "bootstrap.sh"
DRAIN_FILE = "drain.sh"
JOB_CHECKSUM_ANNOTATION = "technovastore.io/script-checksum"


def node_files(settings: RedisSettings) -> dict[str, str]:
    """What a cluster pod runs; its checksum rolls the pods. No node list: adding masters
    changes none of it, so existing pods keep running."""
    return {
        "redis.conf": render_cluster_node_conf(
            settings.cluster,
            memory=settings.memory(settings.cluster),
            persistence=settings.persistence,
            layout=NodeLayout(),
        ),
        "start.sh": render_cluster_node_start_script(
            config_file=f"{CONFIG_DIR}/redis.conf", data_dir=DATA_DIR, resolve_seconds=RESOLVE_SECONDS
        ),
        "prestop.sh": render_cluster_prestop_script(port=REDIS_PORT, wait_seconds=PRESTOP_WAIT_SECONDS),
        "liveness.sh": render_liveness_script(port=REDIS_PORT),
        "readiness.sh": render_cluster_readiness_script(port=REDIS_PORT),
    }


def bootstrap_script(settings: RedisSettings, node_hosts: list[str]) -> str:
    """The bootstrap Job's script: forms the cluster or completes it to the settings."""
    cluster = settings.cluster
    return render_cluster_bootstrap_script(
        [(host, REDIS_PORT) for host in node_hosts],
        masters=cluster.masters,
        replicas_per_master=cluster.replicas_per_master,
        wait_seconds=BOOTSTRAP_WAIT_SECONDS,
    )


def job_scripts(settings: RedisSettings, node_hosts: list[str]) -> dict[str, str]:
    """The Jobs' scripts. Each Job's pod template carries its script's checksum: another node
    list replaces the Job, so it runs again (the drain before the StatefulSet changes)."""
    nodes = [(host, REDIS_PORT) for host in node_hosts]
    return {
        DRAIN_FILE: render_cluster_drain_script(nodes, wait_seconds=BOOTSTRAP_WAIT_SECONDS),
        BOOTSTRAP_FILE: bootstrap_script(settings, node_hosts),
    }


def cluster_files(settings: RedisSettings, node_hosts: list[str]) -> dict[str, str]:
    """The ConfigMap's files: what the pods run, and the Jobs' scripts."""
    return {**node_files(settings), **job_scripts(settings, node_hosts)}


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
        hosts = [pod_host(f"{name}-{index}", self.headless, namespace) for index in range(cluster.node_count)]
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
            command=["sh", f"{CONFIG_DIR}/start.sh"],
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
