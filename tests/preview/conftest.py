from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pytest

from components.settings import PROJECT
from preview.diff import Diff, diff_renderings
from preview.rendering import Rendering
from preview.rendering import rendering_of as rendering_of_resources
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


def rename_in_program(
    monkeypatch: pytest.MonkeyPatch,
    types: Mapping[str, str] | None = None,
    names: Mapping[tuple[str, str], str] | None = None,
    *,
    with_aliases: bool = False,
) -> None:
    """Rename resources as an edit of the program would: ``types`` old -> new type token,
    ``names`` (type, old name) -> new name; ``with_aliases`` also adds the alias to the old ones."""
    original = pulumi.Resource.__init__

    def renamed(
        self: pulumi.Resource,
        t: str,
        name: str,
        custom: bool,
        props: Any = None,
        opts: pulumi.ResourceOptions | None = None,
        *rest: Any,
    ) -> None:
        new_type, new_name = (types or {}).get(t, t), (names or {}).get((t, name), name)
        if with_aliases and (new_type, new_name) != (t, name):
            old = {"type_": t} if new_type != t else {}
            old |= {"name": name} if new_name != name else {}
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(**old)]))
        original(self, new_type, new_name, custom, props, opts, *rest)

    monkeypatch.setattr(pulumi.Resource, "__init__", renamed)


def options_in_program(
    monkeypatch: pytest.MonkeyPatch, type_: str, name: str, options: pulumi.ResourceOptions
) -> None:
    """Give the resource ``type_`` ``name`` more resource options, as an edit of the program would."""
    original = pulumi.Resource.__init__

    def with_options(
        self: pulumi.Resource,
        t: str,
        resource_name: str,
        custom: bool,
        props: Any = None,
        opts: pulumi.ResourceOptions | None = None,
        *rest: Any,
    ) -> None:
        if (t, resource_name) == (type_, name):
            opts = pulumi.ResourceOptions.merge(opts, options)
        original(self, t, resource_name, custom, props, opts, *rest)

    monkeypatch.setattr(pulumi.Resource, "__init__", with_options)
