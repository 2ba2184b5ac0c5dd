"""Cache TTLs per data class, shared by the infrastructure and the cache client library."""

from __future__ import annotations

from pydantic import Field

from components.settings.base import SettingsModel


class CacheTtlSettings(SettingsModel):
    product: int = Field(default=1800, gt=0)
    price: int = Field(default=300, gt=0)
    search: int = Field(default=600, gt=0)
    session: int = Field(default=86400, gt=0)
    recommendations: int = Field(default=1800, gt=0)
