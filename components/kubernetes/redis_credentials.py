"""RedisCredentials: the passwords of the Redis ACL users, and the Secret that carries them."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pydantic import SecretStr

from components.kubernetes.conventions import labels
from components.protection import guarded
from components.redis_passwords import redis_secret_values
from components.render.redis_layout import ADMIN_PASSWORD_KEY, APP_PASSWORD_KEY
from components.settings.protection import ProtectionSettings


class RedisCredentials(pulumi.ComponentResource):
    """One Secret for both Redis stores: passwords for the environment, auth files for the servers.

    Every value is a Pulumi secret; only the Secret's name is plain.
    """

    secret_name: pulumi.Output[str]
    admin_password: pulumi.Output[str]
    app_password: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        admin_password: SecretStr | None,
        sentinel_master_name: str,
        protection: ProtectionSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:redis:RedisCredentials", name, None, opts)
        # A lost password or Secret locks every client out: protected like the data itself.
        child = guarded(protection, pulumi.ResourceOptions(parent=self))
        values = redis_secret_values(name, admin_password, sentinel_master_name, child)
        self.admin_password = values[ADMIN_PASSWORD_KEY]
        self.app_password = values[APP_PASSWORD_KEY]
        secret = k8s.core.v1.Secret(
            name,
            metadata={"name": name, "namespace": namespace, "labels": labels(name, "credentials")},
            type="Opaque",
            string_data=values,
            opts=child,
        )
        self.secret_name = secret.metadata.apply(lambda metadata: metadata["name"])
        self.register_outputs({"secret_name": self.secret_name})
