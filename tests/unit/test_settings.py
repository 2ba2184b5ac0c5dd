"""Stack settings: defaults from the seed, and every kind of bad config reported precisely."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components.quantities import cpu_millicores, memory_bytes
from components.settings import PROJECT, SettingsError, load_settings
from preview.synth import synthesize
from tests.support.stacks import STACKS, stack_config


def staging_services() -> dict[str, Any]:
    return json.loads(stack_config("staging")[f"{PROJECT}:services"])


def with_service_change(service: str, **fields: Any) -> dict[str, str]:
    services = staging_services()
    services[service].update(fields)
    return {**stack_config("staging"), f"{PROJECT}:services": json.dumps(services)}


def errors_for(config: dict[str, str], stack: str = "staging") -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(config, stack)
    return str(caught.value)


def test_defaults_are_the_seeds() -> None:
    settings = load_settings({}, "production")
    assert settings.namespace == "technovastore-production"
    assert (settings.scaling.scale_up.cpu_percent, settings.scaling.scale_up.memory_percent) == (70, 80)
    assert settings.scaling.scale_up.response_time_ms == 2000
    assert (settings.scaling.scale_down.cpu_percent, settings.scaling.scale_down.memory_percent) == (30, 40)
    assert settings.scaling.scale_down.response_time_ms == 500
    limits = {name: (s.min_replicas, s.max_replicas) for name, s in settings.services.items()}
    assert limits == {
        "api-gateway": (2, 10),
        "product-service": (2, 8),
        "order-service": (2, 6),
        "frontend": (2, 6),
    }
    ttl = settings.cache_ttl
    assert (ttl.product, ttl.price, ttl.search, ttl.session, ttl.recommendations) == (
        1800,
        300,
        600,
        86400,
        1800,
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_files_are_valid(stack: str) -> None:
    settings = load_settings(stack_config(stack), stack)
    assert settings.stack == stack and settings.environment == stack


def test_staging_differs_from_production_only_by_smaller_numbers() -> None:
    production = load_settings(stack_config("production"), "production")
    staging = load_settings(stack_config("staging"), "staging")
    assert production.services.keys() == staging.services.keys()
    for name, prod in production.services.items():
        small = staging.services[name]
        assert small.min_replicas <= prod.min_replicas
        assert small.max_replicas <= prod.max_replicas
        for kind in ("requests", "limits"):
            small_q, prod_q = getattr(small.resources, kind), getattr(prod.resources, kind)
            assert cpu_millicores(small_q.cpu) <= cpu_millicores(prod_q.cpu), (name, kind)
            assert memory_bytes(small_q.memory) <= memory_bytes(prod_q.memory), (name, kind)
        numbers = {"min_replicas", "max_replicas", "resources"}
        assert small.model_dump(exclude=numbers) == prod.model_dump(exclude=numbers), name


def test_review_stacks_are_review_environments() -> None:
    assert load_settings(stack_config("staging"), "pr-42").environment == "review"


def test_an_unknown_stack_name_is_refused() -> None:
    assert "stack must be 'production', 'staging' or 'pr-<number>'" in errors_for({}, "prod")


def test_provider_keys_other_than_the_cluster_are_left_to_their_providers() -> None:
    foreign = {
        "cloudflare:apiToken": "x",
        "random:anything": "y",
        "pulumi:disable-default-providers": '["kubernetes"]',
    }
    # (The token as a secret: in plain text it is refused, tests/unit/test_config_strictness.py.)
    secret = {"cloudflare:apiToken"}
    assert load_settings(foreign, "staging", secret_keys=secret) == load_settings({}, "staging")


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param(
            with_service_change("order-service", minReplicas=3, maxReplicas=1),
            f"{PROJECT}:services.order-service.maxReplicas = 1: must be >= minReplicas (3)",
            id="min-above-max",
        ),
        pytest.param(
            with_service_change("frontend", minReplicas=0),
            f"{PROJECT}:services.frontend.minReplicas = 0: Input should be greater than or equal to 1",
            id="min-below-one",
        ),
        pytest.param(
            {
                f"{PROJECT}:scaling": json.dumps(
                    {"scaleDown": {"cpuPercent": 70, "memoryPercent": 40, "responseTimeMs": 500}}
                )
            },
            f"{PROJECT}:scaling.scaleDown.cpuPercent = 70: must be below scaleUp.cpuPercent (70)",
            id="scale-down-not-below-scale-up",
        ),
        pytest.param(
            {
                f"{PROJECT}:scaling": json.dumps(
                    {"scaleUp": {"cpuPercent": 70, "memoryPercent": 150, "responseTimeMs": 2000}}
                )
            },
            f"{PROJECT}:scaling.scaleUp.memoryPercent = 150: Input should be less than or equal to 100",
            id="percent-above-100",
        ),
        pytest.param(
            {
                f"{PROJECT}:scaling": json.dumps(
                    {"scaleDown": {"cpuPercent": 0, "memoryPercent": 40, "responseTimeMs": 500}}
                )
            },
            f"{PROJECT}:scaling.scaleDown.cpuPercent = 0: Input should be greater than or equal to 1",
            id="percent-below-1",
        ),
        pytest.param(
            with_service_change("order-service", maxReplica=4),
            f"{PROJECT}:services.order-service.maxReplica = 4: is not a known setting (check the spelling)",
            id="typo-in-service",
        ),
        pytest.param(
            {f"{PROJECT}:namepsace": "shop"},
            # Never echoed: a misspelt top-level key may be a misspelt secret.
            f"{PROJECT}:namepsace: is not a known setting (check the spelling)",
            id="typo-top-level",
        ),
        pytest.param(
            {f"{PROJECT}:cacheTtl": json.dumps({"price": 0})},
            f"{PROJECT}:cacheTtl.price = 0: Input should be greater than 0",
            id="zero-ttl",
        ),
        pytest.param(
            {f"{PROJECT}:cacheTtl": json.dumps({"session": -5})},
            f"{PROJECT}:cacheTtl.session = -5: Input should be greater than 0",
            id="negative-ttl",
        ),
        pytest.param(
            with_service_change(
                "frontend",
                resources={
                    "requests": {"cpu": "1 core", "memory": "64Mi"},
                    "limits": {"cpu": "1", "memory": "1Gi"},
                },
            ),
            f"{PROJECT}:services.frontend.resources.requests.cpu = '1 core': '1 core' is not a CPU quantity",
            id="malformed-cpu",
        ),
        pytest.param(
            with_service_change(
                "frontend",
                resources={
                    "requests": {"cpu": "100m", "memory": "lots"},
                    "limits": {"cpu": "1", "memory": "1Gi"},
                },
            ),
            f"{PROJECT}:services.frontend.resources.requests.memory = 'lots': "
            "'lots' is not a memory quantity",
            id="malformed-memory",
        ),
        pytest.param(
            with_service_change(
                "frontend",
                resources={
                    "requests": {"cpu": "2", "memory": "64Mi"},
                    "limits": {"cpu": "1", "memory": "1Gi"},
                },
            ),
            f"{PROJECT}:services.frontend.resources.requests.cpu = '2': must not exceed limits.cpu (1)",
            id="request-above-limit",
        ),
        pytest.param(
            with_service_change("api-gateway", image="ghcr.io/technovastore/api-gateway:latest"),
            f"{PROJECT}:services.api-gateway.image = 'ghcr.io/technovastore/api-gateway:latest': image "
            "'ghcr.io/technovastore/api-gateway:latest' uses the mutable tag 'latest'",
            id="latest-tag",
        ),
        pytest.param(
            with_service_change("api-gateway", image="registry:5000/api-gateway"),
            f"{PROJECT}:services.api-gateway.image = 'registry:5000/api-gateway': image "
            "'registry:5000/api-gateway' has no tag or digest",
            id="registry-port-is-not-a-tag",
        ),
        pytest.param(
            {f"{PROJECT}:namespace": "Tech_Nova"},
            f"{PROJECT}:namespace = 'Tech_Nova': must be a DNS-1123 label",
            id="namespace-not-dns-1123",
        ),
        pytest.param(
            {f"{PROJECT}:services": json.dumps({"Order_Service": staging_services()["order-service"]})},
            f"{PROJECT}:services.Order_Service = 'Order_Service': the name must be a DNS-1123 label",
            id="service-name-not-dns-1123",
        ),
        pytest.param(
            with_service_change("order-service", port=70000),
            f"{PROJECT}:services.order-service.port = 70000: Input should be less than or equal to 65535",
            id="port-out-of-range",
        ),
        pytest.param(
            with_service_change("order-service", minReplicas="two"),
            f"{PROJECT}:services.order-service.minReplicas = 'two': Input should be a valid integer",
            id="wrong-type-number",
        ),
        pytest.param(
            {f"{PROJECT}:services": json.dumps([staging_services()["frontend"]])},
            f"{PROJECT}:services = [",
            id="wrong-type-list-for-mapping",
        ),
        pytest.param(
            with_service_change("order-service", tier="database"),
            f"{PROJECT}:services.order-service.tier = 'database': "
            "Input should be 'edge', 'gateway' or 'backend'",
            id="unknown-tier",
        ),
        pytest.param(
            {f"{PROJECT}:stack": "production"},
            f"{PROJECT}:stack = 'production': is derived from the stack name and cannot be set",
            id="derived-key",
        ),
    ],
)
def test_bad_config_names_key_value_and_expectation(config: dict[str, str], expected: str) -> None:
    message = errors_for(config)
    assert "Stack 'staging' has invalid settings" in message
    assert expected in message


def test_duplicate_service_names_are_reported() -> None:
    service = json.dumps(staging_services()["frontend"])
    text = f'{{"frontend": {service}, "order-service": {service}, "frontend": {service}}}'
    message = errors_for({f"{PROJECT}:services": text})
    assert f"{PROJECT}:services.frontend: is defined more than once" in message


def test_every_problem_is_reported_at_once() -> None:
    config = with_service_change("order-service", port=0)
    config[f"{PROJECT}:cacheTtl"] = json.dumps({"price": 0, "search": -1})
    config[f"{PROJECT}:namespace"] = "BAD"
    with pytest.raises(SettingsError) as caught:
        load_settings(config, "staging")
    paths = {problem.key_path for problem in caught.value.problems}
    assert paths == {"services.order-service.port", "cacheTtl.price", "cacheTtl.search", "namespace"}
    assert "(4 problems)" in str(caught.value)


def test_a_service_that_cannot_reach_max_in_60_seconds_is_refused() -> None:
    config = with_service_change("api-gateway", minReplicas=2, maxReplicas=40)
    message = errors_for(config)
    assert (
        f"{PROJECT}:services.api-gateway.maxReplicas = 40: cannot be reached from minReplicas (2)" in message
    )
    assert "worst case 75 s" in message


def test_bad_config_registers_no_resource(monitors: list[Any]) -> None:
    config = with_service_change("order-service", minReplicas=5, maxReplicas=1)
    with pytest.raises(SettingsError):
        synthesize("staging", config)
    assert len(monitors) == 1
    assert monitors[0].options == {}
    assert monitors[0].get_registered_resources() == {}


def test_settings_are_immutable() -> None:
    settings = load_settings(stack_config("staging"), "staging")
    with pytest.raises(Exception, match="frozen"):
        settings.namespace = "other"  # type: ignore[misc]
    assert copy.deepcopy(settings) == settings
