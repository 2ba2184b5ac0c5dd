"""A local stand-in for the Kubernetes API server: object lists and the pod port-forward stream.

It speaks what the official client speaks to a real API server for ``kubectl port-forward``:
a WebSocket upgrade of ``GET /api/v1/namespaces/<ns>/pods/<pod>/portforward?ports=<p>`` with
the ``v4.channel.k8s.io`` subprotocol, then binary frames whose first byte is the channel
(0 data, 1 errors) and, first on each channel, the port number (two bytes, little-endian).
Like the kubelet, it connects to the pod's IP on that port and relays bytes both ways; a
refused connection is reported on the error channel. Lists (pods, services, deployments, ...)
are served from the objects it is given, as JSON in the API's own shape.

    with kube_api_stand_in("technovastore-staging", objects) as api:
        api.kubeconfig        # a kubeconfig file whose context "stand-in" points here
        api.forwarded         # [(pod, port), ...] every stream opened
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import WSMsgType, web

from tests.support.ports import free_port

CHANNEL_PROTOCOL = "v4.channel.k8s.io"
DATA_CHANNEL, ERROR_CHANNEL = 0, 1
# Collection path -> the kind of its list ("pods" -> PodList ...), per API group path.
COLLECTIONS = {
    "/api/v1/namespaces/{ns}/pods": "PodList",
    "/api/v1/namespaces/{ns}/services": "ServiceList",
    "/apis/apps/v1/namespaces/{ns}/deployments": "DeploymentList",
    "/apis/apps/v1/namespaces/{ns}/statefulsets": "StatefulSetList",
    "/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers": "HorizontalPodAutoscalerList",
    "/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets": "PodDisruptionBudgetList",
}


@dataclass
class StandIn:
    namespace: str
    objects: dict[str, list[dict[str, Any]]]  # list kind -> items
    kubeconfig: Path
    context: str
    forwarded: list[tuple[str, int]] = field(default_factory=list)

    def pod(self, name: str) -> dict[str, Any] | None:
        return next((p for p in self.objects.get("PodList", []) if p["metadata"]["name"] == name), None)


def _port_frame(channel: int, port: int) -> bytes:
    return bytes([channel]) + port.to_bytes(2, "little")


async def _relay(
    ws: web.WebSocketResponse, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    async def to_pod() -> None:
        async for message in ws:
            if message.type == WSMsgType.BINARY and message.data[:1] == bytes([DATA_CHANNEL]):
                writer.write(message.data[1:])
                await writer.drain()
        writer.close()

    async def from_pod() -> None:
        while data := await reader.read(65536):
            await ws.send_bytes(bytes([DATA_CHANNEL]) + data)
        await ws.close()

    tasks = [asyncio.ensure_future(to_pod()), asyncio.ensure_future(from_pod())]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    writer.close()


def _app(stand_in: StandIn) -> web.Application:
    async def listing(request: web.Request) -> web.Response:
        kind = request.match_info.route.name or ""
        items = stand_in.objects.get(kind, [])
        return web.json_response({"kind": kind, "apiVersion": "v1", "metadata": {}, "items": items})

    async def portforward(request: web.Request) -> web.StreamResponse:
        name, port = request.match_info["pod"], int(request.query["ports"])
        pod = stand_in.pod(name)
        if pod is None or request.match_info["ns"] != stand_in.namespace:
            return web.json_response({"kind": "Status", "status": "Failure", "code": 404}, status=404)
        ws = web.WebSocketResponse(protocols=(CHANNEL_PROTOCOL,))
        await ws.prepare(request)
        stand_in.forwarded.append((name, port))
        await ws.send_bytes(_port_frame(DATA_CHANNEL, port))
        await ws.send_bytes(_port_frame(ERROR_CHANNEL, port))
        try:
            reader, writer = await asyncio.open_connection(pod["status"]["podIP"], port)
        except OSError as error:
            message = f"error forwarding port {port} to pod {name}: {error}"
            await ws.send_bytes(bytes([ERROR_CHANNEL]) + message.encode())
            await ws.close()
            return ws
        await _relay(ws, reader, writer)
        return ws

    app = web.Application()
    for path, kind in COLLECTIONS.items():
        app.router.add_get(path, listing, name=kind)
    app.router.add_get("/api/v1/namespaces/{ns}/pods/{pod}/portforward", portforward)
    return app


def write_kubeconfig(path: Path, server: str, context: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "stand-in", "cluster": {"server": server}}],
                "users": [{"name": "stand-in", "user": {"token": "stand-in-token"}}],
                "contexts": [{"name": context, "context": {"cluster": "stand-in", "user": "stand-in"}}],
                "current-context": context,
            }
        )
    )
    return path


@contextlib.contextmanager
def kube_api_stand_in(
    namespace: str, objects: dict[str, list[dict[str, Any]]], directory: Path, *, context: str = "stand-in"
) -> Iterator[StandIn]:
    """The stand-in on a free loopback port, in a thread of its own, until the block exits."""
    port = free_port()
    kubeconfig = write_kubeconfig(directory / "kubeconfig", f"http://127.0.0.1:{port}", context)
    stand_in = StandIn(namespace, objects, kubeconfig, context)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(_app(stand_in))
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, name="kube-api-stand-in", daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
