"""SwarmRedisCredentials: the Redis passwords and auth files as Swarm secrets."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from components.protection import guarded
from components.redis_passwords import redis_secret_values
from components.render.redis_layout import ADMIN_PASSWORD_KEY, METRICS_PASSWORD_KEY
from components.settings import Settings
from components.swarm.files import file_reference, swarm_secret

# Where a task finds a secret it mounts (the Docker convention).
SECRETS_ROOT = "/run/secrets"


class SwarmRedisCredentials(pulumi.ComponentResource):
    """One Swarm secret per key of the Redis credentials (the same keys as the Kubernetes Secret)."""

    admin_password: pulumi.Output[str]
    metrics_password: pulumi.Output[str]
    secrets: dict[str, docker.Secret]

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("technovastore:swarm:RedisCredentials", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # A lost password locks every client out: guarded like the data. The Swarm secrets are
        # not: a rotation replaces them (they cannot change in place).
        values = redis_secret_values(
            name,
            settings.redis_password,
            settings.redis.sentinel.master_name,
            guarded(settings.protection, child),
            previous_admin_password=settings.redis_previous_password,
            rotation=settings.redis.password_rotation,
        )
        self.admin_password = values[ADMIN_PASSWORD_KEY]
        self.metrics_password = values[METRICS_PASSWORD_KEY]
        self.secrets = {
            key: swarm_secret(settings, f"{name}-{key.replace('.', '-')}", value, child)
            for key, value in values.items()
        }
        self.register_outputs({})

    def mount(self, key: str, path: str | None = None) -> dict[str, Any]:
        """A task's mount of the secret ``key`` (at /run/secrets/<key> unless ``path`` says)."""
        return file_reference("secret", self.secrets[key], path or f"{SECRETS_ROOT}/{key}")
