"""Every policy of the pack, grouped by concern, in a stable order.

Each rule module exposes ``POLICIES`` (``ResourceValidationPolicy`` / ``StackValidationPolicy``);
a new concern is one module here and one line in ``RULE_MODULES``.
"""

from __future__ import annotations

from types import ModuleType

from pulumi_policy import Policy

from policies.rules import (
    cdn,
    cloudflare,
    controllers,
    images,
    metadata,
    networking,
    pod_security,
    pods,
    rbac,
    redis,
    scaling,
    secrets,
    stack,
    swarm,
)

RULE_MODULES: tuple[ModuleType, ...] = (
    pod_security,
    pods,
    controllers,
    metadata,
    images,
    secrets,
    rbac,
    scaling,
    networking,
    redis,
    cdn,
    cloudflare,
    stack,
    swarm,
)

ALL_POLICIES: list[Policy] = [policy for module in RULE_MODULES for policy in module.POLICIES]
