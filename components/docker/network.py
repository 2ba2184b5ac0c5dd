"""DockerNetwork: the bridge network every container of the stack talks over."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from components.docker.conventions import container_labels
from components.settings import Settings


class DockerNetwork(pulumi.ComponentResource):
    """One user-defined bridge per stack: containers find each other by name (Docker's DNS)."""

    name: pulumi.Output[str]

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("technovastore:docker:DockerNetwork", name, None, opts)
        network = docker.Network(
            name,
            name=settings.namespace,
            driver="bridge",
            labels=container_labels(settings, "network"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The network's name output: containers attached by it wait for the network.
        self.name = network.name
        self.register_outputs({"name": self.name})
