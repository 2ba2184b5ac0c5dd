"""``python -m preview`` as a platform engineer runs it: a subprocess in a project folder."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from components.settings.stack_file import PROJECT_ROOT

# Nothing from the caller's environment but the system's tools (git); wide enough that the
# resource tree does not wrap.
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "COLUMNS": "200"}


def run_preview(
    *args: str,
    cwd: Path = PROJECT_ROOT,
    python_options: Sequence[str] = (),
    environment: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the preview of the project in ``cwd`` (its own code: ``-m`` imports from there)."""
    return subprocess.run(
        [sys.executable, *python_options, "-m", "preview", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**ENVIRONMENT, **(environment or {})},
    )
