"""SwarmNetwork: the overlay network every service of the stack talks over."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from components.settings import Settings
from components.swarm.conventions import labels


class SwarmNetwork(pulumi.ComponentResource):
    """One overlay network per stack; nothing outside it reaches Redis (no published ports)."""

    network_id: pulumi.Output[str]
    name: str

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("technovastore:swarm:SwarmNetwork", name, None, opts)
        self.name = settings.namespace
        network = docker.Network(
            name,
            name=self.name,
            driver="overlay",
            # One-off containers may join (`docker run --network ...`): the post-deploy checks
            # reach Redis from inside the network, since nothing publishes its ports.
            attachable=True,
            options={"encrypted": "true"} if settings.swarm.encrypted_network else {},
            labels=labels(settings, "network"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.network_id = network.id
        self.register_outputs({"network_id": self.network_id})
