"""Stampede protection: the first caller to miss loads, the others wait for its value.

Single-flight covers the threads of one process; a short-lived lock key next to the entry
(``<key>:loading``, same hash slot) covers the service's other replicas. A waiter polls the
entry until it appears, the lock goes away (the loader failed or found nothing) or the lock's
lifetime ends, then loads by itself: waiting never costs more than one lock lifetime. Its polls
are GETs that Redis counts as lookups (the keyspace hit ratio sees them; the manager's own
count does not). A replica whose miss raced with another replica's finished load (stored and
unlocked in between) loads once more: a second load, never a wrong value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from cache_manager.single_flight import SingleFlight
from cache_manager.stores import FAILED, GuardedStores

T = TypeVar("T")
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


class Loads:
    """One ``load()`` per stampede: single-flight among this process's threads, and a load
    lock next to the entry among the service's replicas."""

    def __init__(self, stores: GuardedStores, *, lock_ms: int):
        self._stores = stores
        self._lock_ms = lock_ms
        self._flights = SingleFlight()

    def mark(self) -> int:
        """Take before looking the entry up (see ``SingleFlight.mark``)."""
        return self._flights.mark()

    def load(
        self, key: str, load: Callable[[], T], *, since: int, peek: Callable[[], Any | None], lock: bool
    ) -> T | None:
        """``load()``'s result, shared with every caller that missed ``key`` meanwhile.

        ``peek`` reads the entry without counting a lookup (while waiting for another
        replica); ``lock`` says whether the entry lives where a load lock can sit next to it.
        """
        return self._flights.do(key, lambda: self._load_once(key, load, peek, lock), since=since)

    def _load_once(
        self, key: str, load: Callable[[], T], peek: Callable[[], Any | None], lock: bool
    ) -> T | None:
        held = self._take_lock(key) if lock and self._lock_ms else None
        if held is False:
            waited = wait_for_value(peek, lambda: self._lock_exists(key), self._lock_ms / 1000)
            if waited is not None:
                return waited
        try:
            return load()
        finally:
            if held:
                name = lock_key(key)
                self._stores.on_cluster("unlock", name, lambda client: client.unlink(name))

    def _take_lock(self, key: str) -> bool | None:
        """True: this process loads; False: another one does; None: no lock (it failed)."""
        name = lock_key(key)
        taken = self._stores.on_cluster(
            "lock", name, lambda client: client.set(name, b"1", nx=True, px=self._lock_ms)
        )
        return None if taken is FAILED else bool(taken)

    def _lock_exists(self, key: str) -> bool:
        name = lock_key(key)
        found = self._stores.on_cluster("lock", name, lambda client: client.exists(name))
        return found is not FAILED and bool(found)
