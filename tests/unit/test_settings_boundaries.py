"""Each cross-field rule of the stack settings at its boundary.

The value just allowed loads; the value just past it is refused with the key that is wrong.
(Pydantic validators are decorated functions, which mutation tools leave alone, so these
boundaries are pinned here by hand.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.settings import PROJECT, Settings, SettingsError, load_settings
from components.settings.cdn import keys_zone_mb
from tests.support.stacks import stack_config


def merged(base: Any, change: Any) -> Any:
    if isinstance(base, dict) and isinstance(change, dict):
        return {**base, **{key: merged(base.get(key), value) for key, value in change.items()}}
    return change


def staging_with(**sections: Any) -> dict[str, str]:
    """Staging's config with each named top-level section deep-merged with a change."""
    config = stack_config("staging")
    for section, change in sections.items():
        key = f"{PROJECT}:{section}"
        current = json.loads(config[key]) if key in config else {}
        config[key] = json.dumps(merged(current, change))
    return config


def load(**sections: Any) -> Settings:
    return load_settings(staging_with(**sections), "staging")


def refusal(**sections: Any) -> str:
    """The one problem the change causes."""
    with pytest.raises(SettingsError) as raised:
        load(**sections)
    (problem,) = raised.value.problems
    return str(problem)


def service(name: str, **fields: Any) -> dict[str, Any]:
    return {name: fields}


def test_a_service_may_run_a_fixed_number_of_replicas() -> None:
    settings = load(services=service("order-service", minReplicas=3, maxReplicas=3))
    assert (
        settings.services["order-service"].min_replicas,
        settings.services["order-service"].max_replicas,
    ) == (
        3,
        3,
    )
    assert refusal(services=service("order-service", minReplicas=3, maxReplicas=2)) == (
        f"{PROJECT}:services.order-service.maxReplicas = 2: must be >= minReplicas (3)"
    )


def test_liveness_and_readiness_must_probe_different_paths() -> None:
    probes = {"readiness": "/ready", "liveness": "/alive"}
    assert load(services=service("frontend", probes=probes)).services["frontend"].probes.liveness == "/alive"
    assert refusal(services=service("frontend", probes={"readiness": "/health", "liveness": "/health"})) == (
        f"{PROJECT}:services.frontend.probes.liveness = '/health': must differ from the readiness path"
    )


def test_requests_may_equal_limits_in_any_notation() -> None:
    equal = {"requests": {"cpu": "0.5", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "268435456"}}
    resources = load(services=service("api-gateway", resources=equal)).services["api-gateway"].resources
    assert (resources.requests.cpu, resources.limits.memory) == ("0.5", "268435456")


@pytest.mark.parametrize(
    "requests, key, value, limit",
    [
        ({"cpu": "501m", "memory": "128Mi"}, "cpu", "'501m'", "500m"),
        ({"cpu": "100m", "memory": "257Mi"}, "memory", "'257Mi'", "256Mi"),
    ],
)
def test_requests_above_limits_name_the_quantity(
    requests: dict[str, str], key: str, value: str, limit: str
) -> None:
    resources = {"requests": requests, "limits": {"cpu": "500m", "memory": "256Mi"}}
    assert refusal(services=service("api-gateway", resources=resources)) == (
        f"{PROJECT}:services.api-gateway.resources.requests.{key} = {value}: "
        f"must not exceed limits.{key} ({limit})"
    )


@pytest.mark.parametrize(
    "threshold, up",
    [("cpuPercent", 70), ("memoryPercent", 80), ("responseTimeMs", 2000)],
)
def test_every_scale_down_threshold_sits_below_its_scale_up_threshold(threshold: str, up: int) -> None:
    just_below = load(scaling={"scaleDown": {threshold: up - 1}}).scaling.scale_down
    assert up - 1 in (just_below.cpu_percent, just_below.memory_percent, just_below.response_time_ms)
    assert refusal(scaling={"scaleDown": {threshold: up}}) == (
        f"{PROJECT}:scaling.scaleDown.{threshold} = {up}: "
        f"must be below scaleUp.{threshold} ({up}) so scaling has hysteresis"
    )


def test_a_service_may_take_exactly_the_scale_up_budget() -> None:
    # Staging's api-gateway: 2 -> 4 replicas is one sync period to notice plus one step (+4 pods).
    assert load(scaling={"maxScaleUpSeconds": 30}).scaling.max_scale_up_seconds == 30
    problem = refusal(scaling={"maxScaleUpSeconds": 29})
    assert problem.startswith(
        f"{PROJECT}:services.api-gateway.maxReplicas = 4: cannot be reached from minReplicas (2) within "
        "scaling.maxScaleUpSeconds (29 s) with scaling.scaleUpBehavior: worst case 30 s"
    )


