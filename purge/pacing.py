"""One pace for a whole purge run: a shared backoff that honours Retry-After, and a deadline.

Every request waits for the same backoff, whichever batch it carries: a 429 or 5xx on one
batch delays the next request, and failures in a row lengthen the wait until one succeeds.
Before waiting, the pacer checks the run's deadline: a wait that would end after it stops the
run instead, so a rate-limited or failing API costs at most the deadline.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class OutOfTime(Exception):
    """The next request would start after the run's deadline."""


@dataclass(frozen=True)
class RetryPolicy:
    # Attempts per batch: a batch that fails this often in a row means the API is unavailable.
    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def backoff(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failed requests in a row (no Retry-After)."""
        return min(self.base_delay * 2 ** (failures - 1), self.max_delay)


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


class Pacer:
    """When the next request may go: one per run, shared by every batch."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._sleep = sleep
        self._deadline_at = None if deadline is None else clock() + deadline
        self._deadline = deadline
        self._failures = 0
        self._wait = 0.0
        self._asked: float | None = None

    def remaining(self) -> float | None:
        return None if self._deadline_at is None else self._deadline_at - self._clock()

    def before_request(self) -> None:
        """Wait for the backoff, or raise OutOfTime when it would outlast the deadline."""
        remaining = self.remaining()
        if remaining is not None and (remaining <= 0 or self._wait > remaining):
            raise OutOfTime(self._why_out_of_time(max(remaining, 0.0)))
        if self._wait > 0:
            self._sleep(self._wait)
        self._wait = 0.0

    def succeeded(self) -> None:
        self._failures = 0

    def failed(self, retry_after: float | None) -> float:
        """Count a 429, 5xx or lost connection; return how long the next request waits."""
        self._failures += 1
        self._asked = retry_after
        self._wait = retry_after if retry_after is not None else self.policy.backoff(self._failures)
        return self._wait

    def _why_out_of_time(self, remaining: float) -> str:
        left = f"--deadline ({remaining:.0f} s left)"
        if remaining <= 0:
            return f"the --deadline of {self._deadline:.0f} s ran out"
        if self._asked is not None:
            return f"the API's Retry-After of {self._asked:.0f} s goes past the {left}"
        return f"the next retry in {self._wait:.0f} s goes past the {left}"
