from __future__ import annotations

import pytest

from components.settings import Settings
from tests.support.stacks import stack_settings


@pytest.fixture(scope="module")
def production() -> Settings:
    return stack_settings("production")
