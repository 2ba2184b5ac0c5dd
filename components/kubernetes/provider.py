"""The stack's own Kubernetes provider: every Kubernetes resource goes through it.

Without it, `pulumi up` would use the default provider, which deploys to whatever context
is current on the machine that runs it. The stack names its cluster (``kubernetes:context``
or ``kubernetes:kubeconfig``) and the stack files turn the default provider off
(``pulumi:disable-default-providers``), so a resource that slipped past this provider fails
instead of landing elsewhere.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.settings import Settings


def cluster_provider(
    name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None
) -> k8s.Provider:
    """The provider for ``settings``' cluster, server-side apply on, never adopting foreign objects."""
    cluster = settings.cluster
    kubeconfig = cluster.kubeconfig
    return k8s.Provider(
        name,
        context=cluster.context,
        kubeconfig=pulumi.Output.secret(kubeconfig.get_secret_value()) if kubeconfig else None,
        # Objects without a namespace of their own land in the stack's, never in `default`.
        namespace=settings.namespace,
        # The provider's default, pinned so no PULUMI_K8S_* variable on a runner can change it.
        enable_server_side_apply=True,
        # Creating an object that already exists fails (AlreadyExists) instead of taking it over:
        # a stack can never adopt, and later delete, another stack's objects.
        upsert_existing_objects=False,
        opts=opts,
    )
