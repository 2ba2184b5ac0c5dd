"""A tiny HTTP client with exact control over what is sent (headers, source address, bytes)."""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def cache_status(self) -> str | None:
        return self.headers.get("x-cache-status")


def request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    source: str = "127.0.0.1",
    timeout: float = 10.0,
    body: bytes | None = None,
) -> Reply:
    """One request on a fresh connection from ``source`` (any 127.0.0.0/8 address)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


def raw_request(port: int, payload: bytes, *, timeout: float = 5.0) -> tuple[int, bytes]:
    """Send bytes as they are; the status code and the reply (headers and a sized body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        reply = b""
        while not _complete(reply):
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            reply += chunk
    status_line = reply.split(b"\r\n", 1)[0]
    return int(status_line.split(b" ")[1]), reply


def _complete(reply: bytes) -> bool:
    """The whole response is in (NGINX may linger before closing, waiting for a request body)."""
    head, sep, body = reply.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def closed_without_answer(port: int, payload: bytes, *, timeout: float = 5.0) -> bool:
    """Whether NGINX closed the connection without a byte of answer (``return 444``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        try:
            return sock.recv(65536) == b""
        except ConnectionResetError:
            return True
