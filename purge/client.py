"""PurgeClient: purge the edge cache of one zone through the official Cloudflare SDK.

Each request carries one batch. A 429 or 5xx is retried after the run's shared backoff
(Retry-After when the API sends one); a batch that still fails after the policy's attempts
means the API is unavailable, and the run stops there. So does a refused token or the run's
deadline. Whatever happens, the report says what was purged, what failed and what was never
attempted. The API token is handed to the SDK and never kept, printed or logged here.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import cloudflare

from components.settings.cloudflare import CloudflareSettings
from components.settings.cloudflare_plans import LIMITS
from purge.pacing import OutOfTime, Pacer, RetryPolicy, retry_after_seconds
from purge.report import BatchResult, PurgeReport, Status
from purge.targets import (
    InvalidTarget,
    Targets,
    batches,
    check_hosts,
    check_prefixes,
    check_product_id,
    check_tags,
    expand_urls,
)

TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
DEFAULT_BATCH_SIZE = CloudflareSettings().purge_batch_size
# Tags, hosts and prefixes per request: the same on every plan.
MAX_ITEMS_PER_REQUEST = LIMITS.purge_items.of("enterprise")
# What purge_product purges: the product page, its API resource and image, and its tag.
PRODUCT_PATHS = ("/products/{id}", "/api/products/{id}", "/images/product-{id}.jpg")
PRODUCT_TAG = "product-{id}"

log = logging.getLogger("purge")


class PurgeError(Exception):
    """The purge could not start (no token)."""


class MissingToken(PurgeError):
    def __init__(self) -> None:
        super().__init__(f"{TOKEN_ENV} is not set: export an API token with the Cache Purge permission")


class _Stop(Exception):
    """The run cannot go on; ``attempts`` requests of the current batch were sent."""

    def __init__(self, reason: str, attempts: int = 0, error: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.error = error or reason


def token_from_env(environ: dict[str, str] | None = None) -> str:
    token = (environ if environ is not None else os.environ).get(TOKEN_ENV, "").strip()
    if not token:
        raise MissingToken()
    return token


def describe(error: cloudflare.APIStatusError) -> str:
    """HTTP status and Cloudflare's error messages (the body never holds credentials)."""
    body = error.body if isinstance(error.body, dict) else {}
    messages = [
        f"{e.get('code')}: {e.get('message')}" for e in body.get("errors") or [] if isinstance(e, dict)
    ]
    return f"HTTP {error.status_code}" + (f" ({'; '.join(messages)})" if messages else "")


def _refused_token(error: cloudflare.APIStatusError, attempts: int = 0) -> _Stop:
    return _Stop(f"the API refused the token: {describe(error)}", attempts)


class PurgeClient:
    """Purges one zone's cache; relative paths expand against ``hostnames``.

    The zone is ``zone_id``, or else looked up by ``zone_name`` before the first purge.
    ``deadline`` (seconds) bounds the whole client's work, waits included.
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
        deadline: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
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
        self._pacer = Pacer(retry or RetryPolicy(), deadline=deadline, clock=clock, sleep=sleep)
        self._timeout = timeout
        # Retries are ours (one backoff for the run, reported per batch): the SDK's are off.
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
        return self._purge("purge_everything", Targets(items=["everything"]))

    def purge_product(self, product_id: str) -> PurgeReport:
        """The product's page, API resource and image on every hostname, and its cache tag."""
        check_product_id(product_id)
        paths = [path.format(id=product_id) for path in PRODUCT_PATHS]
        report = self.purge_urls(paths)
        tags = check_tags([PRODUCT_TAG.format(id=product_id)])
        if report.stopped:
            return report.extend(self._never_attempted("tags", tags))
        return report.extend(self._purge("tags", tags))

    def _batch_size(self, kind: str) -> int:
        return self.batch_size if kind == "files" else min(self.batch_size, MAX_ITEMS_PER_REQUEST)

    def _never_attempted(self, kind: str, targets: Targets) -> PurgeReport:
        chunks = batches(targets.items, self._batch_size(kind))
        results = [BatchResult(kind, tuple(chunk), "not attempted") for chunk in chunks]
        return PurgeReport(results, targets.refused)

    def _purge(self, kind: str, targets: Targets) -> PurgeReport:
        report = PurgeReport(refused=list(targets.refused))
        chunks = batches(targets.items, self._batch_size(kind))
        for number, chunk in enumerate(chunks, start=1):
            if report.stopped:
                report.results.append(BatchResult(kind, tuple(chunk), "not attempted"))
                continue
            try:
                result = self._send(kind, chunk)
            except _Stop as stop:
                report.stopped = stop.reason
                status: Status = "failed" if stop.attempts else "not attempted"
                result = BatchResult(kind, tuple(chunk), status, stop.attempts, stop.error)
            report.results.append(result)
            log.info("batch %d/%d: %s (attempts: %d)", number, len(chunks), result.status, result.attempts)
        return report

    def _send(self, kind: str, chunk: list[str]) -> BatchResult:
        body: dict[str, Any] = {"purge_everything": True} if kind == "purge_everything" else {kind: chunk}
        problem = ""
        for attempt in range(1, self._pacer.policy.max_attempts + 1):
            try:
                self._pacer.before_request()
            except OutOfTime as out:
                error = f"{problem}; stopped: {out}" if problem else None
                raise _Stop(str(out), attempt - 1, error) from None
            zone_id = self._zone_id()
            try:
                self._api.cache.purge(zone_id=zone_id, timeout=self._request_timeout(), **body)
                self._pacer.succeeded()
                return BatchResult(kind, tuple(chunk), "purged", attempt)
            except (cloudflare.AuthenticationError, cloudflare.PermissionDeniedError) as error:
                raise _refused_token(error, attempt) from None
            except cloudflare.APIStatusError as error:
                problem = describe(error)
                if not (error.status_code == 429 or error.status_code >= 500):
                    return BatchResult(kind, tuple(chunk), "failed", attempt, problem)
                wait = self._pacer.failed(retry_after_seconds(error.response.headers))
            except cloudflare.APIConnectionError as error:
                problem = f"no answer: {type(error).__name__}"
                wait = self._pacer.failed(None)
            log.info("%s: next attempt in %.1f s", problem, wait)
        attempts = self._pacer.policy.max_attempts
        reason = f"the API is unavailable: {problem} {attempts} times in a row"
        raise _Stop(reason, attempts, f"{problem}; gave up")

    def _request_timeout(self) -> float:
        remaining = self._pacer.remaining()
        return self._timeout if remaining is None else max(min(self._timeout, remaining), 0.001)

    def _zone_id(self) -> str:
        if self.zone_id is None:
            assert self.zone_name is not None  # checked in __init__
            self.zone_id = self._find_zone_id(self.zone_name)
        return self.zone_id

    def _find_zone_id(self, zone_name: str) -> str:
        try:
            # Zone names are unique: the first page holds the match, if any.
            zones = self._api.zones.list(name=zone_name, timeout=self._request_timeout()).result
        except (cloudflare.AuthenticationError, cloudflare.PermissionDeniedError) as error:
            raise _refused_token(error) from None
        except cloudflare.APIError as error:
            raise _Stop(f"could not look up the zone {zone_name}: {type(error).__name__}") from None
        if not zones:
            raise _Stop(f"no zone named {zone_name} is visible to this token")
        return zones[0].id
