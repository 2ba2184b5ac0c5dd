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
    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_timeout: float,
        clock: Clock = time.monotonic,
        on_change: Callable[[bool], None] | None = None,
    ):
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
        # Told whether the breaker is clean (closed, no failures counted) after each change.
        self._on_change = on_change

    @property
    def clean(self) -> bool:
        return self._state is BreakerState.CLOSED and self._failures == 0

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self.clean)

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
        self._changed()
        return True

    def record_success(self) -> None:
        if self._state is BreakerState.CLOSED and self._failures == 0:
            return
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
        self._changed()

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or self._failures >= self._threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
        self._changed()


class BreakerBoard:
    """One breaker per node name, created on first use with the same settings.

    ``all_clean`` lets the hot path skip per-node bookkeeping while nothing has failed.
    """

    def __init__(self, *, failure_threshold: int, reset_timeout: float, clock: Clock = time.monotonic):
        self._settings = {
            "failure_threshold": failure_threshold,
            "reset_timeout": reset_timeout,
            "clock": clock,
        }
        self._breakers: dict[str, CircuitBreaker] = {}
        self._unclean: set[str] = set()
        self._lock = threading.Lock()

    @property
    def all_clean(self) -> bool:
        return not self._unclean

    def __getitem__(self, node: str) -> CircuitBreaker:
        breaker = self._breakers.get(node)
        if breaker is None:
            with self._lock:
                breaker = self._breakers.get(node)
                if breaker is None:
                    breaker = CircuitBreaker(**self._settings, on_change=self._tracker(node))  # type: ignore[arg-type]
                    self._breakers[node] = breaker
        return breaker

    def _tracker(self, node: str) -> Callable[[bool], None]:
        def track(clean: bool) -> None:
            with self._lock:
                if clean:
                    self._unclean.discard(node)
                else:
                    self._unclean.add(node)

        return track

    def states(self) -> dict[str, BreakerState]:
        return {node: breaker.state for node, breaker in sorted(self._breakers.items())}
