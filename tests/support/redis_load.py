"""Client load during a Redis operation: every acknowledged write recorded, every error counted.

with WriteLoad(cluster.cluster_client) as load:
    ...                                       # roll, reshard, fail over
assert load.errors == [] and load.lost(client) == []
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

# A write about every 5 ms: hundreds per second, enough to hit every slot migration window.
PAUSE_SECONDS = 0.005


class WriteLoad:
    """A thread writing distinct keys through one client until the block ends."""

    def __init__(self, connect: Callable[[], Any], *, prefix: str = "load") -> None:
        self._connect = connect
        self._prefix = prefix
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.acknowledged: dict[str, str] = {}
        self.errors: list[str] = []

    def __enter__(self) -> WriteLoad:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        client = self._connect()
        try:
            index = 0
            while not self._stop.is_set():
                key, value = f"{self._prefix}:{index}", str(index)
                try:
                    if client.set(key, value):
                        self.acknowledged[key] = value
                # Any exception is a failed call: redis-py's cluster client also raises
                # RedisClusterException and, for a node it dropped mid-call, plain errors.
                except Exception as error:
                    self.errors.append(f"{key}: {type(error).__name__}: {error}")
                index += 1
                time.sleep(PAUSE_SECONDS)
        finally:
            client.close()

    def lost(self, client: Any) -> list[str]:
        """Acknowledged keys that ``client`` does not read back as written."""
        keys = list(self.acknowledged)
        lost = []
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            values = [client.get(key) for key in batch]
            lost += [key for key, value in zip(batch, values, strict=True) if value != self.acknowledged[key]]
        return lost
