"""The real program, evaluated offline for a stack, as the tests see it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from components.settings import PROJECT, Settings, load_settings
from components.settings.loader import SECRET_KEYS
from components.settings.stack_file import read_stack_config
from preview.invoke_answers import invoke_answers
from preview.synth import Synthesis, synthesize

# The Kubernetes stacks, and every stack the repository ships (Docker Swarm's too).
STACKS = ("production", "staging")
ALL_STACKS = (*STACKS, "swarm", "dev")
# A review stack: its config is staging's (`pulumi stack init pr-123 --copy-config-from staging`).
REVIEW_STACK = "pr-123"


def stack_config(stack: str) -> dict[str, str]:
    return dict(read_stack_config(stack).values)


def synthesize_stack(stack: str, **overrides: Any) -> Synthesis:
    """Synthesize ``stack`` from its config file, with top-level keys replaced by ``overrides``.

    ``overrides`` maps a key without the project prefix to a Python value (JSON-encoded here);
    secret settings (``redisPassword``) are set as secrets, like ``pulumi config set --secret``.
    """
    return synthesize_deployment(stack, overrides)


_SYNTHESIZED: dict[tuple[str, str], Synthesis] = {}


def synthesized(stack: str, **overrides: Any) -> Synthesis:
    """``synthesize_stack``, once per stack and overrides: for tests that only read the result."""
    key = (stack, json.dumps(overrides, sort_keys=True))
    if key not in _SYNTHESIZED:
        _SYNTHESIZED[key] = synthesize_stack(stack, **overrides)
    return _SYNTHESIZED[key]


def synthesize_deployment(
    stack: str, overrides: Mapping[str, Any], *, passwords: Callable[[str], str] | None = None
) -> Synthesis:
    """``synthesize_stack`` with ``passwords`` giving the generated passwords real values
    (a deployment's; see preview.synth.synthesize)."""
    values, secret_keys = _config_with(stack, overrides)
    answers = invoke_answers(stack, values, secret_keys)
    return synthesize(stack, values, secret_keys=secret_keys, invoke_answers=answers, passwords=passwords)


def _config_with(stack: str, overrides: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The stack file's config values with top-level keys replaced, and which keys are secret."""
    config = read_stack_config(stack)
    values = dict(config.values)
    secret_keys = list(config.secret_keys)
    for key, value in overrides.items():
        values[f"{PROJECT}:{key}"] = value if isinstance(value, str) else json.dumps(value)
        if key in SECRET_KEYS:
            secret_keys.append(f"{PROJECT}:{key}")
    return values, secret_keys


def deployment_settings(stack: str, overrides: Mapping[str, Any]) -> Settings:
    """The validated settings a deployment with ``overrides`` runs with."""
    values, secret_keys = _config_with(stack, overrides)
    return load_settings(values, stack, secret_keys=secret_keys)


def stack_settings(stack: str) -> Settings:
    """The validated settings of a shipped stack."""
    return load_settings(stack_config(stack), stack)
