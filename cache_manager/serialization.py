"""Values as bytes with a format marker, so a stored value says how to read it back.

The first byte names the codec. A reader that meets a marker it does not know treats the
entry as a miss instead of guessing, and new codecs can be added next to the old ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from cache_manager.errors import NoneValueError, SerializationError, ValueTooLargeError


class Codec(Protocol):
    marker: bytes  # exactly one byte

    def encode(self, value: Any) -> bytes: ...

    def decode(self, payload: bytes) -> Any: ...


class JsonCodec:
    """Compact UTF-8 JSON; NaN and infinities are refused (other JSON readers reject them)."""

    marker = b"J"

    def encode(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()

    def decode(self, payload: bytes) -> Any:
        return json.loads(payload)


class DecodeError(Exception):
    """A stored value that cannot be read back (unknown marker, corrupt payload)."""


@dataclass
class Serializer:
    """Encodes with ``codec``; decodes anything written by ``codec`` or ``readable`` codecs."""

    max_value_bytes: int
    codec: Codec
    readable: tuple[Codec, ...] = ()

    def __post_init__(self) -> None:
        codecs: Iterable[Codec] = (self.codec, *self.readable)
        self._by_marker = {codec.marker: codec for codec in codecs}
        for marker in self._by_marker:
            if len(marker) != 1:
                raise ValueError(f"codec marker must be one byte, got {marker!r}")

    def dumps(self, value: Any, *, what: str = "value") -> bytes:
        if value is None:  # a miss reads as None: a stored None would be a miss that never loads
            raise NoneValueError(what)
        try:
            payload = self.codec.encode(value)
        except (TypeError, ValueError, RecursionError) as error:
            raise SerializationError(f"{what}: cannot serialise {type(value).__name__}: {error}") from None
        data = self.codec.marker + payload
        if len(data) > self.max_value_bytes:
            raise ValueTooLargeError(what, len(data), self.max_value_bytes)
        return data

    def loads(self, data: bytes) -> Any:
        codec = self._by_marker.get(data[:1])
        if codec is None:
            raise DecodeError(f"unknown format marker {data[:1]!r}")
        try:
            return codec.decode(data[1:])
        except ValueError as error:
            raise DecodeError(str(error)) from None


def json_serializer(max_value_bytes: int) -> Serializer:
    return Serializer(max_value_bytes=max_value_bytes, codec=JsonCodec())
