"""``python -m purge``: purge Cloudflare's edge cache for a stack's zone.

Exit codes: 0 everything purged; 1 some items failed or were refused (the rest was purged);
2 could not run or could not finish (bad input, no token, token refused, unknown zone or stack,
the API unavailable, the --deadline reached). The report always says what was purged, what
failed and what was never attempted; --remaining writes what is left for the next run.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from components.settings import SettingsError, load_settings
from components.settings.cloudflare_plans import LIMITS, PLANS, Plan
from components.settings.stack_file import StackConfigError, read_stack_config
from purge.client import DEFAULT_BATCH_SIZE, PurgeClient, PurgeError, token_from_env
from purge.report import PurgeReport, write_remaining
from purge.targets import InvalidTarget

EXIT_OK, EXIT_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2
CONFIRM_EVERYTHING = "--yes-purge-everything"
DEFAULT_DEADLINE = 600.0
LIST_COMMANDS = {"urls": "URL", "tags": "tag", "hosts": "host", "prefixes": "prefix"}


@dataclass
class Zone:
    """Where to purge: from the stack's settings, overridden by the command line."""

    zone_id: str | None = None
    zone_name: str | None = None
    hostnames: list[str] = field(default_factory=list)
    batch_size: int = DEFAULT_BATCH_SIZE
    plan: Plan | None = None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m purge", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", help="read zone, plan, hostnames and batch size from Pulumi.<stack>.yaml")
    parser.add_argument("--zone-id", help="the zone's id (else looked up by name)")
    parser.add_argument("--zone", dest="zone_name", help="the zone's name")
    parser.add_argument("--plan", choices=PLANS, help="the zone's plan (bounds --batch-size)")
    parser.add_argument("--hostname", action="append", default=[], help="expand relative paths on this host")
    parser.add_argument("--batch-size", type=int, help="items per purge request")
    parser.add_argument(
        "--deadline", type=float, default=DEFAULT_DEADLINE, help="seconds for the whole run, waits included"
    )
    parser.add_argument("--api-base-url", help="the API's base URL (default: Cloudflare's)")
    parser.add_argument("--verbose", action="store_true", help="log retries and list every item")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("urls", "URLs or paths (paths expand on every hostname)"),
        ("tags", "cache tags"),
        ("hosts", "hostnames"),
        ("prefixes", "'host/path' prefixes"),
    ):
        command = commands.add_parser(name, help=f"purge {help_text}")
        command.add_argument("items", nargs="*")
        command.add_argument("--from-file", type=Path, help="one item per line, UTF-8 ('-' reads stdin)")
        command.add_argument("--remaining", type=Path, help="write what is left here (a next --from-file)")
    commands.add_parser("product", help="purge a product's page, API, image and tag").add_argument(
        "product_id"
    )
    everything = commands.add_parser("everything", help="purge the whole zone (asks for confirmation)")
    everything.add_argument(CONFIRM_EVERYTHING, dest="confirmed", action="store_true")
    args = parser.parse_args(argv)
    if args.deadline <= 0:
        parser.error("--deadline must be a positive number of seconds")
    return args


def resolve_zone(args: argparse.Namespace) -> Zone:
    zone = Zone()
    if args.stack:
        config = read_stack_config(args.stack)
        cloudflare = load_settings(config.values, args.stack, secret_keys=config.secret_keys).cloudflare
        zone = Zone(
            cloudflare.zone_id,
            cloudflare.zone_name,
            list(cloudflare.hostnames),
            cloudflare.purge_batch_size,
            cloudflare.plan,
        )
    zone.zone_id = args.zone_id or zone.zone_id
    zone.zone_name = args.zone_name or zone.zone_name
    zone.hostnames = args.hostname or zone.hostnames
    zone.plan = args.plan or zone.plan
    if args.batch_size is not None:
        check_batch_size(args.batch_size, args.command, zone.plan)
        zone.batch_size = args.batch_size
    if zone.zone_id is None and zone.zone_name is None:
        raise InvalidTarget("name the zone: --stack, --zone-id or --zone")
    return zone


