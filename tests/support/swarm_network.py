"""Test support: run a one-off container on a stack's overlay network and read what it printed.

Nothing of the stack but the CDN is published, so what must reach Redis or an app service
directly (the post-deploy checks, a load generator) runs where a platform engineer would run
it: in a container attached to the stack's network. Files (a secret-bearing outputs file, a
script) are copied into the container before it starts, never passed as arguments or env.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass

import docker


@dataclass(frozen=True)
class Finished:
    exit_code: int
    stdout: str
    stderr: str


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size, info.mode = len(data), 0o444
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def run_on_network(
    client: docker.DockerClient,
    image: str,
    network: str,
    command: list[str],
    *,
    files: dict[str, bytes] | None = None,
    timeout: float = 180,
) -> Finished:
    """Run ``command`` in ``image`` on ``network`` until it exits (at most ``timeout`` s)."""
    container = client.containers.create(image, command=command, network=network, user="10001:10001")
    try:
        if files:
            container.put_archive("/", _tar(files))
        container.start()
        exit_code = int(container.wait(timeout=timeout)["StatusCode"])
        stdout = container.logs(stdout=True, stderr=False).decode(errors="replace")
        stderr = container.logs(stdout=False, stderr=True).decode(errors="replace")
        return Finished(exit_code, stdout, stderr)
    finally:
        container.remove(force=True)
