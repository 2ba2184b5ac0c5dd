"""The settings a deployment may go ahead with: valid config, a named cluster, no unacknowledged loss.

How the program knows what would change: every deployment exports its ``dataFootprint``
(components/data_footprint.py). The next one reads its own stack's previous outputs through
the engine's built-in ``pulumi:pulumi:readStackOutputs`` function (what a StackReference reads,
called synchronously, so the check runs before any resource is registered) and compares.
Offline (the preview, the tests), the mock runtime answers that function: with nothing, or
with the outputs a test gives.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import get_monitor

from components.data_footprint import data_footprint
from components.destructive_changes import (
    as_problems,
    destructive_changes,
    unacknowledged,
    unused_acknowledgements,
)
from components.settings import Settings, SettingsError
from components.settings.base import MISSING, Problem
from components.settings.pulumi_config import stack_settings

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
FOOTPRINT_OUTPUT = "dataFootprint"
# The organization of stacks in a DIY backend (pulumi login --local, s3://...).
DIY_ORGANIZATION = "organization"


def offline() -> bool:
    """Whether the program runs under the SDK's mock runtime (the offline preview, the tests)."""
    return isinstance(get_monitor(), MockMonitor)


def stack_reference_name() -> str:
    organization = pulumi.get_organization() or DIY_ORGANIZATION
    return f"{organization}/{pulumi.get_project()}/{pulumi.get_stack()}"


def previous_outputs() -> dict[str, Any]:
    """The stack outputs of this stack's last deployment (``{}`` before the first one)."""
    result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": stack_reference_name()})
    value = result.value or {}
    outputs = value.get("outputs") if isinstance(value, dict) else None
    return outputs if isinstance(outputs, dict) else {}


def deployable_settings() -> Settings:
    """The stack's settings, or SettingsError before any resource exists, with every problem."""
    settings = stack_settings(require_cluster=not offline())
    try:
        previous = previous_outputs().get(FOOTPRINT_OUTPUT)
    except Exception as error:  # the engine's message says why (backend, permissions)
        problem = Problem(
            "(previous deployment)",
            MISSING,
            f"cannot read this stack's previous outputs to check for destructive changes: {error}",
        )
        raise SettingsError(settings.stack, [problem]) from None
    changes = destructive_changes(previous, data_footprint(settings))
    blocked = unacknowledged(changes, settings.acknowledge)
    if blocked:
        raise SettingsError(settings.stack, as_problems(blocked, settings.stack))
    for entry in unused_acknowledgements(changes, settings.acknowledge):
        pulumi.log.warn(f"acknowledge: '{entry}' allows nothing this deployment does; remove it")
    return settings
