"""PurgeClient: purge the edge cache of one zone through the official Cloudflare SDK.

Each request carries one batch; a batch answered 429 or 5xx is retried after the
``Retry-After`` the API asked for (else exponential backoff), a bounded number of times.
The API token is handed to the SDK and never kept, printed or logged here.
"""

from __future__ import annotations

import email.utils
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import cloudflare

from components.settings.cloudflare import CloudflareSettings
from purge.targets import (
    InvalidTarget,
    batches,
    check_hosts,
    check_prefixes,
    check_product_id,
    check_tags,
    expand_urls,
)

TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
DEFAULT_BATCH_SIZE = CloudflareSettings().purge_batch_size
# What purge_product purges: the product page, its API resource and image, and its tag.
PRODUCT_PATHS = ("/products/{id}", "/api/products/{id}", "/images/product-{id}.jpg")
PRODUCT_TAG = "product-{id}"

log = logging.getLogger("purge")


class PurgeError(Exception):
    """The purge could not run at all (no token, refused credentials, unknown zone)."""


class MissingToken(PurgeError):
    def __init__(self) -> None:
        super().__init__(f"{TOKEN_ENV} is not set: export an API token with the Cache Purge permission")


class AuthenticationFailed(PurgeError):
    pass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    # A Retry-After longer than this is not waited for: the batch fails instead.
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def backoff(self, attempt: int) -> float:
        return min(self.base_delay * 2 ** (attempt - 1), self.max_delay)


@dataclass(frozen=True)
class BatchResult:
    kind: str
    items: tuple[str, ...]
    ok: bool
    attempts: int
    error: str | None = None


