from __future__ import annotations

from typing import Any

import pytest

import preview.synth
from preview.synth import Synthesis
from tests.support.stacks import REVIEW_STACK, STACKS, synthesize_stack

_SYNTHESES: dict[str, Synthesis] = {}


def synthesized(stack: str) -> Synthesis:
    """``stack``'s declared resources, synthesized once per test session (read-only)."""
    if stack not in _SYNTHESES:
        _SYNTHESES[stack] = synthesize_stack(stack)
    return _SYNTHESES[stack]


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


# The Docker Engine tests share one private engine per package, and one engine per machine
# (tests/support/docker_engine.machine_lock): under xdist they all run on one worker, in
# their packages' order, while the other workers run the rest.
DOCKER_ENGINE_GROUP = pytest.mark.xdist_group("docker-engine")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "engine" in getattr(item, "fixturenames", ()):
            item.add_marker(DOCKER_ENGINE_GROUP)
