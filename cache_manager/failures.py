"""What an infrastructure failure says about the node: unreachable, or answering with an error.

Only an unreachable node (connection refused or reset, a timeout, credentials refused while
connecting, no primary known to the Sentinels) counts towards its circuit breaker. An error
reply (OOM on a full store, WRONGTYPE on a foreign key, CLUSTERDOWN while another shard
fails over, READONLY, LOADING while a restarted node reads its data) comes from a node that
works: it makes that one call a miss or a dropped write and nothing more. MOVED and ASK are
followed by the cluster client.
"""

from __future__ import annotations

from redis.exceptions import (
    AskError,
    AuthenticationError,
    BusyLoadingError,
    MaxConnectionsError,
    RedisClusterException,
    RedisError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Everything redis-py raises for the infrastructure; the manager turns these into misses.
INFRASTRUCTURE_ERRORS = (RedisError, RedisClusterException)
# Replies that send a call elsewhere (MOVED is an AskError); retried, never counted as failures.
REDIRECTS = (AskError, TryAgainError)

# redis-py raises these as ConnectionErrors, but the node is there: LOADING is its reply, and a
# full connection pool is the client's own limit.
_ANSWERED = (BusyLoadingError, MaxConnectionsError)
_AUTH_MARKERS = ("invalid username-password pair", "WRONGPASS", "AuthenticationError")
_LONGEST_CODE = 20


def is_unreachable(error: BaseException) -> bool:
    """Whether the node could not be reached at all (the only kind of failure a breaker counts).

    redis-py raises connection failures of the cluster bootstrap as a RedisClusterException
    *from* the ConnectionError, so explicit causes are followed.
    """
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, _ANSWERED):
            return False
        if isinstance(cause, RedisConnectionError | RedisTimeoutError):
            return True
        cause = cause.__cause__
    return False


def reason(error: BaseException) -> str:
    """The metric label for a failure: "auth", an error reply's code (OOM, WRONGTYPE,
    CLUSTERDOWN, ...), else the exception's class name (ConnectionError, TimeoutError, ...).

    redis-py wraps a refused password in other errors (cluster bootstrap, Sentinel master
    discovery), sometimes only by message, so the chain and the text are both looked at.
    """
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, AuthenticationError) or any(marker in str(cause) for marker in _AUTH_MARKERS):
            return "auth"
        cause = cause.__cause__ or cause.__context__
    if isinstance(error, ResponseError | BusyLoadingError):
        return _reply_code(error) or type(error).__name__
    return type(error).__name__


def _reply_code(error: RedisError) -> str | None:
    """The reply's error code: redis-py keeps it in ``status_code`` for the codes it maps to
    classes (OOM, CLUSTERDOWN, READONLY, ...) and leaves it in the text for the others."""
    if error.status_code:
        return str(error.status_code)
    word = str(error).split(" ", 1)[0]
    return word if word.isalpha() and word.isupper() and len(word) <= _LONGEST_CODE else None
