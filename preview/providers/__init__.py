"""Per-provider knowledge the diff needs, one module per provider.

A provider module builds a :class:`preview.providers.base.Provider`; register it here. A
resource of a provider not listed is treated as bridged with no identity (its replace rules
still come from preview/replace_rules.py).
"""

from __future__ import annotations

from preview.providers import cloudflare, docker, kubernetes
from preview.providers.base import Document, Provider
from preview.providers.bridged import provider as bridged_provider

PROVIDERS: dict[str, Provider] = {
    provider.prefix: provider for provider in (kubernetes.PROVIDER, cloudflare.PROVIDER, docker.PROVIDER)
}


def provider_of(document: Document) -> Provider:
    """The provider of a rendered document (a Kubernetes manifest, or a type with its inputs)."""
    if "kind" in document:
        return kubernetes.PROVIDER
    prefix = str(document.get("type", "")).split(":", 1)[0]
    return PROVIDERS.get(prefix) or bridged_provider(prefix, {})
