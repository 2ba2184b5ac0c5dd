"""The stack's workloads, platform-neutral: stated once here, translated by each platform.

A service's name, image, port, health paths, resources, replica bounds and environment; the
Redis stores' members and config files; the CDN's config. ``components/kubernetes/`` turns
these into Deployments and StatefulSets, ``components/swarm/`` into Swarm services. What
differs per platform is only how one workload reaches another (the addresses it is given).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from components.images import parse_image_reference
from components.render.nginx import HEALTH_PATH, NginxLayout
from components.render.redis import render_cluster_node_conf, render_sentinel_data_conf
from components.render.redis_cluster_drain import render_cluster_drain_script
from components.render.redis_cluster_scripts import (
    render_cluster_bootstrap_script,
    render_cluster_node_start_script,
    render_cluster_prestop_script,
    render_cluster_readiness_script,
)
from components.render.redis_layout import (
    APP_PASSWORD_KEY,
    APP_USER,
    CONFIG_DIR,
    DATA_DIR,
    REDIS_PORT,
    SECRETS_DIR,
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
from components.settings import ServiceSettings, Settings
from components.settings.cdn import CdnSettings
from components.settings.redis import RedisSettings
from components.settings.services import ComputeQuantities, ComputeResources

# The bootstrap waits this long for every cluster node to answer (image pulls, volumes).
BOOTSTRAP_WAIT_SECONDS = 600
# A starting cluster node waits this long in all for its peers' names to resolve.
RESOLVE_SECONDS = 30
CLUSTER_START_FILE = "start.sh"
BOOTSTRAP_FILE = "bootstrap.sh"
DRAIN_FILE = "drain.sh"
# A Sentinel's id, epochs and known peers (no password), kept across restarts in its data dir.
SENTINEL_STATE_FILE = "sentinel-state.conf"
# One-shot helpers (the cluster bootstrap): redis-cli and a shell.
HELPER_RESOURCES = ComputeResources(
    requests=ComputeQuantities(cpu="50m", memory="32Mi"),
    limits=ComputeQuantities(cpu="200m", memory="64Mi"),
)
# How long a stopping master (or Sentinel-group primary) waits for its successor to take over.
PRESTOP_WAIT_SECONDS = 30
# Where NGINX keeps its files in a CDN container: everything writable is scratch space.
CDN_CONFIG_DIR = "/etc/nginx/cdn"
CDN_CONFIG_FILE = "nginx.conf"
CDN_CACHE_DIR = "/var/cache/nginx/cdn"
CDN_TEMP_DIR = "/tmp/nginx"


@dataclass(frozen=True)
class PlainEnv:
    name: str
    value: str


@dataclass(frozen=True)
class SecretEnv:
    """A variable whose value is a key of the Redis credentials (a Secret on every platform)."""

    name: str
    key: str


EnvVar = PlainEnv | SecretEnv


@dataclass(frozen=True)
class RedisAddresses:
    """How services reach the Redis stores on one platform (``host:port`` strings)."""

    cluster_nodes: Sequence[str]
    cluster_service: str
    sentinels: Sequence[str]
    master_name: str


def redis_client_env(redis: RedisAddresses) -> list[EnvVar]:
    """The REDIS_* variables of a service that uses Redis (read by cache_manager.from_env)."""
    return [
        PlainEnv("REDIS_CLUSTER_NODES", ",".join(redis.cluster_nodes)),
        PlainEnv("REDIS_CLUSTER_SERVICE", redis.cluster_service),
        PlainEnv("REDIS_SENTINELS", ",".join(redis.sentinels)),
        PlainEnv("REDIS_SENTINEL_MASTER", redis.master_name),
        PlainEnv("REDIS_USERNAME", APP_USER),
        SecretEnv("REDIS_PASSWORD", APP_PASSWORD_KEY),
    ]


@dataclass(frozen=True)
class AppWorkload:
    """One stateless application service, autoscaled between its bounds."""

    name: str
    image: str
    port: int
    tier: str
    min_replicas: int
    max_replicas: int
    resources: ComputeResources
    readiness_path: str
    liveness_path: str
    uses_redis: bool
    env: tuple[EnvVar, ...]

    @property
    def version(self) -> str | None:
        return parse_image_reference(self.image).tag


def app_workload(name: str, service: ServiceSettings, redis: RedisAddresses) -> AppWorkload:
    env: list[EnvVar] = [PlainEnv("PORT", str(service.port))]
    if service.uses_redis:
        env += redis_client_env(redis)
    env += [PlainEnv(name, value) for name, value in sorted(service.env.items())]
    return AppWorkload(
        name=name,
        image=service.image,
        port=service.port,
        tier=service.tier,
        min_replicas=service.min_replicas,
        max_replicas=service.max_replicas,
        resources=service.resources,
        readiness_path=service.probes.readiness,
        liveness_path=service.probes.liveness,
        uses_redis=service.uses_redis,
        env=tuple(env),
    )


def app_workloads(settings: Settings, redis: RedisAddresses) -> dict[str, AppWorkload]:
    return {name: app_workload(name, service, redis) for name, service in settings.services.items()}


# The CDN tier.
CDN_HEALTH_PATH = HEALTH_PATH


def cdn_layout(
    cdn: CdnSettings,
    origin: str,
    local_names: tuple[str, ...],
    *,
    resolver: str | None = None,
    metrics_syslog: str | None = None,
) -> NginxLayout:
    """Where NGINX keeps its files in a CDN container; ``origin`` is the origin's host:port.

    ``local_names``: the names the platform's own clients reach the CDN by (besides the public
    hostnames); any other ``Host`` gets no answer.

    ``resolver``: a DNS server NGINX asks again while it runs, so an origin whose name resolves
    to its tasks (Swarm ``dnsrr``) is followed as it scales; None resolves it once at start.
    ``metrics_syslog``: where NGINX sends its metrics log lines (a sidecar), if anywhere.
    """
    return NginxLayout(
        local_names=local_names,
        metrics_syslog=metrics_syslog,
        origin=origin,
        listen=str(cdn.port),
        status_listen=f"127.0.0.1:{cdn.status_port}",
        cache_dir=CDN_CACHE_DIR,
        temp_dir=CDN_TEMP_DIR,
        pid_path=f"{CDN_TEMP_DIR}/nginx.pid",
        access_log="/dev/stdout",
        error_log="stderr",
        resolver=resolver,
    )


# The Redis stores: their members are named here, their files rendered here.
CLUSTER_STORE = "redis-cluster"
SESSION_STORE = "redis-sessions"


def member_names(store: str, count: int) -> list[str]:
    """``redis-cluster-0`` ...: a store's members, the same names on every platform."""
    return [f"{store}-{index}" for index in range(count)]


