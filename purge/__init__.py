"""Purge Cloudflare's edge cache: the library (PurgeClient) and ``python -m purge``."""

from purge.client import MissingToken, PurgeClient, PurgeError
from purge.pacing import RetryPolicy
from purge.report import BatchResult, PurgeReport
from purge.targets import InvalidTarget, Refused

__all__ = [
    "BatchResult",
    "InvalidTarget",
    "MissingToken",
    "PurgeClient",
    "PurgeError",
    "PurgeReport",
    "Refused",
    "RetryPolicy",
]
