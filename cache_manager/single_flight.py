"""Single-flight: concurrent loads of one key in this process share one call of the loader."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class _Call:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.waiters = 0


class SingleFlight:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, _Call] = {}

    def waiting(self, key: str) -> int:
        """How many callers wait for the load of ``key`` in flight now."""
        with self._lock:
            call = self._calls.get(key)
            return call.waiters if call is not None else 0

    def do(self, key: str, load: Callable[[], Any]) -> Any:
        """The result of ``load()``; callers arriving while it runs wait and share it.

        If the loader raises, every waiting caller gets the same exception.
        """
        with self._lock:
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
                with self._lock:
                    del self._calls[key]
                call.done.set()
        if call.error is not None:
            raise call.error
        return call.value
