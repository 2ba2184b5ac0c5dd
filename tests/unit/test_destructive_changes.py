"""Changes that would lose data are refused until the stack config acknowledges them (finding 3).

The previous deployment's ``dataFootprint`` output is what the engine's readStackOutputs
returns; under the mock runtime the tests answer that call themselves.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest

import preview.synth
from components.data_footprint import IMMUTABLE_FIELDS, data_footprint
from components.deployment import FOOTPRINT_OUTPUT, READ_STACK_OUTPUTS
from components.destructive_changes import destructive_changes
from components.settings import PROJECT, SettingsError, load_settings
from preview.invoke_answers import invoke_answers
from preview.synth import Synthesis, synthesize
from tests.support.stacks import stack_config


def configured(stack: str, **overrides: Any) -> dict[str, str]:
    """``stack``'s config with top-level keys replaced (values as Pulumi passes them)."""
    encoded = {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in overrides.items()
    }
    return {**stack_config(stack), **{f"{PROJECT}:{key}": value for key, value in encoded.items()}}


def deployed(stack: str, **overrides: Any) -> dict[str, Any]:
    """The footprint a deployment of ``stack`` (with top-level ``overrides``) exported."""
    return data_footprint(load_settings(configured(stack, **overrides), stack))


def as_read_back(value: Any) -> Any:
    """Numbers as the engine hands stack outputs back to Python: floats."""
    if isinstance(value, bool) or not isinstance(value, (int, dict, list)):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {key: as_read_back(item) for key, item in value.items()}
    return [as_read_back(item) for item in value]


def deploy(stack: str, previous: dict[str, Any] | None, **overrides: Any) -> Synthesis:
    """Synthesize ``stack`` with ``overrides`` after a deployment that exported ``previous``."""
    config = configured(stack, **overrides)
    answers = dict(invoke_answers(stack, config))
    outputs = {FOOTPRINT_OUTPUT: as_read_back(previous)} if previous else {}
    answers[READ_STACK_OUTPUTS] = {"name": f"organization/{PROJECT}/{stack}", "outputs": outputs}
    return synthesize(stack, config, invoke_answers=answers)


def redis(stack: str, *, persistence: bool = True, **groups: dict[str, Any]) -> dict[str, Any]:
    """``stack``'s redis section with ``cluster``/``sentinel`` fields changed."""
    section = json.loads(stack_config(stack).get(f"{PROJECT}:redis", "{}"))
    for group, fields in groups.items():
        section[group] = {**section.get(group, {}), **fields}
    return section | {"persistence": persistence}


def refused(stack: str, previous: dict[str, Any], monitors: list[Any], **overrides: Any) -> list[str]:
    """The problems of a refused deployment, after checking it registered nothing."""
    with pytest.raises(SettingsError) as raised:
        deploy(stack, previous, **overrides)
    assert [monitor.options for monitor in monitors] == [{}]
    return [str(problem) for problem in raised.value.problems]


def test_the_footprint_is_what_the_program_declares(any_synthesis: Synthesis) -> None:
    footprint = any_synthesis.outputs[FOOTPRINT_OUTPUT]
    statefulsets = {r.name: r.inputs for r in any_synthesis.of_type("kubernetes:apps/v1:StatefulSet")}
    assert set(footprint["statefulSets"]) == set(statefulsets)
    for name, declared in statefulsets.items():
        recorded = footprint["statefulSets"][name]
        spec = declared["spec"]
        assert recorded["immutable"] == {field: spec[field] for field in IMMUTABLE_FIELDS if field in spec}
        assert recorded["replicas"] == spec["replicas"]
        assert recorded["claims"] == [
            claim["metadata"]["name"] for claim in spec.get("volumeClaimTemplates", [])
        ]
    assert footprint["namespace"] == any_synthesis.outputs["namespace"]


def test_the_first_deployment_and_an_unchanged_one_go_ahead(caplog: pytest.LogCaptureFixture) -> None:
    assert deploy("staging", None).of_type("kubernetes:apps/v1:StatefulSet")
    with caplog.at_level(logging.WARNING):
        assert deploy("staging", deployed("staging")).of_type("kubernetes:apps/v1:StatefulSet")
    assert "acknowledge" not in caplog.text


def test_a_storage_resize_is_refused_without_an_acknowledgement(monitors: list[Any]) -> None:
    resized = redis("staging", cluster={"storageSize": "4Gi"})
    problems = refused("staging", deployed("staging"), monitors, redis=resized)
    assert problems == [
        f"{PROJECT}:acknowledge: StatefulSet redis-cluster would be replaced (volumeClaimTemplates cannot "
        "change in place): all 6 pods are deleted at once, and kept claims keep their old size. If that is "
        f"intended (README: 'Destructive changes'), add 'replace:StatefulSet/redis-cluster' to "
        f"{PROJECT}:acknowledge in Pulumi.staging.yaml"
    ]


