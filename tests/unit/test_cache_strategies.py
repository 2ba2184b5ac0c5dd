from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from cache_manager.strategies import Store, Strategy, strategies_from_settings, strategies_in
from components.settings.cache import CacheClientSettings, CacheTtlSettings


def test_the_seed_ttls_come_from_the_stack_settings() -> None:
    strategies = strategies_from_settings(CacheTtlSettings(), 10)
    assert {name: s.ttl_seconds for name, s in strategies.items()} == {
        "product": 1800,
        "price": 300,
        "search": 600,
        "session": 86400,
        "recommendations": 1800,
    }
    assert strategies["session"].store is Store.SESSIONS
    assert {s.store for name, s in strategies.items() if name != "session"} == {Store.CLUSTER}


def test_configured_ttls_are_used() -> None:
    strategies = strategies_from_settings(CacheTtlSettings(product=60), 10)
    assert strategies["product"].ttl_seconds == 60


def test_jitter_stays_in_bounds_and_spreads_expiries() -> None:
    product = strategies_from_settings(CacheTtlSettings(), 10)["product"]
    assert product.expiry_bounds() == (1620, 1980)
    rng = random.Random(7)
    expiries = [product.expiry(rng) for _ in range(2000)]
    assert min(expiries) >= 1620
    assert max(expiries) <= 1980
    assert len(set(expiries)) > 200  # keys written together expire apart
    assert min(expiries) < 1700
    assert max(expiries) > 1900


def test_sessions_are_not_jittered() -> None:
    session = strategies_from_settings(CacheTtlSettings(), 10)["session"]
    assert {session.expiry(random.Random(n)) for n in range(50)} == {86400}


def test_zero_jitter_is_exact() -> None:
    price = strategies_from_settings(CacheTtlSettings(), 0)["price"]
    assert price.expiry(random.Random(1)) == 300
    assert price.expiry_bounds() == (300, 300)


@pytest.mark.parametrize(
    ("field", "value"),
    [("maxValueBytes", 0), ("ttlJitterPercent", 60), ("keyPrefix", "Bad Prefix"), ("schemaVersion", 0)],
)
def test_client_settings_are_validated(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        CacheClientSettings.model_validate({field: value})


def test_the_strategies_of_each_store() -> None:
    assert strategies_in(Store.CLUSTER) == ("product", "price", "search", "recommendations")
    assert strategies_in(Store.SESSIONS) == ("session",)


def test_a_short_ttl_never_jitters_below_one_second() -> None:
    tiny = Strategy("tiny", 1, 0.5, Store.CLUSTER)
    assert tiny.expiry_bounds() == (1, 2)
    assert min(tiny.expiry(random.Random(n)) for n in range(200)) == 1
