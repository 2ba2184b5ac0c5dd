"""A rendering: every declared resource's document, and the index of the Pulumi resources behind them.

``--out`` writes one; ``--against`` and ``--against-ref`` read one back. The index
(``index.yaml``) lists every resource, components included, by the URN the engine gives it
(usable with ``pulumi up --target``), with its parent, its rendered file and the resource
options that change a verdict (``protect``, ``ignoreChanges``, ``replaceOnChanges``,
``deleteBeforeReplace``, ``aliases``, ``importId``) and the explicit provider it uses.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from preview.manifests import dump_yaml, manifest_path, rendered_documents
from preview.secret_digests import DIGESTS_FILE, SecretLeaves, key_id, process_key, secret_leaves
from preview.synth import DeclaredResource
from preview.urns import AliasSpec, qualified_type, urn_name, urn_type

INDEX_FILE = "index.yaml"
# The folders --out writes documents into (preview/manifests.py folder_of).
DOCUMENT_FOLDERS = ("kubernetes", "docker", "other")
INDEX_FORMAT = 2
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RenderingError(Exception):
    """A folder that is not a rendering written by ``--out``."""


@dataclass(frozen=True)
class ResourceRecord:
    """One resource of a rendering as the engine knows it."""

    urn: str
    parent: str | None = None
    file: str | None = None
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    replace_on_changes: tuple[str, ...] = ()
    delete_before_replace: bool | None = None
    aliases: tuple[AliasSpec, ...] = ()
    # The ``import_`` option: the id of an existing resource the program adopts.
    import_id: str = ""
    # The URN of the explicit provider resource it uses; empty for the default provider.
    provider: str = ""

    @property
    def type(self) -> str:
        return urn_type(self.urn)

    @property
    def name(self) -> str:
        return urn_name(self.urn)

    @property
    def depth(self) -> int:
        return qualified_type(self.urn).count("$")


@dataclass(frozen=True)
class Rendering:
    """Documents by file path, the resources behind them (empty: no index), and secret digests."""

    documents: Mapping[str, Any]
    records: Sequence[ResourceRecord] = ()
    # Per file: where each secret is and its digest, made with the key named ``secrets_key``.
    secrets: Mapping[str, SecretLeaves] = field(default_factory=dict)
    secrets_key: str = ""

    def record_of(self, path: str) -> ResourceRecord | None:
        return self._by_file.get(path)

    def document_of(self, urn: str) -> Any:
        """The rendered document of the resource ``urn`` (None for a component or an unknown URN)."""
        record = next((r for r in self.records if r.urn == urn), None)
        return self.documents.get(record.file) if record and record.file else None

    @functools.cached_property
    def _by_file(self) -> dict[str, ResourceRecord]:
        return {record.file: record for record in self.records if record.file}


def record_of(resource: DeclaredResource) -> ResourceRecord:
    return ResourceRecord(
        urn=resource.urn,
        parent=resource.parent,
        file=manifest_path(resource) if resource.custom else None,
        protect=resource.protect,
        ignore_changes=resource.ignore_changes,
        replace_on_changes=resource.replace_on_changes,
        delete_before_replace=resource.delete_before_replace,
        aliases=resource.aliases,
        import_id=resource.import_id or "",
        # A provider reference is ``<provider URN>::<provider id>``.
        provider=resource.provider.rsplit("::", 1)[0] if resource.provider else "",
    )


def rendering_of(resources: Sequence[DeclaredResource]) -> Rendering:
    """The rendering of what the program declared, with this process's secret digests."""
    key = process_key()
    secrets = {
        manifest_path(resource): leaves
        for resource in resources
        if resource.custom and (leaves := secret_leaves(resource, key))
    }
    records = [record_of(resource) for resource in sorted(resources, key=lambda r: (r.depth, r.urn))]
    return Rendering(rendered_documents(list(resources)), records, secrets, key_id(key))


