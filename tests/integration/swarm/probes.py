"""What the Swarm tests ask of the running stack: tasks, Redis members, HTTP through the CDN."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from typing import Any

from components.render.redis_layout import ADMIN_USER
from tests.integration.swarm.conftest import Deployment, outputs_file
from tests.support.swarm_stack import PUBLIC_HOSTNAME
from tests.support.swarm_stack import get as cdn_get

OUTPUTS_PATH = "/tmp/outputs.json"
WAIT_SECONDS = 120


def running_containers(deployment: Deployment, service: str) -> list[Any]:
    """The containers of ``service``'s running tasks (service: its Swarm name)."""
    client = deployment.client
    tasks = client.api.tasks(filters={"service": service, "desired-state": "running"})
    ids = [
        t["Status"]["ContainerStatus"]["ContainerID"]
        for t in tasks
        if t["Status"]["State"] == "running" and t["Status"].get("ContainerStatus", {}).get("ContainerID")
    ]
    return [client.containers.get(container_id) for container_id in ids]


def redis_cli(deployment: Deployment, service: str, *args: str) -> str:
    """``redis-cli`` inside a member's task, authenticated as the member's own programs are."""
    (container,) = running_containers(deployment, service)
    wrapper = ["sh", "/etc/redis/config/env-from-files.sh"]
    command = [*wrapper, "redis-cli", "--no-auth-warning", "--user", ADMIN_USER, *args]
    code, output = container.exec_run(command, user="redis")
    assert code == 0, output.decode(errors="replace")
    return str(output.decode())


def run_checks(deployment: Deployment) -> tuple[int, dict[str, Any]]:
    """``python -m checks --stack swarm --format json`` from a container on the stack's network.

    The hit ratio is judged over a short window, not since start: other tests' loads (a cold
    cache filling up) must not decide this verdict; the cache test judges the ratio itself.
    """
    command = ["python3", "-m", "checks", "--stack", "swarm", "--outputs", OUTPUTS_PATH, "--format", "json"]
    finished = deployment.run_on_network(
        [*command, "--window", "2", "--timeout", "30"],
        files={OUTPUTS_PATH: outputs_file(deployment)},
    )
    assert finished.stdout.strip(), finished.stderr
    return finished.exit_code, json.loads(finished.stdout)


def get(
    deployment: Deployment, path: str, timeout: float = 5, host: str = PUBLIC_HOSTNAME
) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` from the CDN's published port, as a visitor outside the Swarm does."""
    return cdn_get(deployment.cdn_port, path, timeout, host)


def eventually(condition: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    """``condition()``'s first truthy value within ``timeout`` seconds (a bounded wait)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except (OSError, http.client.HTTPException) as error:
            last = error
        if last and not isinstance(last, Exception):
            return last
        time.sleep(1)
    raise AssertionError(f"{what} not within {timeout:g} s (last: {last!r})")
