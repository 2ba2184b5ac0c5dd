"""Where a Redis process finds its files and which addresses it uses.

Kubernetes pods use the defaults; the integration tests substitute ports, paths and the
announced address, and nothing else, so both run the very same rendered text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

REDIS_PORT = 6379
CLUSTER_BUS_PORT = 16379
SENTINEL_PORT = 26379
EXPORTER_PORT = 9121
# Hash slots of a Redis Cluster: a healthy cluster assigns and serves all of them.
CLUSTER_SLOTS = 16384

DATA_DIR = "/data"
CONFIG_DIR = "/etc/redis/config"
SECRETS_DIR = "/etc/redis/secrets"
# Sentinel rewrites its config file at run time: it lives on a memory-backed scratch volume.
SENTINEL_RUNTIME_DIR = "/run/sentinel"

# The Secret's keys: passwords for the environment, and the rendered auth files.
ADMIN_PASSWORD_KEY = "admin-password"
APP_PASSWORD_KEY = "app-password"
METRICS_PASSWORD_KEY = "metrics-password"
REDIS_AUTH_FILE = "redis-auth.conf"
SENTINEL_AUTH_FILE = "sentinel-auth.conf"

# ACL users. admin also carries replication and Sentinel's own connections.
ADMIN_USER = "admin"
APP_USER = "app"
METRICS_USER = "metrics"


@dataclass(frozen=True)
class RedisPasswords:
    """One password per ACL user; they only ever reach a Secret and the environment.

    ``admin`` is the one every server and script uses; during a rotation the servers also
    accept ``admin_also_accepted`` (the other of the old and the new password).
    """

    admin: str
    app: str
    metrics: str
    admin_also_accepted: str | None = None

    @property
    def admin_hashes(self) -> str:
        """The admin user's accepted passwords, in ACL form."""
        accepted = [self.admin, *([self.admin_also_accepted] if self.admin_also_accepted else [])]
        return " ".join(f"#{password_hash(password)}" for password in accepted)


@dataclass(frozen=True)
class NodeLayout:
    """Addresses and paths of one Redis (or Sentinel) process."""

    port: int = REDIS_PORT
    bus_port: int = CLUSTER_BUS_PORT
    # Every interface in a pod; the tests bind loopback only.
    bind: str = "* -::*"
    data_dir: str = DATA_DIR
    secrets_dir: str = SECRETS_DIR
    # In a pod the announced name is per pod, so it is passed on the command line instead.
    announce_host: str | None = None
    # A pod has one address, which its outgoing connections use. Tests that give each server
    # its own loopback address set it, or peers would see every connection come from 127.0.0.1.
    source_address: str | None = None


def password_hash(password: str) -> str:
    """The ACL file form of a password: its SHA-256, so the plain text never shows in ACL LIST."""
    return hashlib.sha256(password.encode()).hexdigest()


def config_string(value: str) -> str:
    """``value`` as one double-quoted redis.conf / sentinel.conf argument, whatever it holds."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'
