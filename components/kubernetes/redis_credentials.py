"""RedisCredentials: the passwords of the Redis ACL users, and the Secret that carries them."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import SecretStr

from components.kubernetes.checksums import secret_checksum
from components.kubernetes.conventions import labels
from components.protection import guarded
from components.render.redis import render_redis_auth_conf
from components.render.redis_layout import (
    ADMIN_PASSWORD_KEY,
    APP_PASSWORD_KEY,
    METRICS_PASSWORD_KEY,
    REDIS_AUTH_FILE,
    SENTINEL_AUTH_FILE,
    RedisPasswords,
)
from components.render.sentinel import render_sentinel_auth_conf
from components.settings.protection import ProtectionSettings
from components.settings.redis import PasswordRotation

PASSWORD_LENGTH = 32


class RedisCredentials(pulumi.ComponentResource):
    """One Secret for both Redis stores: passwords for the environment, auth files for the servers.

    The admin password comes from the ``redisPassword`` stack secret when set; the others
    are always generated. Every value is a Pulumi secret; only the Secret's name is plain.
    While ``redis.passwordRotation`` runs, the servers accept both the previous and the new
    admin password, and everything uses the previous one ("accept-new") or the new one
    ("use-new"); the checksum of the Secret rolls the pods at each phase.
    """

    secret_name: pulumi.Output[str]
    admin_password: pulumi.Output[str]
    # A digest of everything in the Secret: the Redis pods roll when it changes.
    checksum: pulumi.Output[str]
    app_password: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        admin_password: SecretStr | None,
        sentinel_master_name: str,
        previous_admin_password: SecretStr | None = None,
        rotation: PasswordRotation | None = None,
        protection: ProtectionSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:redis:RedisCredentials", name, None, opts)
        # A lost password or Secret locks every client out: protected like the data itself.
        child = guarded(protection, pulumi.ResourceOptions(parent=self))
        if admin_password is None:
            new = self._generated(f"{name}-admin", child)
        else:
            new = pulumi.Output.secret(admin_password.get_secret_value())
        previous = (
            pulumi.Output.secret(previous_admin_password.get_secret_value())
            if rotation and previous_admin_password
            else None
        )
        # The password in use: the previous one until the rotation's "use-new" phase.
        self.admin_password = previous if rotation == "accept-new" and previous is not None else new
        also_accepted = {"accept-new": new, "use-new": previous}.get(rotation) if rotation else None
        app = self.app_password = self._generated(f"{name}-app", child)
        metrics = self._generated(f"{name}-metrics", child)
        passwords = pulumi.Output.all(self.admin_password, app, metrics, also_accepted).apply(
            lambda values: RedisPasswords(
                admin=values[0], app=values[1], metrics=values[2], admin_also_accepted=values[3]
            )
        )
        redis_auth: pulumi.Output[str] = pulumi.Output.secret(passwords.apply(render_redis_auth_conf))
        sentinel_auth: pulumi.Output[str] = pulumi.Output.secret(
            passwords.apply(lambda p: render_sentinel_auth_conf(p, master_name=sentinel_master_name))
        )
        data = {
            ADMIN_PASSWORD_KEY: self.admin_password,
            APP_PASSWORD_KEY: app,
            METRICS_PASSWORD_KEY: metrics,
            REDIS_AUTH_FILE: redis_auth,
            SENTINEL_AUTH_FILE: sentinel_auth,
        }
        secret = k8s.core.v1.Secret(
            name,
            metadata={"name": name, "namespace": namespace, "labels": labels(name, "credentials")},
            type="Opaque",
            string_data=data,
            opts=child,
        )
        # Over every value, two generated 32-character passwords among them: not reversible.
        self.checksum = secret_checksum(data)
        self.secret_name = secret.metadata.apply(lambda metadata: metadata["name"])
        self.register_outputs({"secret_name": self.secret_name})

    @staticmethod
    def _generated(name: str, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
        # Letters and digits only: safe in every config file, URL and shell word.
        password = random.RandomPassword(name, length=PASSWORD_LENGTH, special=False, opts=opts)
        return pulumi.Output.secret(password.result)
