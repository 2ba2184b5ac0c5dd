"""Errors for the caller's mistakes. Infrastructure failures never raise: they are misses."""

from __future__ import annotations


class CacheError(Exception):
    """Base of every error the cache manager raises on purpose."""


class InvalidKeyError(CacheError, ValueError):
    """An id or a query that cannot name a cache entry (empty, too long, bad characters)."""


class SerializationError(CacheError, TypeError):
    """A value the serializer cannot encode (an object JSON cannot represent, NaN, a cycle)."""


class ValueTooLargeError(CacheError, ValueError):
    """An encoded value above the configured limit (``cache.maxValueBytes``)."""

    def __init__(self, what: str, size: int, limit: int):
        self.size = size
        self.limit = limit
        super().__init__(f"{what}: encoded value is {size} bytes, above the limit of {limit} bytes")


class UnknownStrategyError(CacheError, KeyError):
    """A strategy name the manager does not know."""

    def __str__(self) -> str:
        return str(self.args[0])
