"""Read ``Pulumi.<stack>.yaml`` the way the Pulumi CLI hands it to the program."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.settings.stack import REVIEW_STACK
from components.strict_yaml import StrictSafeLoader

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Review stacks are created from the staging config (see the review-stack workflow).
REVIEW_BASE_STACK = "staging"


class StackConfigError(Exception):
    """The stack's config file is missing or is not valid YAML."""


@dataclass(frozen=True)
class StackConfig:
    stack: str
    path: Path
    values: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)


def secret_placeholder(key: str, ciphertext: str = "") -> str:
    """What a ``secure:`` value becomes offline: clearly not a real secret.

    It changes with the ciphertext, so the preview sees a rotated secret change (the ciphertext
    is in the repository already; a short digest of it reveals nothing more).
    """
    version = hashlib.sha256(ciphertext.encode()).hexdigest()[:12]
    return f"offline-preview-placeholder-for-{key.replace(':', '-')}-{version}"


def config_path(stack: str, root: Path = PROJECT_ROOT) -> Path:
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists() and REVIEW_STACK.match(stack):
        return root / f"Pulumi.{REVIEW_BASE_STACK}.yaml"
    return path


def read_stack_config(
    stack: str, root: Path = PROJECT_ROOT, *, config_file: Path | None = None
) -> StackConfig:
    """Config values as the engine passes them: scalars as text, structures as JSON text.

    ``config_file`` replaces ``Pulumi.<stack>.yaml`` (like ``pulumi --config-file``).
    """
    path = config_file or config_path(stack, root)
    if not re.match(r"^[A-Za-z0-9_.-]+$", stack) or not path.exists():
        raise StackConfigError(f"no config file for stack {stack!r} (looked for {path.name})")
    try:
        document = yaml.load(path.read_text(), Loader=StrictSafeLoader) or {}
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise StackConfigError(f"{path.name} {line}{error.problem}") from None
    except yaml.YAMLError as error:
        raise StackConfigError(f"{path.name} is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise StackConfigError(
            f"{path.name}: the file must be a mapping with a 'config' key, not a {_yaml_kind(document)}"
        )
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackConfigError(f"{path.name}: 'config' must be a mapping, not a {_yaml_kind(config)}")
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        if _has_secure(value):
            secret_keys.append(str(key))
        if _is_secure(value):
            values[str(key)] = secret_placeholder(str(key), str(value["secure"]))
        elif isinstance(value, (dict, list)):
            values[str(key)] = json.dumps(_placeholders(value, str(key)))
        else:
            values[str(key)] = _scalar(value)
    return StackConfig(stack=stack, path=path, values=values, secret_keys=secret_keys)


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _has_secure(value: Any) -> bool:
    """Pulumi marks a whole key secret when any value inside it is ``secure:``."""
    if _is_secure(value):
        return True
    if isinstance(value, dict):
        return any(_has_secure(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_secure(item) for item in value)
    return False


def _placeholders(value: Any, path: str) -> Any:
    """A structured value with every nested ``secure:`` value replaced by its placeholder."""
    if _is_secure(value):
        return secret_placeholder(path, str(value["secure"]))
    if isinstance(value, dict):
        return {key: _placeholders(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_placeholders(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def _yaml_kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
