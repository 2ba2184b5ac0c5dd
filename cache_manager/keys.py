"""Key names: versioned prefixes, validated ids, normalised search queries, hash tags.

Keys that must live on one cluster node share a hash tag: a product, its price and the tag
set listing the search results that contain it are all ``{p:<id>}``, so they can be read and
deleted together in one round trip. Everything else spreads over the cluster.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cache_manager.errors import InvalidKeyError, UnknownStrategyError
from cache_manager.strategies import PRICE, PRODUCT, RECOMMENDATIONS, SEARCH, SESSION
from components.settings.cache import CacheClientSettings

# The stack settings' key prefix and schema version, for a KeyBuilder built without them.
_DEFAULTS = CacheClientSettings()
MAX_ID_LENGTH = 256
MAX_QUERY_LENGTH = 1024
# Braces would open a second hash tag; whitespace and control characters are never ids.
_FORBIDDEN = frozenset("{}")
# Most ids are plain ASCII: accept those with one regex, check everything else char by char.
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:@/+=~!$%^&*()\[\]|;',<>?#-]{1," + str(MAX_ID_LENGTH) + "}")


def validate_id(kind: str, value: object) -> str:
    """The id as text, or an error that says what is wrong with it."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidKeyError(f"{kind} id must be a string or an integer, got {type(value).__name__}")
    text = value if isinstance(value, str) else str(value)
    if _PLAIN_ID.fullmatch(text):
        return text
    if not text:
        raise InvalidKeyError(f"{kind} id must not be empty")
    if len(text) > MAX_ID_LENGTH:
        raise InvalidKeyError(f"{kind} id is {len(text)} characters long, the limit is {MAX_ID_LENGTH}")
    if any(char in _FORBIDDEN or char.isspace() or not char.isprintable() for char in text):
        raise InvalidKeyError(f"{kind} id {text!r} must not contain whitespace, control characters or braces")
    return text


def normalise_query(query: object) -> str:
    """Case, Unicode form and spacing do not make a different search."""
    if not isinstance(query, str):
        raise InvalidKeyError(f"search query must be a string, got {type(query).__name__}")
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidKeyError(
            f"search query is {len(query)} characters long, the limit is {MAX_QUERY_LENGTH}"
        )
    words = unicodedata.normalize("NFKC", query).casefold().split()
    if not words:
        raise InvalidKeyError("search query must contain at least one word")
    return " ".join(words)


def _canonical_filters(filters: Mapping[str, Any] | None) -> str:
    if not filters:
        return ""
    try:
        return json.dumps(filters, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise InvalidKeyError(f"search filters must be JSON values: {error}") from None


@dataclass(frozen=True)
class KeyBuilder:
    """Builds every key the manager uses, under ``<prefix>:v<version>:``."""

    prefix: str = _DEFAULTS.key_prefix
    version: int = _DEFAULTS.schema_version

    @property
    def namespace(self) -> str:
        return f"{self.prefix}:v{self.version}:"

    def product(self, product_id: object) -> str:
        return f"{self.namespace}product:{{p:{validate_id('product', product_id)}}}"

    def price(self, product_id: object) -> str:
        return f"{self.namespace}price:{{p:{validate_id('product', product_id)}}}"

    def product_tag(self, product_id: object) -> str:
        """The set of search-result keys that contain this product (same slot as the product)."""
        return f"{self.namespace}tag:{{p:{validate_id('product', product_id)}}}"

    def search(self, query: object, filters: Mapping[str, Any] | None = None) -> str:
        # A digest keeps keys short and free of characters (braces) that would act as tags.
        text = normalise_query(query) + "\x00" + _canonical_filters(filters)
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        return f"{self.namespace}search:{digest}"

    def recommendations(self, user_id: object) -> str:
        return f"{self.namespace}recommendations:{{u:{validate_id('user', user_id)}}}"

    def session(self, session_id: object) -> str:
        return f"{self.namespace}session:{validate_id('session', session_id)}"

    def user_sessions(self, user_id: object) -> str:
        """The set of session keys that belong to a user (on the sessions store)."""
        return f"{self.namespace}user-sessions:{validate_id('user', user_id)}"

    def entry(self, strategy: str, entity_id: object) -> str:
        """The key of a strategy's entry (get_or_load and the batches name entries this way)."""
        build = _ENTRY_KEYS.get(strategy)
        if build is None:
            raise UnknownStrategyError(f"unknown strategy {strategy!r}; known: {', '.join(_ENTRY_KEYS)}")
        return build(self, entity_id)


_ENTRY_KEYS: dict[str, Callable[[KeyBuilder, Any], str]] = {
    PRODUCT: KeyBuilder.product,
    PRICE: KeyBuilder.price,
    SEARCH: KeyBuilder.search,
    SESSION: KeyBuilder.session,
    RECOMMENDATIONS: KeyBuilder.recommendations,
}
