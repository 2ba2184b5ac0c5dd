from __future__ import annotations

import pytest

from components.render.rules import MetricSources
from components.settings import Settings
from tests.support.stacks import stack_settings


@pytest.fixture(scope="module")
def production() -> Settings:
    return stack_settings("production")


@pytest.fixture(scope="module")
def kubernetes_sources(production: Settings) -> MetricSources:
    return MetricSources.kubernetes(production.namespace)
