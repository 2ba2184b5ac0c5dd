from __future__ import annotations

import hashlib

import pytest

from cache_manager.batching import group_by_slot, slot_of
from cache_manager.errors import InvalidKeyError
from cache_manager.keys import MAX_ID_LENGTH, MAX_QUERY_LENGTH, KeyBuilder, normalise_query

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


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def test_every_key_has_one_spelling_across_releases() -> None:
    """Services of different releases share the cache: a key's spelling changes only with a
    schema version bump, so these are written out in full."""
    assert [
        KEYS.price("p-1"),
        KEYS.product_tag("p-1"),
        KEYS.recommendations("u-1"),
        KEYS.session("s-1"),
        KEYS.user_sessions("u-1"),
    ] == [
        "technovastore:v1:price:{p:p-1}",
        "technovastore:v1:tag:{p:p-1}",
        "technovastore:v1:recommendations:{u:u-1}",
        "technovastore:v1:session:s-1",
        "technovastore:v1:user-sessions:u-1",
    ]
    # A search key is the digest of the normalised query, a NUL, and the filters as compact,
    # key-sorted JSON with non-ASCII text as it is (no filters: nothing after the NUL).
    assert KEYS.search(" Laptop ") == "technovastore:v1:search:" + _digest("laptop\x00")
    assert KEYS.search("laptop", {}) == KEYS.search("laptop")
    assert KEYS.search("laptop", {"b": "é", "a": [1, 2]}) == "technovastore:v1:search:" + _digest(
        'laptop\x00{"a":[1,2],"b":"é"}'
    )


@pytest.mark.parametrize("kind", ["product", "price", "product_tag"])
def test_a_products_keys_name_the_product_id_when_it_is_bad(kind: str) -> None:
    with pytest.raises(InvalidKeyError) as error:
        getattr(KEYS, kind)("")
    assert str(error.value) == "product id must not be empty"


def test_the_user_and_session_keys_name_their_id_when_it_is_bad() -> None:
    for build, kind in (
        (KEYS.recommendations, "user"),
        (KEYS.user_sessions, "user"),
        (KEYS.session, "session"),
    ):
        with pytest.raises(InvalidKeyError) as error:
            build("a b")
        assert (
            str(error.value) == f"{kind} id 'a b' must not contain whitespace, control characters or braces"
        )


def test_a_query_may_be_as_long_as_the_limit() -> None:
    assert normalise_query("q" * MAX_QUERY_LENGTH) == "q" * MAX_QUERY_LENGTH
    with pytest.raises(InvalidKeyError) as error:
        normalise_query("q" * (MAX_QUERY_LENGTH + 1))
    assert (
        str(error.value)
        == f"search query is {MAX_QUERY_LENGTH + 1} characters long, the limit is {MAX_QUERY_LENGTH}"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [(42, "search query must be a string, got int"), (" \t", "search query must contain at least one word")],
)
def test_bad_queries_say_what_is_wrong(query: object, message: str) -> None:
    with pytest.raises(InvalidKeyError) as error:
        normalise_query(query)
    assert str(error.value) == message
