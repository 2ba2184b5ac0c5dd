"""``python -m purge``: purge Cloudflare's edge cache for a stack's zone.

Exit codes: 0 everything purged, 1 some batches failed, 2 could not run (bad input, no token,
credentials refused, unknown zone or stack).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from components.settings import SettingsError, load_settings
from components.settings.stack_file import StackConfigError, read_stack_config
from purge.client import DEFAULT_BATCH_SIZE, PurgeClient, PurgeError, PurgeReport, token_from_env
from purge.targets import InvalidTarget

EXIT_OK, EXIT_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2
CONFIRM_EVERYTHING = "--yes-purge-everything"


@dataclass
class Zone:
    """Where to purge: from the stack's settings, overridden by the command line."""

    zone_id: str | None = None
    zone_name: str | None = None
    hostnames: list[str] = field(default_factory=list)
    batch_size: int = DEFAULT_BATCH_SIZE


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m purge", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", help="read zone, hostnames and batch size from Pulumi.<stack>.yaml")
    parser.add_argument("--zone-id", help="the zone's id (else looked up by name)")
    parser.add_argument("--zone", dest="zone_name", help="the zone's name")
    parser.add_argument("--hostname", action="append", default=[], help="expand relative paths on this host")
    parser.add_argument("--batch-size", type=int, help="items per purge request")
    parser.add_argument("--api-base-url", help="the API's base URL (default: Cloudflare's)")
    parser.add_argument("--verbose", action="store_true", help="log retries and list purged items")
    commands = parser.add_subparsers(dest="command", required=True)
    urls = commands.add_parser("urls", help="purge URLs or paths (paths expand on every hostname)")
    urls.add_argument("items", nargs="*")
    urls.add_argument("--from-file", type=Path, help="one URL or path per line ('-' reads stdin)")
    for name, help_text in (
        ("tags", "cache tags"),
        ("hosts", "hostnames"),
        ("prefixes", "'host/path' prefixes"),
    ):
        commands.add_parser(name, help=f"purge by {help_text}").add_argument("items", nargs="*")
    commands.add_parser("product", help="purge a product's page, API, image and tag").add_argument(
        "product_id"
    )
    everything = commands.add_parser("everything", help="purge the whole zone (asks for confirmation)")
    everything.add_argument(CONFIRM_EVERYTHING, dest="confirmed", action="store_true")
    return parser.parse_args(argv)


def resolve_zone(args: argparse.Namespace) -> Zone:
    zone = Zone()
    if args.stack:
        config = read_stack_config(args.stack)
        cloudflare = load_settings(config.values, args.stack, secret_keys=config.secret_keys).cloudflare
        zone = Zone(
            cloudflare.zone_id, cloudflare.zone_name, list(cloudflare.hostnames), cloudflare.purge_batch_size
        )
    zone.zone_id = args.zone_id or zone.zone_id
    zone.zone_name = args.zone_name or zone.zone_name
    zone.hostnames = args.hostname or zone.hostnames
    zone.batch_size = zone.batch_size if args.batch_size is None else args.batch_size
    if zone.zone_id is None and zone.zone_name is None:
        raise InvalidTarget("name the zone: --stack, --zone-id or --zone")
    return zone


def read_items(args: argparse.Namespace) -> list[str]:
    items = list(args.items)
    source = getattr(args, "from_file", None)
    if source is not None:
        text = sys.stdin.read() if str(source) == "-" else source.read_text()
        items += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return items


def run(client: PurgeClient, args: argparse.Namespace) -> PurgeReport:
    if args.command == "everything":
        if not args.confirmed:
            raise InvalidTarget(f"purging the whole zone needs {CONFIRM_EVERYTHING}")
        return client.purge_everything(confirm=True)
    if args.command == "product":
        return client.purge_product(args.product_id)
    items = read_items(args)
    purge = {
        "urls": client.purge_urls,
        "tags": client.purge_tags,
        "hosts": client.purge_hosts,
        "prefixes": client.purge_prefixes,
    }[args.command]
    return purge(items)


def print_report(report: PurgeReport, *, verbose: bool) -> None:
    total = len(report.results)
    for number, result in enumerate(report.results, start=1):
        status = "purged" if result.ok else f"FAILED: {result.error}"
        counted = f"{len(result.items)} item(s)"
        print(f"batch {number}/{total}  {result.kind}  {counted}  {status}  (attempts: {result.attempts})")
        if verbose or not result.ok:
            for item in result.items:
                print(f"    {item}")
    failed = sum(1 for r in report.results if not r.ok)
    print(f"{len(report.purged)} item(s) purged in {total} request(s); ", end="")
    print(f"{len(report.failed)} item(s) in {failed} failed request(s)")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        zone = resolve_zone(args)
        with PurgeClient(
            api_token=token_from_env(),
            zone_id=zone.zone_id,
            zone_name=zone.zone_name,
            hostnames=zone.hostnames,
            batch_size=zone.batch_size,
            base_url=args.api_base_url,
        ) as client:
            report = run(client, args)
    except (InvalidTarget, PurgeError, SettingsError, StackConfigError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    print_report(report, verbose=args.verbose)
    return EXIT_OK if report.ok else EXIT_FAILED
