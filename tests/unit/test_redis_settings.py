"""Redis settings: defaults from the seed, and errors that name the key to change."""

from __future__ import annotations

import json

import pytest

from components.settings import SettingsError, load_settings


def problems(redis: dict) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        load_settings({"technovastore-scaling:redis": json.dumps(redis)}, "staging")
    return [str(problem) for problem in raised.value.problems]


def test_defaults_are_the_seed_topology() -> None:
    redis = load_settings({}, "staging").redis
    assert (redis.cluster.masters, redis.cluster.replicas_per_master) == (3, 1)
    assert (redis.sentinel.sentinels, redis.sentinel.quorum, redis.sentinel.data_nodes) == (3, 2, 3)
    assert redis.persistence


def test_maxmemory_must_leave_room_in_the_container() -> None:
    (problem,) = problems({"cluster": {"maxmemoryMb": 1000}})
    assert problem.startswith("technovastore-scaling:redis.cluster.maxmemoryMb = 1000: must leave room")
    assert "at most 742 fits a 1024 MiB limit" in problem


def test_quorum_cannot_exceed_the_sentinels() -> None:
    (problem,) = problems({"sentinel": {"quorum": 4}})
    assert problem.startswith("technovastore-scaling:redis.sentinel.quorum = 4: cannot exceed sentinels (3)")


def test_failover_timeout_must_outlast_down_after() -> None:
    (problem,) = problems({"sentinel": {"downAfterMs": 5000, "failoverTimeoutMs": 5000}})
    assert problem == (
        "technovastore-scaling:redis.sentinel.failoverTimeoutMs = 5000: "
        "must be longer than downAfterMs (5000)"
    )


def test_unknown_policy_and_too_few_masters_are_reported_together() -> None:
    found = problems({"cluster": {"masters": 2, "maxmemoryPolicy": "lru"}})
    assert len(found) == 2
    assert any(p.startswith("technovastore-scaling:redis.cluster.masters = 2") for p in found)
    assert any(p.startswith("technovastore-scaling:redis.cluster.maxmemoryPolicy = 'lru'") for p in found)


PREFIX = "technovastore-scaling:"


SECRETS = {f"{PREFIX}redisPassword", f"{PREFIX}redisPreviousPassword"}


def rotation_problems(config: dict[str, object]) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        load_settings(
            {f"{PREFIX}{key}": json.dumps(value) for key, value in config.items()},
            "staging",
            secret_keys=SECRETS,
        )
    return [str(problem) for problem in raised.value.problems]


def test_a_rotation_phase_needs_both_passwords_and_the_acknowledgement() -> None:
    (problem,) = rotation_problems({"redis": {"passwordRotation": "accept-new"}, "redisPassword": "new"})
    assert problem.startswith("technovastore-scaling:redis.passwordRotation = 'accept-new': needs both")
    assert "redisPreviousPassword" in problem
    assert "acknowledge 'rotate:Secret/redis-credentials'" in problem


def test_a_previous_password_without_a_rotation_is_refused_without_showing_it() -> None:
    (problem,) = rotation_problems({"redisPreviousPassword": "old-hunter2"})
    assert "redisPreviousPassword" in problem and "redis.passwordRotation" in problem
    assert "hunter2" not in problem


def test_a_plaintext_previous_password_is_refused() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({f"{PREFIX}redisPreviousPassword": "old-hunter2"}, "staging")
    assert any("redisPreviousPassword: must be a secret" in str(p) for p in raised.value.problems)
    assert all("hunter2" not in str(p) for p in raised.value.problems)


def test_a_complete_rotation_phase_is_accepted() -> None:
    settings = load_settings(
        {
            "technovastore-scaling:redis": json.dumps({"passwordRotation": "use-new"}),
            "technovastore-scaling:redisPassword": "new",
            "technovastore-scaling:redisPreviousPassword": "old",
            "technovastore-scaling:acknowledge": json.dumps(["rotate:Secret/redis-credentials"]),
        },
        "staging",
        secret_keys=SECRETS,
    )
    assert settings.redis.password_rotation == "use-new"
