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

PASSWORD_LENGTH = 32


def generated_password(name: str, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    # Letters and digits only: safe in every config file, URL and shell word.
    password = random.RandomPassword(name, length=PASSWORD_LENGTH, special=False, opts=opts)
    return pulumi.Output.secret(password.result)


def redis_secret_values(
    name: str, admin_password: SecretStr | None, sentinel_master_name: str, opts: pulumi.ResourceOptions
) -> dict[str, pulumi.Output[str]]:
    """Every key of the Redis credentials: three passwords and the two auth files.

    The admin password comes from the ``redisPassword`` stack secret when set; the others
    are always generated (``<name>-admin``, ``<name>-app``, ``<name>-metrics``).
    """
    if admin_password is None:
        admin = generated_password(f"{name}-admin", opts)
    else:
        admin = pulumi.Output.secret(admin_password.get_secret_value())
    app = generated_password(f"{name}-app", opts)
    metrics = generated_password(f"{name}-metrics", opts)
    passwords = pulumi.Output.all(admin, app, metrics).apply(
        lambda values: RedisPasswords(admin=values[0], app=values[1], metrics=values[2])
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
