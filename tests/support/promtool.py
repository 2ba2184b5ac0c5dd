"""Debian's promtool on rendered rules: ``check rules`` and ``test rules`` in a temporary folder."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def check_rules(rules: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="promtool-") as tmp:
        path = Path(tmp) / "rules.yml"
        path.write_text(yaml.safe_dump(rules, sort_keys=False))
        return subprocess.run(
            [PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
        )


def test_rules(
    rules: dict[str, Any], tests: list[dict[str, Any]], *, evaluation_interval: str = "1m"
) -> subprocess.CompletedProcess[str]:
    """Run promtool's rule unit tests (``tests`` as in its test file) against ``rules``."""
    with tempfile.TemporaryDirectory(prefix="promtool-") as tmp:
        Path(tmp, "rules.yml").write_text(yaml.safe_dump(rules, sort_keys=False))
        document = {"rule_files": ["rules.yml"], "evaluation_interval": evaluation_interval, "tests": tests}
        Path(tmp, "tests.yml").write_text(yaml.safe_dump(document, sort_keys=False))
        return subprocess.run(
            [PROMTOOL, "test", "rules", "tests.yml"], cwd=tmp, capture_output=True, text=True, timeout=300
        )


test_rules.__test__ = False  # type: ignore[attr-defined]  # a helper, not a pytest test
