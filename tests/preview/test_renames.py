"""Renames in the program: what the engine would do, and the alias that takes the old resources over."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings.stack_file import PROJECT_ROOT
from preview import cli
from preview.danger import find_dangers
from preview.diff import diff_renderings
from preview.rendering import Rendering, ResourceRecord
from tests.preview.conftest import baseline, rename_in_program, rendering_of
from tests.support.stacks import synthesize_stack

PLATFORM = "technovastore:platform:Platform"
STORES = "technovastore:redis:RedisStores"
SECRET = "kubernetes:core/v1:Secret"


def below(type_: str, stack: str = "staging") -> int:
    """How many rendered resources have ``type_`` in their URN's chain of parent types."""
    return sum(1 for record in baseline(stack).records if record.file and f"{type_}$" in record.urn)


def recreated(resources: int, unchanged: int) -> dict[str, int]:
    """The summary of a diff that creates ``resources`` under new URNs and deletes the old ones."""
    return {
        "create": resources,
        "import": 0,
        "update": 0,
        "replace": 0,
        "delete": resources,
        "unchanged": unchanged,
    }


def test_renaming_the_platform_type_recreates_everything_without_an_alias(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = baseline("staging")
    rename_in_program(monkeypatch, types={PLATFORM: "technovastore:platform:ShopPlatform"})
    new = rendering_of(synthesize_stack("staging"))
    diff = diff_renderings(base, new)
    moved = below(PLATFORM)  # all but the stack's Kubernetes provider, which is outside the Platform
    assert moved == len(base.documents) - 1
    assert diff.summary == recreated(moved, unchanged=1)
    [rename] = diff.renames
    assert (rename.type, rename.name) == ("technovastore:platform:ShopPlatform", "technovastore")
    assert rename.code == 'aliases=[pulumi.Alias(type_="technovastore:platform:Platform")]'
    # The Platform and every resource in it, components included.
    assert rename.resources == 1 + sum(1 for r in base.records if f"{PLATFORM}$" in r.urn)
    [danger] = find_dangers(diff, base, new)
    assert danger.key == "rename:ShopPlatform/technovastore" and not danger.acknowledged
    assert "AlreadyExists" in danger.why and "StatefulSet technovastore-staging/redis-cluster" in danger.why
    assert rename.code in danger.instead


def test_renaming_the_redis_stores_type_recreates_what_is_below_it(monkeypatch: pytest.MonkeyPatch) -> None:
    base = baseline("staging")
    rename_in_program(monkeypatch, types={STORES: "technovastore:redis:DataStores"})
    diff = diff_renderings(base, rendering_of(synthesize_stack("staging")))
    moved = below(STORES)
    assert moved > 10
    assert diff.summary == recreated(moved, unchanged=len(base.documents) - moved)
    assert {c.op for c in diff.changes if "redis" not in c.name} == set()
    [rename] = diff.renames
    assert rename.code == 'aliases=[pulumi.Alias(type_="technovastore:redis:RedisStores")]'
    assert (rename.type, rename.name) == ("technovastore:redis:DataStores", "redis")


@pytest.mark.parametrize(
    ("types", "names"),
    [
        ({PLATFORM: "technovastore:platform:ShopPlatform"}, {}),
        ({STORES: "technovastore:redis:DataStores"}, {}),
        ({}, {(SECRET, "redis-credentials"): "redis-secret"}),
    ],
)
def test_with_the_suggested_alias_the_engine_takes_every_old_resource_over(
    monkeypatch: pytest.MonkeyPatch, types: dict[str, str], names: dict[tuple[str, str], str]
) -> None:
    rename_in_program(monkeypatch, types, names, with_aliases=True)
    diff = diff_renderings(baseline("staging"), rendering_of(synthesize_stack("staging")))
    assert diff.changes == [] and diff.renames == []


def test_a_resource_renamed_alone_is_recognised_by_the_object_it_manages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rename_in_program(monkeypatch, names={(SECRET, "redis-credentials"): "redis-secret"})
    diff = diff_renderings(baseline("staging"), rendering_of(synthesize_stack("staging")))
    assert [(c.op, c.type, c.name) for c in diff.changes] == [
        ("create", SECRET, "technovastore-staging/redis-credentials"),
        ("delete", SECRET, "technovastore-staging/redis-credentials"),
    ]
    [rename] = diff.renames
    assert (rename.name, rename.code) == ("redis-secret", 'aliases=[pulumi.Alias(name="redis-credentials")]')


def test_strict_fails_on_a_rename_until_the_stack_acknowledges_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = tmp_path / "base"
    assert cli.main(["--stack", "staging", "--out", str(base)]) == 0
    rename_in_program(monkeypatch, types={STORES: "technovastore:redis:DataStores"})
    capsys.readouterr()
    against = ["--stack", "staging", "--against", str(base)]
    assert cli.main(against) == 0
    assert cli.main([*against, "--strict"]) == 1
    out = capsys.readouterr().out
    assert "strict: 1 dangerous change(s) not acknowledged: rename:DataStores/redis" in out
    assert 'add `aliases=[pulumi.Alias(type_="technovastore:redis:RedisStores")]`' in out

    def acknowledge(config: dict[str, Any]) -> None:
        config["technovastore-scaling:acknowledge"] = ["rename:DataStores/redis"]

    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.staging.yaml").read_text())
    acknowledge(document["config"])
    config_file = tmp_path / "Pulumi.staging.yaml"
    config_file.write_text(yaml.safe_dump(document))
    assert cli.main([*against, "--strict", "--config-file", str(config_file)]) == 0
    assert "[acknowledged]" in capsys.readouterr().out


def test_a_resource_moved_to_another_component_gets_a_parent_alias() -> None:
    policy = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "shop"}}
    old_parent, new_parent = "urn:pulumi:s::p::t:index:A::a", "urn:pulumi:s::p::t:index:B::b"
    old_urn = "urn:pulumi:s::p::t:index:A$kubernetes:core/v1:ConfigMap::cm"
    new_urn = "urn:pulumi:s::p::t:index:B$kubernetes:core/v1:ConfigMap::cm"
    old = Rendering(
        {"cm.yaml": policy},
        [
            ResourceRecord(old_parent),
            ResourceRecord(new_parent),
            ResourceRecord(old_urn, old_parent, "cm.yaml"),
        ],
    )
    new = Rendering(
        {"cm.yaml": policy},
        [
            ResourceRecord(old_parent),
            ResourceRecord(new_parent),
            ResourceRecord(new_urn, new_parent, "cm.yaml"),
        ],
    )
    diff = diff_renderings(old, new)
    assert [c.op for c in diff.changes] == ["create", "delete"]
    [rename] = diff.renames
    assert rename.code == (
        'aliases=[pulumi.Alias(parent=f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::t:index:A::a")]'
    )
    # The alias as the SDK sends it (the parent's URN) makes the engine take the old one over.
    aliased = ResourceRecord(new_urn, new_parent, "cm.yaml", aliases=(rename.alias,))
    assert diff_renderings(old, Rendering(new.documents, [*new.records[:2], aliased])).changes == []


def test_the_danger_key_of_a_renamed_camel_case_resource_can_be_acknowledged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pulumi resource names are not Kubernetes names: the edge's rulesets are ``edge-managedWaf``
    and the like. ``--strict`` names the key to acknowledge; the stack config must accept it."""
    from components.settings import PROJECT, load_settings
    from tests.support.stacks import stack_config

    ruleset = "cloudflare:index/ruleset:Ruleset"
    base = baseline("staging")
    [old_name] = [r.name for r in base.records if r.type == ruleset and r.name.endswith("managedWaf")]
    rename_in_program(
        monkeypatch, types={ruleset: ruleset}, names={(ruleset, old_name): "edge-managedWafRules"}
    )
    new = rendering_of(synthesize_stack("staging"))
    [danger] = find_dangers(diff_renderings(base, new), base, new)
    assert danger.key == "rename:Ruleset/edge-managedWafRules"
    config = {**stack_config("staging"), f"{PROJECT}:acknowledge": f'["{danger.key}"]'}
    assert load_settings(config, "staging").acknowledge == [danger.key]
