"""Invalidation that leaves nothing stale behind and removes nothing unrelated.

Search results are spread over the cluster, so each product keeps a tag set (in its own
slot, next to the product and its price) naming the search-result keys that contain it.
Invalidating a product reads that set, deletes the listed search results node by node, then
deletes the product, its price and the set in one command (they share a slot).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cache_manager.keys import KeyBuilder

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
