from __future__ import annotations

import json
import math

import pytest

from cache_manager.errors import NoneValueError, SerializationError, ValueTooLargeError
from cache_manager.serialization import DecodeError, JsonCodec, Serializer, json_serializer


def test_round_trip_with_a_format_marker() -> None:
    serializer = json_serializer(1024)
    value = {"id": "product-123", "name": "Laptop ñ", "price": 999.5, "tags": ["a", "b"], "stock": None}
    data = serializer.dumps(value)
    assert data[:1] == b"J"
    assert json.loads(data[1:]) == value
    assert serializer.loads(data) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"when": object()}, "cannot serialise dict"),
        ({1, 2}, "cannot serialise set"),
        (math.nan, "cannot serialise float"),
    ],
)
def test_unserialisable_values_are_a_clear_error(value: object, message: str) -> None:
    with pytest.raises(SerializationError, match=message):
        json_serializer(1024).dumps(value, what="product p-1")


def test_cycles_are_a_clear_error() -> None:
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(SerializationError, match="product p-1"):
        json_serializer(1024).dumps(cycle, what="product p-1")


def test_values_above_the_limit_are_refused_with_sizes() -> None:
    serializer = json_serializer(100)
    assert len(serializer.dumps("x" * 97)) == 100  # marker + quotes + 97
    with pytest.raises(ValueTooLargeError, match="101 bytes, above the limit of 100") as error:
        serializer.dumps("x" * 98)
    assert (error.value.size, error.value.limit) == (101, 100)


def test_unknown_markers_and_corrupt_payloads_do_not_decode() -> None:
    serializer = json_serializer(1024)
    with pytest.raises(DecodeError, match="unknown format marker"):
        serializer.loads(b"P\x80\x04")
    with pytest.raises(DecodeError):
        serializer.loads(b"J{not json")


class _Upper(JsonCodec):
    marker = b"U"


def test_a_new_codec_still_reads_the_old_format() -> None:
    old = json_serializer(1024).dumps({"a": 1})
    new = Serializer(max_value_bytes=1024, codec=_Upper(), readable=(JsonCodec(),))
    assert new.dumps({"a": 1})[:1] == b"U"
    assert new.loads(old) == {"a": 1}


def test_markers_must_be_one_byte() -> None:
    class Long(JsonCodec):
        marker = b"JS"

    with pytest.raises(ValueError, match="one byte"):
        Serializer(max_value_bytes=10, codec=Long())


def test_none_is_refused_with_what_to_do_instead() -> None:
    with pytest.raises(NoneValueError) as error:
        json_serializer(1024).dumps(None, what="product p-1")
    assert str(error.value) == (
        "product p-1: None cannot be cached: a read could not tell it from a miss; cache an explicit "
        'value for "nothing there" (get_or_load stores nothing when its loader returns None)'
    )


def test_a_corrupt_payload_says_what_is_wrong_with_it() -> None:
    with pytest.raises(DecodeError) as error:
        json_serializer(1024).loads(b'J{"id": ')
    assert str(error.value) == "Expecting value: line 1 column 8 (char 7)"
