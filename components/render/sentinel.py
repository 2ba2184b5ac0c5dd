"""sentinel.conf for the Sentinel group, and the auth file it includes from the Secret."""

from __future__ import annotations

from components.render.redis_layout import (
    ADMIN_USER,
    APP_USER,
    METRICS_USER,
    SENTINEL_AUTH_FILE,
    SENTINEL_PORT,
    RedisPasswords,
    config_string,
    password_hash,
)
from components.settings.redis import RedisSentinelSettings

# What a Sentinel-aware client (redis-py's Sentinel) asks; no reconfiguration, no FAILOVER.
APP_SENTINEL_COMMANDS = (
    "+@connection +ping +sentinel|get-master-addr-by-name +sentinel|masters +sentinel|master "
    "+sentinel|replicas +sentinel|slaves +sentinel|sentinels +subscribe +psubscribe +unsubscribe "
    "+punsubscribe"
)
# What redis_exporter reads from a Sentinel (its sentinel_* metrics): state, never a change.
METRICS_SENTINEL_COMMANDS = (
    "+@connection +ping +info +sentinel|masters +sentinel|master +sentinel|sentinels +sentinel|slaves "
    "+sentinel|replicas +sentinel|ckquorum"
)


def render_sentinel_conf(
    settings: RedisSentinelSettings,
    *,
    primary_host: str,
    primary_port: int,
    port: int = SENTINEL_PORT,
    bind: str = "* -::*",
    work_dir: str,
    secrets_dir: str,
) -> str:
    """A complete sentinel.conf that monitors ``primary_host`` (the group's pod 0).

    The start script copies it to a writable place (Sentinel rewrites its own file) and
    points the ``sentinel monitor`` line at the current primary when the others know one.
    """
    name = settings.master_name
    lines = [
        f"# Sentinel for the group {name!r}: rendered by the technovastore-scaling program.",
        f"bind {bind}",
        f"port {port}",
        "protected-mode yes",
        "daemonize no",
        'logfile ""',
        f"dir {work_dir}",
        # Pods come back with new IPs: monitor and announce stable names instead.
        "sentinel resolve-hostnames yes",
        "sentinel announce-hostnames yes",
        "sentinel deny-scripts-reconfig yes",
        f"sentinel monitor {name} {primary_host} {primary_port} {settings.quorum}",
        f"sentinel down-after-milliseconds {name} {settings.down_after_ms}",
        f"sentinel failover-timeout {name} {settings.failover_timeout_ms}",
        f"sentinel parallel-syncs {name} 1",
        f"sentinel auth-user {name} {ADMIN_USER}",
        f"sentinel sentinel-user {ADMIN_USER}",
        # Passwords (this Sentinel's users, the data nodes', the other Sentinels') from the Secret.
        f"include {secrets_dir}/{SENTINEL_AUTH_FILE}",
    ]
    return "\n".join(lines) + "\n"


def render_sentinel_auth_conf(passwords: RedisPasswords, *, master_name: str) -> str:
    """The included auth file of every Sentinel (lives only in the Secret)."""
    lines = [
        "user default off",
        f"user {ADMIN_USER} on {passwords.admin_hashes} ~* &* +@all",
        f"user {APP_USER} on #{password_hash(passwords.app)} -@all {APP_SENTINEL_COMMANDS}",
        f"user {METRICS_USER} on #{password_hash(passwords.metrics)} -@all {METRICS_SENTINEL_COMMANDS}",
        f"sentinel auth-pass {master_name} {config_string(passwords.admin)}",
        f"sentinel sentinel-pass {config_string(passwords.admin)}",
    ]
    return "\n".join(lines) + "\n"
