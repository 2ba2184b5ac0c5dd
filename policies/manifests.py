"""YAML files as the resources the pack validates, each with the file and line it came from.

Reads Kubernetes manifests (multi-document files, ``kind: List`` and ``*List`` objects
flattened) and the non-Kubernetes resources ``python -m preview --out`` writes (``type``,
``name``, ``inputs``), so a rendered stack can be scanned whole. Anything else is skipped
with a note, never guessed at.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.strict_yaml import StrictSafeLoader

SUFFIXES = (".yaml", ".yml", ".json")


class ManifestError(Exception):
    """A path that does not exist or a file that is not YAML; the message names the place."""


@dataclass(frozen=True)
class Location:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class ScannedResource:
    """One object from a file, in the shape the offline runner takes (urn, type, name, inputs)."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    location: Location


@dataclass
class Scan:
    resources: list[ScannedResource]
    skipped: list[str]
    files: list[str]


def kubernetes_type(api_version: str, kind: str) -> str:
    """The provider's type token: ``kubernetes:<group>/<version>:<Kind>``, the core group named ``core``."""
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{kind}"


def manifest_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and the YAML/JSON files under the folders named (sorted, recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise ManifestError(f"{path}: no such file or folder")
    return files


def display_path(path: Path) -> str:
    """Relative to the working directory when under it (as code scanning expects), else absolute."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _documents(path: Path) -> Iterator[tuple[yaml.Node, Any]]:
    """Each YAML document of the file as (node, value); nodes carry line numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{path}: cannot read it ({error})") from None
    loader = StrictSafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node, loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ManifestError(f"{where}: not valid YAML ({getattr(error, 'problem', None) or error})") from None
    finally:
        loader.dispose()


def _list_items(node: yaml.Node, value: Mapping[str, Any]) -> list[tuple[int, Any]]:
    """The items of a List object with the line each starts on."""
    items = value.get("items")
    item_nodes: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        for key, child in node.value:
            if getattr(key, "value", None) == "items" and isinstance(child, yaml.SequenceNode):
                item_nodes = child.value
    if not isinstance(items, list):
        return []
    lines = [n.start_mark.line + 1 for n in item_nodes]
    return [(lines[i] if i < len(lines) else node.start_mark.line + 1, item) for i, item in enumerate(items)]


def _is_list(value: Mapping[str, Any]) -> bool:
    kind = value.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and "items" in value


def _resource(value: Any, location: Location) -> ScannedResource | str:
    """The resource in a document, or why it is skipped."""
    if not isinstance(value, Mapping):
        return f"{location}: skipped, not a mapping"
    api_version, kind = value.get("apiVersion"), value.get("kind")
    urn = f"urn:scan:{location}"
    if isinstance(api_version, str) and api_version and isinstance(kind, str) and kind:
        metadata = value.get("metadata")
        name = metadata.get("name") if isinstance(metadata, Mapping) else None
        return ScannedResource(
            urn, kubernetes_type(api_version, kind), str(name or location), value, location
        )
    type_, inputs = value.get("type"), value.get("inputs")
    if isinstance(type_, str) and ":" in type_ and isinstance(inputs, Mapping):
        return ScannedResource(urn, type_, str(value.get("name") or location), inputs, location)
    return f"{location}: skipped, not a Kubernetes object (no apiVersion and kind)"


def load(paths: Iterable[Path]) -> Scan:
    """Every resource in the files and folders named; ManifestError when one cannot be read."""
    scan = Scan([], [], [])
    for path in manifest_files(paths):
        shown = display_path(path)
        scan.files.append(shown)
        for node, value in _documents(path):
            line = node.start_mark.line + 1
            listed = isinstance(value, Mapping) and _is_list(value)
            for item_line, item in _list_items(node, value) if listed else [(line, value)]:
                found = _resource(item, Location(shown, item_line))
                if isinstance(found, str):
                    scan.skipped.append(found)
                else:
                    scan.resources.append(found)
    return scan
