"""Service labels: written from the stack settings, read back to the same rules."""

from __future__ import annotations

import json

import pytest

from autoscaler.labels import (
    BEHAVIOR_LABEL,
    MAX_REPLICAS_LABEL,
    MIN_REPLICAS_LABEL,
    TARGET_LABELS,
    LabelError,
    decode,
    encode,
    is_autoscaled,
)
from autoscaler.settings_source import service_rules, stack_rules
from autoscaler.spec import behavior_to_api
from components.hpa_behavior import hpa_behavior
from components.settings import load_settings
from tests.support.stacks import stack_config


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_labels_carry_exactly_the_rules_the_settings_state(stack: str) -> None:
    settings = load_settings(stack_config(stack), stack)
    for name, rules in stack_rules(settings).items():
        labels = encode(rules)
        assert is_autoscaled(labels)
        assert decode(labels) == rules
        bounds = settings.cdn if name == "cdn" else settings.services[name]
        assert (rules.spec.min_replicas, rules.spec.max_replicas) == (
            bounds.min_replicas,
            bounds.max_replicas,
        )


def test_behavior_is_the_kubernetes_hpa_behavior_of_the_same_settings() -> None:
    settings = load_settings(stack_config("production"), "production")
    rules = service_rules(settings, "api-gateway")
    # The HPA manifest on Kubernetes and the Swarm label hold the same object.
    assert rules.spec.behavior is not None
    assert behavior_to_api(rules.spec.behavior) == hpa_behavior(settings.scaling)
    assert json.loads(encode(rules)[BEHAVIOR_LABEL]) == hpa_behavior(settings.scaling)
    targets = {m.metric: m.target for m in rules.spec.metrics}
    assert targets["cpu"] == settings.scaling.scale_up.cpu_percent
    assert targets["memory"] == settings.scaling.scale_up.memory_percent
    assert ("response_time" in targets) == settings.scaling.custom_metrics


def test_missing_behavior_label_means_an_hpa_without_behavior() -> None:
    labels = {MIN_REPLICAS_LABEL: "2", MAX_REPLICAS_LABEL: "4", TARGET_LABELS["cpu"]: "70"}
    rules = decode(labels)
    assert rules.spec.behavior is None
    assert BEHAVIOR_LABEL not in encode(rules)
    # An empty object is a behavior with every field defaulted by the API.
    defaulted = decode({**labels, BEHAVIOR_LABEL: "{}"}).spec.behavior
    assert defaulted is not None and defaulted.scale_down.stabilization_window_seconds == 300
    assert defaulted.scale_up.select_policy == "Max"


def test_a_per_direction_tolerance_round_trips() -> None:
    behavior = {"scaleDown": {"tolerance": "50m"}, "scaleUp": {"tolerance": 0.02}}
    rules = decode(
        {
            MIN_REPLICAS_LABEL: "1",
            MAX_REPLICAS_LABEL: "4",
            TARGET_LABELS["cpu"]: "70",
            BEHAVIOR_LABEL: json.dumps(behavior),
        }
    )
    assert rules.spec.tolerances() == (0.05, 0.02)
    assert decode(encode(rules)).spec == rules.spec


def test_every_bad_label_is_named_at_once() -> None:
    with pytest.raises(LabelError) as error:
        decode(
            {
                MIN_REPLICAS_LABEL: "two",
                TARGET_LABELS["cpu"]: "x",
                BEHAVIOR_LABEL: "{not json",
            }
        )
    message = str(error.value)
    for fragment in ("min-replicas='two'", "max-replicas: missing", "cpu-percent='x'", "autoscale.behavior"):
        assert fragment in message


def test_rules_the_hpa_api_would_refuse_are_refused() -> None:
    behavior = {
        "scaleUp": {
            "selectPolicy": "Fastest",
            "policies": [{"type": "Pods", "value": 0, "periodSeconds": 15}],
        }
    }
    with pytest.raises(LabelError) as error:
        decode(
            {
                MIN_REPLICAS_LABEL: "5",
                MAX_REPLICAS_LABEL: "3",
                TARGET_LABELS["cpu"]: "70",
                BEHAVIOR_LABEL: json.dumps(behavior),
            }
        )
    message = str(error.value)
    assert "maxReplicas 3" in message and "selectPolicy 'Fastest'" in message and "value 0" in message


def test_a_service_without_the_autoscale_label_is_not_managed() -> None:
    assert not is_autoscaled({MIN_REPLICAS_LABEL: "2", MAX_REPLICAS_LABEL: "4"})
