"""Test support: create, update and delete a plain container as the docker provider does.

The calls come from preview/docker_container_api.py (the provider's field mapping); this
module makes them with the official Docker SDK and waits where the provider waits: for a
``wait`` container to turn healthy, for an ``attach`` container to exit. Used by
tests/support/swarm_apply.py for ``docker:index/container:Container`` resources.
"""

from __future__ import annotations

import base64
import io
import tarfile
import time
from typing import Any

import docker

# The provider updates these in place (``resourceDockerContainerUpdate``); any other change
# replaces the container (delete first: pulumi-docker marks Container DeleteBeforeReplace).
UPDATABLE_HOST_FIELDS = (
    "RestartPolicy",
    "Memory",
    "MemoryReservation",
    "MemorySwap",
    "CpuShares",
    "CpusetCpus",
)
# Not ForceNew in the provider's schema, yet its update never sends them: a change reaches
# only its state, never the running container.
STATE_ONLY_FIELDS = ("Healthcheck", "Tmpfs", "Init", "CpuPeriod", "CpuQuota")
RUNNING_SECONDS = 15


class ContainerError(Exception):
    """A container that did not turn healthy or kept exiting; the message carries its logs."""


def _tar(upload: dict[str, Any]) -> bytes:
    """The provider's one-file archive: the file's path, mode, owner and content, nothing else."""
    content = base64.b64decode(upload["Content"])
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(upload["Path"])
        info.size, info.mode = len(content), upload["Mode"]
        info.uid, info.gid = upload["Uid"], upload["Gid"]
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def logs(client: docker.DockerClient, container_id: str, lines: int = 20) -> str:
    output = client.api.logs(container_id, stdout=True, stderr=True, tail=lines)
    return bytes(output).decode(errors="replace")[-2000:]


def create(client: docker.DockerClient, body: dict[str, Any]) -> str:
    """Create, connect, upload, start and wait, in the provider's order; returns the container id."""
    api = client.api
    container_id = str(api.create_container_from_config(body["Create"], body["Name"] or None)["Id"])
    if body["Connect"]:
        _leave_default_bridge(client, container_id)
        for connection in body["Connect"]:
            endpoint = connection["EndpointConfig"]
            ipam = endpoint.get("IPAMConfig", {})
            api.connect_container_to_network(
                container_id,
                connection["Network"],
                aliases=endpoint.get("Aliases"),
                ipv4_address=ipam.get("IPv4Address"),
                ipv6_address=ipam.get("IPv6Address"),
            )
    for upload in body["Uploads"]:
        api.put_archive(container_id, "/", _tar(upload))
    lifecycle = body["Lifecycle"]
    if lifecycle["start"]:
        api.start(container_id)
        if lifecycle["wait"]:
            wait_healthy(client, container_id, lifecycle["waitTimeout"])
        if lifecycle["attach"]:
            api.wait(container_id, timeout=lifecycle["waitTimeout"])
        elif lifecycle["mustRun"]:
            _wait_running(client, container_id)
    return container_id


def _leave_default_bridge(client: docker.DockerClient, container_id: str) -> None:
    try:
        client.api.disconnect_container_from_network(container_id, "bridge")
    except docker.errors.APIError as error:
        # The provider ignores "is not connected to the network bridge"; an engine started
        # with --bridge=none (as in the tests) has no default bridge at all.
        if "is not connected" not in str(error) and "not found" not in str(error):
            raise


def wait_healthy(client: docker.DockerClient, container_id: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        state = client.api.inspect_container(container_id)["State"]
        health = state.get("Health")
        if health is None:
            raise ContainerError(f"{container_id[:12]}: waiting for health, but it has no health check")
        if health.get("Status") == "healthy":
            return
        if time.monotonic() > deadline:
            raise ContainerError(
                f"container {container_id[:12]} failed to be in healthy state within {timeout:g} s "
                f"({health.get('Status')}); last log lines: {logs(client, container_id)}"
            )
        time.sleep(0.5)


def _wait_running(client: docker.DockerClient, container_id: str) -> None:
    # The provider's read after create: a must_run container that exited is an error.
    deadline = time.monotonic() + RUNNING_SECONDS
    while not client.api.inspect_container(container_id)["State"]["Running"]:
        if time.monotonic() > deadline:
            raise ContainerError(f"container {container_id[:12]} exited: {logs(client, container_id)}")
        time.sleep(0.3)


def _replacing_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The parts of a container's calls whose change replaces it."""
    ignored = (*UPDATABLE_HOST_FIELDS, *STATE_ONLY_FIELDS)
    create = {key: value for key, value in body["Create"].items() if key not in ignored}
    create["HostConfig"] = {k: v for k, v in body["Create"]["HostConfig"].items() if k not in ignored}
    return {"Name": body["Name"], "Create": create, "Connect": body["Connect"], "Uploads": body["Uploads"]}


def updatable(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether ``old`` -> ``new`` is an in-place update rather than a replacement."""
    return _replacing_fields(old) == _replacing_fields(new)


def update(client: docker.DockerClient, container_id: str, body: dict[str, Any]) -> None:
    """``ContainerUpdate`` with the restart policy and resources (what the provider updates)."""
    host = body["Create"]["HostConfig"]
    restart = host.get("RestartPolicy", {})
    client.api.update_container(
        container_id,
        restart_policy=restart,
        mem_limit=host.get("Memory", 0),
        mem_reservation=host.get("MemoryReservation", 0),
        memswap_limit=host.get("MemorySwap"),
        cpu_shares=host.get("CpuShares", 0),
        cpuset_cpus=host.get("CpusetCpus", ""),
    )


def delete(client: docker.DockerClient, container_id: str, body: dict[str, Any]) -> None:
    """Stop (SIGTERM, then ``destroy_grace_seconds``) unless attached, then remove with its volumes."""
    lifecycle = body["Lifecycle"]
    try:
        if not lifecycle["attach"]:
            client.api.stop(container_id, timeout=lifecycle["destroyGraceSeconds"])
        client.api.remove_container(container_id, v=lifecycle["removeVolumes"], force=True)
    except docker.errors.NotFound:
        return