def test_an_acknowledged_resize_goes_ahead() -> None:
    synthesis = deploy(
        "staging",
        deployed("staging"),
        redis=redis("staging", cluster={"storageSize": "4Gi"}),
        acknowledge=["replace:StatefulSet/redis-cluster"],
    )
    (cluster,) = [r for r in synthesis.of_type("kubernetes:apps/v1:StatefulSet") if r.name == "redis-cluster"]
    assert (
        cluster.inputs["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "4Gi"
    )


def test_moving_the_namespace_is_refused_and_one_entry_allows_it(monitors: list[Any]) -> None:
    before = deployed("production")
    (problem,) = refused("production", before, monitors, namespace="shop")
    assert "the namespace would move from technovastore to shop" in problem
    assert "add 'rename:Namespace/technovastore'" in problem
    synthesis = deploy("production", before, namespace="shop", acknowledge=["rename:Namespace/technovastore"])
    assert synthesis.outputs["namespace"] == "shop"


def test_an_acknowledgement_that_allows_nothing_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        deploy(
            "staging",
            deployed("staging"),
            acknowledge=["replace:StatefulSet/redis-cluster", "rotate:Secret/redis-credentials"],
        )
    assert "'replace:StatefulSet/redis-cluster' allows nothing this deployment does; remove it" in caplog.text
    # Entries for other checks (the password rotation) are theirs to judge.
    assert "rotate:Secret" not in caplog.text


def test_an_unreadable_previous_deployment_stops_the_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = preview.synth._Mocks.call

    def failing(self: Any, args: Any) -> Any:
        if args.token == READ_STACK_OUTPUTS:
            return {}, [("name", "stack not found")]
        return answer(self, args)

    monkeypatch.setattr(preview.synth._Mocks, "call", failing)
    with pytest.raises(SettingsError, match=r"cannot read this stack's previous outputs"):
        synthesize("staging", stack_config("staging"))


# --- the rules, on footprints -------------------------------------------------------------------


def actions(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    return [change.acknowledgement for change in destructive_changes(previous, current)]


def test_turning_persistence_off_replaces_every_statefulset_with_a_volume() -> None:
    assert actions(deployed("staging"), deployed("staging", redis=redis("staging", persistence=False))) == [
        "replace:StatefulSet/redis-cluster",
        "replace:StatefulSet/redis-sessions",
        # The Sentinels' state volume goes too.
        "replace:StatefulSet/redis-sessions-sentinel",
    ]


def test_turning_persistence_on_loses_nothing() -> None:
    assert actions(deployed("staging", redis=redis("staging", persistence=False)), deployed("staging")) == []


def test_under_the_delete_policy_a_replacement_also_deletes_every_claim() -> None:
    before = deployed("pr-5")
    after = deployed("pr-5", redis=redis("staging", persistence=False))
    assert actions(before, after) == [
        "replace:StatefulSet/redis-cluster",
        *(f"delete:PersistentVolumeClaim/data-redis-cluster-{i}" for i in range(6)),
        "replace:StatefulSet/redis-sessions",
        *(f"delete:PersistentVolumeClaim/data-redis-sessions-{i}" for i in range(3)),
        "replace:StatefulSet/redis-sessions-sentinel",
        *(f"delete:PersistentVolumeClaim/data-redis-sessions-sentinel-{i}" for i in range(3)),
    ]


def test_a_scale_down_deletes_claims_only_under_the_delete_policy() -> None:
    fewer = redis("staging", sentinel={"dataNodes": 2})
    assert actions(deployed("pr-5"), deployed("pr-5", redis=fewer)) == [
        "delete:PersistentVolumeClaim/data-redis-sessions-2"
    ]
    assert actions(deployed("staging"), deployed("staging", redis=fewer)) == []


def test_a_statefulset_without_volumes_holds_no_data() -> None:
    # Without persistence no StatefulSet keeps a volume (with it, the Sentinels keep their state).
    before = deployed("staging", redis=redis("staging", persistence=False))
    after = copy.deepcopy(before)
    after["statefulSets"]["redis-sessions-sentinel"]["immutable"]["podManagementPolicy"] = "OrderedReady"
    assert actions(before, after) == []


def test_a_vanished_statefulset_with_data_needs_its_own_entry() -> None:
    before = deployed("staging")
    after = copy.deepcopy(before)
    del after["statefulSets"]["redis-sessions"]
    assert actions(before, after) == ["delete:StatefulSet/redis-sessions"]
