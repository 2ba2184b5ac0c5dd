"""DistributedCacheManager: the seed's cache API over Redis Cluster (data) and Sentinel (sessions).

Two kinds of failure, two behaviours:
- the caller's mistakes (empty ids, None or values that cannot be serialised or are too large,
  an id given twice in one batch, unknown strategies) raise ``CacheError`` subclasses before
  anything is sent;
- the infrastructure's failures (a node down, a failover, a wrong password, a timeout, an error
  reply such as OOM or CLUSTERDOWN) never raise: reads are misses, writes are dropped, and both
  are counted in the metrics. A per-node circuit breaker stops calling a node that cannot be
  reached and probes it again later (``cache_manager.stores``).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry
from redis import Redis

from cache_manager import batching, invalidation, stampede
from cache_manager.circuit_breaker import BreakerBoard, BreakerState
from cache_manager.connections import (
    LazyCluster,
    StoreAddresses,
    addresses_from_env,
    addresses_from_urls,
    cluster_factory,
    sessions_client,
)
from cache_manager.errors import DuplicateIdError, UnknownStrategyError
from cache_manager.keys import KeyBuilder
from cache_manager.metrics import CacheMetrics
from cache_manager.serialization import DecodeError, Serializer, json_serializer
from cache_manager.stores import FAILED, GuardedStores
from cache_manager.strategies import (
    PRICE,
    PRODUCT,
    RECOMMENDATIONS,
    SEARCH,
    SESSION,
    Store,
    Strategy,
    strategies_from_settings,
)
from components.render.redis_layout import APP_USER
from components.settings.cache import CacheClientSettings, CacheTtlSettings
from components.settings.stack import Settings

T = TypeVar("T")
# Strategies whose entries are addressed by one id and need no side structures.
_BATCHABLE = (PRODUCT, PRICE, RECOMMENDATIONS)


class DistributedCacheManager:
    def __init__(
        self,
        addresses: StoreAddresses,
        *,
        ttl: CacheTtlSettings | None = None,
        client: CacheClientSettings | None = None,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ):
        client = client or CacheClientSettings()
        self.strategies: dict[str, Strategy] = strategies_from_settings(
            ttl or CacheTtlSettings(), client.ttl_jitter_percent
        )
        self.keys = KeyBuilder(client.key_prefix, client.schema_version)
        self.serializer: Serializer = json_serializer(client.max_value_bytes)
        self.metrics = CacheMetrics(registry)
        self.breakers = BreakerBoard(
            failure_threshold=client.breaker_failures,
            reset_timeout=client.breaker_reset_ms / 1000,
            clock=clock,
        )
        # Runs the per-node pipelines of a batch side by side (threads wait on sockets).
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cache-batch")
        self._stores = GuardedStores(
            LazyCluster(cluster_factory(addresses)),
            sessions_client(addresses),
            breakers=self.breakers,
            metrics=self.metrics,
            pool=self._pool,
        )
        self._rng = rng or random.Random()
        self._loads = stampede.Loads(self._stores, lock_ms=client.load_lock_ms)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_url(
        cls,
        cluster_url: str,
        sessions_url: str | None = None,
        *,
        settings: Settings | None = None,
        sentinel_username: str | None = None,
        sentinel_password: str | None = None,
        **kwargs: Any,
    ) -> DistributedCacheManager:
        """``redis://user:pass@host:port[,host:port]`` and ``redis+sentinel://.../<master>``."""
        client = settings.cache if settings else CacheClientSettings()
        addresses = addresses_from_urls(
            cluster_url,
            sessions_url,
            sentinel_username=sentinel_username,
            sentinel_password=sentinel_password,
            socket_timeout=client.socket_timeout_ms / 1000,
        )
        if settings is not None:
            kwargs.setdefault("ttl", settings.cache_ttl)
        return cls(addresses, client=client, **kwargs)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, settings: Settings | None = None, **kwargs: Any
    ) -> DistributedCacheManager:
        """From the REDIS_* variables the platform sets on services that use Redis."""
        client = settings.cache if settings else CacheClientSettings()
        addresses = addresses_from_env(
            os.environ if environ is None else environ, socket_timeout=client.socket_timeout_ms / 1000
        )
        if settings is not None:
            kwargs.setdefault("ttl", settings.cache_ttl)
        return cls(addresses, client=client, **kwargs)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        cluster_nodes: Sequence[tuple[str, int]],
        sentinels: Sequence[tuple[str, int]] = (),
        username: str | None = APP_USER,
        password: str | None = None,
        sessions_password: str | None = None,
        sentinel_password: str | None = None,
        **kwargs: Any,
    ) -> DistributedCacheManager:
        """TTLs, limits, prefixes and the Sentinel master name from the stack settings.

        ``sessions_password`` is for the Sentinel group's data nodes when it differs from the
        cluster's; ``sentinel_password`` for the Sentinels themselves (as the same user).
        """
        addresses = StoreAddresses(
            cluster_nodes=tuple(cluster_nodes),
            sentinels=tuple(sentinels),
            master_name=settings.redis.sentinel.master_name,
            username=username,
            password=password,
            sessions_password=sessions_password,
            sentinel_username=username if sentinel_password is not None else None,
            sentinel_password=sentinel_password,
            socket_timeout=settings.cache.socket_timeout_ms / 1000,
        )
        return cls(addresses, ttl=settings.cache_ttl, client=settings.cache, **kwargs)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._stores.close()

    def __enter__(self) -> DistributedCacheManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the seed's API -----------------------------------------------------------------------

    def cache_product(self, product_id: object, data: Any) -> bool:
        return self._write(PRODUCT, product_id, data)

    def get_product(self, product_id: object) -> Any | None:
        return self._read(PRODUCT, self.keys.product(product_id))

    def cache_price(self, product_id: object, price: Any) -> bool:
        return self._write(PRICE, product_id, price)

    def get_price(self, product_id: object) -> Any | None:
        return self._read(PRICE, self.keys.price(product_id))

    def cache_search_results(
        self,
        query: str,
        results: Any,
        *,
        filters: Mapping[str, Any] | None = None,
        product_ids: Iterable[object] | None = None,
    ) -> bool:
        """Store results under the normalised query, tagged with the products they contain.

        ``product_ids`` defaults to the ``id``/``productId`` fields of the result items.
        The tags are written first: a result is never stored without them, so
        ``invalidate_product`` always finds it.
        """
        key = self.keys.search(query, filters)
        ids = invalidation.product_ids_in(results) if product_ids is None else list(product_ids)
        data = self.serializer.dumps(results, what=f"search results for {query!r}")
        members = invalidation.tag_members(self.keys, ids, key)
        if members and not self._add_tags(members):
            self.metrics.dropped(SEARCH)
            return False
        return self._store(SEARCH, key, data)

    def get_search_results(self, query: str, *, filters: Mapping[str, Any] | None = None) -> Any | None:
        return self._read(SEARCH, self.keys.search(query, filters))

    def cache_session(self, session_id: object, data: Any, *, user_id: object | None = None) -> bool:
        """A session for 24 h (no jitter: it is a promise to the user); indexed by user if given."""
        key = self.keys.session(session_id)
        user_key = self.keys.user_sessions(user_id) if user_id is not None else None
        payload = self.serializer.dumps(data, what=f"session {session_id}")
        seconds = self.strategies[SESSION].expiry(self._rng)

        def write(client: Redis) -> None:
            pipe = client.pipeline(transaction=True)
            pipe.set(key, payload, ex=seconds)
            if user_key is not None:
                pipe.sadd(user_key, key)
                pipe.expire(user_key, seconds)
            pipe.execute()

        return self._timed(
            "set", lambda: self._dropped_unless(SESSION, self._stores.on_sessions("set", write))
        )

    def get_session(self, session_id: object) -> Any | None:
        return self._read(SESSION, self.keys.session(session_id))

    def delete_session(self, session_id: object) -> bool:
        key = self.keys.session(session_id)
        return self._stores.on_sessions("delete", lambda client: client.unlink(key)) is not FAILED

    def cache_recommendations(self, user_id: object, recommendations: Any) -> bool:
        return self._write(RECOMMENDATIONS, user_id, recommendations)

    def get_recommendations(self, user_id: object) -> Any | None:
        return self._read(RECOMMENDATIONS, self.keys.recommendations(user_id))

    def get_or_load(self, strategy: str, entity_id: object, loader: Callable[[], T]) -> T | None:
        """Cache-aside: the cached value, else ``loader()`` stored and returned.

        One GET per call, hit or miss. A stampede makes one ``loader()`` call: threads of
        this process share one call (single-flight, which also hands a just-finished load's
        value to a caller whose GET raced with it), and other processes wait for the one
        holding the key's load lock (``cache.loadLockMs``; cluster strategies). ``None`` from
        the loader is returned and nothing is stored.
        """
        key = self.keys.entry(strategy, entity_id)
        mark = self._loads.mark()  # before the GET: loads finished after it are newer
        cached = self._read(strategy, key)
        if cached is not None:
            return cached

        def load_and_store() -> T | None:
            value = loader()
            if value is not None:
                self._write_entity(strategy, entity_id, value)
            return value

        return self._loads.load(
            key,
            load_and_store,
            since=mark,
            peek=lambda: self._fetch(strategy, key, count=False),
            lock=self.strategies[strategy].store is Store.CLUSTER,
        )

    def mget(self, ids: Iterable[object], strategy: str = PRODUCT) -> dict[str, Any]:
        """The cached values of ``ids`` (hits only), one pipeline per cluster node."""
        keyed = self._batch_keys(strategy, ids)
        started = time.perf_counter()
        outcome = self._stores.run_batch("mget", list(keyed), batching.GetMany())
        found: dict[str, Any] = {}
        for key, entity_id in keyed.items():
            value = self._decode("mget", outcome.results.get(key))
            if value is not None:
                found[entity_id] = value
        self.metrics.hit(strategy, len(found))
        self.metrics.miss(strategy, len(keyed) - len(found))
        self.metrics.observe("mget", time.perf_counter() - started)
        return found

    def mset(self, items: Mapping[Any, Any] | Iterable[tuple[Any, Any]], strategy: str = PRODUCT) -> int:
        """Store many entries, each with its own jittered TTL; returns how many were stored.

        Every id and value is validated and encoded before anything is sent; an id given twice
        (``7`` and ``"7"`` are one id) is refused with ``DuplicateIdError``.
        """
        pairs = list(items.items() if isinstance(items, Mapping) else items)
        keyed = self._batch_keys(strategy, (entity_id for entity_id, _ in pairs))
        if len(keyed) != len(pairs):
            twice = Counter(self.keys.entry(strategy, entity_id) for entity_id, _ in pairs)
            ids = [repr(keyed[key]) for key, count in twice.items() if count > 1]
            raise DuplicateIdError(
                f"mset got {strategy} id{'s' if len(ids) > 1 else ''} {', '.join(ids)} more than once: "
                "each entry may be given one value"
            )
        rule = self.strategies[strategy]
        values = {
            key: (self.serializer.dumps(value, what=f"{strategy} {entity_id}"), rule.expiry(self._rng))
            for key, (entity_id, value) in zip(keyed, pairs, strict=True)
        }
        started = time.perf_counter()
        outcome = self._stores.run_batch("mset", list(values), batching.SetMany(values))
        if outcome.failed:
            self.metrics.dropped(strategy, len(outcome.failed))
        self.metrics.observe("mset", time.perf_counter() - started)
        return len(values) - len(outcome.failed)

    def invalidate_product(self, product_id: object) -> bool:
        """Remove the product, its price and every cached search result that lists it.

        Returns False when the infrastructure prevented a complete invalidation; the keys it
        could not reach stay listed in the product's tag set, so calling again finishes it.
        """
        return self._timed(
            "invalidate",
            lambda: invalidation.invalidate_product(self._stores, self.keys, product_id, self._add_tags),
        )

    def invalidate_user_cache(self, user_id: object) -> bool:
        """Remove the user's recommendations (cluster) and every session indexed to the user."""
        return self._timed(
            "invalidate", lambda: invalidation.invalidate_user(self._stores, self.keys, user_id)
        )

    def key_distribution(self) -> dict[str, int | None]:
        """Keys per cluster primary (``None`` for a node that did not answer)."""
        return self._stores.key_counts()

    def breaker_states(self) -> dict[str, BreakerState]:
        return self.breakers.states()

    def stats(self) -> dict[str, dict[str, float | int | None]]:
        return self.metrics.snapshot()

    # -- reads and writes ---------------------------------------------------------------------

    def _batch_keys(self, strategy: str, ids: Iterable[object]) -> dict[str, str]:
        if strategy not in _BATCHABLE:
            raise UnknownStrategyError(
                f"batches support the strategies {', '.join(_BATCHABLE)}, not {strategy!r}"
            )
        # _key validated the id already; its text is the id's text.
        return {self.keys.entry(strategy, entity_id): str(entity_id) for entity_id in ids}

    def _read(self, strategy: str, key: str) -> Any | None:
        started = time.perf_counter()
        value = self._fetch(strategy, key, count=True)
        self.metrics.observe("get", time.perf_counter() - started)
        return value

    def _fetch(self, strategy: str, key: str, *, count: bool) -> Any | None:
        if self.strategies[strategy].store is Store.SESSIONS:
            data = self._stores.on_sessions("get", lambda client: client.get(key))
        else:
            data = self._stores.on_cluster("get", key, lambda cluster: cluster.get(key))
        value = None if data is FAILED else self._decode("get", data)
        if count:
            if value is None:
                self.metrics.miss(strategy)
            else:
                self.metrics.hit(strategy)
        return value

    def _decode(self, operation: str, data: Any) -> Any | None:
        if data is None:
            return None
        try:
            return self.serializer.loads(data)
        except DecodeError:
            self.metrics.error(operation, "decode")
            return None

    def _write(self, strategy: str, entity_id: object, value: Any) -> bool:
        key = self.keys.entry(strategy, entity_id)
        data = self.serializer.dumps(value, what=f"{strategy} {entity_id}")
        return self._timed("set", lambda: self._store(strategy, key, data))

    def _write_entity(self, strategy: str, entity_id: object, value: Any) -> bool:
        if strategy == SEARCH:
            return self.cache_search_results(str(entity_id), value)
        if strategy == SESSION:
            return self.cache_session(entity_id, value)
        return self._write(strategy, entity_id, value)

    def _store(self, strategy: str, key: str, data: bytes) -> bool:
        seconds = self.strategies[strategy].expiry(self._rng)
        stored = self._stores.on_cluster("set", key, lambda cluster: cluster.set(key, data, ex=seconds))
        return self._dropped_unless(strategy, stored)

    def _dropped_unless(self, strategy: str, result: Any) -> bool:
        if result is FAILED:
            self.metrics.dropped(strategy)
            return False
        return True

    def _add_tags(self, members: dict[str, list[str]]) -> bool:
        lifetime = self.strategies[SEARCH].expiry_bounds()[1]
        outcome = self._stores.run_batch("tag", list(members), batching.AddMembers(members, lifetime))
        return not outcome.failed

    def _timed(self, operation: str, run: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return run()
        finally:
            self.metrics.observe(operation, time.perf_counter() - started)
