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


class NoneValueError(CacheError, ValueError):
    """``None`` as a value to cache: every read of it would look like a miss."""

    def __init__(self, what: str):
        super().__init__(
            f"{what}: None cannot be cached: a read could not tell it from a miss; cache an explicit "
            'value for "nothing there" (get_or_load stores nothing when its loader returns None)'
        )


class DuplicateIdError(CacheError, ValueError):
    """A batch that names one entry twice: which of its values should be stored?"""


class UnknownStrategyError(CacheError, KeyError):
    """A strategy name the manager does not know."""

    def __str__(self) -> str:
        return str(self.args[0])