def node_files(settings: RedisSettings) -> dict[str, str]:
    """What a cluster node runs; its checksum rolls the nodes. No node list: adding masters
    changes none of it, so existing nodes keep running."""
    return {
        "redis.conf": render_cluster_node_conf(
            settings.cluster,
            memory=settings.memory(settings.cluster),
            persistence=settings.persistence,
            layout=NodeLayout(),
        ),
        CLUSTER_START_FILE: render_cluster_node_start_script(
            config_file=f"{CONFIG_DIR}/redis.conf", data_dir=DATA_DIR, resolve_seconds=RESOLVE_SECONDS
        ),
        "prestop.sh": render_cluster_prestop_script(port=REDIS_PORT, wait_seconds=PRESTOP_WAIT_SECONDS),
        "liveness.sh": render_liveness_script(port=REDIS_PORT),
        "readiness.sh": render_cluster_readiness_script(port=REDIS_PORT),
    }


def bootstrap_script(settings: RedisSettings, node_hosts: list[str]) -> str:
    """The bootstrap's script: forms the cluster or completes it to the settings."""
    cluster = settings.cluster
    return render_cluster_bootstrap_script(
        [(host, REDIS_PORT) for host in node_hosts],
        masters=cluster.masters,
        replicas_per_master=cluster.replicas_per_master,
        wait_seconds=BOOTSTRAP_WAIT_SECONDS,
    )


def job_scripts(settings: RedisSettings, node_hosts: list[str]) -> dict[str, str]:
    """The one-shot scripts: the drain (slots off leaving masters) and the bootstrap."""
    nodes = [(host, REDIS_PORT) for host in node_hosts]
    return {
        DRAIN_FILE: render_cluster_drain_script(nodes, wait_seconds=BOOTSTRAP_WAIT_SECONDS),
        BOOTSTRAP_FILE: bootstrap_script(settings, node_hosts),
    }


def cluster_files(settings: RedisSettings, node_hosts: list[str]) -> dict[str, str]:
    """The cluster's files: what the nodes run, and the one-shot scripts."""
    return {**node_files(settings), **job_scripts(settings, node_hosts)}


def sentinel_files(
    settings: RedisSettings, data_hosts: list[str], sentinel_hosts: list[str]
) -> dict[str, str]:
    """The session store's files: configs, start and preStop scripts, probes of both kinds of member."""
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
