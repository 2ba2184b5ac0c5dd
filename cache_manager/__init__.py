"""The cache client library the TechNovaStore services use (the seed's DistributedCacheManager)."""

from cache_manager.connections import StoreAddresses
from cache_manager.errors import (
    CacheError,
    InvalidKeyError,
    SerializationError,
    UnknownStrategyError,
    ValueTooLargeError,
)
from cache_manager.manager import DistributedCacheManager

__all__ = [
    "CacheError",
    "DistributedCacheManager",
    "InvalidKeyError",
    "SerializationError",
    "StoreAddresses",
    "UnknownStrategyError",
    "ValueTooLargeError",
]
