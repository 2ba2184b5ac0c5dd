"""Every policy of the pack, grouped by concern, in a stable order.

Each entry is a ``ResourceValidationPolicy`` or a ``StackValidationPolicy``.
"""

from __future__ import annotations

from pulumi_policy import Policy

from policies.rules import cdn, cloudflare, images, networking, pods, redis, scaling, secrets, stack, swarm

ALL_POLICIES: list[Policy] = [
    *pods.POLICIES,
    *images.POLICIES,
    *secrets.POLICIES,
    *scaling.POLICIES,
    *networking.POLICIES,
    *redis.POLICIES,
    *cdn.POLICIES,
    *cloudflare.POLICIES,
    *stack.POLICIES,
    *swarm.POLICIES,
]
