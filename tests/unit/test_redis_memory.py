"""The one formula that shares a Redis container's memory limit out."""

from __future__ import annotations

import pytest

from components.redis_memory import BASE_MB, COPY_ON_WRITE_SHARE, redis_memory
from components.settings.redis import RedisSettings

GIB = 2**30


def test_a_1_gib_container_holds_742_mb_of_data_with_room_for_forks_and_replication() -> None:
    memory = redis_memory(GIB)
    assert memory.replication_mb == 64
    assert memory.maxmemory_mb == memory.budget_mb == 742
    assert memory.backlog_mb == 32
    # The audit's failure: maxmemory 768 in 1 GiB peaked at 888 MB in use (108 MB copied by
    # an AOF rewrite) and replica buffers sit outside maxmemory on top of that.
    assert memory.maxmemory_mb < 768


@pytest.mark.parametrize("limit", [256 * 2**20, 512 * 2**20, GIB, 4 * GIB, 16 * GIB])
def test_the_worst_case_peak_never_exceeds_the_limit(limit: int) -> None:
    memory = redis_memory(limit)
    copy_on_write = memory.maxmemory_mb * COPY_ON_WRITE_SHARE
    peak = BASE_MB + memory.replication_mb + memory.maxmemory_mb + copy_on_write
    assert peak <= memory.limit_mb
    # And the formula does not waste more than a MiB of it.
    assert memory.limit_mb - peak < 1 + COPY_ON_WRITE_SHARE + 1


def test_a_configured_maxmemory_is_kept_when_it_fits_and_refused_when_not() -> None:
    assert redis_memory(GIB, 500).maxmemory_mb == 500
    with pytest.raises(ValueError, match="at most 742 fits a 1024 MiB limit"):
        redis_memory(GIB, 743)


def test_a_limit_too_small_for_any_data_is_refused() -> None:
    with pytest.raises(ValueError, match="no room for data"):
        redis_memory(32 * 2**20)


def test_both_stores_are_sized_from_the_redis_container_limit() -> None:
    settings = RedisSettings.model_validate(
        {"resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}}
    )
    assert settings.memory(settings.cluster).maxmemory_mb == redis_memory(2 * GIB).maxmemory_mb
    assert settings.memory(settings.sentinel).maxmemory_mb == redis_memory(2 * GIB).maxmemory_mb
