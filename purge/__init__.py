"""Purge Cloudflare's edge cache: the library (PurgeClient) and ``python -m purge``."""

from purge.client import (
    AuthenticationFailed,
    BatchResult,
    MissingToken,
    PurgeClient,
    PurgeError,
    PurgeReport,
    RetryPolicy,
)
from purge.targets import InvalidTarget

__all__ = [
    "AuthenticationFailed",
    "BatchResult",
    "InvalidTarget",
    "MissingToken",
    "PurgeClient",
    "PurgeError",
    "PurgeReport",
    "RetryPolicy",
]
