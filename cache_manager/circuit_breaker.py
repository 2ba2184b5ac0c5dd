"""Per-node circuit breakers: stop calling a node that keeps failing, probe it now and then.

closed ──(N consecutive failures)──► open ──(reset timeout)──► half-open (one trial call)
  ▲                                   ▲                               │
  └───────────(trial succeeds)────────┼───────(trial fails)───────────┘
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import Enum

Clock = Callable[[], float]


class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, *, failure_threshold: int, reset_timeout: float, clock: Clock = time.monotonic):
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_timeout <= 0:
            raise ValueError("reset_timeout must be positive")
        self._threshold = failure_threshold
        self._reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0

    @property
    def state(self) -> BreakerState:
        return self._state

    def allow(self) -> bool:
        """May a call go to the node now? In half-open state only one trial at a time."""
        if self._state is BreakerState.CLOSED:  # the hot path takes no lock
            return True
        with self._lock:
            now = self._clock()
            if now - self._opened_at < self._reset_timeout:
                return self._state is BreakerState.CLOSED
            # The timeout elapsed (or a trial never reported back): let one call through.
            self._state = BreakerState.HALF_OPEN
            self._opened_at = now
            return True

    def record_success(self) -> None:
        if self._state is BreakerState.CLOSED and self._failures == 0:
            return
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or self._failures >= self._threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()


class BreakerBoard:
    """One breaker per node name, created on first use with the same settings."""

    def __init__(self, *, failure_threshold: int, reset_timeout: float, clock: Clock = time.monotonic):
        self._make = lambda: CircuitBreaker(
            failure_threshold=failure_threshold, reset_timeout=reset_timeout, clock=clock
        )
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def __getitem__(self, node: str) -> CircuitBreaker:
        breaker = self._breakers.get(node)
        if breaker is None:
            with self._lock:
                breaker = self._breakers.setdefault(node, self._make())
        return breaker

    def states(self) -> dict[str, BreakerState]:
        return {node: breaker.state for node, breaker in sorted(self._breakers.items())}
