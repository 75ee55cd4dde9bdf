"""Fetch a complete raw export of one Docmost space into a directory (the "raw export" on disk).

Owns the step client -> files. Docmost 0.95's space export silently drops pages whose sanitized file names
collide (see the recordings README, Collisions addendum), so the export is cross-checked by ``pageId`` against the
page tree from the API and every missing page is fetched on its own with ``POST /api/pages/export``.

Layout written into ``dest_dir`` (which must be new or empty):

* ``space.zip``            the space export (absent for a space without pages)
* ``pages/<pageId>.zip``   one per page the space export dropped (an incremental export adds one per page that
                           changed since, see :mod:`docmost_pipeline.export.incremental`)
* ``tree.json``            the page tree, a list of ``SidebarPage`` dicts (from the page manifest when one is given)
* ``page-manifest.json``   the page manifest the export was made for (:mod:`docmost_pipeline.export.manifest`)
* ``page-index.json``      links, attachment owners and attachment references per page
                           (:mod:`docmost_pipeline.export.pageindex`)
* ``files/<attachmentId>/<safe name>``  each file the pages show that no ZIP holds (an attachment of another
                           space), fetched on its own (:mod:`docmost_pipeline.export.files`)
* ``documents/<pageId>.json``, ``documents/unavailable.json``  each page's own document and the pages without one,
                           written by :func:`docmost_pipeline.export.incremental.export_changes` while the
                           export runs (:mod:`docmost_pipeline.export.documents`)
* ``raw-export.json``      the manifest (:class:`RawExport` without ``dir``); ``fetched_files`` and ``missing_files``
                           list the files above and those Docmost did not give (403/404, too large)
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from docmost_pipeline.docmost.errors import DocmostEmptySpace
from docmost_pipeline.export.documents import DOCUMENTS_DIR
from docmost_pipeline.export.manifest import PageManifest
from docmost_pipeline.export.metadata import METADATA_ENTRY, read_export_metadata
from docmost_pipeline.export.files import as_dicts, fetch_files, present_ids, wanted_files
from docmost_pipeline.export.pageindex import PageIndex, index_page_zip, index_space_zip
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
    # "full": one space export; "incremental": the space export of ``base`` plus the pages exported since.
    mode: str = "full"
    base: str | None = None  # the raw export directory this one was built on (incremental)
    full_at: float | None = None  # time.time() of the space export it rests on
    manifest_sha256: str | None = None
    # pages of space.zip not taken from it (exported again since, or deleted); pages/<id>.zip files present
    superseded_page_ids: list[str] = field(default_factory=list)
    page_zip_ids: list[str] = field(default_factory=list)
    exported_page_ids: list[str] = field(default_factory=list)  # exported one by one in this run
    deleted_page_ids: list[str] = field(default_factory=list)  # gone since the base
    # files the pages show that no ZIP holds (attachments of other spaces): fetched ones (export.files.FetchedFile
    # dicts, ``file`` relative to ``dir``) and the ones Docmost did not give (MissingFile dicts)
    fetched_files: list[dict] = field(default_factory=list)
    missing_files: list[dict] = field(default_factory=list)
    # what storing the page documents did (export.documents.DocumentsReport dict); None: documents not fetched
    documents: dict | None = None

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
            "mode": self.mode,
            "base": self.base,
            "full_at": self.full_at,
            "manifest_sha256": self.manifest_sha256,
            "superseded_page_ids": list(self.superseded_page_ids),
            "page_zip_ids": list(self.page_zip_ids),
            "exported_page_ids": list(self.exported_page_ids),
            "deleted_page_ids": list(self.deleted_page_ids),
            "fetched_files": [dict(f) for f in self.fetched_files],
            "missing_files": [dict(f) for f in self.missing_files],
            "documents": dict(self.documents) if self.documents is not None else None,
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
            mode=data.get("mode", "full"),
            base=data.get("base"),
            full_at=data.get("full_at"),
            manifest_sha256=data.get("manifest_sha256"),
            superseded_page_ids=list(data.get("superseded_page_ids", [])),
            page_zip_ids=list(data.get("page_zip_ids", data.get("recovered_page_ids", []))),
            exported_page_ids=list(data.get("exported_page_ids", [])),
            deleted_page_ids=list(data.get("deleted_page_ids", [])),
            fetched_files=list(data.get("fetched_files", [])),
            missing_files=list(data.get("missing_files", [])),
            documents=data.get("documents") if isinstance(data.get("documents"), dict) else None,
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


def prepare_dir(dest_dir: Path) -> Path:
    """``dest_dir``, new or empty; a ``documents/`` folder may be there already (``export_changes`` fetches the page
    documents into it while the export runs)."""
    dest_dir = Path(dest_dir)
    if dest_dir.exists() and any(p.name != DOCUMENTS_DIR for p in dest_dir.iterdir()):
        raise RawExportError(f"raw export directory {dest_dir} is not empty; use a new directory")
    dest_dir.mkdir(parents=True, exist_ok=True)
    return dest_dir


def write_tree(dest_dir: Path, tree: list[SidebarPage]) -> None:
    (Path(dest_dir) / TREE_JSON).write_text(json.dumps([asdict(p) for p in tree], ensure_ascii=False, indent=1),
                                            encoding="utf-8")


def download_space(client, space: Space, dest_dir: Path, manifest: PageManifest | None = None) -> RawExport:
    """Download the space export and every page the export dropped into ``dest_dir``.

    The page tree comes from ``manifest`` when given (saved with the export, so a later incremental sync can tell
    what changed since), else from the sidebar API.
    """
    dest_dir = prepare_dir(dest_dir)
    started = time.monotonic()
    full_at = time.time()
    tree = manifest.tree() if manifest is not None else client.list_pages(space.id)
    write_tree(dest_dir, tree)
    if manifest is not None:
        manifest.save(dest_dir)
    zip_path = dest_dir / SPACE_ZIP
    try:
        download = client.export_space(space.id, zip_path)
    except DocmostEmptySpace:
        if tree:
            log.warning("space %s: export says no accessible pages but the tree lists %d", space.slug, len(tree))
        raw = RawExport(dir=dest_dir, space=space, zip_path=None, bytes=0, sha256=None,
                        seconds=time.monotonic() - started, empty=True, full_at=full_at,
                        manifest_sha256=manifest.digest if manifest is not None else None)
        PageIndex().save(dest_dir)
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

    index = _save_index(dest_dir, tree, recovered)
    wanted = wanted_files(index, None, present_ids(dest_dir, index, recovered, set()))
    fetched, missing = fetch_files(client, dest_dir, wanted, space_slug=space.slug)
    raw = RawExport(dir=dest_dir, space=space, zip_path=zip_path, bytes=download.bytes, sha256=download.sha256,
                    seconds=time.monotonic() - started, recovered_page_ids=recovered, docmost_version=version,
                    full_at=full_at, manifest_sha256=manifest.digest if manifest is not None else None,
                    page_zip_ids=list(recovered), fetched_files=as_dicts(fetched), missing_files=as_dicts(missing))
    raw.save()
    return raw


def _save_index(dest_dir: Path, tree: list[SidebarPage], recovered: list[str]) -> PageIndex:
    slug_ids = {page.slug_id: page.id for page in tree if page.slug_id}
    index = index_space_zip(dest_dir / SPACE_ZIP, slug_ids)
    for page_id in recovered:
        index.links[page_id], index.files[page_id] = index_page_zip(dest_dir / PAGES_DIR / f"{page_id}.zip", page_id,
                                                                    slug_ids)
    index.save(dest_dir)
    return index