def index_document(records: Sequence[ResourceRecord]) -> dict[str, Any]:
    """``index.yaml``: every resource, parents before children, with what differs from the defaults."""
    entries = []
    for record in records:
        entry: dict[str, Any] = {"urn": record.urn}
        optional = {
            "file": record.file,
            "parent": record.parent,
            "protect": record.protect,
            "ignoreChanges": list(record.ignore_changes),
            "replaceOnChanges": list(record.replace_on_changes),
            "aliases": [alias.as_record() for alias in record.aliases],
            "importId": record.import_id,
            "provider": record.provider,
        }
        entry |= {key: value for key, value in optional.items() if value}
        if record.delete_before_replace is not None:
            entry["deleteBeforeReplace"] = record.delete_before_replace
        entries.append(entry)
    return {"format": INDEX_FORMAT, "resources": entries}


def write_rendering(rendering: Rendering, out: Path, *, digests: bool = False) -> list[Path]:
    """Write the documents (kubernetes/, docker/, other/) and the index; the digests only when asked."""
    written: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    # A rerun into the same folder must not leave files of resources that are gone.
    for stale in [*_document_files(out), out / DIGESTS_FILE]:
        stale.unlink(missing_ok=True)
    for relative, document in sorted(rendering.documents.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_yaml(document))
        written.append(path)
    (out / INDEX_FILE).write_text(dump_yaml(index_document(rendering.records)))
    if digests:
        files = {
            path: [[list(keys), value] for keys, value in leaves]
            for path, leaves in rendering.secrets.items()
        }
        (out / DIGESTS_FILE).write_text(dump_yaml({"key": rendering.secrets_key, "files": files}))
    return written


def load_rendering(folder: Path) -> Rendering:
    """The rendering ``--out`` wrote into ``folder``; an index of another format counts as none."""
    files = _document_files(folder)
    if not files:
        raise RenderingError(
            f"{folder} holds no rendering (no kubernetes/*.yaml, docker/*.yaml or other/*.yaml from --out)"
        )
    documents = {str(path.relative_to(folder)): _read_document(path) for path in files}
    index_path, digests_path = folder / INDEX_FILE, folder / DIGESTS_FILE
    records = _records(_read_yaml(index_path)) if index_path.exists() else []
    if {record.file for record in records if record.file} != set(documents):
        records = []  # an index that does not describe these files is no index
    secrets, secrets_key = _digests(_read_yaml(digests_path)) if digests_path.exists() else ({}, "")
    return Rendering(documents, records, secrets, secrets_key)


def _document_files(folder: Path) -> list[Path]:
    return [path for part in DOCUMENT_FOLDERS for path in sorted(folder.glob(f"{part}/*.yaml"))]


def _records(index: Any) -> list[ResourceRecord]:
    if not isinstance(index, dict) or index.get("format") != INDEX_FORMAT:
        return []  # an older preview's index: its ids are not the engine's URNs
    return [
        ResourceRecord(
            urn=str(entry["urn"]),
            parent=entry.get("parent"),
            file=entry.get("file"),
            protect=bool(entry.get("protect", False)),
            ignore_changes=tuple(entry.get("ignoreChanges", ())),
            replace_on_changes=tuple(entry.get("replaceOnChanges", ())),
            delete_before_replace=entry.get("deleteBeforeReplace"),
            aliases=tuple(AliasSpec.from_record(alias) for alias in entry.get("aliases", ())),
            import_id=str(entry.get("importId", "")),
            provider=str(entry.get("provider", "")),
        )
        for entry in index.get("resources") or []
    ]


def _digests(document: Any) -> tuple[dict[str, SecretLeaves], str]:
    if not isinstance(document, dict):
        return {}, ""
    files = {
        path: [(tuple(keys), str(value)) for keys, value in leaves]
        for path, leaves in (document.get("files") or {}).items()
    }
    return files, str(document.get("key", ""))


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(), Loader=_LOADER)
    except yaml.YAMLError as error:
        raise RenderingError(f"{path} is not valid YAML: {error}") from None


def _read_document(path: Path) -> Any:
    document = _read_yaml(path)
    if not isinstance(document, dict) or not ({"kind", "metadata"} <= set(document) or "type" in document):
        raise RenderingError(f"{path} is not a rendered resource")
    return document
