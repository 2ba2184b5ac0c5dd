"""The seed's cache strategies: which store holds a data class, for how long, with what jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from components.settings.cache import CacheTtlSettings


class Store(Enum):
    CLUSTER = "cluster"  # cache data, sharded
    SESSIONS = "sessions"  # Sentinel-managed primary: sessions must survive a node loss


@dataclass(frozen=True)
class Strategy:
    name: str
    ttl_seconds: int
    # Share of the TTL by which each write's expiry is moved (0 for sessions: a contract).
    jitter: float
    store: Store

    def expiry(self, rng: random.Random) -> int:
        """Seconds until this write expires: the TTL moved by up to +/- ``jitter`` of it."""
        if self.jitter == 0:
            return self.ttl_seconds
        spread = self.ttl_seconds * self.jitter
        return max(1, round(self.ttl_seconds + rng.uniform(-spread, spread)))

    def expiry_bounds(self) -> tuple[int, int]:
        spread = self.ttl_seconds * self.jitter
        return max(1, round(self.ttl_seconds - spread)), round(self.ttl_seconds + spread)


PRODUCT = "product"
PRICE = "price"
SEARCH = "search"
SESSION = "session"
RECOMMENDATIONS = "recommendations"


def strategies_from_settings(ttl: CacheTtlSettings, jitter_percent: int) -> dict[str, Strategy]:
    jitter = jitter_percent / 100
    return {
        PRODUCT: Strategy(PRODUCT, ttl.product, jitter, Store.CLUSTER),
        PRICE: Strategy(PRICE, ttl.price, jitter, Store.CLUSTER),
        SEARCH: Strategy(SEARCH, ttl.search, jitter, Store.CLUSTER),
        SESSION: Strategy(SESSION, ttl.session, 0.0, Store.SESSIONS),
        RECOMMENDATIONS: Strategy(RECOMMENDATIONS, ttl.recommendations, jitter, Store.CLUSTER),
    }


def strategies_in(store: Store) -> tuple[str, ...]:
    """The names of the strategies whose entries live in ``store``."""
    every = strategies_from_settings(CacheTtlSettings(), 0)
    return tuple(name for name, strategy in every.items() if strategy.store is store)
