"""A small HTTP/1.1 origin on loopback, behaving like the services behind the CDN.

asyncio, not threads: the benchmark drives it with dozens of keep-alive connections that
each wait a fixed service time, and a coroutine per connection costs far less than a
thread per connection. It runs its event loop in a background thread so tests can stop
and start it (an "origin down") while NGINX keeps running.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections import Counter
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.support.ports import free_port

CONTENT_TYPES = {
    ".js": "application/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
}
REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    404: "Not Found",
    411: "Length Required",
}
BODY_BYTES = 2048
SIZE_MARKER = "/bytes-"


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def _text_body(path: str, size: int) -> bytes:
    line = f"/* {path}: TechNovaStore static content, compressible text */\n".encode()
    return (line * (size // len(line) + 1))[:size]


def _binary_body(path: str, size: int) -> bytes:
    """Incompressible bytes, like a real image, deterministic per path."""
    out = b""
    seed = path.encode()
    while len(out) < size:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return out[:size]


def _body_size(name: str) -> int:
    """``/bytes-<n>/`` anywhere in the path asks for n bytes; ``/tiny`` for 16."""
    if SIZE_MARKER in name:
        digits = name.split(SIZE_MARKER, 1)[1].split("/", 1)[0]
        if digits.isdigit():
            return int(digits)
    return 16 if "/tiny" in name else BODY_BYTES


def static_response(path: str) -> Response:
    """The content for a static path, typed by its extension (HTML otherwise)."""
    name = path.split("?", 1)[0]
    extension = name[name.rfind(".") :] if "." in name.rsplit("/", 1)[-1] else ""
    content_type = CONTENT_TYPES.get(extension, "text/html; charset=utf-8")
    size = _body_size(name)
    body = _binary_body(name, size) if content_type.startswith("image/") and extension != ".svg" else None
    return Response(200, {"Content-Type": content_type}, body or _text_body(name, size))


# Path segments that change what any path answers (tests combine them with any content class).
MARKER_HEADERS = {
    "/nostore/": {"Cache-Control": "no-store"},
    "/private/": {"Cache-Control": "private, max-age=600"},
    "/nocache/": {"Cache-Control": "no-cache"},
    "/public/": {"Cache-Control": "public, max-age=600"},
    "/setcookie/": {"Set-Cookie": "tns_session=issued-by-origin; Path=/; HttpOnly"},
}
REDIRECT_MARKER = "/redirect-"


def echo_response(method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
    """Everything the origin received, as JSON (typed by the path's extension, like content)."""
    content_type = static_response(target).headers["Content-Type"]
    received = {"method": method, "target": target, "headers": headers, "body": body.decode("latin-1")}
    return Response(200, {"Content-Type": content_type}, json.dumps(received, sort_keys=True).encode())


def _with_markers(path: str, response: Response) -> Response:
    headers = dict(response.headers)
    for marker, extra in MARKER_HEADERS.items():
        if marker in path:
            headers.update(extra)
    status = response.status
    if REDIRECT_MARKER in path:
        code = path.split(REDIRECT_MARKER, 1)[1][:3]
        if code.isdigit():
            status = int(code)
            headers["Location"] = "/elsewhere"
    return Response(status, headers, response.body)


def route(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Response:
    """What the origin answers; the paths name the behaviour the tests need.

    ``/cookie/...`` sets a session cookie; ``/api/cacheable...`` is JSON with
    ``Cache-Control: max-age=60``, other ``/api/...`` JSON without caching headers;
    ``/status/<code>`` answers that status; a path with ``/echo`` anywhere returns what the
    origin received (method, target, headers, body) as JSON; ``/missing...`` is 404;
    ``/hang...`` waits ``hang_seconds`` (see OriginServer); anything else is static content
    typed by its extension (16 bytes when the path has ``/tiny``, n bytes with ``/bytes-<n>/``).
    Anywhere in a path, ``/nostore/``, ``/private/``, ``/nocache/``, ``/public/`` add that
    Cache-Control, ``/setcookie/`` a Set-Cookie, and ``/redirect-<code>`` turns the answer into
    that redirect.
    """
    return _with_markers(path, _content(method, path, headers, body))


def _content(method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
    if "/echo" in path:
        return echo_response(method, path, headers, body)
    if path.startswith("/cookie/"):
        response = static_response(path)
        return Response(
            200, {**response.headers, "Set-Cookie": "tns_session=abc123; Path=/; HttpOnly"}, response.body
        )
    if path.startswith("/api/"):
        cacheable = path.startswith("/api/cacheable")
        extra = {"Cache-Control": "public, max-age=60"} if cacheable else {}
        payload = json.dumps({"path": path, "method": method, "items": list(range(100))}).encode()
        return Response(200, {"Content-Type": "application/json", **extra}, payload)
    if path.startswith("/status/"):
        code = int(path.split("/")[2]) if path.split("/")[2].isdigit() else 400
        return Response(code, {"Content-Type": "text/plain"}, f"status {code}\n".encode())
    if path.startswith("/missing"):
        return Response(404, {"Content-Type": "text/plain"}, b"not found\n")
    return static_response(path)


class OriginServer:
    """The origin: ``port`` is fixed for its lifetime, so it can stop and start again."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        hang_seconds: float = 30.0,
        port: int | None = None,
        reuse_port: bool = False,
    ) -> None:
        self.port = port or free_port()
        # Several processes may share one port (SO_REUSEPORT) to use more than one core.
        self.reuse_port = reuse_port
        # Fixed service time per request (seconds); /hang paths wait hang_seconds instead.
        self.latency = latency
        self.hang_seconds = hang_seconds
        # When set, every request is answered with this status (an origin that is up but broken).
        self.fail_with: int | None = None
        self.hits: Counter[str] = Counter()
        # TCP connections accepted so far (shows whether callers reuse connections).
        self.connections = 0
        # Requests being answered now, and the most at once so far (shows queueing in front).
        self.in_flight = 0
        self.max_in_flight = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="origin", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        self._call(self._start())

    def stop(self) -> None:
        """Close the listener and every open connection: the origin is down."""
        self._call(self._stop())

    def close(self) -> None:
        self._call(self._stop())
        self._call(self._cancel_pending())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True, reuse_port=self.reuse_port, backlog=1024
        )

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()

    @staticmethod
    async def _cancel_pending() -> None:
        """Requests still waiting (a /hang) end with the server, not at interpreter exit."""
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        self.connections += 1
        try:
            while await self._serve_one(reader, writer):
                pass
        except (
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            asyncio.CancelledError,
        ):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection should close."""
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3:
            await self._write(writer, "HEAD", Response(400, {}, b"bad request\n"), keep_alive=False)
            return False
        method, target, version = parts
        headers = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if "transfer-encoding" in headers:
            await self._write(writer, method, Response(411, {}, b""), keep_alive=False)
            return False
        length = headers.get("content-length", "0")
        body = await reader.readexactly(int(length)) if length.isdigit() and int(length) else b""
        self.hits[target] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.hang_seconds if target.startswith("/hang") else self.latency)
        finally:
            self.in_flight -= 1
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        if self.fail_with is not None:
            response = Response(self.fail_with, {"Content-Type": "text/plain"}, b"origin failure\n")
        else:
            response = route(method, target, headers, body)
        await self._write(writer, method, response, keep_alive=keep_alive)
        return keep_alive

    @staticmethod
    async def _write(
        writer: asyncio.StreamWriter, method: str, response: Response, *, keep_alive: bool
    ) -> None:
        reason = REASONS.get(response.status, "Status")
        lines = [f"HTTP/1.1 {response.status} {reason}"]
        headers = {**response.headers, "Content-Length": str(len(response.body))}
        headers["Connection"] = "keep-alive" if keep_alive else "close"
        lines += [f"{name}: {value}" for name, value in headers.items()]
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        writer.write(payload if method == "HEAD" else payload + response.body)
        await writer.drain()


@contextmanager
def origin_server(*, latency: float = 0.0, hang_seconds: float = 30.0) -> Iterator[OriginServer]:
    """A running origin on a free loopback port; always closed afterwards."""
    server = OriginServer(latency=latency, hang_seconds=hang_seconds)
    try:
        server.start()
        yield server
    finally:
        server.close()


def main() -> None:
    """``python -m tests.support.origin PORT LATENCY``: one origin process, until killed."""
    import signal
    import sys

    server = OriginServer(port=int(sys.argv[1]), latency=float(sys.argv[2]), reuse_port=True)
    server.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    server.close()


if __name__ == "__main__":
    main()
