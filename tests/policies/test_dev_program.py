"""The real dev stack through the policy pack: clean as declared, and each container rule fires on
a broken variant of it with a message that says what to change."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from policies.offline import load_pack_config, run_policies
from preview.synth import DeclaredResource, Synthesis
from tests.support.stacks import synthesize_stack

CONTAINER = "docker:index/container:Container"
_DEV: list[Synthesis] = []


def dev() -> Synthesis:
    if not _DEV:
        _DEV.append(synthesize_stack("dev"))
    return _DEV[0]


def broken(name: str, change: Callable[[dict[str, Any]], Any]) -> list[DeclaredResource]:
    """The dev stack with the inputs of the container ``name`` changed (secrets unwrapped)."""
    result = []
    for resource in dev().resources:
        if resource.name == name and resource.type == CONTAINER:
            inputs = copy.deepcopy(resource.inputs)
            change(inputs)
            resource = replace(resource, inputs=inputs)
        result.append(resource)
    assert any(r.name == name and r.type == CONTAINER for r in result), name
    return result


def test_the_dev_stack_has_no_violation() -> None:
    violations = run_policies(dev().resources, load_pack_config("dev"))
    assert [str(v) for v in violations] == []


def test_the_container_rules_saw_every_container() -> None:
    """Guard against a vacuous pass: with every health check gone, each long-running container fails."""
    containers = [r for r in dev().resources if r.type == CONTAINER]
    stripped = [
        replace(r, inputs={k: v for k, v in r.inputs.items() if k != "healthcheck"}) for r in containers
    ]
    flagged = {
        v.message.split(":")[0]
        for v in run_policies(stripped, {})
        if v.policy == "docker-healthcheck-and-restart"
    }
    assert len(flagged) == len(containers) - 1  # all but the one-shot bootstrap


def _secret_upload(inputs: dict[str, Any], **changes: Any) -> None:
    uploads = inputs["uploads"]
    uploads = uploads.get("value", uploads) if isinstance(uploads, dict) else uploads
    for item in uploads:
        if item["file"].startswith("/etc/redis/secrets/"):
            item.update(changes)


VARIANTS = [
    ("literal-password", "api-gateway-0", lambda i: i["envs"].append("REDIS_PASSWORD=s3cr3t-value-here"),
     "docker-no-literal-secrets", "upload the secret as a file"),
    ("no-limits", "frontend-0", lambda i: i.pop("memory"), "docker-limits", "sets no memory"),
    ("no-healthcheck", "cdn", lambda i: i.pop("healthcheck"),
     "docker-healthcheck-and-restart", "no health check"),
    ("redis-published", "redis-cluster-0", lambda i: i.update(ports=[{"internal": 6379, "external": 6379}]),
     "docker-redis-not-published", "Redis stays inside"),
    ("readable-secret", "redis-sessions-0", lambda i: _secret_upload(i, permissions="0644"),
     "docker-secret-files-private", "only its owner may read it"),
    ("root", "order-service-0", lambda i: i.update(user="0:0"), "docker-hardened", "runs as root"),
]  # fmt: skip


@pytest.mark.parametrize(("id_", "name", "change", "policy", "says"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_a_broken_variant_is_caught(
    id_: str, name: str, change: Callable[[dict[str, Any]], Any], policy: str, says: str
) -> None:
    violations = [
        v for v in run_policies(broken(name, change), load_pack_config("dev")) if v.policy == policy
    ]
    assert violations, f"{id_}: {policy} did not fire"
    assert any(says in v.message for v in violations), [v.message for v in violations]
    assert all(v.mandatory for v in violations)
