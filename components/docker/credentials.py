"""DockerRedisCredentials: the Redis passwords and auth files, handed to containers as files."""

from __future__ import annotations

from typing import Any

import pulumi

from components.docker.conventions import secret_upload
from components.protection import guarded
from components.redis_passwords import redis_secret_values
from components.render.redis_layout import ADMIN_PASSWORD_KEY
from components.settings import Settings


class DockerRedisCredentials(pulumi.ComponentResource):
    """The same keys as the Kubernetes Secret; each reaches a container only as an uploaded file."""

    admin_password: pulumi.Output[str]
    values: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("technovastore:docker:RedisCredentials", name, None, opts)
        # A lost password locks every client out: guarded like the data.
        self.values = redis_secret_values(
            name,
            settings.redis_password,
            settings.redis.sentinel.master_name,
            guarded(settings.protection, pulumi.ResourceOptions(parent=self)),
            previous_admin_password=settings.redis_previous_password,
            rotation=settings.redis.password_rotation,
        )
        self.admin_password = self.values[ADMIN_PASSWORD_KEY]
        self.register_outputs({})

    def upload(self, key: str, path: str, user: str) -> dict[str, Any]:
        """The file ``path`` holding the key's value, readable only by ``user`` (``uid:gid``)."""
        return secret_upload(path, self.values[key], user)
