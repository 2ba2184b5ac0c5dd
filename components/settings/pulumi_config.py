"""The one bridge from Pulumi's stack config to the typed settings."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from components.settings.loader import load_settings
from components.settings.stack import Settings


def raw_stack_config() -> dict[str, Any]:
    """Every config key of this stack: from the engine's environment, or as set in-process."""
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def secret_config_keys(raw_config: dict[str, Any]) -> set[str]:
    """The keys Pulumi holds encrypted (``secure:`` in the stack file)."""
    listed = {key for key in raw_config if runtime_config.is_config_secret(key)}
    return listed | set(runtime_config.get_config_secret_keys_env())


def stack_settings(*, require_cluster: bool = True) -> Settings:
    """Validate the current stack's config; raises SettingsError before any resource exists."""
    raw = raw_stack_config()
    return load_settings(
        raw, pulumi.get_stack(), secret_keys=secret_config_keys(raw), require_cluster=require_cluster
    )