def check_batch_size(size: int, command: str, plan: Plan | None) -> None:
    """Refuse a batch the API would refuse: per request, a plan's URL limit; 100 of anything else."""
    if size < 1:
        raise InvalidTarget(f"batch size must be at least 1, not {size}")
    if command in ("tags", "hosts", "prefixes"):
        limit = LIMITS.purge_items
        if size > limit.of("enterprise"):
            message = f"at most {limit.of('enterprise')} {command} per purge request on every plan"
            raise InvalidTarget(f"--batch-size {size}: {message} ({limit.source})")
        return
    urls = LIMITS.purge_urls
    if plan is None and size > urls.of("free"):
        raise InvalidTarget(
            f"--batch-size {size}: the plan is unknown (no --stack or --plan): at most {urls.of('free')} "
            f"URLs per purge request (Enterprise: {urls.of('enterprise')}, with --plan enterprise)"
        )
    if plan is not None and size > urls.of(plan):
        raise InvalidTarget(
            f"--batch-size {size}: the '{plan}' plan allows at most {urls.of(plan)} URLs per purge request "
            f"({urls.source})"
        )


def read_file_lines(source: Path) -> list[tuple[str, str]]:
    """Non-blank, non-comment lines with where they came from; the file must be UTF-8."""
    data = sys.stdin.buffer.read() if str(source) == "-" else source.read_bytes()
    name = "standard input" if str(source) == "-" else str(source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidTarget(
            f"{name}: line {line} is not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as "
            "UTF-8 (characters outside ASCII belong percent-encoded in URLs)"
        ) from None
    return [
        (line.strip(), f"{name} line {number}")
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def read_items(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The items to purge, each with where it came from (for refusals)."""
    items = [(item, f"argument {number}") for number, item in enumerate(args.items, start=1)]
    if args.from_file is not None:
        items += read_file_lines(args.from_file)
    return items


def run(client: PurgeClient, args: argparse.Namespace, items: list[str]) -> PurgeReport:
    if args.command == "everything":
        if not args.confirmed:
            raise InvalidTarget(f"purging the whole zone needs {CONFIRM_EVERYTHING}")
        return client.purge_everything(confirm=True)
    if args.command == "product":
        return client.purge_product(args.product_id)
    purge = {
        "urls": client.purge_urls,
        "tags": client.purge_tags,
        "hosts": client.purge_hosts,
        "prefixes": client.purge_prefixes,
    }[args.command]
    return purge(items)


def print_report(report: PurgeReport, sources: dict[str, str], *, verbose: bool) -> None:
    total = len(report.results)
    for number, result in enumerate(report.results, start=1):
        status = f"FAILED: {result.error}" if result.status == "failed" else result.status
        attempts = f"  (attempts: {result.attempts})" if result.attempts else ""
        print(f"batch {number}/{total}  {result.kind}  {len(result.items)} item(s)  {status}{attempts}")
        if result.status == "failed" or (verbose and not result.ok):
            for item in result.items:
                print(f"    {item}")
    for refused in report.refused:
        where = sources.get(refused.item, "the expanded list")
        print(f"REFUSED (not sent) {where}: {refused.item[:200]!r} {refused.reason}")
    print(report.summary())


def item_sources(items: list[tuple[str, str]], hostnames: list[str]) -> dict[str, str]:
    """Item (and each URL a path expands to) -> where it came from."""
    sources: dict[str, str] = {}
    for item, where in items:
        sources.setdefault(item, where)
        if item.startswith("/"):
            for host in hostnames:
                sources.setdefault(f"https://{host}{item}", where)
    return sources


def resume_command(args: argparse.Namespace, remaining: Path) -> str:
    words = ["python", "-m", "purge"]
    for flag, value in (("--stack", args.stack), ("--zone-id", args.zone_id), ("--zone", args.zone_name)):
        if value:
            words += [flag, value]
    if args.plan:
        words += ["--plan", args.plan]
    if args.batch_size is not None:
        words += ["--batch-size", str(args.batch_size)]
    words += [args.command, "--from-file", str(remaining), "--remaining", str(remaining)]
    return shlex.join(words)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        zone = resolve_zone(args)
        items = read_items(args) if args.command in LIST_COMMANDS else []
        with PurgeClient(
            api_token=token_from_env(),
            zone_id=zone.zone_id,
            zone_name=zone.zone_name,
            hostnames=zone.hostnames,
            batch_size=zone.batch_size,
            base_url=args.api_base_url,
            deadline=args.deadline,
        ) as client:
            report = run(client, args, [item for item, _ in items])
        print_report(report, item_sources(items, zone.hostnames), verbose=args.verbose)
        remaining = getattr(args, "remaining", None)
        if remaining is not None:
            label = LIST_COMMANDS[args.command]
            write_remaining(remaining, report, label, resume_command(args, remaining))
    except (InvalidTarget, PurgeError, SettingsError, StackConfigError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    if report.stopped:
        print(f"error: {report.stopped}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    return EXIT_OK if report.ok else EXIT_FAILED
