"""PurgeClient against the local API: batching, retries, Retry-After, and what it refuses."""

from __future__ import annotations

import logging

import pytest

from purge import AuthenticationFailed, InvalidTarget, PurgeClient, PurgeError, RetryPolicy
from tests.integration.purge.conftest import TOKEN, ZONE_ID, ZONE_NAME
from tests.support.cloudflare_api import FakeCloudflareApi, Scheduled

pytestmark = pytest.mark.integration
HOSTS = [ZONE_NAME, f"www.{ZONE_NAME}", f"static.{ZONE_NAME}"]


def client(api: FakeCloudflareApi, waits: list[float], **options: object) -> PurgeClient:
    settings: dict[str, object] = {"zone_id": ZONE_ID, "hostnames": HOSTS, "zone_name": ZONE_NAME, **options}
    return PurgeClient(api_token=TOKEN, base_url=api.base_url, sleep=waits.append, **settings)  # type: ignore[arg-type]


def test_every_url_is_purged_exactly_once_through_429s_and_5xx(cloudflare_api: FakeCloudflareApi) -> None:
    cloudflare_api.schedule = {
        2: Scheduled(429, retry_after="7"),
        3: Scheduled(429, retry_after="0"),
        5: Scheduled(503),
        9: Scheduled(429, retry_after="2"),
    }
    urls = [f"https://{ZONE_NAME}/products/{n}" for n in range(200)]
    waits: list[float] = []
    report = client(cloudflare_api, waits).purge_urls(urls)
    assert report.ok
    purged = cloudflare_api.purged_items("files")
    assert sorted(purged) == sorted(urls) and len(purged) == len(set(purged)) == 200
    assert all(len(p.items) <= 30 for p in cloudflare_api.accepted)
    assert len(cloudflare_api.accepted) == 7  # ceil(200 / 30)
    # Retry-After is honoured exactly; a 5xx without one backs off exponentially (2nd attempt: 2 s).
    assert waits == [7.0, 0.0, 1.0, 2.0]
    assert [r.attempts for r in report.results] == [1, 3, 2, 1, 1, 2, 1]


def test_a_batch_still_limited_after_the_last_attempt_fails_alone(cloudflare_api: FakeCloudflareApi) -> None:
    cloudflare_api.schedule = {n: Scheduled(429, retry_after="1") for n in range(2, 5)}
    waits: list[float] = []
    report = client(cloudflare_api, waits, retry=RetryPolicy(max_attempts=3)).purge_urls(
        [f"https://{ZONE_NAME}/p/{n}" for n in range(60)]
    )
    first, second = report.results
    assert first.ok and not second.ok
    assert second.attempts == 3 and "HTTP 429" in (second.error or "")
    assert report.failed == [f"https://{ZONE_NAME}/p/{n}" for n in range(30, 60)]
    assert waits == [1.0, 1.0]  # bounded: no wait after the last attempt


def test_a_retry_after_beyond_the_bound_fails_the_batch_without_waiting(
    cloudflare_api: FakeCloudflareApi,
) -> None:
    cloudflare_api.schedule = {1: Scheduled(429, retry_after="3600")}
    waits: list[float] = []
    report = client(cloudflare_api, waits).purge_tags(["product-1"])
    assert not report.ok and waits == []
    assert "retry after 3600 s" in (report.results[0].error or "")


def test_a_rejected_batch_is_reported_not_retried(cloudflare_api: FakeCloudflareApi) -> None:
    cloudflare_api.batch_limit = 10  # the zone's plan allows fewer than the client sends
    waits: list[float] = []
    report = client(cloudflare_api, waits, batch_size=20).purge_tags([f"t{n}" for n in range(25)])
    assert [r.ok for r in report.results] == [False, True]
    assert "HTTP 400" in (report.results[0].error or "") and "Only 10 tags" in (report.results[0].error or "")
    assert report.results[0].attempts == 1 and waits == []


def test_relative_paths_expand_on_every_hostname(cloudflare_api: FakeCloudflareApi) -> None:
    client(cloudflare_api, []).purge_urls(["/products/123", "/images/product-123.jpg"])
    assert cloudflare_api.purged_items("files") == [
        *(f"https://{host}/products/123" for host in HOSTS),
        *(f"https://{host}/images/product-123.jpg" for host in HOSTS),
    ]


