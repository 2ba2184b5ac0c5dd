"""The preview defers the Cloudflare SDK's package body without changing what the program declares."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from components.settings.stack_file import PROJECT_ROOT
from preview.provider_imports import defer_package_body
from tests.support.preview_command import run_preview

DEFER = (
    "from preview.provider_imports import defer_provider_package_bodies\ndefer_provider_package_bodies()\n"
)

PACKAGE_NAMES = """
import json, pulumi_cloudflare as cloudflare
print(json.dumps({
    "names": sorted(name for name in dir(cloudflare) if not name.startswith("__")),
    "get_zone_is_the_function": callable(cloudflare.get_zone),
    "ruleset_class": cloudflare.Ruleset.__module__,
}))
"""


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_first_other_name_runs_the_real_package_body() -> None:
    plain = python(PACKAGE_NAMES)
    deferred = python(DEFER + "import pulumi_cloudflare.get_zone\n" + PACKAGE_NAMES)
    assert plain.returncode == 0, plain.stderr
    assert deferred.returncode == 0, deferred.stderr
    plain_package, deferred_package = json.loads(plain.stdout), json.loads(deferred.stdout)
    assert deferred_package == plain_package
    assert deferred_package["get_zone_is_the_function"] is True
    assert len(deferred_package["names"]) > 700


def rendered_files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_the_deferred_preview_renders_exactly_what_a_plain_import_renders(tmp_path: Path) -> None:
    deferred_out, plain_out = tmp_path / "deferred", tmp_path / "plain"
    # -X importtime: every module the command imports, listed on stderr.
    deferred = run_preview(
        "--stack", "production", "--out", str(deferred_out), python_options=["-X", "importtime"]
    )
    plain = python(
        "import sys\nfrom preview.cli import main\nimport pulumi_cloudflare\n"
        + f"sys.exit(main(['--stack', 'production', '--out', {str(plain_out)!r}]))\n"
    )
    assert deferred.returncode == plain.returncode == 0, deferred.stderr + plain.stderr
    loaded = {line.rsplit("|", 1)[-1].strip() for line in deferred.stderr.splitlines() if "|" in line}
    cloudflare_modules = {name for name in loaded if name.startswith("pulumi_cloudflare.")}
    # The helpers and the five modules the program declares from, not the provider's ~780.
    assert "pulumi_cloudflare.ruleset" in cloudflare_modules
    assert len(cloudflare_modules) < 20, sorted(cloudflare_modules)
    files = rendered_files(deferred_out)
    assert any(name.startswith("other/cloudflare_") for name in files)
    assert files == rendered_files(plain_out)


def test_a_package_that_is_not_installed_is_named() -> None:
    with pytest.raises(ImportError, match="no_such_provider_sdk is not an installed package"):
        defer_package_body("no_such_provider_sdk")
    assert "no_such_provider_sdk" not in sys.modules


def test_an_imported_package_is_left_as_it_is() -> None:
    import pulumi

    defer_package_body("pulumi")
    assert sys.modules["pulumi"] is pulumi
