"""The Docker Engine and test images every Docker test shares: one engine per test run.

The dev stack's plain containers use the engine as it starts; the Swarm tests put it in Swarm
mode when they first need it (``tests/integration/swarm/conftest.py``). The Docker packages
run next to each other at the end of the integration tests, so the engine (and the machine
lock it holds) goes as soon as they are done, before the rest of the suite.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from tests.support.docker_engine import (
    ENGINE_PACKAGES,
    SKIP_ENV,
    Engine,
    EngineUnavailable,
    private_engine,
)
from tests.support.docker_images import Images, build_app_image, import_base


def _interrupt_on_sigterm() -> None:
    # A terminated test run still stops its engine: SIGTERM becomes the KeyboardInterrupt
    # pytest answers with the fixtures' teardown.
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


@pytest.fixture(scope="package")
def engine() -> Iterator[Engine]:
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: the Docker tests were skipped on purpose")
    _interrupt_on_sigterm()
    try:
        with private_engine() as running:
            yield running
    except EngineUnavailable as error:
        pytest.fail(f"the Docker Engine could not start: {error}")


@pytest.fixture(scope="package")
def images(engine: Engine) -> Images:
    base = import_base(engine.client)
    return Images(base=base, app=build_app_image(engine.client, base))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Docker packages' tests last among the integration tests, one package after the other."""
    here = Path(__file__).parent
    ours = [index for index, item in enumerate(items) if here in item.path.parents]
    if not ours:
        return

    def docker_package(item: pytest.Item) -> int:
        parts = item.path.relative_to(here).parts
        return ENGINE_PACKAGES.index(parts[0]) + 1 if parts[0] in ENGINE_PACKAGES else 0

    block = items[ours[0] : ours[-1] + 1]
    block.sort(key=docker_package)  # stable: each package keeps its own order
    items[ours[0] : ours[-1] + 1] = block
