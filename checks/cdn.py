"""The NGINX CDN tier, judged from outside: health, caching, compression, headers."""

from __future__ import annotations

import http.client
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from checks.concurrency import Deadline, run_concurrently
from checks.dialer import active
from checks.model import CheckResult, Status
from checks.verdicts import verdict
from components.render.nginx import COMPRESSIBLE_TYPES, GZIP_MIN_LENGTH

FAMILY = "cdn"
CACHE_HEADER = "x-cache-status"
# What the tier gzips: its gzip_types and text/html, which NGINX always compresses. Anything
# else (PNG, woff2) and any body below gzip_min_length is rightly sent as it is.
GZIPPED_TYPES = frozenset({"text/html", *COMPRESSIBLE_TYPES})
VERSION = re.compile(r"\d+\.\d+")


@dataclass(frozen=True)
class Response:
    path: str
    status: int
    headers: dict[str, str]  # lower-case names
    body_length: int

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class CdnUnreachable(Exception):
    pass


def fetch(base_url: str, path: str, timeout: float) -> Response:
    """GET ``path`` asking for gzip, as a browser would; no redirects followed, no decompression."""
    url = urlsplit(base_url)
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.hostname or "", url.port, timeout=timeout)
    try:
        dialer = active()
        if dialer is not None:
            if url.scheme == "https":
                raise CdnUnreachable(f"{base_url}: port-forwarding reaches plain-HTTP endpoints only")
            # Port-forwarding: the connection is the dialer's (http.client uses a socket it is given).
            connection.sock = dialer.connect(url.hostname or "", url.port or 80, timeout)
        connection.request("GET", url.path.rstrip("/") + path, headers={"Accept-Encoding": "gzip"})
        answer = connection.getresponse()
        body = answer.read()
        headers = {name.lower(): value for name, value in answer.getheaders()}
        return Response(path, answer.status, headers, len(body))
    except ConnectionRefusedError:
        raise CdnUnreachable(f"{base_url}{path}: connection refused") from None
    except TimeoutError:
        raise CdnUnreachable(f"{base_url}{path}: timed out after {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as error:
        raise CdnUnreachable(f"{base_url}{path}: {error or type(error).__name__}") from None
    finally:
        connection.close()


@dataclass(frozen=True)
class Observations:
    base_url: str
    health: Response | BaseException
    # path -> (first fetch, second fetch)
    samples: dict[str, tuple[Response, Response] | BaseException]


def collect(
    base_url: str, health_path: str, paths: list[str], timeout: float, deadline: Deadline
) -> Observations:
    """The health endpoint once and each sample twice in a row, samples concurrently."""

    def twice(path: str) -> Callable[[], tuple[Response, Response]]:
        return lambda: (
            fetch(base_url, path, deadline.cap(timeout)),
            fetch(base_url, path, deadline.cap(timeout)),
        )

    calls: dict[str, Callable[[], object]] = {path: twice(path) for path in paths}
    calls["\0health"] = lambda: fetch(base_url, health_path, deadline.cap(timeout))
    outcomes = run_concurrently(calls, deadline)
    health = outcomes.pop("\0health")
    return Observations(base_url, health, outcomes)  # type: ignore[arg-type]


def evaluate(
    observations: Observations, *, health_path: str, security_headers: list[str], min_hit_ratio: float
) -> list[CheckResult]:
    """Every CDN check over what was fetched (pure)."""
    health = observations.health
    target = observations.base_url
    if isinstance(health, BaseException):
        return [CheckResult(FAMILY, "health", Status.ERROR, f"could not reach the CDN: {health}", target)]
    # Sorted, so reports do not depend on which fetch finished first.
    samples = observations.samples
    pairs = {path: pair for path, pair in sorted(samples.items()) if not isinstance(pair, BaseException)}
    responses = [health, *(response for pair in pairs.values() for response in pair)]
    return [
        verdict(
            FAMILY, "health", _health_problems(health), f"{health_path} answers 200", target + health_path
        ),
        _check_caching(observations.samples, target),
        _check_compression(pairs, target),
        _check_security_headers(responses, security_headers, target),
        _check_server_header(responses, target),
        _check_hit_ratio(pairs, min_hit_ratio, target),
    ]


def _health_problems(health: Response) -> list[str]:
    return [] if health.status == 200 else [f"{health.path} answered {health.status}, expected 200"]


def _check_caching(
    samples: Mapping[str, tuple[Response, Response] | BaseException], target: str
) -> CheckResult:
    problems = []
    for path, pair in sorted(samples.items()):
        if isinstance(pair, BaseException):
            problems.append(str(pair))
            continue
        first, second = (response.header(CACHE_HEADER) or "(none)" for response in pair)
        if pair[0].status != 200 or pair[1].status != 200:
            problems.append(f"{path} answered {pair[0].status} then {pair[1].status}, expected 200")
        elif first not in ("MISS", "HIT", "EXPIRED") or second != "HIT":
            problems.append(f"{path}: X-Cache-Status {first} then {second}, expected MISS or HIT then HIT")
    return verdict(FAMILY, "caching", problems, f"{len(samples)} samples: MISS or HIT, then HIT", target)


def _check_compression(pairs: Mapping[str, tuple[Response, Response]], target: str) -> CheckResult:
    problems = []
    checked = 0
    for path, (_, response) in sorted(pairs.items()):
        media_type = (response.header("content-type") or "").split(";")[0].strip().lower()
        if media_type not in GZIPPED_TYPES:
            continue
        checked += 1
        encoding = response.header("content-encoding")
        # NGINX skips only bodies shorter than gzip_min_length (content_length_n < min_length).
        if encoding != "gzip" and response.body_length >= GZIP_MIN_LENGTH:
            problems.append(
                f"{path} ({response.header('content-type')}) not gzipped (Content-Encoding {encoding})"
            )
    return verdict(FAMILY, "compression", problems, f"{checked} text samples served gzipped", target)


def _check_security_headers(responses: list[Response], required: list[str], target: str) -> CheckResult:
    missing: dict[str, list[str]] = {}
    for response in responses:
        for name in required:
            if not response.header(name):
                missing.setdefault(name, [])
                if response.path not in missing[name]:
                    missing[name].append(response.path)
    problems = [f"{name} missing on {', '.join(paths)}" for name, paths in sorted(missing.items())]
    return verdict(FAMILY, "security_headers", problems, f"{', '.join(required)} on every response", target)


def _check_server_header(responses: list[Response], target: str) -> CheckResult:
    leaks = sorted({value for r in responses if (value := r.header("server")) and VERSION.search(value)})
    problems = [f"Server header reveals a version: {value!r}" for value in leaks]
    return verdict(FAMILY, "server_header", problems, "no version in the Server header", target)


def _check_hit_ratio(
    pairs: Mapping[str, tuple[Response, Response]], min_ratio: float, target: str
) -> CheckResult:
    statuses = [r.header(CACHE_HEADER) for pair in pairs.values() for r in pair if r.header(CACHE_HEADER)]
    if not statuses:
        return verdict(FAMILY, "hit_ratio", ["no sample response carried X-Cache-Status"], "", target)
    hits = statuses.count("HIT")
    ratio = hits / len(statuses)
    summary = f"{hits} HIT of {len(statuses)} sample responses (ratio {ratio:.2f})"
    problems = [f"{summary}, below {min_ratio:g}"] if ratio < min_ratio else []
    return verdict(FAMILY, "hit_ratio", problems, f"{summary}, at least {min_ratio:g}", target)
