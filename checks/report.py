"""The run's results for people (a rich table), for tools (JSON) and for CI (JUnit XML)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter

from rich.console import Console
from rich.table import Table

from checks.model import CheckResult, Status

STYLES = {
    Status.OK: "green",
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.SKIP: "dim",
    Status.ERROR: "bold magenta",
}


def redact(results: list[CheckResult], secrets: list[str]) -> list[CheckResult]:
    """The results with any secret replaced: a server may echo what it was sent."""
    present = [secret for secret in secrets if secret]

    def clean(text: str) -> str:
        for secret in present:
            text = text.replace(secret, "***")
        return text

    return [CheckResult(r.family, r.name, r.status, clean(r.message), clean(r.target)) for r in results]


def summary(results: list[CheckResult]) -> dict[str, int]:
    counts = Counter(result.status.value for result in results)
    return {status.value: counts.get(status.value, 0) for status in Status}


def render_table(results: list[CheckResult], console: Console, stack: str | None) -> None:
    table = Table(title=f"Post-deploy checks{f' for stack {stack}' if stack else ''}", show_lines=False)
    for column in ("family", "check", "status", "target", "details"):
        table.add_column(column, overflow="fold")
    for result in results:
        status = f"[{STYLES[result.status]}]{result.status.value.upper()}[/]"
        table.add_row(result.family, result.name, status, result.target, result.message)
    console.print(table)
    counts = ", ".join(f"{count} {status}" for status, count in summary(results).items() if count)
    console.print(counts)


def render_json(results: list[CheckResult], stack: str | None, exit_code: int) -> str:
    document = {
        "stack": stack,
        "exitCode": exit_code,
        "summary": summary(results),
        "results": [result.as_dict() for result in results],
    }
    return json.dumps(document, indent=2)


def render_junit(results: list[CheckResult], stack: str | None) -> str:
    """One testsuite per family, one testcase per check; warnings pass, with the note in system-out."""
    root = ET.Element("testsuites", name=f"post-deploy checks{f' ({stack})' if stack else ''}")
    families = list(dict.fromkeys(result.family for result in results))
    for family in families:
        members = [result for result in results if result.family == family]
        counts = Counter(result.status for result in members)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=family,
            tests=str(len(members)),
            failures=str(counts[Status.FAIL]),
            errors=str(counts[Status.ERROR]),
            skipped=str(counts[Status.SKIP]),
        )
        for result in members:
            _testcase(suite, result)
    root.set("tests", str(len(results)))
    root.set("failures", str(sum(r.status is Status.FAIL for r in results)))
    root.set("errors", str(sum(r.status is Status.ERROR for r in results)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _testcase(suite: ET.Element, result: CheckResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=f"checks.{result.family}", name=result.name)
    element = {Status.FAIL: "failure", Status.ERROR: "error", Status.SKIP: "skipped"}.get(result.status)
    if element:
        ET.SubElement(case, element, message=result.message).text = f"{result.target}: {result.message}"
    text = f"{result.status.value}: {result.message} ({result.target})"
    ET.SubElement(case, "system-out").text = text