def test_the_cdn_may_run_a_fixed_number_of_replicas() -> None:
    cdn = load(cdn={"minReplicas": 4, "maxReplicas": 4}).cdn
    assert (cdn.min_replicas, cdn.max_replicas) == (4, 4)
    assert refusal(cdn={"minReplicas": 4, "maxReplicas": 3}) == (
        f"{PROJECT}:cdn.maxReplicas = 3: must be >= minReplicas (4)"
    )


@pytest.mark.parametrize(
    "ports, key, value, message",
    [
        ({"statusPort": 9113}, "statusPort", 9113, "must differ from port and exporterPort"),
        ({"statusPort": 8080}, "statusPort", 8080, "must differ from port and exporterPort"),
        ({"exporterPort": 8080}, "exporterPort", 8080, "must differ from port"),
    ],
)
def test_the_cdn_ports_are_three_different_ports(
    ports: dict[str, int], key: str, value: int, message: str
) -> None:
    assert refusal(cdn=ports) == f"{PROJECT}:cdn.{key} = {value}: {message}"


def test_the_cdn_shared_memory_may_take_half_the_memory_limit() -> None:
    shared_mb = keys_zone_mb(200_000) + 2 * 10  # the default expected keys and rate-limit zone

    def limited_to(memory: str) -> dict[str, Any]:
        resources = {"requests": {"cpu": "100m", "memory": "8Mi"}, "limits": {"cpu": "1", "memory": memory}}
        return {"expectedKeys": 200_000, "resources": resources}

    assert load(cdn=limited_to(f"{2 * shared_mb}Mi")).cdn.expected_keys == 200_000
    assert refusal(cdn=limited_to(f"{2 * shared_mb - 1}Mi")).startswith(
        f"{PROJECT}:cdn.expectedKeys = 200000: needs {shared_mb} MiB of shared memory"
    )


@pytest.mark.parametrize(
    "tls, key, message",
    [
        ({"source": "certManager"}, "issuer", "is required with source certManager"),
        ({"source": "originCa", "issuer": None}, "certificate", "is required with source originCa"),
    ],
)
def test_a_tls_source_needs_what_it_signs_with(tls: dict[str, Any], key: str, message: str) -> None:
    config = staging_with()
    cdn = json.loads(config[f"{PROJECT}:cdn"])
    cdn["exposure"]["tls"] = tls
    config[f"{PROJECT}:cdn"] = json.dumps(cdn)
    with pytest.raises(SettingsError) as raised:
        load_settings(config, "staging")
    assert any(
        str(problem).startswith(f"{PROJECT}:cdn.exposure.tls.{key} = None: {message}")
        for problem in raised.value.problems
    ), raised.value.problems


def test_an_ingress_needs_tls() -> None:
    config = staging_with()
    cdn = json.loads(config[f"{PROJECT}:cdn"])
    del cdn["exposure"]["tls"]
    config[f"{PROJECT}:cdn"] = json.dumps(cdn)
    with pytest.raises(SettingsError) as raised:
        load_settings(config, "staging")
    assert [str(problem) for problem in raised.value.problems] == [
        f"{PROJECT}:cdn.exposure.tls = None: is required with type ingress: "
        "{source: certManager, issuer: ...} or originCa"
    ]


def test_the_quorum_may_need_every_sentinel() -> None:
    assert load(redis={"sentinel": {"sentinels": 3, "quorum": 3}}).redis.sentinel.quorum == 3
    assert refusal(redis={"sentinel": {"sentinels": 3, "quorum": 4}}).startswith(
        f"{PROJECT}:redis.sentinel.quorum = 4: cannot exceed sentinels (3)"
    )


def test_a_failover_timeout_one_millisecond_past_down_after_is_enough() -> None:
    timing = {"downAfterMs": 5000, "failoverTimeoutMs": 5001}
    assert load(redis={"sentinel": timing}).redis.sentinel.failover_timeout_ms == 5001


@pytest.mark.parametrize("group", ["cluster", "sentinel"])
def test_maxmemory_may_take_what_the_limit_leaves_after_the_process_buffers_and_forks(group: str) -> None:
    # Staging's 512Mi limit: (512 - 32 process - 32 buffers) / 1.25 for copy-on-write = 358.4.
    assert getattr(load(redis={group: {"maxmemoryMb": 358}}).redis, group).maxmemory_mb == 358
    assert refusal(redis={group: {"maxmemoryMb": 359}}).startswith(
        f"{PROJECT}:redis.{group}.maxmemoryMb = 359: must leave room for the process, replication buffers "
        "and forks within redis.resources.limits.memory 512Mi: at most 358 fits a 512 MiB limit"
    )
