"""PurgeClient against the local API: batching, one backoff for the run, deadlines, refusals."""

from __future__ import annotations

import logging

import pytest

from purge import InvalidTarget, PurgeClient, RetryPolicy
from tests.integration.purge.conftest import TOKEN, ZONE_ID, ZONE_NAME
from tests.support.cloudflare_api import FakeCloudflareApi, Scheduled
from tests.support.fake_clock import FakeClock

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
    # Retry-After is honoured exactly (0: no wait, not the 2 s backoff); a 5xx without one backs off.
    assert waits == [7.0, 1.0, 2.0]
    assert [r.attempts for r in report.results] == [1, 3, 2, 1, 1, 2, 1]


def test_a_batch_still_limited_after_the_last_attempt_stops_the_run(
    cloudflare_api: FakeCloudflareApi,
) -> None:
    cloudflare_api.schedule = {n: Scheduled(429, retry_after="1") for n in range(2, 5)}
    waits: list[float] = []
    report = client(cloudflare_api, waits, retry=RetryPolicy(max_attempts=3)).purge_urls(
        [f"https://{ZONE_NAME}/p/{n}" for n in range(90)]
    )
    first, second, third = report.results
    assert first.ok and second.status == "failed" and third.status == "not attempted"
    assert second.attempts == 3 and "HTTP 429" in (second.error or "")
    assert report.stopped == "the API is unavailable: HTTP 429 (971: scheduled failure) 3 times in a row"
    assert report.left == [f"https://{ZONE_NAME}/p/{n}" for n in range(30, 90)]
    assert waits == [1.0, 1.0]  # bounded: no wait after the last attempt


def test_an_unavailable_api_costs_one_batch_of_attempts_not_every_batchs(
    cloudflare_api: FakeCloudflareApi,
) -> None:
    # Before: each of the 334 batches retried on its own (23 to 85 minutes for 10,000 URLs).
    cloudflare_api.always = Scheduled(503)
    clock = FakeClock()
    urls = [f"https://{ZONE_NAME}/products/{n}" for n in range(10_000)]
    api = PurgeClient(
        api_token=TOKEN, zone_id=ZONE_ID, base_url=cloudflare_api.base_url, sleep=clock.sleep, clock=clock
    )
    report = api.purge_urls(urls)
    assert len(cloudflare_api.answers) == 5
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert [r.status for r in report.results].count("not attempted") == 333
    assert report.left == urls and report.purged == []


def test_the_deadline_bounds_the_whole_run_waits_included(cloudflare_api: FakeCloudflareApi) -> None:
    cloudflare_api.always = Scheduled(429, retry_after="30")
    clock = FakeClock()
    start = clock.now
    api = PurgeClient(
        api_token=TOKEN,
        zone_id=ZONE_ID,
        base_url=cloudflare_api.base_url,
        deadline=100,
        batch_size=100,
        retry=RetryPolicy(max_attempts=10),
        sleep=clock.sleep,
        clock=clock,
    )
    report = api.purge_tags([f"t{n}" for n in range(150)])
    assert clock.now - start <= 100
    assert clock.sleeps == [30.0, 30.0, 30.0]
    assert report.stopped == "the API's Retry-After of 30 s goes past the --deadline (10 s left)"
    assert [(r.status, r.attempts) for r in report.results] == [("failed", 4), ("not attempted", 0)]


def test_a_retry_after_beyond_the_deadline_stops_without_waiting(
    cloudflare_api: FakeCloudflareApi,
) -> None:
    cloudflare_api.schedule = {1: Scheduled(429, retry_after="3600")}
    waits: list[float] = []
    report = client(cloudflare_api, waits, deadline=600).purge_tags(["product-1"])
    assert not report.ok and waits == []
    assert report.stopped is not None and "Retry-After of 3600 s goes past the --deadline" in report.stopped


def test_a_rejected_batch_is_reported_not_retried(cloudflare_api: FakeCloudflareApi) -> None:
    cloudflare_api.item_limit = 10  # the API allows fewer than the client sends
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
    unknown = client(cloudflare_api, [], zone_id=None, zone_name="example.org").purge_tags(["home"])
    assert unknown.stopped == "no zone named example.org is visible to this token"
    assert [r.status for r in unknown.results] == ["not attempted"]


def test_a_refused_token_stops_the_purge(cloudflare_api: FakeCloudflareApi) -> None:
    api = PurgeClient(
        api_token="wrong-token", zone_id=ZONE_ID, base_url=cloudflare_api.base_url, batch_size=1
    )
    report = api.purge_tags(["a", "b"])
    assert report.stopped == "the API refused the token: HTTP 403 (10000: Authentication error)"
    assert [(r.status, r.attempts) for r in report.results] == [("failed", 1), ("not attempted", 0)]
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
def test_nothing_valid_is_refused_before_any_call(
    cloudflare_api: FakeCloudflareApi, items: list[str], message: str
) -> None:
    with pytest.raises(InvalidTarget, match=message):
        client(cloudflare_api, []).purge_urls(items)
    assert cloudflare_api.answers == []


def test_invalid_urls_are_refused_and_the_rest_purged(cloudflare_api: FakeCloudflareApi) -> None:
    bad = ["ftp://technovastore.com/a", "https://technovastore.com:99999/a", "https://technovastore.com/%zz"]
    report = client(cloudflare_api, []).purge_urls(["https://technovastore.com/ok", *bad])
    assert [r.item for r in report.refused] == bad
    assert cloudflare_api.purged_items("files") == ["https://technovastore.com/ok"]
    assert not report.ok and report.left == []


def test_ten_thousand_urls_go_out_in_batches(cloudflare_api: FakeCloudflareApi) -> None:
    urls = [f"https://{ZONE_NAME}/products/{n}" for n in range(10_000)]
    cloudflare_api.batch_limit = 100
    report = client(cloudflare_api, [], batch_size=100).purge_urls(urls)
    assert report.ok
    assert len(cloudflare_api.accepted) == 100
    assert cloudflare_api.purged_items("files") == urls
