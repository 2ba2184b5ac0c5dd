"""What only a plain Docker stack (`platform: docker`, a developer's laptop) has.

No cluster and no autoscaler: each app service runs a fixed number of containers (the
Compose ``--scale`` of the seed), and the CDN is published on one host address.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, Field

from components.settings.base import SettingsModel

_NUMERIC_USER = re.compile(r"^[0-9]+:[0-9]+$")


def _numeric_user(value: str) -> str:
    if not _NUMERIC_USER.match(value):
        raise ValueError("must be a numeric 'uid:gid' (files are handed to this owner by number)")
    return value


def _host_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("must be an IP address of the Docker host, like 127.0.0.1") from None
    return value


NumericUser = Annotated[str, AfterValidator(_numeric_user)]
HostAddress = Annotated[str, AfterValidator(_host_address)]


class DockerSettings(SettingsModel):
    # Containers per app service (`docker compose up --scale api-gateway=3`); 1 when unnamed.
    scale: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    # Where the CDN listens on the Docker host: loopback keeps it on the laptop.
    cdn_publish_address: HostAddress = "127.0.0.1"
    cdn_published_port: int = Field(default=8080, ge=1, le=65535)
    # The user the Redis image runs Redis as (the official image's `redis` is 999:999); it
    # owns the Redis secret files and the data volumes.
    redis_user: NumericUser = "999:999"
