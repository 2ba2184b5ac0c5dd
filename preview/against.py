"""Render another revision of this repository (the pull request's base) for the diff.

The revision is checked out in a temporary ``git worktree`` and previewed by its own code, so
the diff shows what merging the change would change, program and config alike. The child
preview gets this process's secret digest key (preview/secret_digests.py), so secret values
of both sides can be compared without either leaving its process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from components.settings.stack_file import PROJECT_ROOT
from preview.secret_digests import KEY_ENVIRONMENT, process_key

# A preview takes seconds; a stuck one must not hang a CI job.
PREVIEW_TIMEOUT_SECONDS = 300


class RevisionError(Exception):
    """The revision does not exist or its preview could not run."""


def _git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise RevisionError(f"git {' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip()


def render_revision(ref: str, stack: str, out: Path, repo: Path = PROJECT_ROOT) -> Path:
    """Write ``ref``'s rendering of ``stack`` into ``out`` (as ``--out`` does); returns ``out``."""
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=repo)
    except RevisionError:
        raise RevisionError(f"--against-ref {ref}: no such revision in this repository") from None
    checkout = Path(tempfile.mkdtemp(prefix="preview-base-")) / "src"
    _git("worktree", "add", "--detach", str(checkout), commit, cwd=repo)
    try:
        _run_preview(checkout, stack, out, ref)
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(checkout)],
            cwd=repo,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(checkout.parent, ignore_errors=True)
    return out


def _run_preview(checkout: Path, stack: str, out: Path, ref: str) -> None:
    command = [sys.executable, "-m", "preview", "--stack", stack, "--out", str(out.resolve())]
    try:
        result = subprocess.run(
            command,
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=PREVIEW_TIMEOUT_SECONDS,
            check=False,
            env={**os.environ, KEY_ENVIRONMENT: process_key().hex()},
        )
    except subprocess.TimeoutExpired:
        raise RevisionError(f"the preview of {ref} took longer than {PREVIEW_TIMEOUT_SECONDS} s") from None
    # Exit 1 (the base has findings of its own) still wrote a complete rendering.
    if result.returncode not in (0, 1) or not any(out.glob("*/*.yaml")):
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise RevisionError(f"the preview of {ref} failed (exit {result.returncode}): " + " / ".join(detail))
