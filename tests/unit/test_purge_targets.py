"""Purge targets are checked before any call; Retry-After is read as seconds or a date."""

from __future__ import annotations

import email.utils
import time

import pytest

from purge.client import retry_after_seconds
from purge.targets import InvalidTarget, batches, check_hosts, check_prefixes, check_tags, expand_urls

ZONE = "technovastore.com"


def test_duplicates_are_purged_once_in_order() -> None:
    urls = expand_urls(["/a", f"https://{ZONE}/a", "/b"], [ZONE], ZONE)
    assert urls == [f"https://{ZONE}/a", f"https://{ZONE}/b"]


def test_every_invalid_item_is_counted_in_one_error() -> None:
    with pytest.raises(InvalidTarget) as error:
        expand_urls([f"mailto:x{n}@{ZONE}" for n in range(8)], [ZONE], ZONE)
    assert str(error.value).startswith("8 invalid URLs:")
    assert "(and 3 more)" in str(error.value)


@pytest.mark.parametrize(
    ("check", "items"),
    [
        (check_tags, []),
        (check_tags, ["has space"]),
        (check_tags, ["x" * 1025]),
        (check_hosts, []),
        (check_hosts, ["example.org"]),
        (check_hosts, [f"{ZONE}/path"]),
        (check_prefixes, []),
        (check_prefixes, [f"https://{ZONE}/products/"]),
        (check_prefixes, [ZONE]),
        (check_prefixes, ["example.org/products/"]),
    ],
)
def test_bad_tags_hosts_and_prefixes_are_rejected(check: object, items: list[str]) -> None:
    with pytest.raises(InvalidTarget):
        if check is check_tags:
            check_tags(items)
        else:
            check(items, ZONE)  # type: ignore[operator]


def test_good_tags_hosts_and_prefixes_pass() -> None:
    assert check_tags(["product-1", "product-1", "category:phones"]) == ["product-1", "category:phones"]
    assert check_hosts([f"www.{ZONE}"], ZONE) == [f"www.{ZONE}"]
    assert check_prefixes([f"www.{ZONE}/products/"], ZONE) == [f"www.{ZONE}/products/"]


def test_batches_never_exceed_the_size() -> None:
    assert [len(b) for b in batches([str(n) for n in range(65)], 30)] == [30, 30, 5]


def test_retry_after_seconds_or_http_date() -> None:
    assert retry_after_seconds({"retry-after": "12"}) == 12.0
    assert retry_after_seconds({"retry-after": "-3"}) == 0.0
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"retry-after": "soon"}) is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (retry_after_seconds({"retry-after": later}) or 0) <= 31
