from __future__ import annotations

from typing import Any

import pytest

import preview.synth
from preview.synth import Synthesis
from tests.support.docker_engine import ENGINE_TEST_PATHS
from tests.support.stacks import REVIEW_STACK, STACKS, synthesized


@pytest.fixture(params=STACKS)
def synthesis(request: pytest.FixtureRequest) -> Synthesis:
    """Each stack's declared resources, synthesized once per test session (read-only)."""
    return synthesized(request.param)


@pytest.fixture(params=[*STACKS, REVIEW_STACK])
def any_synthesis(request: pytest.FixtureRequest) -> Synthesis:
    """Production, staging and a review stack (its config copied from staging's)."""
    return synthesized(request.param)


@pytest.fixture
def monitors(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every mock monitor synthesize() creates from now on, to see what reached it."""
    created: list[Any] = []

    class Recording(preview.synth._RecordingMonitor):
        def __init__(self, mock: Any) -> None:
            super().__init__(mock)
            created.append(self)

    monkeypatch.setattr(preview.synth, "_RecordingMonitor", Recording)
    return created


ENGINE_GROUP = "docker-engine"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` with every Docker Engine test in one group, so on one worker.

    The tests share one private engine, and a machine runs one engine at a time
    (tests/support/docker_engine.machine_lock): split over two workers, the second one waits
    for the first one's lock and starts a second engine. xdist's own grouping (an
    ``xdist_group`` mark written into the node id on the worker) is lost with pytest 9.2's
    structured node ids (pytest-xdist#1386), so the group is decided here, on the controller,
    from the node ids' paths.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class EngineGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(ENGINE_TEST_PATHS):
                return ENGINE_GROUP
            return str(super()._split_scope(nodeid))

    return EngineGroupScheduling(config, log)
