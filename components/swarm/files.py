"""Swarm configs and secrets: files a service's tasks mount, named by their content.

Swarm configs and secrets cannot change: a new text is a new object with a new name, and the
services that mount it roll to it (the config change rolls the service, as the checksum
annotation does on Kubernetes).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pulumi
import pulumi_docker as docker

from components.settings import Settings
from components.swarm.conventions import FILE_MODE, labels, swarm_name

DIGEST_CHARS = 12


def content_name(prefix: str, text: str) -> str:
    """``prefix-<sha256 of text>``: a new text gets a new name."""
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:DIGEST_CHARS]}"


def service_config(
    settings: Settings, resource_name: str, text: str, opts: pulumi.ResourceOptions
) -> docker.ServiceConfig:
    """A Swarm config holding ``text`` (a rendered file), named by its content."""
    return docker.ServiceConfig(
        resource_name,
        name=content_name(swarm_name(settings, resource_name), text),
        data_raw=text,
        labels=labels(settings, "config"),
        opts=opts,
    )


def swarm_secret(
    settings: Settings, resource_name: str, value: pulumi.Output[str], opts: pulumi.ResourceOptions
) -> docker.Secret:
    """A Swarm secret holding ``value``; its name carries a short digest so rotation rolls services."""
    prefix = swarm_name(settings, resource_name)
    name: pulumi.Output[str] = value.apply(lambda text: content_name(prefix, text))
    encoded: pulumi.Output[str] = pulumi.Output.secret(
        value.apply(lambda text: base64.b64encode(text.encode()).decode())
    )
    return docker.Secret(
        resource_name,
        name=pulumi.Output.unsecret(name),
        data=encoded,
        labels=labels(settings, "secret"),
        opts=opts,
    )


def file_reference(kind: str, item: docker.ServiceConfig | docker.Secret, path: str) -> dict[str, Any]:
    """A task's mount of a config or secret (``kind``) at the absolute ``path``."""
    return {
        f"{kind}_id": item.id,
        f"{kind}_name": item.name,
        "file_name": path,
        "file_uid": "0",
        "file_gid": "0",
        "file_mode": FILE_MODE,
    }
