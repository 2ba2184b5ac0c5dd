"""RedisCredentials: the passwords of the Redis ACL users, and the Secret that carries them."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pydantic import SecretStr

from components.kubernetes.checksums import secret_checksum
from components.kubernetes.conventions import labels
from components.protection import guarded
from components.redis_passwords import redis_secret_values
from components.render.redis_layout import ADMIN_PASSWORD_KEY, APP_PASSWORD_KEY
from components.settings.protection import ProtectionSettings
from components.settings.redis import PasswordRotation


class RedisCredentials(pulumi.ComponentResource):
    """One Secret for both Redis stores: passwords for the environment, auth files for the servers.

    The values (components/redis_passwords.py) are Pulumi secrets; only the Secret's name is
    plain. During a ``redis.passwordRotation`` the checksum of the Secret rolls the pods at
    each phase.
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
        data = redis_secret_values(
            name,
            admin_password,
            sentinel_master_name,
            child,
            previous_admin_password=previous_admin_password,
            rotation=rotation,
        )
        self.admin_password = data[ADMIN_PASSWORD_KEY]
        self.app_password = data[APP_PASSWORD_KEY]
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