def test_purge_product_purges_page_api_image_and_tag(cloudflare_api: FakeCloudflareApi) -> None:
    report = client(cloudflare_api, [], hostnames=[f"www.{ZONE_NAME}"]).purge_product("sku-42")
    assert report.ok
    www = f"https://www.{ZONE_NAME}"
    assert cloudflare_api.purged_items("files") == [
        f"{www}/products/sku-42",
        f"{www}/api/products/sku-42",
        f"{www}/images/product-sku-42.jpg",
    ]
    assert cloudflare_api.purged_items("tags") == ["product-sku-42"]


def test_hosts_prefixes_and_everything_send_their_own_body(cloudflare_api: FakeCloudflareApi) -> None:
    api = client(cloudflare_api, [])
    assert api.purge_hosts([f"static.{ZONE_NAME}"]).ok
    assert api.purge_prefixes([f"www.{ZONE_NAME}/products/"]).ok
    with pytest.raises(InvalidTarget, match="confirmation"):
        api.purge_everything(confirm=False)
    assert api.purge_everything(confirm=True).ok
    assert cloudflare_api.bodies_seen == [
        {"hosts": [f"static.{ZONE_NAME}"]},
        {"prefixes": [f"www.{ZONE_NAME}/products/"]},
        {"purge_everything": True},
    ]


def test_the_zone_is_looked_up_by_name(cloudflare_api: FakeCloudflareApi) -> None:
    api = client(cloudflare_api, [], zone_id=None)
    assert api.purge_tags(["home"]).ok
    assert cloudflare_api.accepted[0].zone_id == ZONE_ID
    with pytest.raises(PurgeError, match=r"no zone named example\.org"):
        client(cloudflare_api, [], zone_id=None, zone_name="example.org").purge_tags(["home"])


def test_a_refused_token_stops_the_purge(cloudflare_api: FakeCloudflareApi) -> None:
    api = PurgeClient(api_token="wrong-token", zone_id=ZONE_ID, base_url=cloudflare_api.base_url)
    with pytest.raises(AuthenticationFailed, match="refused the token"):
        api.purge_tags(["a", "b"])
    assert cloudflare_api.answers == [(1, 403)]


def test_the_token_never_reaches_logs_or_reprs(
    cloudflare_api: FakeCloudflareApi, caplog: pytest.LogCaptureFixture
) -> None:
    cloudflare_api.schedule = {1: Scheduled(429, retry_after="0"), 2: Scheduled(500)}
    caplog.set_level(logging.DEBUG)  # the SDK's and httpx's debug logs included
    api = client(cloudflare_api, [])
    assert api.purge_urls(["/products/1"]).ok
    assert caplog.records, "the debug logs were captured"
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(api) and TOKEN not in str(vars(api))


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "no URLs given"),
        (["ftp://technovastore.com/a"], "is not an http"),
        (["technovastore.com/a"], "is not an http"),
        (["https://evil.example/a"], "not in the zone technovastore.com"),
        (["https://technovastore.com/a b"], "whitespace"),
        (["https://technovastore.com/a#top"], "fragment"),
    ],
)
def test_invalid_urls_are_rejected_before_any_call(
    cloudflare_api: FakeCloudflareApi, items: list[str], message: str
) -> None:
    with pytest.raises(InvalidTarget, match=message):
        client(cloudflare_api, []).purge_urls(["https://technovastore.com/ok", *items] if items else [])
    assert cloudflare_api.answers == []


def test_ten_thousand_urls_go_out_in_batches(cloudflare_api: FakeCloudflareApi) -> None:
    urls = [f"https://{ZONE_NAME}/products/{n}" for n in range(10_000)]
    cloudflare_api.batch_limit = 100
    report = client(cloudflare_api, [], batch_size=100).purge_urls(urls)
    assert report.ok
    assert len(cloudflare_api.accepted) == 100
    assert cloudflare_api.purged_items("files") == urls
