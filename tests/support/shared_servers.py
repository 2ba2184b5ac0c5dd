"""Servers started once and shared by many pytest runs (mutation testing runs one per mutant).

A session fixture that starts a Redis Cluster costs seconds; its tests cost milliseconds.
``make mutate`` runs the tests once per mutant, so it starts such servers once (``serving``)
and hands every run a detached copy of their handles: the fixture then yields that copy
instead of starting its own (``shared_or_started``). Without ``serving`` around, nothing
changes: each run starts and stops its servers as before.

Detached handles carry addresses, ports and passwords, not the processes: tests that kill,
restart or reconfigure servers start their own (function or module fixtures), so a run cut
short midway (a mutant that hangs is killed) never leaves the shared servers changed.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from tests.support.redis_processes import Servers

# The directory with one pickled handle per fixture name, set while ``serving`` runs.
ENVIRONMENT = "TECHNOVASTORE_SHARED_SERVERS"

H = TypeVar("H", bound=Servers)
Starter = Callable[[], AbstractContextManager[Any]]


def detached(handle: H) -> H:
    """A copy of ``handle`` for another process: its servers, none of their processes."""
    processes = {
        port: replace(process, process=None, detached=True) for port, process in handle.processes.items()
    }
    return replace(handle, processes=processes)


@contextmanager
def serving(starters: Mapping[str, Starter]) -> Iterator[dict[str, str]]:
    """Start every server set of ``starters`` (fixture name -> context manager factory) and
    yield the environment that makes fixtures in child processes share them."""
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shared-servers-")))
        for name, start in starters.items():
            handle = stack.enter_context(start())
            (directory / f"{name}.pickle").write_bytes(pickle.dumps(detached(handle)))
        yield {ENVIRONMENT: str(directory)}


def shared_or_started(name: str, start: Callable[[], AbstractContextManager[H]]) -> Iterator[H]:
    """The body of a session fixture: the shared handle of ``name`` if ``serving`` provides
    one, else servers of this run's own."""
    directory = os.environ.get(ENVIRONMENT)
    shared = Path(directory) / f"{name}.pickle" if directory else None
    if shared is not None and shared.exists():
        handle: H = pickle.loads(shared.read_bytes())
        yield handle
        return
    with start() as handle:
        yield handle
