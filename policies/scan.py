"""``python -m policies.scan FILE_OR_DIR... [--stack STACK] [--format table|json|sarif]``: lint manifests.

Runs the whole pack over Kubernetes YAML (any files, not only this program's) with the same
offline runner the preview uses: every object is validated on its own, and the stack rules see
all the objects of all the files together. Without ``--stack`` every rule runs at its default
level and settings; with it, at that stack's (policies/config/<stack>.json).

Exit codes: 0 no mandatory violation; 1 a mandatory violation; 2 could not run (a missing
path, a file that is not YAML, no Kubernetes object, an unknown stack).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pulumi_policy import Policy
from rich.console import Console
from rich.table import Table

from policies.manifests import Location, ManifestError, Scan, load
from policies.offline import Violation, load_pack_config, run_policies, to_policy_resources
from policies.rules import ALL_POLICIES
from policies.sarif import render_sarif

EXIT_OK, EXIT_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2
FORMATS = ("table", "json", "sarif")
_LEVEL_STYLES = {"mandatory": "bold red", "remediate": "yellow", "advisory": "cyan"}


class CouldNotRun(Exception):
    """An expected failure before any verdict (exit 2)."""


@dataclass(frozen=True)
class Finding:
    policy: str
    severity: str
    level: str
    message: str
    location: Location | None

    @property
    def mandatory(self) -> bool:
        return self.level == "mandatory"

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["location"] = asdict(self.location) if self.location else None
        return document


@dataclass
class Report:
    scan: Scan
    findings: list[Finding]
    stack: str | None

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if any(f.mandatory for f in self.findings) else EXIT_OK

    def counts(self) -> dict[str, int]:
        levels = Counter(f.level for f in self.findings)
        return {level: levels.get(level, 0) for level in ("mandatory", "remediate", "advisory")}


def _pack_config(stack: str | None) -> dict[str, Any]:
    if stack is None:
        return {}
    try:
        return load_pack_config(stack)
    except FileNotFoundError as error:
        raise CouldNotRun(str(error)) from None


def _run(policies: Sequence[Policy], scan: Scan, config: dict[str, Any]) -> list[Violation]:
    """Each policy over all resources; a rule that raises is named instead of a traceback."""
    resources = to_policy_resources(scan.resources)
    violations: list[Violation] = []
    for policy in policies:
        try:
            violations += run_policies(resources, config, policies=[policy])
        except Exception as error:
            raise CouldNotRun(f"policy {policy.name} failed on these manifests: {error!r}") from error
    return violations


def scan_paths(
    paths: Sequence[Path],
    stack: str | None = None,
    policies: Sequence[Policy] | None = None,
    config: Mapping[str, Any] | None = None,
) -> Report:
    """Load ``paths`` and run ``policies`` (default: the pack) over them; CouldNotRun for bad input.

    ``config`` (the shape of policies/config/<stack>.json) replaces the stack's pack config.
    """
    config = dict(config) if config is not None else _pack_config(stack)
    try:
        scan = load(paths)
    except ManifestError as error:
        raise CouldNotRun(str(error)) from None
    if not scan.resources:
        raise CouldNotRun(f"no Kubernetes objects in {', '.join(str(p) for p in paths)}")
    where = {r.urn: r.location for r in scan.resources}
    findings = [
        Finding(v.policy, v.severity, v.enforcement_level, v.message, where.get(v.urn or ""))
        for v in _run(policies if policies is not None else ALL_POLICIES, scan, config)
    ]
    order = {"mandatory": 0, "remediate": 1, "advisory": 2}
    findings.sort(key=lambda f: (order.get(f.level, 3), str(f.location or ""), f.policy, f.message))
    return Report(scan, findings, stack)


def render_table(report: Report, console: Console) -> None:
    table = Table(title=f"Policy pack{f' (stack {report.stack})' if report.stack else ''}")
    for column in ("level", "policy", "where", "violation"):
        table.add_column(column, overflow="fold")
    for finding in report.findings:
        style = _LEVEL_STYLES.get(finding.level, "")
        table.add_row(
            f"[{style}]{finding.level}[/]",
            finding.policy,
            str(finding.location or "(stack)"),
            finding.message,
        )
    if report.findings:
        console.print(table)
    counts = ", ".join(f"{count} {level}" for level, count in report.counts().items())
    console.print(
        f"{len(report.scan.resources)} objects in {len(report.scan.files)} files: {counts} violations"
    )


def render_json(report: Report) -> str:
    return json.dumps(
        {
            "stack": report.stack,
            "exitCode": report.exit_code,
            "files": report.scan.files,
            "objects": len(report.scan.resources),
            "summary": report.counts(),
            "violations": [f.as_dict() for f in report.findings],
            "skipped": report.scan.skipped,
        },
        indent=2,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m policies.scan", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_DIR", help="manifests to lint")
    parser.add_argument("--stack", help="use this stack's pack config (production, staging, pr-<n>)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    parser.add_argument("--output", type=Path, help="write the report here instead of stdout")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = scan_paths(args.paths, args.stack)
    except CouldNotRun as error:
        sys.stderr.write(f"policies.scan: could not run: {error}\n")
        return EXIT_COULD_NOT_RUN
    for note in report.scan.skipped:
        sys.stderr.write(f"note: {note}\n")
    if args.format == "table" and not args.output:
        render_table(report, Console() if sys.stdout.isatty() else Console(width=200))
        return report.exit_code
    if args.format == "table":
        buffer = io.StringIO()
        render_table(report, Console(file=buffer, width=200))
        text = buffer.getvalue().rstrip("\n")
    else:
        text = render_json(report) if args.format == "json" else render_sarif(report.findings, ALL_POLICIES)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")
    else:
        sys.stdout.write(text + "\n")
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
