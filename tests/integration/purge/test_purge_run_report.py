"""``python -m purge`` when things go wrong half-way: what was purged, what failed, what is left.

Against the local API (tests/support/cloudflare_api.py): exit codes, the printed report, and
the --remaining file a next run takes as its --from-file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from purge.cli import main
from tests.integration.purge.conftest import TOKEN, ZONE_NAME
from tests.support.cloudflare_api import FakeCloudflareApi, Scheduled

pytestmark = pytest.mark.integration
WWW = f"https://www.{ZONE_NAME}"


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)


def purge(api: FakeCloudflareApi, *args: str) -> int:
    return main(["--api-base-url", api.base_url, *args])


def url_file(tmp_path: Path, urls: list[str]) -> Path:
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    return listing


def purge_listing(api: FakeCloudflareApi, tmp_path: Path, urls: list[str], *options: str) -> tuple[int, Path]:
    """Purge ``urls`` from a file for production with ``options``; the --remaining file."""
    left = tmp_path / "left.txt"
    listing = url_file(tmp_path, urls)
    code = purge(
        api, "--stack", "production", *options, "urls", "--from-file", str(listing), "--remaining", str(left)
    )
    return code, left


def left_in(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")]


def test_a_file_that_is_not_utf8_is_refused_with_where_and_why(
    cloudflare_api: FakeCloudflareApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_bytes(f"{WWW}/products/1\n{WWW}/caf\xe9\n".encode("latin-1"))
    assert purge(cloudflare_api, "--stack", "production", "urls", "--from-file", str(listing)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert f"{listing}: line 2 is not UTF-8 text (byte 0xe9)" in err
    assert cloudflare_api.answers == []


def test_a_token_refused_mid_run_reports_purged_failed_and_never_attempted(
    cloudflare_api: FakeCloudflareApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudflare_api.schedule = {3: Scheduled(403)}
    urls = [f"{WWW}/products/{n}" for n in range(150)]  # 5 batches of 30
    code, left = purge_listing(cloudflare_api, tmp_path, urls)
    out, err = capsys.readouterr()
    assert code == 2
    assert "the API refused the token" in err
    assert "batch 2/5  files  30 item(s)  purged" in out
    assert "batch 3/5  files  30 item(s)  FAILED: the API refused the token: HTTP 403" in out
    assert "batch 4/5  files  30 item(s)  not attempted" in out
    assert "60 item(s) purged; 30 failed; 60 not attempted; 0 refused" in out
    assert cloudflare_api.purged_items("files") == urls[:60]
    assert left_in(left) == urls[60:]
    assert TOKEN not in out + err


def test_the_deadline_stops_the_run_instead_of_waiting_past_it(
    cloudflare_api: FakeCloudflareApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The API asks for two minutes; the run has one: it stops at once and says what is left.
    cloudflare_api.always = Scheduled(429, retry_after="120")
    urls = [f"{WWW}/products/{n}" for n in range(90)]
    code, left = purge_listing(cloudflare_api, tmp_path, urls, "--deadline", "60")
    out, err = capsys.readouterr()
    assert code == 2
    assert "Retry-After of 120 s goes past the --deadline (60 s left)" in err
    assert len(cloudflare_api.answers) == 1
    assert "0 item(s) purged; 30 failed; 60 not attempted" in out
    assert left_in(left) == urls


def test_the_remaining_file_resumes_the_run(
    cloudflare_api: FakeCloudflareApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudflare_api.schedule = {2: Scheduled(403)}
    urls = [f"{WWW}/products/{n}" for n in range(70)]
    left = tmp_path / "left.txt"
    first = ["--stack", "production", "urls", "--from-file", str(url_file(tmp_path, urls))]
    assert purge(cloudflare_api, *first, "--remaining", str(left)) == 2
    header = left.read_text().splitlines()[0]
    assert header.startswith("# python -m purge left 40 URL(s): ")
    resumed = ["--stack", "production", "urls", "--from-file", str(left), "--remaining", str(left)]
    assert purge(cloudflare_api, *resumed) == 0
    assert sorted(cloudflare_api.purged_items("files")) == sorted(urls)
    assert left_in(left) == []
    capsys.readouterr()


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (f"https://www.{ZONE_NAME}:99999/products/1", "has an invalid port"),
        (f"https://www.{ZONE_NAME}:2053/products/1", "port 2053 is never cached"),
        (f"https://user:pw@www.{ZONE_NAME}/products/1", "has user info"),
        (f"{WWW}/products/%zz", "has a bad percent-encoding"),
        (f"{WWW}/{'a' * 40_000}", "is longer than 32768 bytes"),
    ],
)
def test_an_invalid_url_is_refused_and_reported_while_the_rest_of_its_batch_is_purged(
    cloudflare_api: FakeCloudflareApi,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    bad: str,
    reason: str,
) -> None:
    good = [f"{WWW}/products/{n}" for n in range(5)]
    listing = url_file(tmp_path, [*good[:2], bad, *good[2:]])
    code = purge(cloudflare_api, "--stack", "production", "urls", "--from-file", str(listing))
    out = capsys.readouterr().out
    assert code == 1
    assert cloudflare_api.purged_items("files") == good
    assert not any(bad in str(body) for body in cloudflare_api.bodies_seen)
    assert f"REFUSED (not sent) {listing} line 3: " in out
    assert reason in out
    assert "5 item(s) purged; 0 failed; 0 not attempted; 1 refused" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--stack", "production", "--batch-size", "1000", "urls", "/p"],
            "--batch-size 1000: the 'pro' plan allows at most 100 URLs per purge request",
        ),
        (
            ["--zone", ZONE_NAME, "--batch-size", "101", "tags", "a"],
            "--batch-size 101: at most 100 tags per purge request on every plan",
        ),
        (
            ["--zone", ZONE_NAME, "--batch-size", "200", "urls", f"{WWW}/p"],
            "the plan is unknown (no --stack or --plan): at most 100 URLs per purge request",
        ),
    ],
)
def test_a_batch_size_beyond_the_plan_is_refused(
    cloudflare_api: FakeCloudflareApi, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert purge(cloudflare_api, *args) == 2
    assert message in capsys.readouterr().err
    assert cloudflare_api.answers == []


def test_enterprise_may_send_500_urls_per_request(cloudflare_api: FakeCloudflareApi) -> None:
    cloudflare_api.batch_limit = 500
    urls = [f"{WWW}/products/{n}" for n in range(1000)]
    args = ["--zone", ZONE_NAME, "--plan", "enterprise", "--batch-size", "500", "urls", *urls]
    assert purge(cloudflare_api, *args) == 0
    assert [len(p.items) for p in cloudflare_api.accepted] == [500, 500]
