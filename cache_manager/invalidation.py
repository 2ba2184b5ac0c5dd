"""Invalidation that leaves nothing stale behind and removes nothing unrelated.

Search results are spread over the cluster, so each product keeps a tag set (in its own
slot, next to the product and its price) naming the search-result keys that contain it.
Invalidating a product reads that set, deletes the listed search results node by node, then
deletes the product, its price and the set in one command (they share a slot).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from redis import Redis
from redis.cluster import RedisCluster

from cache_manager import batching
from cache_manager.keys import KeyBuilder
from cache_manager.stores import FAILED, GuardedStores

AddTags = Callable[[dict[str, list[str]]], bool]

# Keys in a search result's items that carry the product id (the seed's services use these).
PRODUCT_ID_FIELDS = ("id", "productId", "product_id", "_id")


def product_ids_in(results: Any) -> list[str]:
    """The product ids a search result lists: items that are objects with an id field."""
    items = results.get("items", results.get("results", [])) if isinstance(results, dict) else results
    ids: list[str] = []
    if not isinstance(items, list):
        return ids
    for item in items:
        if isinstance(item, dict):
            for field in PRODUCT_ID_FIELDS:
                value = item.get(field)
                if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                    ids.append(str(value))
                    break
    return list(dict.fromkeys(ids))


def product_keys(keys: KeyBuilder, product_id: object) -> list[str]:
    """The product's own keys, all in one slot: product, price, tag set."""
    return [keys.product(product_id), keys.price(product_id), keys.product_tag(product_id)]


def tag_members(keys: KeyBuilder, product_ids: Iterable[object], search_key: str) -> dict[str, list[str]]:
    return {keys.product_tag(product_id): [search_key] for product_id in product_ids}


def invalidate_product(
    stores: GuardedStores, keys: KeyBuilder, product_id: object, add_tags: AddTags
) -> bool:
    """The product, its price, its tag set and every search result the set lists, removed.

    False when the infrastructure prevented a complete invalidation: the search results it
    could not delete are put back into the tag set, so the next call finishes the job.
    """
    own_keys = product_keys(keys, product_id)
    tag_key = own_keys[-1]

    def take_tag_and_delete(cluster: Redis | RedisCluster) -> list[str]:
        # One slot, one transaction: read the tag set and delete it with the product.
        pipe = cluster.pipeline(transaction=True)
        pipe.smembers(tag_key)
        pipe.unlink(*own_keys)
        members, _ = pipe.execute()
        return sorted(member.decode() for member in members)

    search_keys = stores.on_cluster("invalidate", tag_key, take_tag_and_delete)
    if search_keys is FAILED:
        return False
    if not search_keys:
        return True
    outcome = stores.run_batch("invalidate", search_keys, batching.DeleteMany())
    if outcome.failed:
        add_tags({tag_key: outcome.failed})
    return not outcome.failed


def invalidate_user(stores: GuardedStores, keys: KeyBuilder, user_id: object) -> bool:
    """The user's recommendations (cluster) and every session indexed to the user, removed."""
    recommendations = keys.recommendations(user_id)
    user_key = keys.user_sessions(user_id)

    def drop_sessions(client: Redis) -> None:
        sessions = client.smembers(user_key)
        client.unlink(user_key, *sessions)

    cleared = stores.on_cluster("invalidate", recommendations, lambda client: client.unlink(recommendations))
    sessions_cleared = (
        stores.sessions is None or stores.on_sessions("invalidate", drop_sessions) is not FAILED
    )
    return cleared is not FAILED and sessions_cleared
