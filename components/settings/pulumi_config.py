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


def stack_settings() -> Settings:
    """Validate the current stack's config; raises SettingsError before any resource exists."""
    return load_settings(raw_stack_config(), pulumi.get_stack())
