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


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys instead of silently keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise StackConfigError(
                    f"line {key_node.start_mark.line + 1}: key {key!r} is defined more than once"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


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
        document = yaml.load(path.read_text(), Loader=_UniqueKeyLoader) or {}
    except StackConfigError as error:
        raise StackConfigError(f"{path.name} {error}") from None
    except yaml.YAMLError as error:
        raise StackConfigError(f"{path.name} is not valid YAML: {error}") from None
    config = document.get("config") or {}
    if not isinstance(document, dict) or not isinstance(config, dict):
        raise StackConfigError(f"{path.name}: 'config' must be a mapping")
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = secret_placeholder(key, str(value["secure"]))
            secret_keys.append(key)
        elif isinstance(value, (dict, list)):
            values[key] = json.dumps(value)
        else:
            values[key] = _scalar(value)
    return StackConfig(stack=stack, path=path, values=values, secret_keys=secret_keys)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
