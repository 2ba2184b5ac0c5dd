"""The Docker Engine and test images every Docker test shares: one engine per test run.

The dev stack's plain containers use the engine as it starts; the Swarm tests put it in Swarm
mode when they first need it (``tests/integration/swarm/conftest.py``).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from tests.support.docker_engine import SKIP_ENV, Engine, EngineUnavailable, private_engine
from tests.support.docker_images import Images, build_app_image, import_base


def _interrupt_on_sigterm() -> None:
    # A terminated test run still stops its engine: SIGTERM becomes the KeyboardInterrupt
    # pytest answers with the fixtures' teardown.
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: the Docker tests were skipped on purpose")
    _interrupt_on_sigterm()
    try:
        with private_engine() as running:
            yield running
    except EngineUnavailable as error:
        pytest.fail(f"the Docker Engine could not start: {error}")


@pytest.fixture(scope="session")
def images(engine: Engine) -> Images:
    base = import_base(engine.client)
    return Images(base=base, app=build_app_image(engine.client, base))
