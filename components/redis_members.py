"""The Redis stores' members as single containers: the part both Docker targets share.

Docker Swarm runs each member as a one-task service, plain Docker as one container; either
way a member is a container with a stable name (the address it announces), its own volume,
the same files (components/workloads.py) and the same command and health check. Each target
only says how the container is declared and what the member names are on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.render.redis_layout import (
    ADMIN_PASSWORD_KEY,
    ADMIN_USER,
    CONFIG_DIR,
    DATA_DIR,
    REDIS_AUTH_FILE,
    REDIS_PORT,
    SECRETS_DIR,
    SENTINEL_AUTH_FILE,
    SENTINEL_PORT,
    SENTINEL_RUNTIME_DIR,
)
from components.render.secret_files import render_env_from_files_script
from components.settings.redis import RedisSettings
from components.settings.services import ComputeResources
from components.workloads import (
    BOOTSTRAP_FILE,
    CLUSTER_START_FILE,
    HELPER_RESOURCES,
    RedisAddresses,
)

# Starts every Redis program with REDISCLI_AUTH read from the admin password's secret file.
WRAPPER = "env-from-files.sh"
ADMIN_PASSWORD_FILE = f"{SECRETS_DIR}/{ADMIN_PASSWORD_KEY}"
# Without persistence a member keeps its data in memory-backed scratch space (MB).
SCRATCH_DATA_MB = 1024
SENTINEL_RUNTIME_MB = 16


def wrapped(*command: str) -> list[str]:
    return ["sh", f"{CONFIG_DIR}/{WRAPPER}", *command]


def with_wrapper(files: dict[str, str]) -> dict[str, str]:
    """A store's files plus the wrapper every member starts through."""
    return {**files, WRAPPER: render_env_from_files_script(["REDISCLI_AUTH"])}


def script_healthcheck(script: str) -> dict[str, Any]:
    """Liveness only (PING): readiness would hide not-yet-formed members from DNS and the bootstrap."""
    return {
        "tests": ["CMD", *wrapped("sh", f"{CONFIG_DIR}/{script}")],
        "interval": "5s",
        "timeout": "5s",
        "retries": 3,
        # Loading a large AOF may take minutes.
        "start_period": "300s",
    }


@dataclass
class MemberSpec:
    """What differs between the members of the stores. ``volume``: the data volume's resource."""

    name: str
    component: str
    command: list[str]
    resources: ComputeResources
    healthcheck: dict[str, Any] | None
    env: dict[str, str] = field(default_factory=dict)
    secret_files: tuple[str, ...] = ()
    scratch: dict[str, int] = field(default_factory=dict)  # tmpfs target -> MB
    volume: Any = None
    one_shot: bool = False

    @property
    def secret_paths(self) -> dict[str, str]:
        """Each credentials key the member reads -> where its file goes (admin password first)."""
        return {
            ADMIN_PASSWORD_KEY: ADMIN_PASSWORD_FILE,
            **{key: f"{SECRETS_DIR}/{key}" for key in self.secret_files},
        }

    @property
    def base_env(self) -> dict[str, str]:
        return {"REDISCLI_AUTH_FILE": ADMIN_PASSWORD_FILE, **self.env}


def _data_member(redis: RedisSettings, host: str, volume: Any, component: str, script: str) -> MemberSpec:
    """A member holding data: announces ``host``, reads the admin and auth files, keeps /data."""
    return MemberSpec(
        name=host,
        component=component,
        command=wrapped("sh", f"{CONFIG_DIR}/{script}"),
        resources=redis.resources,
        healthcheck=script_healthcheck("liveness.sh"),
        env={"ANNOUNCE_HOST": host},
        secret_files=(REDIS_AUTH_FILE,),
        volume=volume,
        scratch={} if redis.persistence else {DATA_DIR: SCRATCH_DATA_MB},
    )


def cluster_node(redis: RedisSettings, host: str, volume: Any) -> MemberSpec:
    # The start script points saved peers at their current addresses (a restarted member has
    # a new one), then runs redis-server announcing ANNOUNCE_HOST, as on Kubernetes.
    return _data_member(redis, host, volume, "cache", CLUSTER_START_FILE)


def cluster_bootstrap(name: str) -> MemberSpec:
    """Runs the idempotent bootstrap script once (the Kubernetes Job's twin)."""
    return MemberSpec(
        name=name,
        component="bootstrap",
        command=wrapped("sh", f"{CONFIG_DIR}/{BOOTSTRAP_FILE}"),
        resources=HELPER_RESOURCES,
        healthcheck=None,
        one_shot=True,
    )


def session_data_node(redis: RedisSettings, host: str, volume: Any) -> MemberSpec:
    return _data_member(redis, host, volume, "session-store", "start-data-node.sh")


def sentinel(redis: RedisSettings, host: str, volume: Any) -> MemberSpec:
    return MemberSpec(
        name=host,
        component="sentinel",
        command=wrapped("sh", f"{CONFIG_DIR}/start-sentinel.sh"),
        resources=redis.sentinel.resources,
        healthcheck=script_healthcheck("sentinel-liveness.sh"),
        env={"ANNOUNCE_HOST": host},
        secret_files=(SENTINEL_AUTH_FILE,),
        # Its state (id, epochs, known peers; no password) on its own volume, as on Kubernetes,
        # so a restarted Sentinel keeps its identity.
        volume=volume,
        # Sentinel rewrites its config (with the included passwords): memory only.
        scratch={
            SENTINEL_RUNTIME_DIR: SENTINEL_RUNTIME_MB,
            **({} if redis.persistence else {DATA_DIR: SENTINEL_RUNTIME_MB}),
        },
    )


@dataclass(frozen=True)
class MemberHosts:
    """The members' names on one target (what they announce and clients connect to)."""

    cluster: list[str]
    data: list[str]
    sentinels: list[str]

    def addresses(self, redis: RedisSettings) -> RedisAddresses:
        return RedisAddresses(
            cluster_nodes=[f"{host}:{REDIS_PORT}" for host in self.cluster],
            cluster_service=f"{self.cluster[0]}:{REDIS_PORT}",
            sentinels=[f"{host}:{SENTINEL_PORT}" for host in self.sentinels],
            master_name=redis.sentinel.master_name,
        )

    def endpoints(self, redis: RedisSettings) -> dict[str, Any]:
        """The stack output entries the post-deploy checks connect to, shaped as on Kubernetes."""
        addresses = self.addresses(redis)
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
                "dataNodes": [f"{host}:{REDIS_PORT}" for host in self.data],
                "replicas": len(self.data) - 1,
                "username": ADMIN_USER,
            },
        }
