"""Stampede protection across processes: the first pod to miss loads, the others wait.

Single-flight covers the threads of one process; a short-lived lock key next to the entry
(``<key>:loading``, same hash slot) covers the service's other replicas. A waiter polls the
entry until it appears, the lock goes away (the loader failed or found nothing) or the lock's
lifetime ends, then loads by itself: waiting never costs more than one lock lifetime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

POLL_SECONDS = 0.025


def lock_key(key: str) -> str:
    return f"{key}:loading"


def wait_for_value(
    peek: Callable[[], Any | None],
    lock_held: Callable[[], bool],
    timeout: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Any | None:
    """The entry another process is loading, or None if it does not arrive in ``timeout``."""
    deadline = clock() + timeout
    while clock() < deadline:
        sleep(POLL_SECONDS)
        value = peek()
        if value is not None:
            return value
        if not lock_held():
            return peek()  # released: the loader stored its value just now, or gave up
    return None
