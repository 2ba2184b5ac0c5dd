from __future__ import annotations

import pytest

from components.render.rules import MetricSources
from components.settings import Settings, load_settings
from components.settings.stack_file import read_stack_config


@pytest.fixture(scope="module")
def production() -> Settings:
    return load_settings(read_stack_config("production").values, "production")


@pytest.fixture(scope="module")
def kubernetes_sources(production: Settings) -> MetricSources:
    return MetricSources(scope={"namespace": production.namespace}, replicas="kube-state-metrics")
