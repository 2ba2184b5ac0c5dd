"""``python -m preview --stack <stack>``: evaluate the program offline, validate it, diff it.

Exit codes: 0 all good; 1 an object the Kubernetes schemas reject, a mandatory policy
violation, or (with ``--strict``) a dangerous change the stack has not acknowledged; 2 the
preview could not run (invalid settings or config, unknown revision, ...).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.settings import SettingsError, load_settings
from components.settings.stack_file import StackConfig, StackConfigError, read_stack_config
from preview.against import RevisionError, render_revision
from preview.danger import Danger, find_dangers
from preview.diff import Diff, diff_renderings
from preview.invoke_answers import invoke_answers
from preview.policy_run import PolicyFinding, PolicyPackUnavailable, run_pack
from preview.rendering import Rendering, RenderingError, load_rendering, rendering_of, write_rendering
from preview.report import FORMATS, render_diff
from preview.secret_digests import KEY_ENVIRONMENT
from preview.synth import Synthesis, synthesize
from preview.tree import resource_tree
from preview.validate import (
    DEFAULT_KUBERNETES_VERSION,
    UnsupportedVersionError,
    ValidationResult,
    schema_version,
    validate_manifests,
)

EXIT_OK, EXIT_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2


class CouldNotRun(Exception):
    """An expected failure that stops the preview before any verdict (exit 2)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m preview", description=__doc__)
    parser.add_argument("--stack", required=True, help="production, staging or pr-<number>")
    parser.add_argument("--out", type=Path, help="write every declared resource as YAML into this folder")
    parser.add_argument(
        "--config-file", type=Path, help="read the stack config from this file (as pulumi does)"
    )
    parser.add_argument(
        "--kubernetes-version",
        default=DEFAULT_KUBERNETES_VERSION,
        help=f"validate against this Kubernetes release's schemas (default {DEFAULT_KUBERNETES_VERSION})",
    )
    against = parser.add_mutually_exclusive_group()
    against.add_argument(
        "--against", type=Path, metavar="DIR", help="diff against a rendering written by --out"
    )
    against.add_argument("--against-ref", metavar="GIT_REF", help="diff against this revision's rendering")
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (markdown/json need a diff)"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 on a dangerous change (or a rename without alias) the stack's acknowledge list lacks",
    )
    args = parser.parse_args(argv)
    if args.format != "text" and not (args.against or args.against_ref):
        parser.error(f"--format {args.format} needs --against or --against-ref")
    return args


@dataclass
class Verdict:
    """Everything the preview found for one stack."""

    synthesis: Synthesis
    documents: dict[str, Any]
    validation: ValidationResult
    findings: list[PolicyFinding] | None
    diff: Diff | None
    dangers: list[Danger] = field(default_factory=list)

    @property
    def unacknowledged(self) -> list[Danger]:
        return [danger for danger in self.dangers if not danger.acknowledged]

    def failed(self, strict: bool = False) -> bool:
        mandatory = any(f.mandatory for f in self.findings or [])
        dangerous = strict and bool(self.unacknowledged)
        return bool(self.validation.problems) or mandatory or bool(self.synthesis.duplicate_urns) or dangerous


def type_counts(synthesis: Synthesis) -> Counter[str]:
    return Counter(r.type for r in synthesis.resources if r.custom)


def _synthesize(args: argparse.Namespace, config: StackConfig) -> Synthesis:
    return synthesize(
        args.stack,
        config.values,
        secret_keys=config.secret_keys,
        invoke_answers=invoke_answers(args.stack, config.values, config.secret_keys),
    )


def _policy_findings(synthesis: Synthesis) -> list[PolicyFinding] | None:
    try:
        return run_pack(synthesis.resources, synthesis.stack)
    except PolicyPackUnavailable:
        return None


def _base_rendering(args: argparse.Namespace) -> Rendering | None:
    if args.against:
        return load_rendering(args.against)
    if args.against_ref:
        with tempfile.TemporaryDirectory(prefix="preview-base-out-") as out:
            return load_rendering(render_revision(args.against_ref, args.stack, Path(out)))
    return None


