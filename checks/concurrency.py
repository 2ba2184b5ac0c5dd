"""Run independent calls concurrently, each bounded, so one dead endpoint never hangs a run."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Deadline:
    """The end of the whole run: every call's timeout is capped by what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def cap(self, timeout: float) -> float:
        """``timeout``, or less when the run ends sooner (never 0: sockets treat it as non-blocking)."""
        return max(0.05, min(timeout, self.remaining()))


def run_concurrently(calls: Mapping[K, Callable[[], T]], deadline: Deadline) -> dict[K, T | BaseException]:
    """Each call's result or exception; calls still running at the deadline get a TimeoutError.

    Daemon threads, not an executor: an executor joins its threads at exit, so a call stuck
    in a socket would hold the process past the deadline.
    """
    done: queue.Queue[tuple[K, T | BaseException]] = queue.Queue()

    def worker(key: K, call: Callable[[], T]) -> None:
        try:
            done.put((key, call()))
        except BaseException as error:
            done.put((key, error))

    for key, call in calls.items():
        threading.Thread(target=worker, args=(key, call), daemon=True).start()
    results: dict[K, T | BaseException] = {}
    while len(results) < len(calls):
        try:
            key, outcome = done.get(timeout=deadline.remaining() or 0.001)
        except queue.Empty:
            break
        results[key] = outcome
    for key in calls:
        if key not in results:
            results[key] = TimeoutError(f"no answer within the run's time bound ({deadline.seconds:g} s)")
    return results
