"""Read a stack's raw config once, validate it completely, and report every problem at once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from components.settings.base import MISSING, PROJECT, Problem, SettingsError
from components.settings.stack import Settings, environment_of

_PREFIX = f"{PROJECT}:"
# Keys the program derives from the stack name; setting them in config is a mistake.
_DERIVED_KEYS = {"stack", "environment"}


class _DuplicateKeys(Exception):
    def __init__(self, paths: list[str]):
        self.paths = paths


def load_settings(raw_config: Mapping[str, Any], stack: str) -> Settings:
    """Validate ``raw_config`` (``"<project>:<key>" -> str or JSON text``) for ``stack``.

    Keys of other namespaces (``kubernetes:context``, ``cloudflare:apiToken``) are not ours
    and are ignored. Raises SettingsError listing every problem.
    """
    problems: list[Problem] = []
    environment = environment_of(stack)
    if environment is None:
        problems.append(
            Problem(
                "(stack name)",
                stack,
                "stack must be 'production', 'staging', 'swarm', 'dev' or 'pr-<number>'",
            )
        )
    data: dict[str, Any] = {}
    for key, text in sorted(raw_config.items()):
        if not key.startswith(_PREFIX):
            continue
        name = key[len(_PREFIX) :]
        try:
            value = _decode(text)
        except _DuplicateKeys as duplicates:
            problems += [
                Problem(f"{name}.{path}", MISSING, "is defined more than once") for path in duplicates.paths
            ]
            continue
        if name in _DERIVED_KEYS:
            problems.append(Problem(name, value, "is derived from the stack name and cannot be set"))
            continue
        data[name] = value
    data.update(stack=stack, environment=environment or "review")
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        problems += [_problem(detail, data) for detail in error.errors()]
        settings = None
    if problems or settings is None:
        raise SettingsError(stack, problems)
    return settings


def _decode(text: Any) -> Any:
    """Pulumi passes structured values as JSON text and scalars as plain strings."""
    if not isinstance(text, str):
        return text
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return text
    return _without_duplicates(json.loads(stripped, object_pairs_hook=_Pairs), "")


class _Pairs(list):
    """A JSON object as its raw key/value pairs, so duplicate keys can be found."""


def _without_duplicates(value: Any, path: str) -> Any:
    if isinstance(value, _Pairs):
        seen: dict[str, Any] = {}
        duplicates: list[str] = []
        for key, item in value:
            child = f"{path}.{key}" if path else key
            if key in seen:
                duplicates.append(child)
            try:
                seen[key] = _without_duplicates(item, child)
            except _DuplicateKeys as nested:
                duplicates += nested.paths
        if duplicates:
            raise _DuplicateKeys(duplicates)
        return seen
    if isinstance(value, list):
        return [_without_duplicates(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def _problem(detail: Mapping[str, Any], data: Mapping[str, Any]) -> Problem:
    location = [str(part) for part in detail["loc"]]
    context = detail.get("ctx") or {}
    if detail["type"] == "cross_field":
        field = str(context["field"])
        # Root-level validators name a full path already; nested ones a field of their model.
        location = field.split(".") if not location else location + field.split(".")
        return Problem(".".join(location), context["value"], detail["msg"])
    if detail["type"] == "extra_forbidden":
        return Problem(".".join(location), detail["input"], "is not a known setting (check the spelling)")
    if detail["type"] == "missing":
        return Problem(".".join(location), MISSING, "is required")
    message = str(detail["msg"]).removeprefix("Value error, ")
    if location and location[-1] == "[key]":
        # Pydantic's marker for "the mapping key itself is invalid" (a service name).
        return Problem(".".join(location[:-1]), detail.get("input"), f"the name {message}")
    return Problem(".".join(location), _lookup(data, location, detail.get("input")), message)


def _lookup(data: Mapping[str, Any], location: list[str], fallback: Any) -> Any:
    node: Any = data
    for part in location:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return fallback
    return node
