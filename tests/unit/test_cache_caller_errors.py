"""The caller's mistakes, named exactly, before anything is sent (no store needs to run)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cache_manager import (
    CacheError,
    DistributedCacheManager,
    DuplicateIdError,
    SerializationError,
    UnknownStrategyError,
)
from tests.support.ports import free_port


@pytest.fixture
def manager() -> Iterator[DistributedCacheManager]:
    with DistributedCacheManager.from_url(f"redis://127.0.0.1:{free_port()}") as manager:
        yield manager


def message(error: pytest.ExceptionInfo[CacheError]) -> str:
    return str(error.value)


def test_ids_given_twice_to_mset_are_all_named(manager: DistributedCacheManager) -> None:
    with pytest.raises(DuplicateIdError) as error:
        manager.mset([("p-1", 1), (8, 2), ("p-1", 3), ("8", 4), ("p-2", 5)])
    assert message(error) == (
        "mset got product ids 'p-1', '8' more than once: each entry may be given one value"
    )


def test_batches_name_the_strategies_they_support(manager: DistributedCacheManager) -> None:
    with pytest.raises(UnknownStrategyError) as error:
        manager.mget(["s-1"], strategy="session")
    assert message(error) == "batches support the strategies product, price, recommendations, not 'session'"


def test_a_value_that_cannot_be_stored_is_named_with_its_entry(manager: DistributedCacheManager) -> None:
    with pytest.raises(SerializationError) as search:
        manager.cache_search_results("laptop", {"since": {1, 2}})
    assert message(search).startswith("search results for 'laptop': cannot serialise dict: ")
    with pytest.raises(SerializationError) as batch:
        manager.mset({"p-1": 1, "p-2": {3}})
    assert message(batch).startswith("product p-2: cannot serialise set: ")


def test_sessions_need_a_manager_built_with_sentinels(manager: DistributedCacheManager) -> None:
    with pytest.raises(CacheError) as error:
        manager.get_session("s-1")
    assert message(error) == "this manager has no sessions store: build it with a Sentinel address"


def test_an_unknown_strategy_is_named_with_the_known_ones(manager: DistributedCacheManager) -> None:
    with pytest.raises(UnknownStrategyError) as error:
        manager.get_or_load("carts", "c-1", lambda: {})
    assert (
        message(error) == "unknown strategy 'carts'; known: product, price, search, session, recommendations"
    )
