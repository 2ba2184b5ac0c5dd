from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from typing import Any

import pytest

from components.settings import PROJECT
from preview.diff import Diff, diff_renderings
from preview.rendering import Rendering, rendering_of as rendering_of_resources
from preview.synth import Synthesis
from tests.support.stacks import stack_config, synthesize_stack


def rendering_of(synthesis: Synthesis) -> Rendering:
    return rendering_of_resources(synthesis.resources)


_BASELINES: dict[str, Rendering] = {}


def baseline(stack: str) -> Rendering:
    """The stack's rendering from its config file, computed once per session (read-only)."""
    if stack not in _BASELINES:
        _BASELINES[stack] = rendering_of(synthesize_stack(stack))
    return _BASELINES[stack]


def config_value(stack: str, key: str) -> Any:
    """A top-level config value of the stack (decoded), to modify and pass back as an override."""
    return copy.deepcopy(json.loads(stack_config(stack)[f"{PROJECT}:{key}"]))


def diff_of(stack: str, **overrides: Any) -> Diff:
    """The diff from ``stack`` as configured to the same stack with top-level config overrides."""
    return diff_renderings(baseline(stack), rendering_of(synthesize_stack(stack, **overrides)))


@pytest.fixture
def staging_diff() -> Callable[..., Diff]:
    return functools.partial(diff_of, "staging")


@pytest.fixture
def stack_diff() -> Callable[..., Diff]:
    return diff_of
