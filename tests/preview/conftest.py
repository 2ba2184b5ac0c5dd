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


Edit = Callable[[str, str, "pulumi.ResourceOptions | None"], tuple[str, str, "pulumi.ResourceOptions | None"]]


def edit_program(monkeypatch: pytest.MonkeyPatch, edit: Edit) -> None:
    """Change every resource's (type, name, options) as an edit of the program's source would."""
    original = pulumi.Resource.__init__

    def edited(
        self: pulumi.Resource,
        t: str,
        name: str,
        custom: bool,
        props: Any = None,
        opts: pulumi.ResourceOptions | None = None,
        *rest: Any,
    ) -> None:
        new_type, new_name, new_opts = edit(t, name, opts)
        original(self, new_type, new_name, custom, props, new_opts, *rest)

    monkeypatch.setattr(pulumi.Resource, "__init__", edited)


def rename_in_program(
    monkeypatch: pytest.MonkeyPatch,
    types: Mapping[str, str] | None = None,
    names: Mapping[tuple[str, str], str] | None = None,
    *,
    with_aliases: bool = False,
) -> None:
    """Rename resources: ``types`` old -> new type token, ``names`` (type, old name) -> new name;
    ``with_aliases`` also gives each renamed resource the alias to its old type and name."""

    def rename(t: str, name: str, opts: pulumi.ResourceOptions | None) -> tuple[str, str, Any]:
        new_type, new_name = (types or {}).get(t, t), (names or {}).get((t, name), name)
        if with_aliases and (new_type, new_name) != (t, name):
            old = {"type_": t} if new_type != t else {}
            old |= {"name": name} if new_name != name else {}
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(**old)]))
        return new_type, new_name, opts

    edit_program(monkeypatch, rename)


def options_in_program(
    monkeypatch: pytest.MonkeyPatch, type_: str, name: str, options: pulumi.ResourceOptions
) -> None:
    """Give the resource ``type_`` ``name`` more resource options."""

    def add(t: str, resource_name: str, opts: pulumi.ResourceOptions | None) -> tuple[str, str, Any]:
        if (t, resource_name) == (type_, name):
            opts = pulumi.ResourceOptions.merge(opts, options)
        return t, resource_name, opts

    edit_program(monkeypatch, add)
