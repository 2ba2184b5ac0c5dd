"""Pulumi options for the resources that hold data or unlock it (stack setting ``protection``)."""

from __future__ import annotations

import pulumi

from components.settings.protection import ProtectionSettings


def guarded(protection: ProtectionSettings, opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """``opts`` plus the stack's ``protect`` and ``retainOnDelete``.

    For the Namespace, the Redis StatefulSets, the credentials Secret and the generated
    passwords: losing any of them loses data or locks every client out.
    """
    return pulumi.ResourceOptions.merge(
        opts,
        pulumi.ResourceOptions(protect=protection.protect, retain_on_delete=protection.retain_on_delete),
    )
