"""What holds data is protected in production, and what happens to the data volumes (finding 3)."""

from __future__ import annotations

from components.settings import PROJECT, load_settings
from preview.synth import Synthesis, synthesize
from tests.support.stacks import stack_config

# Losing any of these loses data or locks every client out.
GUARDED = {
    ("kubernetes:core/v1:Namespace", "namespace-namespace"),
    ("kubernetes:apps/v1:StatefulSet", "redis-cluster"),
    ("kubernetes:apps/v1:StatefulSet", "redis-sessions"),
    ("kubernetes:apps/v1:StatefulSet", "redis-sessions-sentinel"),
    ("kubernetes:core/v1:Secret", "redis-credentials"),
    ("random:index/randomPassword:RandomPassword", "redis-credentials-admin"),
    ("random:index/randomPassword:RandomPassword", "redis-credentials-app"),
    ("random:index/randomPassword:RandomPassword", "redis-credentials-metrics"),
}


def protected(synthesis: Synthesis) -> set[tuple[str, str]]:
    return {(r.type, r.name) for r in synthesis.resources if r.protect}


def retained(synthesis: Synthesis) -> set[tuple[str, str]]:
    return {(r.type, r.name) for r in synthesis.resources if r.retain_on_delete}


def claim_policies(synthesis: Synthesis) -> dict[str, object]:
    return {
        r.name: r.inputs["spec"].get("persistentVolumeClaimRetentionPolicy")
        for r in synthesis.of_type("kubernetes:apps/v1:StatefulSet")
    }


def test_production_protects_and_retains_exactly_what_holds_data(any_synthesis: Synthesis) -> None:
    expected = GUARDED if any_synthesis.stack == "production" else set()
    assert protected(any_synthesis) == expected
    assert retained(any_synthesis) == expected


def test_data_volumes_are_kept_except_in_review_stacks(any_synthesis: Synthesis) -> None:
    policy = "Delete" if any_synthesis.stack.startswith("pr-") else "Retain"
    assert claim_policies(any_synthesis) == {
        "redis-cluster": {"whenDeleted": policy, "whenScaled": policy},
        "redis-sessions": {"whenDeleted": policy, "whenScaled": policy},
        # The Sentinels' small volume keeps their state (id, epochs, known peers) across restarts.
        "redis-sessions-sentinel": {"whenDeleted": policy, "whenScaled": policy},
    }


def test_the_protection_is_a_stack_setting() -> None:
    settings = load_settings({f"{PROJECT}:protection": '{"protect": false}'}, "production").protection
    # What is not given keeps the environment's default.
    assert (settings.protect, settings.retain_on_delete, settings.volume_claim_retention) == (
        False,
        True,
        "Retain",
    )
    config = {
        **stack_config("staging"),
        f"{PROJECT}:protection": '{"protect": true, "volumeClaimRetention": "Delete"}',
    }
    staging = synthesize("staging", config)
    assert protected(staging) == GUARDED and retained(staging) == set()
    assert claim_policies(staging)["redis-cluster"] == {"whenDeleted": "Delete", "whenScaled": "Delete"}
