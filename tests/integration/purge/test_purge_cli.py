"""``python -m purge`` against the local API: exit codes, per-batch report, no secrets, no tracebacks."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from purge.cli import main
from tests.integration.purge.conftest import TOKEN, ZONE_NAME
from tests.support.cloudflare_api import FakeCloudflareApi, Scheduled

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)


def purge(api: FakeCloudflareApi, *args: str) -> int:
    return main(["--api-base-url", api.base_url, *args])


def test_paths_expand_on_the_stacks_hostnames(
    cloudflare_api: FakeCloudflareApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code = purge(cloudflare_api, "--stack", "production", "urls", "/products/123", "/images/product-123.jpg")
    out = capsys.readouterr().out
    assert code == 0
    hosts = [ZONE_NAME, f"www.{ZONE_NAME}", f"static.{ZONE_NAME}"]
    assert cloudflare_api.purged_items("files") == [
        *(f"https://{host}/products/123" for host in hosts),
        *(f"https://{host}/images/product-123.jpg" for host in hosts),
    ]
    assert "batch 1/1  files  6 item(s)  purged" in out
    assert "6 item(s) purged; 0 failed; 0 not attempted; 0 refused" in out


def test_a_url_file_goes_out_in_stack_sized_batches_through_a_429(
    cloudflare_api: FakeCloudflareApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudflare_api.schedule = {3: Scheduled(429, retry_after="0")}
    urls = [f"https://www.{ZONE_NAME}/products/{n}" for n in range(1000)]
    listing = tmp_path / "urls.txt"
    listing.write_text("# changed products\n" + "\n".join(urls) + "\n")
    code = purge(cloudflare_api, "--stack", "production", "urls", "--from-file", str(listing))
    out = capsys.readouterr().out
    assert code == 0
    assert cloudflare_api.purged_items("files") == urls
    assert max(len(p.items) for p in cloudflare_api.accepted) == 30  # purgeBatchSize of production
    assert "batch 3/34  files  30 item(s)  purged  (attempts: 2)" in out


def test_failed_batches_are_listed_and_exit_1(
    cloudflare_api: FakeCloudflareApi, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudflare_api.item_limit = 1  # the API allows less than we send
    code = purge(cloudflare_api, "--zone", ZONE_NAME, "--batch-size", "2", "tags", "x", "y", "z")
    out = capsys.readouterr().out
    assert code == 1
    assert "batch 1/2  tags  2 item(s)  FAILED: HTTP 400" in out
    assert "    x\n    y\n" in out
    assert "batch 2/2  tags  1 item(s)  purged" in out
    assert cloudflare_api.purged_items("tags") == ["z"]


def test_purge_everything_needs_the_confirmation_flag(
    cloudflare_api: FakeCloudflareApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert purge(cloudflare_api, "--zone", ZONE_NAME, "everything") == 2
    assert "needs --yes-purge-everything" in capsys.readouterr().err
    assert cloudflare_api.answers == []
    assert purge(cloudflare_api, "--zone", ZONE_NAME, "everything", "--yes-purge-everything") == 0
    assert cloudflare_api.bodies_seen == [{"purge_everything": True}]


def test_product_command(cloudflare_api: FakeCloudflareApi) -> None:
    assert (
        purge(cloudflare_api, "--stack", "production", "--hostname", f"www.{ZONE_NAME}", "product", "77") == 0
    )
    assert cloudflare_api.purged_items("tags") == ["product-77"]
    assert len(cloudflare_api.purged_items("files")) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stack", "production", "urls"], "no URLs given"),
        (["--stack", "production", "urls", "ftp://technovastore.com/x"], "is not an http(s) URL"),
        (["--stack", "production", "urls", "https://evil.example/x"], "not in the zone"),
        (["--zone", ZONE_NAME, "urls", "/products/1"], "no hostnames are known"),
        (["--stack", "production", "--batch-size", "0", "tags", "a"], "batch size must be at least 1"),
        (["--stack", "production", "product", "../etc"], "product id '../etc'"),
        (["--stack", "nowhere", "tags", "a"], "no config file for stack 'nowhere'"),
        (["tags", "a"], "name the zone"),
        (["--zone", "example.org", "tags", "a"], "no zone named example.org"),
        (["--stack", "production", "urls", "--from-file", "/nonexistent/urls.txt"], "No such file"),
    ],
)
def test_bad_input_exits_2_with_a_clear_error(
    cloudflare_api: FakeCloudflareApi, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert purge(cloudflare_api, *args) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.err.startswith("error: ")
    assert cloudflare_api.accepted == []


def test_a_refused_token_exits_2(
    cloudflare_api: FakeCloudflareApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "revoked-token-value")
    assert purge(cloudflare_api, "--stack", "production", "tags", "a") == 2
    err = capsys.readouterr().err
    assert "refused the token" in err and "revoked-token-value" not in err


def test_the_token_appears_nowhere(
    cloudflare_api: FakeCloudflareApi, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    cloudflare_api.schedule = {1: Scheduled(429, retry_after="0"), 2: Scheduled(502, retry_after="0")}
    caplog.set_level(logging.DEBUG)
    assert purge(cloudflare_api, "--verbose", "--stack", "production", "urls", "/products/9") == 0
    captured = capsys.readouterr()
    assert "next attempt in" in caplog.text  # the verbose log did run
    for text in (captured.out, captured.err, caplog.text):
        assert TOKEN not in text


def run_module(*args: str, token: str | None) -> subprocess.CompletedProcess[str]:
    """Run the CLI as users do; the timeout only guards against a hang (generous: shared CI cores)."""
    env = {"PATH": "/usr/bin:/bin"}
    if token is not None:
        env["CLOUDFLARE_API_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "purge", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def test_python_m_purge_end_to_end(cloudflare_api: FakeCloudflareApi) -> None:
    done = run_module(
        "--api-base-url", cloudflare_api.base_url, "--stack", "production", "tags", "home", token=TOKEN
    )
    assert done.returncode == 0, done.stderr
    assert cloudflare_api.purged_items("tags") == ["home"]
    assert TOKEN not in done.stdout + done.stderr


def test_python_m_purge_without_a_token_exits_2_without_traceback(cloudflare_api: FakeCloudflareApi) -> None:
    done = run_module(
        "--api-base-url", cloudflare_api.base_url, "--stack", "production", "tags", "a", token=None
    )
    assert done.returncode == 2
    assert "CLOUDFLARE_API_TOKEN is not set" in done.stderr
    assert "Traceback" not in done.stderr
    assert cloudflare_api.answers == []
