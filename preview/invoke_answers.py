"""What the provider functions (invokes) the program calls return offline, derived from settings."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from components.edge.zone_lookup import zone_lookup_answers
from components.settings import SettingsError, load_settings


def invoke_answers(
    stack: str, config: Mapping[str, str], secret_keys: Collection[str] = ()
) -> dict[str, dict[str, Any]]:
    """Invoke token -> result for ``stack``; nothing when the config is invalid.

    Invalid config is left for the program to report, with every problem, as it does live.
    """
    try:
        settings = load_settings(config, stack, secret_keys=secret_keys)
    except SettingsError:
        return {}
    return {**zone_lookup_answers(settings)}
