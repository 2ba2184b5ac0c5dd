from __future__ import annotations

import pytest

from preview.synth import Synthesis
from tests.support.stacks import STACKS, synthesize_stack

_SYNTHESES: dict[str, Synthesis] = {}


@pytest.fixture(params=STACKS)
def synthesis(request: pytest.FixtureRequest) -> Synthesis:
    """Each stack's declared resources, synthesized once per test session (read-only)."""
    stack = request.param
    if stack not in _SYNTHESES:
        _SYNTHESES[stack] = synthesize_stack(stack)
    return _SYNTHESES[stack]
