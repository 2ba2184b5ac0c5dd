"""Test support: one stack applied to the test engine, as `pulumi up` left it (Swarm or dev)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Self

from preview.synth import Synthesis
from tests.support.docker_engine import Engine
from tests.support.docker_images import Images
from tests.support.stacks import synthesize_deployment
from tests.support.swarm_apply import SwarmApplier, unwrap
from tests.support.swarm_network import Finished, run_on_network
from tests.support.swarm_stack import Passwords

NETWORK = "docker:index/network:Network"
# Where the checks' container finds the stack outputs.
OUTPUTS_PATH = "/tmp/outputs.json"


@dataclass
class StackDeployment:
    stack: str
    engine: Engine
    images: Images
    applier: SwarmApplier
    passwords: Passwords
    overrides: dict[str, Any]
    cdn_port: int
    synthesis: Synthesis

    @property
    def client(self) -> Any:
        return self.engine.client

    @property
    def outputs(self) -> dict[str, Any]:
        return unwrap(self.synthesis.outputs)

    @property
    def network(self) -> str:
        """The stack's network, as the program names it."""
        (network,) = [r for r in self.synthesis.resources if r.type == NETWORK]
        return str(network.inputs["name"])

    @property
    def cdn_url(self) -> str:
        return f"http://127.0.0.1:{self.cdn_port}"

    def change(self, **settings: Any) -> list[str]:
        """`pulumi up` with top-level ``settings`` replaced; returns the resources it changed."""
        overrides = {**self.overrides, **settings}
        synthesis = synthesize_deployment(self.stack, overrides, passwords=self.passwords)
        changed = self.applier.apply(synthesis)
        self.overrides, self.synthesis = overrides, synthesis
        return changed

    def run_on_network(self, command: list[str], **kwargs: Any) -> Finished:
        """``command`` in the app image, in a container on the stack's network."""
        return run_on_network(self.client, self.images.app, self.network, command, **kwargs)

    def deployed(self) -> Self:
        """The stack as `pulumi up` left it (deployed again if a test destroyed it)."""
        if not self.applier.state:
            self.applier.apply(self.synthesis)
        return self

    def run_checks(self) -> tuple[int, dict[str, Any]]:
        """``python -m checks --stack <stack> --format json`` from a container on the stack's
        network (the Redis members' names resolve there only), with the stack outputs as
        `pulumi stack output --json --show-secrets` writes them.

        The hit ratio is judged over a short window, not since start: other tests' loads (a
        cold cache filling up) must not decide this verdict; the cache tests judge it themselves.
        """
        command = ["python3", "-m", "checks", "--stack", self.stack, "--outputs", OUTPUTS_PATH]
        finished = self.run_on_network(
            [*command, "--format", "json", "--window", "2", "--timeout", "30"],
            files={OUTPUTS_PATH: json.dumps(self.outputs).encode()},
        )
        assert finished.stdout.strip(), finished.stderr
        return finished.exit_code, json.loads(finished.stdout)
