"""The real swarm stack through the policy pack: clean as declared, and each Swarm rule fires on a
broken variant of it with a message that says what to change."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from policies.offline import load_pack_config, run_policies
from preview.synth import DeclaredResource, Synthesis
from tests.policies.builders import engine_proxies
from tests.support.stacks import synthesize_stack

SERVICE = "docker:index/service:Service"
_SWARM: list[Synthesis] = []


def swarm() -> Synthesis:
    if not _SWARM:
        _SWARM.append(synthesize_stack("swarm"))
    return _SWARM[0]


def broken(name: str, change: Callable[[dict[str, Any]], Any]) -> list[DeclaredResource]:
    """The swarm stack with the inputs of the Swarm service ``name`` changed."""
    result = []
    for resource in swarm().resources:
        if resource.name == name and resource.type == SERVICE:
            inputs = copy.deepcopy(resource.inputs)
            change(inputs)
            resource = replace(resource, inputs=inputs)
        result.append(resource)
    assert any(r.name == name and r.type == SERVICE for r in result), name
    return result


def set_container(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda inputs: inputs["taskSpec"]["containerSpec"].__setitem__(key, value)


def test_the_swarm_stack_has_no_violation() -> None:
    violations = run_policies(swarm().resources, load_pack_config("swarm"))
    assert [str(v) for v in violations] == []


def test_the_swarm_rules_saw_every_service() -> None:
    """Guard against a vacuous pass: with no health checks anywhere, every long-running service fails."""
    services = [r for r in swarm().resources if r.type == SERVICE]
    stripped = [
        replace(r, inputs={**r.inputs, "taskSpec": {**r.inputs["taskSpec"], "containerSpec": {"image": "x"}}})
        if r in services
        else r
        for r in swarm().resources
    ]
    flagged = {v.message.split(":")[0] for v in run_policies(stripped, {}) if v.policy == "swarm-healthcheck"}
    # All but the one-shot bootstrap and the two exporters Prometheus' scrape watches.
    assert len(flagged) == len(services) - 3
    assert not any("redis-exporter" in name or "cdn-metrics" in name for name in flagged)


def test_engine_style_proxied_props_give_the_same_verdicts() -> None:
    variant = broken("frontend", set_container("env", {"REDIS_PASSWORD": "hunter2hunter2"}))
    assert run_policies(engine_proxies(variant), {}) == run_policies(variant, {})


VARIANTS = [
    (
        "literal-password",
        "api-gateway",
        set_container("env", {"REDIS_PASSWORD": "s3cr3t-value-here"}),
        "swarm-no-literal-secrets",
        "mount a Swarm secret",
    ),
    (
        "no-limits",
        "product-service",
        lambda i: i["taskSpec"]["resources"].pop("limits"),
        "swarm-limits-and-reservations",
        "sets no limits",
    ),
    (
        "no-healthcheck",
        "cdn",
        lambda i: i["taskSpec"]["containerSpec"].pop("healthcheck"),
        "swarm-healthcheck",
        "has no health check",
    ),
    (
        "exporter-without-health-label",
        "redis-exporter",
        lambda i: i.update(labels=[x for x in i["labels"] if x["label"] != "technovastore.io/health-from"]),
        "swarm-healthcheck",
        "labelled technovastore.io/health-from=prometheus-scrape",
    ),
    (
        "no-rollback",
        "order-service",
        lambda i: i["updateConfig"].update(failureAction="pause"),
        "swarm-update-and-rollback",
        "must be 'rollback'",
    ),
    (
        "redis-published",
        "redis-cluster-0",
        lambda i: i["endpointSpec"].update(ports=[{"targetPort": 6379, "publishedPort": 6379}]),
        "swarm-redis-not-published",
        "Redis stays inside the overlay network",
    ),
    (
        "replicas-above-max",
        "frontend",
        lambda i: i["mode"]["replicated"].update(replicas=99),
        "swarm-replicas-within-bounds",
        "outside its bounds",
    ),
]


@pytest.mark.parametrize(
    ("id_", "service", "change", "policy", "says"), VARIANTS, ids=[v[0] for v in VARIANTS]
)
def test_a_broken_variant_is_caught(
    id_: str, service: str, change: Callable[[dict[str, Any]], Any], policy: str, says: str
) -> None:
    config = load_pack_config("swarm")
    violations = [v for v in run_policies(broken(service, change), config) if v.policy == policy]
    assert violations, f"{id_}: {policy} did not fire"
    assert any(says in v.message for v in violations), [v.message for v in violations]
    assert all(v.mandatory for v in violations)
