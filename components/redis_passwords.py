"""The Redis ACL users' passwords and the auth files rendered from them, for every platform.

Each value is a Pulumi secret; the platforms put them into their own kind of Secret.
"""

from __future__ import annotations

import pulumi
import pulumi_random as random
from pydantic import SecretStr

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
from components.settings.redis import PasswordRotation

PASSWORD_LENGTH = 32


def generated_password(name: str, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    # Letters and digits only: safe in every config file, URL and shell word.
    password = random.RandomPassword(name, length=PASSWORD_LENGTH, special=False, opts=opts)
    return pulumi.Output.secret(password.result)


def redis_secret_values(
    name: str,
    admin_password: SecretStr | None,
    sentinel_master_name: str,
    opts: pulumi.ResourceOptions,
    *,
    previous_admin_password: SecretStr | None = None,
    rotation: PasswordRotation | None = None,
) -> dict[str, pulumi.Output[str]]:
    """Every key of the Redis credentials: three passwords and the two auth files.

    The admin password comes from the ``redisPassword`` stack secret when set; the others
    are always generated (``<name>-admin``, ``<name>-app``, ``<name>-metrics``). While
    ``redis.passwordRotation`` runs, the servers accept both the previous and the new admin
    password, and everything uses the previous one ("accept-new") or the new one ("use-new").
    """
    if admin_password is None:
        new = generated_password(f"{name}-admin", opts)
    else:
        new = pulumi.Output.secret(admin_password.get_secret_value())
    previous = (
        pulumi.Output.secret(previous_admin_password.get_secret_value())
        if rotation and previous_admin_password
        else None
    )
    # The password in use: the previous one until the rotation's "use-new" phase.
    admin = previous if rotation == "accept-new" and previous is not None else new
    also_accepted = {"accept-new": new, "use-new": previous}.get(rotation) if rotation else None
    app = generated_password(f"{name}-app", opts)
    metrics = generated_password(f"{name}-metrics", opts)
    passwords = pulumi.Output.all(admin, app, metrics, also_accepted).apply(
        lambda values: RedisPasswords(
            admin=values[0], app=values[1], metrics=values[2], admin_also_accepted=values[3]
        )
    )
    redis_auth: pulumi.Output[str] = pulumi.Output.secret(passwords.apply(render_redis_auth_conf))
    sentinel_auth: pulumi.Output[str] = pulumi.Output.secret(
        passwords.apply(lambda p: render_sentinel_auth_conf(p, master_name=sentinel_master_name))
    )
    return {
        ADMIN_PASSWORD_KEY: admin,
        APP_PASSWORD_KEY: app,
        METRICS_PASSWORD_KEY: metrics,
        REDIS_AUTH_FILE: redis_auth,
        SENTINEL_AUTH_FILE: sentinel_auth,
    }
