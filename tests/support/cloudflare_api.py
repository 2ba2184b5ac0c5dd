"""A local stand-in for Cloudflare's API: the purge endpoint and the zone list, on loopback.

It behaves like the documented endpoint where the purge client depends on it: the bearer
token is checked, the body must carry exactly one of ``files``, ``tags``, ``hosts``,
``prefixes`` or ``purge_everything``, batches over the limit get 400 (URLs: ``batch_limit``;
tags, hosts, prefixes: 100 on every plan), a malformed URL fails its whole request with 400,
and scheduled requests get 429 (with ``Retry-After``), 403 (token refused) or 5xx before
being served. https://developers.cloudflare.com/api/resources/cache/methods/purge/
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_PREFIX = "/client/v4"
PURGE_KINDS = ("files", "tags", "hosts", "prefixes", "purge_everything")
_PURGE_PATH = re.compile(rf"^{API_PREFIX}/zones/([0-9a-f]{{32}})/purge_cache$")


@dataclass(frozen=True)
class Scheduled:
    """The answer a scheduled request gets instead of being served."""

    status: int
    retry_after: str | None = None

    def body(self) -> dict[str, Any]:
        if self.status in (401, 403):
            return _failure(10000, "Authentication error")
        return _failure(971 if self.status == 429 else 500, "scheduled failure")


@dataclass
class Purge:
    zone_id: str
    kind: str
    items: list[Any]


@dataclass
class FakeCloudflareApi:
    token: str
    zones: dict[str, str]  # id -> name
    batch_limit: int = 30
    # Tags, hosts or prefixes per request: 100 on every plan.
    item_limit: int = 100
    # Purge request number (1-based, counting every purge request) -> scripted answer.
    schedule: dict[int, Scheduled] = field(default_factory=dict)
    # The answer every purge request gets (an outage), unless scheduled otherwise.
    always: Scheduled | None = None
    accepted: list[Purge] = field(default_factory=list)
    # (purge request number, status) for every purge request, in arrival order.
    answers: list[tuple[int, int]] = field(default_factory=list)
    bodies_seen: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._purge_requests = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}{API_PREFIX}"

    def start(self) -> FakeCloudflareApi:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def purged_items(self, kind: str) -> list[Any]:
        return [item for purge in self.accepted if purge.kind == kind for item in purge.items]

    # The request logic, called by the handler (one thread per request).

    def handle_purge(
        self, zone_id: str, authorization: str | None, raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self._purge_requests += 1
            number = self._purge_requests
            status, body, headers = self._purge_answer(number, zone_id, authorization, raw)
            self.answers.append((number, status))
        return status, body, headers

    def _purge_answer(
        self, number: int, zone_id: str, authorization: str | None, raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if authorization != f"Bearer {self.token}":
            return 403, _failure(10000, "Authentication error"), {}
        if zone_id not in self.zones:
            return 404, _failure(7003, "Could not route to the zone: invalid object identifier"), {}
        scheduled = self.schedule.get(number, self.always)
        if scheduled is not None:
            headers = {"Retry-After": scheduled.retry_after} if scheduled.retry_after is not None else {}
            return scheduled.status, scheduled.body(), headers
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, _failure(1012, "Request must be valid JSON"), {}
        self.bodies_seen.append(body)
        problem = self._body_problem(body)
        if problem:
            return 400, _failure(1012, problem), {}
        [kind] = [key for key in PURGE_KINDS if key in body]
        items = [] if kind == "purge_everything" else body[kind]
        self.accepted.append(Purge(zone_id, kind, items))
        return 200, {"success": True, "errors": [], "messages": [], "result": {"id": uuid.uuid4().hex}}, {}

    def _body_problem(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "Request body must be a JSON object"
        kinds = [key for key in body if key in PURGE_KINDS]
        unknown = [key for key in body if key not in PURGE_KINDS]
        if unknown or len(kinds) != 1:
            return f"Send exactly one of {', '.join(PURGE_KINDS)} (got {sorted(body)})"
        value = body[kinds[0]]
        if kinds[0] == "purge_everything":
            return None if value is True else "purge_everything must be true"
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            return f"{kinds[0]} must be a non-empty list of strings"
        limit = self.batch_limit if kinds[0] == "files" else self.item_limit
        if len(value) > limit:
            return f"Only {limit} {kinds[0]} may be purged per request (got {len(value)})"
        if kinds[0] == "files":
            bad = [url for url in value if not _well_formed_url(url)]
            if bad:
                return f"Invalid URL: {bad[0][:80]}"
        return None

    def handle_zone_list(
        self, authorization: str | None, query: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if authorization != f"Bearer {self.token}":
            return 403, _failure(10000, "Authentication error"), {}
        params = parse_qs(query)
        names = params.get("name", [])
        zones = [{"id": zid, "name": name} for zid, name in self.zones.items() if not names or name in names]
        if params.get("page", ["1"]) != ["1"]:
            zones = []  # everything fits on the first page
        info = {"page": 1, "per_page": 20, "count": len(zones), "total_count": len(zones), "total_pages": 1}
        return 200, {"success": True, "errors": [], "messages": [], "result": zones, "result_info": info}, {}


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _well_formed_url(url: str) -> bool:
    """An absolute http(s) URL with a host, a valid port, no user info and valid escapes."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and port_ok
        and "@" not in parts.netloc
        and not _BAD_ESCAPE.search(url)
        and len(url) <= 32 * 1024
    )


def _failure(code: int, message: str) -> dict[str, Any]:
    return {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}


def _handler_for(api: FakeCloudflareApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without this, Nagle and delayed ACKs add 40 ms.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = _PURGE_PATH.match(urlsplit(self.path).path)
            if match is None:
                self._reply(404, _failure(7000, "No route for that URI"), {})
                return
            self._reply(*api.handle_purge(match.group(1), self.headers.get("Authorization"), raw))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != f"{API_PREFIX}/zones":
                self._reply(404, _failure(7000, "No route for that URI"), {})
                return
            self._reply(*api.handle_zone_list(self.headers.get("Authorization"), parts.query))

        def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read the recorded requests instead."""

    return Handler
