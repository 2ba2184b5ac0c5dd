from __future__ import annotations

import pytest

from cache_manager.batching import group_by_slot, slot_of
from cache_manager.errors import InvalidKeyError
from cache_manager.keys import MAX_ID_LENGTH, KeyBuilder, normalise_query

KEYS = KeyBuilder("technovastore", 1)


def test_keys_carry_the_versioned_prefix() -> None:
    assert KEYS.product("product-123") == "technovastore:v1:product:{p:product-123}"
    assert KeyBuilder("technovastore", 2).product("product-123").startswith("technovastore:v2:")


def test_a_product_its_price_and_its_tag_set_share_a_slot() -> None:
    keys = [KEYS.product("p-42"), KEYS.price("p-42"), KEYS.product_tag("p-42")]
    assert len({slot_of(key) for key in keys}) == 1
    assert list(group_by_slot(keys).values()) == [keys]


def test_different_products_spread_over_slots() -> None:
    slots = {slot_of(KEYS.product(f"product-{n}")) for n in range(200)}
    assert len(slots) > 150


def test_integer_ids_are_their_decimal_text() -> None:
    assert KEYS.product(123) == KEYS.product("123")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must not be empty"),
        ("a b", "whitespace"),
        (" ", "whitespace"),
        ("a{b}", "braces"),
        ("a\x00b", "control characters"),
        ("x" * (MAX_ID_LENGTH + 1), "the limit is 256"),
        (None, "got NoneType"),
        (True, "got bool"),
        (1.5, "got float"),
    ],
)
def test_bad_ids_are_refused_with_the_reason(value: object, message: str) -> None:
    with pytest.raises(InvalidKeyError, match=message) as error:
        KEYS.product(value)
    assert str(error.value).startswith("product id")


def test_queries_are_normalised_before_keying() -> None:
    assert normalise_query("  Laptop \t GAMING ") == "laptop gaming"
    assert KEYS.search("Laptop  Gaming") == KEYS.search("laptop gaming")
    assert KEYS.search("ﬁle") == KEYS.search("file")  # NFKC ligature
    assert KEYS.search("laptop gaming") != KEYS.search("gaming laptop")


def test_filters_are_part_of_the_key_in_any_order() -> None:
    a = KEYS.search("laptop", {"brand": "acme", "max": 900})
    b = KEYS.search("laptop", {"max": 900, "brand": "acme"})
    assert a == b
    assert a != KEYS.search("laptop")
    assert a != KEYS.search("laptop", {"brand": "other", "max": 900})


def test_search_keys_have_no_hash_tag_and_spread() -> None:
    key = KEYS.search("a {weird} query")
    assert "{" not in key
    assert len({slot_of(KEYS.search(f"query {n}")) for n in range(100)}) > 80


@pytest.mark.parametrize("query", ["", "   ", None, 42])
def test_empty_or_non_text_queries_are_refused(query: object) -> None:
    with pytest.raises(InvalidKeyError, match="search query"):
        KEYS.search(query)


def test_unserialisable_filters_are_refused() -> None:
    with pytest.raises(InvalidKeyError, match="filters"):
        KEYS.search("laptop", {"since": object()})
