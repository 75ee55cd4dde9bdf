"""Fetch a complete raw export of one Docmost space into a directory (the "raw export" on disk).

Owns the step client -> files. Docmost 0.95's space export silently drops pages whose sanitized file names
collide (see the recordings README, Collisions addendum), so the export is cross-checked by ``pageId`` against the
page tree from the API and every missing page is fetched on its own with ``POST /api/pages/export``.

Layout written into ``dest_dir`` (which must be new or empty):

* ``space.zip``            the space export (absent for a space without pages)
* ``pages/<pageId>.zip``   one per page the space export dropped
* ``tree.json``            the API page tree, a list of ``SidebarPage`` dicts
* ``raw-export.json``      the manifest (:class:`RawExport` without ``dir``)
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from docmost_pipeline.docmost.errors import DocmostEmptySpace
from docmost_pipeline.export.metadata import METADATA_ENTRY, read_export_metadata
from docmost_pipeline.export.zipsafety import ExtractionError
from docmost_pipeline.model import SidebarPage, Space

SPACE_ZIP = "space.zip"
PAGES_DIR = "pages"
TREE_JSON = "tree.json"
MANIFEST = "raw-export.json"

log = logging.getLogger(__name__)


class RawExportError(ValueError):
    """The raw export cannot be completed or read (names what is wrong and where)."""


@dataclass
class RawExport:
    """A complete raw export of a space on disk.

    ``bytes``/``sha256`` describe ``space.zip``; ``seconds`` is the wall time of the whole download (tree,
    space export and recovered pages); ``recovered_page_ids`` lists the pages fetched one by one because the
    space export dropped them; ``empty`` is True for a space without pages (no ``space.zip``).
    """

    dir: Path
    space: Space
    zip_path: Path | None
    bytes: int
    sha256: str | None
    seconds: float
    recovered_page_ids: list[str] = field(default_factory=list)
    docmost_version: str | None = None
    empty: bool = False

    @property
    def tree_path(self) -> Path:
        return self.dir / TREE_JSON

    def page_zip(self, page_id: str) -> Path:
        return self.dir / PAGES_DIR / f"{page_id}.zip"

    def tree(self) -> list[SidebarPage]:
        return load_tree(self.tree_path)

    def to_dict(self) -> dict:
        return {
            "space": asdict(self.space),
            "zip": SPACE_ZIP if self.zip_path else None,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "seconds": self.seconds,
            "recovered_page_ids": list(self.recovered_page_ids),
            "docmost_version": self.docmost_version,
            "empty": self.empty,
        }

    def save(self) -> Path:
        path = self.dir / MANIFEST
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, dir: Path) -> RawExport:  # noqa: A002 - the contract names it dir
        dir = Path(dir)
        manifest = dir / MANIFEST
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RawExportError(f"{manifest} is missing: {dir} is not a raw export directory") from None
        except ValueError as exc:
            raise RawExportError(f"{manifest} is not valid JSON: {exc}") from None
        return cls(
            dir=dir,
            space=Space(**data["space"]),
            zip_path=dir / data["zip"] if data.get("zip") else None,
            bytes=data["bytes"],
            sha256=data.get("sha256"),
            seconds=data["seconds"],
            recovered_page_ids=list(data.get("recovered_page_ids", [])),
            docmost_version=data.get("docmost_version"),
            empty=bool(data.get("empty", False)),
        )


def load_tree(path: Path) -> list[SidebarPage]:
    """Read ``tree.json`` (a list of SidebarPage dicts, as written by download_space)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExtractionError(f"{path}: cannot read the page tree ({exc})") from None
    if not isinstance(data, list):
        raise ExtractionError(f"{path}: expected a list of pages")
    names = {f.name for f in fields(SidebarPage)}
    tree: list[SidebarPage] = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ExtractionError(f"{path}: item {index} is not a page object with an 'id'")
        try:
            tree.append(SidebarPage(**{k: v for k, v in item.items() if k in names}))
        except TypeError as exc:
            raise ExtractionError(f"{path}: item {index}: {exc}") from None
    return tree


def download_space(client, space: Space, dest_dir: Path) -> RawExport:
    """Download the page tree, the space export and every page the export dropped into ``dest_dir``."""
    dest_dir = Path(dest_dir)
    if dest_dir.exists() and any(dest_dir.iterdir()):
        raise RawExportError(f"raw export directory {dest_dir} is not empty; use a new directory")
    dest_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    tree = client.list_pages(space.id)
    (dest_dir / TREE_JSON).write_text(json.dumps([asdict(p) for p in tree], ensure_ascii=False, indent=1),
                                      encoding="utf-8")
    zip_path = dest_dir / SPACE_ZIP
    try:
        download = client.export_space(space.id, zip_path)
    except DocmostEmptySpace:
        if tree:
            log.warning("space %s: export says no accessible pages but the tree lists %d", space.slug, len(tree))
        raw = RawExport(dir=dest_dir, space=space, zip_path=None, bytes=0, sha256=None,
                        seconds=time.monotonic() - started, empty=True)
        raw.save()
        return raw

    # The same parser as extraction: a metadata file extraction would refuse fails here, with the same message.
    metadata = read_export_metadata(zip_path)
    recovered: list[str] = []
    version = None
    if metadata is None:
        log.warning("space %s: export has no %s; cannot cross-check pages by id", space.slug, METADATA_ENTRY)
    else:
        version = metadata.version
        in_zip = metadata.page_ids
        missing = [page for page in tree if page.id not in in_zip]
        for page in missing:
            page_zip = dest_dir / PAGES_DIR / f"{page.id}.zip"
            client.export_page(page.id, page_zip)
            page_metadata = read_export_metadata(page_zip)
            if page_metadata is None or page.id not in page_metadata.page_ids:
                raise RawExportError(f"space {space.slug}: the export of page {page.id} ({page.title!r}) "
                                     f"does not contain that page in its {METADATA_ENTRY}")
            recovered.append(page.id)
        if recovered:
            log.warning("space %s: the space export dropped %d page(s); recovered them one by one: %s",
                        space.slug, len(recovered), ", ".join(recovered))
        extra = in_zip - {page.id for page in tree}
        if extra:
            log.info("space %s: %d page(s) in the export are not in the API tree (changed during the sync)",
                     space.slug, len(extra))

    raw = RawExport(dir=dest_dir, space=space, zip_path=zip_path, bytes=download.bytes, sha256=download.sha256,
                    seconds=time.monotonic() - started, recovered_page_ids=recovered, docmost_version=version)
    raw.save()
    return raw