@dataclass
class PurgeReport:
    results: list[BatchResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def purged(self) -> list[str]:
        return [item for result in self.results if result.ok for item in result.items]

    @property
    def failed(self) -> list[str]:
        return [item for result in self.results if not result.ok for item in result.items]

    def extend(self, other: PurgeReport) -> PurgeReport:
        self.results += other.results
        return self


def token_from_env(environ: dict[str, str] | None = None) -> str:
    token = (environ if environ is not None else os.environ).get(TOKEN_ENV, "").strip()
    if not token:
        raise MissingToken()
    return token


def retry_after_seconds(headers: Any) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date; None when absent or unreadable."""
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(email.utils.mktime_tz(parsed) - time.time(), 0.0)


def describe(error: cloudflare.APIStatusError) -> str:
    """HTTP status and Cloudflare's error messages (the body never holds credentials)."""
    body = error.body if isinstance(error.body, dict) else {}
    messages = [
        f"{e.get('code')}: {e.get('message')}" for e in body.get("errors") or [] if isinstance(e, dict)
    ]
    return f"HTTP {error.status_code}" + (f" ({'; '.join(messages)})" if messages else "")


class PurgeClient:
    """Purges one zone's cache; relative paths expand against ``hostnames``.

    The zone is ``zone_id``, or else looked up by ``zone_name`` before the first purge.
    """

    def __init__(
        self,
        *,
        api_token: str,
        zone_id: str | None = None,
        hostnames: Sequence[str] = (),
        zone_name: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        base_url: str | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 10.0,
    ) -> None:
        if batch_size < 1:
            raise InvalidTarget(f"batch size must be at least 1, not {batch_size}")
        if zone_id is None and zone_name is None:
            raise PurgeError("name the zone: an id or a name")
        self.zone_id = zone_id
        self.hostnames = list(hostnames)
        self.zone_name = zone_name
        self.batch_size = batch_size
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        # Retries are ours (bounded, reported per batch): the SDK's own are switched off.
        self._api = cloudflare.Cloudflare(
            api_token=api_token, base_url=base_url, max_retries=0, timeout=timeout
        )
        # Token auth only: a stray legacy key in the environment must not take precedence.
        self._api.api_key = self._api.api_email = self._api.user_service_key = None

    def __enter__(self) -> PurgeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the SDK's connection pool."""
        self._api.close()

    def __repr__(self) -> str:
        return f"PurgeClient(zone_id={self.zone_id!r}, batch_size={self.batch_size})"

    def purge_urls(self, urls: Sequence[str]) -> PurgeReport:
        return self._purge("files", expand_urls(urls, self.hostnames, self.zone_name))

    def purge_tags(self, tags: Sequence[str]) -> PurgeReport:
        return self._purge("tags", check_tags(tags))

    def purge_hosts(self, hosts: Sequence[str]) -> PurgeReport:
        return self._purge("hosts", check_hosts(hosts, self.zone_name))

    def purge_prefixes(self, prefixes: Sequence[str]) -> PurgeReport:
        return self._purge("prefixes", check_prefixes(prefixes, self.zone_name))

    def purge_everything(self, *, confirm: bool) -> PurgeReport:
        if not confirm:
            raise InvalidTarget("purging everything needs explicit confirmation")
        return PurgeReport([self._send("purge_everything", [])])

    def purge_product(self, product_id: str) -> PurgeReport:
        """The product's page, API resource and image on every hostname, and its cache tag."""
        check_product_id(product_id)
        paths = [path.format(id=product_id) for path in PRODUCT_PATHS]
        urls = expand_urls(paths, self.hostnames, self.zone_name)
        tags = [PRODUCT_TAG.format(id=product_id)]
        return self._purge("files", urls).extend(self._purge("tags", tags))

    def _purge(self, kind: str, items: list[str]) -> PurgeReport:
        report = PurgeReport()
        chunks = batches(items, self.batch_size)
        for number, chunk in enumerate(chunks, start=1):
            result = self._send(kind, chunk)
            report.results.append(result)
            outcome = "purged" if result.ok else f"FAILED ({result.error})"
            log.info(
                "batch %d/%d: %s %d %s after %d attempt(s)",
                number,
                len(chunks),
                outcome,
                len(chunk),
                kind,
                result.attempts,
            )
        return report

    def _send(self, kind: str, chunk: list[str]) -> BatchResult:
        body: dict[str, Any] = {"purge_everything": True} if kind == "purge_everything" else {kind: chunk}
        items = tuple(chunk) or ("everything",)
        for attempt in range(1, self.retry.max_attempts + 1):
            try:
                self._api.cache.purge(zone_id=self._zone_id(), **body)
                return BatchResult(kind, items, ok=True, attempts=attempt)
            except (cloudflare.AuthenticationError, cloudflare.PermissionDeniedError) as error:
                raise AuthenticationFailed(f"the API refused the token: {describe(error)}") from None
            except cloudflare.APIStatusError as error:
                problem = describe(error)
                if not (error.status_code == 429 or error.status_code >= 500):
                    return BatchResult(kind, items, ok=False, attempts=attempt, error=problem)
                wait = retry_after_seconds(error.response.headers)
            except cloudflare.APIConnectionError as error:
                problem, wait = f"no answer: {type(error).__name__}", None
            if attempt == self.retry.max_attempts:
                break
            delay = self.retry.backoff(attempt) if wait is None else wait
            if delay > self.retry.max_retry_after:
                return BatchResult(
                    kind, items, ok=False, attempts=attempt, error=f"{problem}; retry after {delay:.0f} s"
                )
            log.info("%s: retrying in %.1f s", problem, delay)
            self._sleep(delay)
        return BatchResult(kind, items, ok=False, attempts=attempt, error=f"{problem}; gave up")

    def _zone_id(self) -> str:
        if self.zone_id is None:
            assert self.zone_name is not None  # checked in __init__
            self.zone_id = self._find_zone_id(self.zone_name)
        return self.zone_id

    def _find_zone_id(self, zone_name: str) -> str:
        try:
            # Zone names are unique: the first page holds the match, if any.
            zones = self._api.zones.list(name=zone_name).result
        except (cloudflare.AuthenticationError, cloudflare.PermissionDeniedError) as error:
            raise AuthenticationFailed(f"the API refused the token: {describe(error)}") from None
        except cloudflare.APIError as error:
            raise PurgeError(f"could not look up the zone {zone_name}: {type(error).__name__}") from None
        if not zones:
            raise PurgeError(f"no zone named {zone_name} is visible to this token")
        return zones[0].id
