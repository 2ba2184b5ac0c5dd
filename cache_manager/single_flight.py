"""Single-flight: concurrent loads of one key in this process share one call of the loader.

A caller that found nothing in the cache may arrive just after the load it would have
joined has finished: its own lookup happened before the value was stored. Rather than ask
Redis again (a second lookup that Redis counts as a second miss), it takes the finished
load's result, which the flight holds for a short while. ``mark()`` before the lookup tells
``do()`` which finished loads are newer than what the caller saw.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# How long a finished load's result is held for callers whose lookup raced with it. A
# caller delayed longer than this between its lookup and do() loads again (one extra load,
# never a wrong value).
HOLD_SECONDS = 1.0


class _Call:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.waiters = 0


@dataclass(frozen=True)
class _Finished:
    sequence: int  # the flight's place in the order in which flights finished
    at: float
    value: Any


class SingleFlight:
    def __init__(self, *, hold_seconds: float = HOLD_SECONDS, clock: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self._calls: dict[str, _Call] = {}
        self._finished: OrderedDict[str, _Finished] = OrderedDict()
        self._sequence = 0
        self._hold = hold_seconds
        self._clock = clock

    def mark(self) -> int:
        """Call before looking the key up; pass the mark to ``do`` as ``since``."""
        return self._sequence

    def waiting(self, key: str) -> int:
        """How many callers wait for the load of ``key`` in flight now."""
        with self._lock:
            call = self._calls.get(key)
            return call.waiters if call is not None else 0

    def do(self, key: str, load: Callable[[], Any], *, since: int | None = None) -> Any:
        """The result of ``load()``; callers arriving while it runs wait and share it.

        With ``since`` (a ``mark()`` taken before the caller's own lookup), a load of the key
        that finished after the mark answers at once: its value was stored after that
        lookup. If the loader raises, every waiting caller gets the same exception (failed
        loads are not held).
        """
        with self._lock:
            finished = self._finished.get(key)
            if since is not None and finished is not None and finished.sequence > since:
                return finished.value
            call = self._calls.get(key)
            leader = call is None
            if call is None:
                call = self._calls[key] = _Call()
            else:
                call.waiters += 1
        if not leader:
            call.done.wait()
        else:
            try:
                call.value = load()
            except BaseException as error:
                call.error = error
            finally:
                self._finish(key, call)
                call.done.set()
        if call.error is not None:
            raise call.error
        return call.value

    def _finish(self, key: str, call: _Call) -> None:
        with self._lock:
            del self._calls[key]
            now = self._clock()
            self._finished.pop(key, None)
            if call.error is None:
                self._sequence += 1
                self._finished[key] = _Finished(self._sequence, now, call.value)
            # Oldest first: drop what no racing caller can still need.
            while self._finished:
                oldest = next(iter(self._finished.values()))
                if now - oldest.at <= self._hold:
                    break
                self._finished.popitem(last=False)
