"""Typed, validated stack settings: the only place that reads stack config.

Components receive these objects, never ``pulumi.Config``.
"""

from components.settings.base import PROJECT, Problem, SettingsError
from components.settings.loader import load_settings
from components.settings.services import ServiceSettings
from components.settings.stack import Environment, Settings

__all__ = [
    "PROJECT",
    "Environment",
    "Problem",
    "ServiceSettings",
    "Settings",
    "SettingsError",
    "load_settings",
]
