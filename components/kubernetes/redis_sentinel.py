"""RedisSentinel: a primary/replica group for sessions, watched and failed over by Sentinels."""

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
    selector_labels,
    service_host,
)
from components.kubernetes.redis_pods import (
    DATA_VOLUME,
    config_mounts,
    config_volumes,
    container_port,
    data_pod_spec,
    exporter_container,
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
    store_pod_spec,
    store_statefulset_spec,
)
from components.protection import guarded
from components.render.redis import render_sentinel_data_conf
from components.render.redis_layout import (
    ADMIN_PASSWORD_KEY,
    CONFIG_DIR,
    DATA_DIR,
    EXPORTER_PORT,
    REDIS_PORT,
    SECRETS_DIR,
    SENTINEL_AUTH_FILE,
    SENTINEL_PORT,
    SENTINEL_RUNTIME_DIR,
    NodeLayout,
)
from components.render.redis_scripts import (
    render_data_node_prestop_script,
    render_data_node_readiness_script,
    render_data_node_start_script,
    render_liveness_script,
    render_sentinel_readiness_script,
    render_sentinel_start_script,
)
from components.render.sentinel import render_sentinel_conf
from components.settings.protection import ProtectionSettings
from components.settings.redis import RedisSettings

# How long a stopping primary waits for the Sentinels to promote a replica.
PRESTOP_WAIT_SECONDS = 30
RUNTIME_VOLUME = "runtime"
# On the Sentinel's volume: its id, epochs and known peers (no password), kept across restarts.
SENTINEL_STATE_FILE = "sentinel-state.conf"


def sentinel_files(
    settings: RedisSettings, data_hosts: list[str], sentinel_hosts: list[str]
) -> dict[str, str]:
    """The ConfigMap's files: configs, start and preStop scripts, probes of both kinds of pod."""
    group = settings.sentinel
    name = group.master_name
    sentinels = [(host, SENTINEL_PORT) for host in sentinel_hosts]
    data_nodes = [(host, REDIS_PORT) for host in data_hosts]
    layout = NodeLayout()
    return {
        "redis.conf": render_sentinel_data_conf(
            group, memory=settings.memory(group), persistence=settings.persistence, layout=layout
        ),
        "sentinel.conf": render_sentinel_conf(
            group,
            primary_host=data_hosts[0],
            primary_port=REDIS_PORT,
            work_dir=SENTINEL_RUNTIME_DIR,
            secrets_dir=SECRETS_DIR,
        ),
        "start-data-node.sh": render_data_node_start_script(
            master_name=name,
            sentinels=sentinels,
            data_nodes=data_nodes,
            port=REDIS_PORT,
            config_file=f"{CONFIG_DIR}/redis.conf",
        ),
        "start-sentinel.sh": render_sentinel_start_script(
            master_name=name,
            quorum=group.quorum,
            sentinels=sentinels,
            data_nodes=data_nodes,
            template_file=f"{CONFIG_DIR}/sentinel.conf",
            runtime_file=f"{SENTINEL_RUNTIME_DIR}/sentinel.conf",
            state_file=f"{DATA_DIR}/{SENTINEL_STATE_FILE}",
        ),
        "prestop.sh": render_data_node_prestop_script(
            master_name=name, sentinels=sentinels, port=REDIS_PORT, wait_seconds=PRESTOP_WAIT_SECONDS
        ),
        "liveness.sh": render_liveness_script(port=REDIS_PORT),
        "readiness.sh": render_data_node_readiness_script(port=REDIS_PORT),
        "sentinel-liveness.sh": render_liveness_script(port=SENTINEL_PORT),
        "sentinel-readiness.sh": render_sentinel_readiness_script(master_name=name, port=SENTINEL_PORT),
    }


