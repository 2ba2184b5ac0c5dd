"""``python -m preview --stack <stack>``: evaluate the program offline and show what it declares."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.tree import Tree

from components.settings import SettingsError
from preview.invoke_answers import invoke_answers
from preview.manifests import write_manifests
from preview.stack_config import StackConfigError, read_stack_config
from preview.synth import Synthesis, synthesize

EXIT_OK, EXIT_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m preview", description=__doc__)
    parser.add_argument("--stack", required=True, help="production, staging or pr-<number>")
    parser.add_argument("--out", type=Path, help="write every declared resource as YAML into this folder")
    return parser.parse_args(argv)


def resource_tree(synthesis: Synthesis) -> Tree:
    """Components with their children, like ``pulumi preview`` shows them."""
    tree = Tree(f"[bold]stack {synthesis.stack}[/bold]")
    nodes: dict[str | None, Tree] = {}
    for resource in sorted(synthesis.resources, key=lambda r: r.urn.count("$")):
        parent = nodes.get(resource.parent, tree)
        nodes[resource.urn] = parent.add(f"{resource.type}  [cyan]{resource.name}[/cyan]")
    return tree


def type_counts(synthesis: Synthesis) -> Counter[str]:
    return Counter(r.type for r in synthesis.resources if r.custom)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    errors = Console(stderr=True)
    try:
        config = read_stack_config(args.stack)
        synthesis = synthesize(
            args.stack,
            config.values,
            secret_keys=config.secret_keys,
            invoke_answers=invoke_answers(args.stack, config.values),
        )
    except (SettingsError, StackConfigError) as error:
        errors.print(f"[red]error:[/red] {error}", markup=True, highlight=False, soft_wrap=True)
        return EXIT_COULD_NOT_RUN
    console.print(resource_tree(synthesis))
    counts = type_counts(synthesis)
    for type_, count in sorted(counts.items()):
        console.print(f"  {count:4d}  {type_}", highlight=False)
    console.print(f"  {sum(counts.values()):4d}  resources in stack {args.stack}", highlight=False)
    if args.out:
        written = write_manifests(synthesis.resources, args.out)
        console.print(f"wrote {len(written)} files to {args.out}", highlight=False)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
