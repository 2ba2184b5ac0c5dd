"""The resource tree, like ``pulumi preview`` shows it: every child under its recorded parent.

Plain text with full names: a CI log or a file gets every line whole, whatever its width.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from preview.synth import DeclaredResource


def resource_tree(stack: str, resources: Sequence[DeclaredResource]) -> str:
    """``stack <name>`` and below it each resource as ``type  name``, children sorted by type and name."""
    urns = {resource.urn for resource in resources}
    children: dict[str | None, list[DeclaredResource]] = defaultdict(list)
    for resource in resources:
        # A parent outside the program's resources is the stack itself.
        children[resource.parent if resource.parent in urns else None].append(resource)
    lines = [f"stack {stack}"]

    def add(parent: str | None, indent: str) -> None:
        ordered = sorted(children.get(parent, []), key=lambda r: (r.type, r.name))
        for position, resource in enumerate(ordered):
            last = position == len(ordered) - 1
            lines.append(f"{indent}{'└── ' if last else '├── '}{resource.type}  {resource.name}")
            add(resource.urn, indent + ("    " if last else "│   "))

    add(None, "")
    return "\n".join(lines) + "\n"
