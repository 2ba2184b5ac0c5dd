"""Pods roll when what they read changes: the CDN's ConfigMap and the Redis password clients hold.

A ConfigMap whose data changes is a replacement in a real `pulumi preview` (the provider's
enableConfigMapMutable is off): the CDN's is named after its content, so the change is a new
ConfigMap, created before the old one goes, and the Deployment rolls onto it (finding 5).
Secrets keep their names; the pods of services that read the Redis password carry a
checksum of it, so a new password rolls them (findings 4 and 8).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import preview.synth
from components.kubernetes.checksums import SECRET_CHECKSUM_ANNOTATION
from components.settings import PROJECT, load_settings
from preview.diff import diff_renderings
from preview.rendering import Rendering, rendering_of
from preview.synth import Synthesis, synthesize
from tests.support.stacks import stack_config, synthesized

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def with_cdn(**changes: Any) -> dict[str, str]:
    config = stack_config("staging")
    cdn = json.loads(config[f"{PROJECT}:cdn"]) | changes
    return {**config, f"{PROJECT}:cdn": json.dumps(cdn)}


def cdn_config_map(synthesis: Synthesis) -> dict[str, Any]:
    (config_map,) = [r.inputs for r in synthesis.of_type(CONFIG_MAP) if r.name == "cdn-config"]
    return config_map


def pod_template(synthesis: Synthesis, deployment: str) -> dict[str, Any]:
    (found,) = [r.inputs for r in synthesis.of_type(DEPLOYMENT) if r.name == f"{deployment}-deployment"]
    return dict(found["spec"]["template"])


def mounted_config_maps(template: dict[str, Any]) -> set[str]:
    return {volume["configMap"]["name"] for volume in template["spec"]["volumes"] if "configMap" in volume}


def test_a_new_cdn_config_is_a_new_configmap_the_pods_roll_onto() -> None:
    staging = synthesized("staging")
    changed = synthesize("staging", with_cdn(ttl={"htmlSeconds": 30}))
    before, after = cdn_config_map(staging), cdn_config_map(changed)
    assert before["metadata"]["name"] != after["metadata"]["name"]
    assert before["metadata"]["name"].startswith("cdn-nginx-") and before["immutable"] is True
    assert mounted_config_maps(pod_template(staging, "cdn")) == {before["metadata"]["name"]}
    assert mounted_config_maps(pod_template(changed, "cdn")) == {after["metadata"]["name"]}


def test_the_same_config_keeps_its_configmap() -> None:
    again = synthesize("staging", with_cdn())
    assert (
        cdn_config_map(again)["metadata"]["name"]
        == cdn_config_map(synthesized("staging"))["metadata"]["name"]
    )


def rendering(synthesis: Synthesis) -> Rendering:
    return rendering_of(synthesis.resources)


def test_the_preview_shows_the_config_change_as_a_replacement_and_a_rollout() -> None:
    before = synthesized("staging")
    after = synthesize("staging", with_cdn(ttl={"htmlSeconds": 30}))
    diff = diff_renderings(rendering(before), rendering(after))
    ops = {(change.op, change.type) for change in diff.changes}
    # The name changes with the content: replaced (create first: the name is free), never updated.
    assert ("replace", CONFIG_MAP) in ops and ("update", CONFIG_MAP) not in ops
    assert ("update", DEPLOYMENT) in ops


def app_password_of(monkeypatch: pytest.MonkeyPatch, password: str) -> None:
    """Make the mock's generated Redis app password ``password`` (the others stay as they are)."""
    original = preview.synth._Mocks.new_resource

    def new_resource(self: Any, args: Any) -> Any:
        resource_id, state = original(self, args)
        if args.name == "redis-credentials-app":
            state["result"] = {**state["result"], "value": password}
        return resource_id, state

    monkeypatch.setattr(preview.synth._Mocks, "new_resource", new_resource)


def redis_clients(synthesis: Synthesis) -> dict[str, str | None]:
    settings = load_settings(stack_config("staging"), "staging")
    return {
        name: pod_template(synthesis, name)["metadata"].get("annotations", {}).get(SECRET_CHECKSUM_ANNOTATION)
        for name in settings.services
    }


def test_a_new_redis_password_rolls_every_service_that_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    app_password_of(monkeypatch, "first-generated-password-0123456")
    first = redis_clients(synthesize("staging", stack_config("staging")))
    app_password_of(monkeypatch, "second-generated-password-654321")
    second = redis_clients(synthesize("staging", stack_config("staging")))

    users = {"api-gateway", "product-service", "order-service"}
    assert {name for name, checksum in first.items() if checksum} == users
    assert first["frontend"] is None  # reads no Redis password
    assert all(first[name] != second[name] for name in users)
    assert "first-generated-password" not in json.dumps(first)