def evaluate(args: argparse.Namespace) -> Verdict:
    """Synthesize, write, validate, run the pack and diff; CouldNotRun for expected failures."""
    try:
        schema_version(args.kubernetes_version)
        base = _base_rendering(args)
        config = read_stack_config(args.stack, config_file=args.config_file)
        synthesis = _synthesize(args, config)
    except (SettingsError, StackConfigError, UnsupportedVersionError, RenderingError, RevisionError) as error:
        raise CouldNotRun(str(error)) from None
    current = rendering_of(synthesis.resources)
    if args.out:
        # Digests go into a rendering only for the preview that asked for it (--against-ref).
        write_rendering(current, args.out, digests=bool(os.environ.get(KEY_ENVIRONMENT)))
    documents = dict(current.documents)
    manifests = [doc for path, doc in sorted(documents.items()) if path.startswith("kubernetes/")]
    validation = validate_manifests(manifests, args.kubernetes_version)
    verdict = Verdict(synthesis, documents, validation, _policy_findings(synthesis), None)
    if base is not None:
        verdict.diff = diff_renderings(base, current, config=config.values)
        verdict.dangers = find_dangers(verdict.diff, base, current, _acknowledged(config))
    return verdict


def _acknowledged(config: StackConfig) -> list[str]:
    """The stack's ``acknowledge`` list (a program that needs no settings has none)."""
    try:
        return list(load_settings(config.values, config.stack).acknowledge)
    except SettingsError:
        return []


def check_lines(verdict: Verdict, version: str) -> list[str]:
    """The schema and policy verdicts, one line each, then every problem with resource and field."""
    validation = verdict.validation
    lines = [
        f"schema (Kubernetes {version}): {validation.checked} objects, {len(validation.problems)} problems"
    ]
    lines += [f"  invalid: {problem}" for problem in validation.problems]
    lines += [f"  not validated (no schema): {name}" for name in validation.unchecked]
    # The mock runtime accepts two resources with one URN; the engine would refuse the program.
    lines += [
        f"  duplicate resource (the engine refuses it): {urn}" for urn in verdict.synthesis.duplicate_urns
    ]
    if verdict.findings is None:
        lines.append("policy pack: no offline runner in this revision; not run")
    else:
        mandatory = sum(1 for f in verdict.findings if f.mandatory)
        lines.append(
            f"policy pack: {mandatory} mandatory, {len(verdict.findings) - mandatory} other violations"
        )
        lines += [f"  {finding}" for finding in verdict.findings]
    return lines


def print_text(verdict: Verdict, args: argparse.Namespace) -> None:
    sys.stdout.write(resource_tree(verdict.synthesis.stack, verdict.synthesis.resources))
    counts = type_counts(verdict.synthesis)
    for type_, count in sorted(counts.items()):
        print(f"  {count:4d}  {type_}")
    print(f"  {sum(counts.values()):4d}  resources in stack {args.stack}")
    if args.out:
        print(f"wrote {len(verdict.documents)} files to {args.out}")
    print("\n".join(check_lines(verdict, args.kubernetes_version)))
    if verdict.diff is not None:
        print(render_diff(verdict.diff, "text", _diff_title(args), dangers=verdict.dangers), end="")
    if args.strict and verdict.unacknowledged:
        keys = ", ".join(danger.key for danger in verdict.unacknowledged)
        print(f"strict: {len(verdict.unacknowledged)} dangerous change(s) not acknowledged: {keys}")


def _diff_title(args: argparse.Namespace) -> str:
    base = args.against_ref or args.against
    return f"Offline preview of stack {args.stack} against {base}"


def report(verdict: Verdict, args: argparse.Namespace) -> None:
    if args.format == "text":
        print_text(verdict, args)
        return
    assert verdict.diff is not None  # parse_args requires a diff for markdown and JSON
    checks: Sequence[str] = check_lines(verdict, args.kubernetes_version)
    sys.stdout.write(render_diff(verdict.diff, args.format, _diff_title(args), checks, verdict.dangers))
    if args.format == "json":
        sys.stderr.write("\n".join(checks) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        verdict = evaluate(args)
    except CouldNotRun as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    report(verdict, args)
    return EXIT_FAILED if verdict.failed(args.strict) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
