"""The cache client library the TechNovaStore services use (the seed's DistributedCacheManager)."""

from cache_manager.connections import StoreAddresses
from cache_manager.errors import (
    CacheError,
    DuplicateIdError,
    InvalidKeyError,
    NoneValueError,
    SerializationError,
    UnknownStrategyError,
    ValueTooLargeError,
)
from cache_manager.manager import DistributedCacheManager

__all__ = [
    "CacheError",
    "DistributedCacheManager",
    "DuplicateIdError",
    "InvalidKeyError",
    "NoneValueError",
    "SerializationError",
    "StoreAddresses",
    "UnknownStrategyError",
    "ValueTooLargeError",
]
