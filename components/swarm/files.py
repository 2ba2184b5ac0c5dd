"""Swarm configs and secrets: files a service's tasks mount, renamed whenever their content changes.

Swarm configs and secrets cannot change: a new text is a new object with a new name, and the
services that mount it roll to it (the config change rolls the service, as the checksum
annotation does on Kubernetes). A config is named by a digest of its text; a secret by a
random suffix drawn again whenever its value changes, so its name tells nothing about it.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pulumi
import pulumi_docker as docker
import pulumi_random as random

from components.settings import Settings
from components.swarm.conventions import FILE_MODE, labels, swarm_name

DIGEST_CHARS = 12
# A secret name's random suffix: 12 hex characters, as long as a config's digest.
SECRET_SUFFIX_BYTES = DIGEST_CHARS // 2


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
    """A Swarm secret holding ``value``, named ``<prefix>-<random suffix>``.

    Anyone who may list secrets sees their names: a digest of the value there would let them
    test guesses of a chosen password offline. The suffix is a RandomId whose keepers hold the
    value (a secret in the state), so a new value draws a new suffix and the services roll.
    """
    suffix = random.RandomId(
        f"{resource_name}-name",
        byte_length=SECRET_SUFFIX_BYTES,
        keepers={"value": value},
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["keepers"])
        ),
    )
    name = pulumi.Output.concat(swarm_name(settings, resource_name), "-", suffix.hex)
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
