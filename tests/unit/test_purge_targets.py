"""Purge targets are checked before any call: valid items go out, the others are refused with why."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from purge.targets import (
    InvalidTarget,
    Refused,
    Targets,
    batches,
    check_hosts,
    check_prefixes,
    check_tags,
    expand_urls,
)

ZONE = "technovastore.com"


def test_duplicates_are_purged_once_in_order() -> None:
    targets = expand_urls(["/a", f"https://{ZONE}/a", "/b"], [ZONE], ZONE)
    assert targets == Targets([f"https://{ZONE}/a", f"https://{ZONE}/b"], [])


def test_nothing_valid_is_one_error_counting_every_item() -> None:
    with pytest.raises(InvalidTarget) as error:
        expand_urls([f"mailto:x{n}@{ZONE}" for n in range(8)], [ZONE], ZONE)
    assert str(error.value).startswith("no valid URLs to purge: 'mailto:x0@technovastore.com' is not an http")
    assert "(and 3 more)" in str(error.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"https://{ZONE}:99999/a", "has an invalid port"),
        (f"https://{ZONE}:0x1/a", "has an invalid port"),
        (f"https://{ZONE}:8443/a", "port 8443 is never cached (only 80, 443, 8080 are)"),
        (f"https://user:pw@{ZONE}/a", "has user info"),
        (f"https://user@{ZONE}/a", "has user info"),
        (f"https://{ZONE}/a%zz", "has a bad percent-encoding"),
        (f"https://{ZONE}/a%2", "has a bad percent-encoding"),
        (f"https://{ZONE}/{'x' * 32768}", "is longer than 32768 bytes"),
        (f"https://{ZONE}/a b", "whitespace"),
        (f"https://{ZONE}/a#top", "fragment"),
        ("https://evil.example/a", f"is not in the zone {ZONE}"),
        (f"ftp://{ZONE}/a", "is not an http(s) URL"),
    ],
)
def test_an_invalid_url_is_refused_and_the_valid_ones_kept(url: str, reason: str) -> None:
    good = [f"https://{ZONE}/ok", f"https://{ZONE}:8080/ok", f"https://{ZONE}:443/%41"]
    targets = expand_urls([good[0], url, *good[1:]], [ZONE], ZONE)
    assert targets.items == good
    [refused] = targets.refused
    assert refused.item == url and reason in refused.reason


def test_a_path_without_hostnames_is_refused() -> None:
    targets = expand_urls(["/a", f"https://{ZONE}/b"], [], ZONE)
    assert targets.items == [f"https://{ZONE}/b"]
    assert targets.refused == [
        Refused("/a", "is a path, but no hostnames are known to expand it (use --stack or --hostname)")
    ]


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
def test_only_bad_tags_hosts_or_prefixes_cannot_run(check: Callable[..., Targets], items: list[str]) -> None:
    with pytest.raises(InvalidTarget):
        check(items) if check is check_tags else check(items, ZONE)


def test_good_tags_hosts_and_prefixes_pass_and_bad_ones_are_refused() -> None:
    tags = check_tags(["product-1", "product-1", "has space", "category:phones"])
    assert tags.items == ["product-1", "category:phones"]
    assert [r.item for r in tags.refused] == ["has space"]
    assert check_hosts([f"www.{ZONE}"], ZONE).items == [f"www.{ZONE}"]
    assert check_prefixes([f"www.{ZONE}/products/"], ZONE).items == [f"www.{ZONE}/products/"]


def test_batches_never_exceed_the_size() -> None:
    assert [len(b) for b in batches([str(n) for n in range(65)], 30)] == [30, 30, 5]