class RedisSentinel(pulumi.ComponentResource):
    """Data nodes (one primary, the rest replicas) and a Sentinel per node of the quorum."""

    service: str
    port: int
    master_name: str
    sentinels: list[str]
    data_nodes: list[str]
    quorum: int
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
        super().__init__("technovastore:redis:RedisSentinel", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        group = settings.sentinel
        self._name, self._namespace, self.secret_name = name, namespace, secret_name
        self._protection = protection
        self._sentinel_name = f"{name}-sentinel"
        self._headless = {self._name: f"{name}-headless", self._sentinel_name: f"{name}-sentinel-headless"}
        data_hosts = self._hosts(self._name, group.data_nodes)
        sentinel_hosts = self._hosts(self._sentinel_name, group.sentinels)
        self.data_nodes = [f"{host}:{REDIS_PORT}" for host in data_hosts]
        self.sentinels = [f"{host}:{SENTINEL_PORT}" for host in sentinel_hosts]
        self.service = service_host(self._sentinel_name, namespace)
        self.port = SENTINEL_PORT
        self.master_name = group.master_name
        self.quorum = group.quorum
        version = parse_image_reference(settings.image).tag
        self._labels = {
            workload: labels(workload, role, version=version, **{TIER_LABEL: "data"})
            for workload, role in ((self._name, "session-store"), (self._sentinel_name, "sentinel"))
        }

        files = sentinel_files(settings, data_hosts, sentinel_hosts)
        config = k8s.core.v1.ConfigMap(
            f"{name}-config", metadata=self._metadata(self._name, f"{name}-config"), data=files, opts=child
        )
        checksum = pod_checksum(files, secret_checksum)
        self._services(child)
        data_spec = self._data_pod_spec(settings, config.metadata.name, strict_spread)
        storage = group.storage_size if settings.persistence else None
        self._statefulset(self._name, group.data_nodes, data_spec, checksum, storage, child)
        sentinel_spec = self._sentinel_pod_spec(settings, config.metadata.name, strict_spread)
        state_storage = group.state_storage_size if settings.persistence else None
        self._statefulset(self._sentinel_name, group.sentinels, sentinel_spec, checksum, state_storage, child)
        for workload in (self._name, self._sentinel_name):
            k8s.policy.v1.PodDisruptionBudget(
                workload,
                metadata=self._metadata(workload, workload),
                spec=store_disruption_budget_spec(workload),
                opts=child,
            )
        for workload, spec in self._network_policies(monitoring_namespace).items():
            k8s.networking.v1.NetworkPolicy(
                workload, metadata=self._metadata(workload, workload), spec=spec, opts=child
            )
        self.register_outputs({"service": self.service, "sentinels": self.sentinels})

    def _hosts(self, workload: str, count: int) -> list[str]:
        return [
            pod_host(f"{workload}-{index}", self._headless[workload], self._namespace)
            for index in range(count)
        ]

    def _metadata(self, workload: str, object_name: str) -> dict[str, Any]:
        return {"name": object_name, "namespace": self._namespace, "labels": self._labels[workload]}

    def _services(self, opts: pulumi.ResourceOptions) -> None:
        for workload, port in (
            (self._name, ("redis", REDIS_PORT)),
            (self._sentinel_name, ("sentinel", SENTINEL_PORT)),
        ):
            headless = self._headless[workload]
            k8s.core.v1.Service(
                headless,
                metadata=self._metadata(workload, headless),
                spec=headless_service_spec(selector_labels(workload), [service_port(*port)]),
                opts=opts,
            )
        # Clients discover the primary through any Sentinel behind this one address.
        k8s.core.v1.Service(
            f"{self._sentinel_name}-client",
            metadata=self._metadata(self._sentinel_name, self._sentinel_name),
            spec={
                "type": "ClusterIP",
                "selector": selector_labels(self._sentinel_name),
                "ports": [service_port("sentinel", SENTINEL_PORT)],
            },
            opts=opts,
        )

    def _statefulset(
        self,
        workload: str,
        replicas: int,
        pod_spec: dict[str, Any],
        checksum: pulumi.Output[str],
        storage_size: str | None,
        opts: pulumi.ResourceOptions,
    ) -> None:
        spec = store_statefulset_spec(
            workload,
            headless_service=self._headless[workload],
            replicas=replicas,
            pod_labels=self._labels[workload],
            checksum=checksum,
            pod_spec=pod_spec,
            storage_size=storage_size,
            claim_retention=self._protection.volume_claim_retention,
        )
        k8s.apps.v1.StatefulSet(
            workload,
            metadata=self._metadata(workload, workload),
            spec=spec,
            opts=guarded(self._protection, opts),
        )

    def _announce_env(self, workload: str) -> list[dict[str, Any]]:
        host = f"$(POD_NAME).{service_host(self._headless[workload], self._namespace)}"
        return [
            pod_name_env(),
            {"name": "ANNOUNCE_HOST", "value": host},
            secret_env("REDISCLI_AUTH", self.secret_name, ADMIN_PASSWORD_KEY),
        ]

    def _data_pod_spec(
        self, settings: RedisSettings, config_map: pulumi.Output[str], strict: bool
    ) -> dict[str, Any]:
        redis = redis_container(
            "redis",
            settings.image,
            command=["sh", f"{CONFIG_DIR}/start-data-node.sh"],
            resources=settings.resources,
            ports=[container_port("redis", REDIS_PORT)],
            env=self._announce_env(self._name),
            probes=redis_probes("liveness.sh", "readiness.sh"),
            mounts=config_mounts(),
        )
        # A primary being stopped on purpose hands over first: a planned restart fails over fast.
        return data_pod_spec(
            self._name,
            redis,
            settings,
            config_map=config_map,
            secret_name=self.secret_name,
            strict_spread=strict,
            prestop_wait_seconds=PRESTOP_WAIT_SECONDS,
        )

    def _sentinel_pod_spec(
        self, settings: RedisSettings, config_map: pulumi.Output[str], strict: bool
    ) -> dict[str, Any]:
        sentinel = redis_container(
            "sentinel",
            settings.image,
            command=["sh", f"{CONFIG_DIR}/start-sentinel.sh"],
            resources=settings.sentinel.resources,
            ports=[container_port("sentinel", SENTINEL_PORT)],
            env=self._announce_env(self._sentinel_name),
            probes=redis_probes("sentinel-liveness.sh", "sentinel-readiness.sh"),
            mounts=[*config_mounts(), {"name": RUNTIME_VOLUME, "mountPath": SENTINEL_RUNTIME_DIR}],
        )
        volumes = config_volumes(config_map, self.secret_name, (SENTINEL_AUTH_FILE,))
        # Sentinel rewrites its config (with the included passwords): keep it in memory only.
        volumes.append({"name": RUNTIME_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}})
        if not settings.persistence:
            volumes.append({"name": DATA_VOLUME, "emptyDir": {}})
        # The Sentinel's view (quorum, the primary it names) is what the Sentinel alerts read.
        exporter = exporter_container(settings, self.secret_name, port=SENTINEL_PORT)
        return store_pod_spec(
            selector_labels(self._sentinel_name), [sentinel, exporter], volumes, strict_spread=strict
        )

    def _network_policies(self, monitoring_namespace: str) -> dict[str, dict[str, Any]]:
        data, sentinels = pods(selector_labels(self._name)), pods(selector_labels(self._sentinel_name))
        clients = pods({REDIS_CLIENT_LABEL: "true"})
        return {
            self._name: {
                "podSelector": {"matchLabels": selector_labels(self._name)},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    rule("from", clients, [REDIS_PORT]),
                    rule("from", data, [REDIS_PORT]),
                    rule("from", sentinels, [REDIS_PORT]),
                    rule("from", namespace_peer(monitoring_namespace), [EXPORTER_PORT]),
                ],
                # Replication to the primary; the start script asks the Sentinels who that is.
                "egress": [rule("to", data, [REDIS_PORT]), rule("to", sentinels, [SENTINEL_PORT])],
            },
            self._sentinel_name: {
                "podSelector": {"matchLabels": selector_labels(self._sentinel_name)},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    rule("from", clients, [SENTINEL_PORT]),
                    rule("from", data, [SENTINEL_PORT]),
                    rule("from", sentinels, [SENTINEL_PORT]),
                    rule("from", namespace_peer(monitoring_namespace), [EXPORTER_PORT]),
                ],
                "egress": [rule("to", data, [REDIS_PORT]), rule("to", sentinels, [SENTINEL_PORT])],
            },
        }
