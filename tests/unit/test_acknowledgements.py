"""The ``acknowledge`` list: its grammar and how an entry is matched."""

from __future__ import annotations

import json

import pytest

from components.settings import SettingsError, load_settings
from components.settings.acknowledgements import acknowledges
from components.settings.base import PROJECT
from tests.support.stacks import stack_config


def test_acknowledgements_are_read_from_the_stack_config() -> None:
    config = {
        **stack_config("staging"),
        f"{PROJECT}:acknowledge": json.dumps(["replace:StatefulSet/redis-cluster"]),
    }

    settings = load_settings(config, "staging")

    assert settings.acknowledge == ["replace:StatefulSet/redis-cluster"]


@pytest.mark.parametrize(
    "entry",
    [
        "replace StatefulSet/redis-cluster",
        "explode:StatefulSet/redis-cluster",
        "replace:statefulset/x",
        "delete:PersistentVolumeClaim/",
    ],
)
def test_a_malformed_acknowledgement_is_refused_with_its_index(entry: str) -> None:
    config = {
        **stack_config("staging"),
        f"{PROJECT}:acknowledge": json.dumps(["rotate:Secret/redis-credentials", entry]),
    }

    with pytest.raises(SettingsError) as error:
        load_settings(config, "staging")

    assert f"{PROJECT}:acknowledge.1 = {entry!r}: must be '<action>:<Kind>/<name>'" in str(error.value)


def test_an_entry_matches_its_object_or_every_object_of_its_kind() -> None:
    assert acknowledges(["replace:StatefulSet/redis-cluster"], "replace", "StatefulSet", "redis-cluster")
    assert not acknowledges(["replace:StatefulSet/redis-cluster"], "delete", "StatefulSet", "redis-cluster")
    assert not acknowledges(["replace:StatefulSet/redis-cluster"], "replace", "StatefulSet", "redis-sentinel")
    assert acknowledges(["delete:PersistentVolumeClaim/*"], "delete", "PersistentVolumeClaim", "data-redis-0")
