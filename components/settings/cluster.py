"""Which Kubernetes cluster a stack deploys to.

Read from the Kubernetes provider's own config keys (``kubernetes:context``,
``kubernetes:kubeconfig``), so ``pulumi config set kubernetes:context ...`` works as every
Pulumi user expects; the program hands them to its explicit provider.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from components.settings.base import SettingsModel

# The provider keys the program reads; any other ``kubernetes:`` key would be ignored by the
# explicit provider, so it is refused rather than silently dropped.
PROVIDER_NAMESPACE = "kubernetes"
PROVIDER_KEYS = ("context", "kubeconfig")


class ClusterSettings(SettingsModel):
    # A context of the kubeconfig (KUBECONFIG or ~/.kube/config, or the one below).
    context: str | None = Field(default=None, min_length=1)
    # A kubeconfig's path, or its contents (then a secret: it holds credentials).
    kubeconfig: SecretStr | None = None

    @property
    def named(self) -> bool:
        """Whether the stack names its cluster (a context or a kubeconfig)."""
        return self.context is not None or self.kubeconfig is not None


def kubeconfig_is_contents(value: str) -> bool:
    """A kubeconfig given inline (YAML or JSON) rather than as a path to a file."""
    stripped = value.lstrip()
    return "\n" in stripped or stripped.startswith(("{", "apiVersion"))
