"""Safe extraction of Docmost Markdown exports into an ExtractedExport (page list + attachment list on disk).

This module owns turning ``space.zip`` (and the single-page ZIPs recovered for pages the space export dropped)
into the layout every later step reads::

    dest/pages/<pageId>.md                 one file per page, named by id (titles can exceed 255 bytes)
    dest/files/<attachmentId>/<safe name>  one copy per attachment, ASCII-safe name
    dest/manifest.json                     ExtractedExport.save()
    dest/documents/<pageId>.json           each extracted page's own document, when the raw export has them
    dest/documents/unavailable.json        the extracted pages without one (:mod:`docmost_pipeline.export.documents`)

The page list comes from ``docmost-metadata.json`` when the ZIP has one (Docmost >= 0.7x); without it (older
Docmost) it is derived from the folder structure (``X.md`` beside folder ``X/`` = parent and children). Files
are tied to pages by ``pageId`` only: the file names carry duplicate suffixes that change between instances.
Titles come from the API page tree when given, else from each page's leading ``# Title`` line.

Entry names are never used as filesystem paths; every safety rule lives in ``zipsafety.py``.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from docmost_pipeline.export.download import (
    MANIFEST,
    PAGES_DIR,
    SPACE_ZIP,
    TREE_JSON,
    load_tree,
)
from docmost_pipeline.export.documents import carry_documents
from docmost_pipeline.export.filenames import safe_file_name
from docmost_pipeline.export.pageindex import SPACE_NAMESPACE
from docmost_pipeline.export.singlepages import attachment_filter, place_single_page
from docmost_pipeline.export.metadata import (
    METADATA_ENTRY,
    ExportMetadata,
    PageMetadata,
    check_metadata_size,
    parse_metadata,
)
from docmost_pipeline.export.zipsafety import (
    ByteBudget,
    ExtractionError,
    ExtractionLimits,
    SafeEntry,
    copy_entry,
    open_zip,
    scan_zip,
)
from docmost_pipeline.model import Attachment, ExportedPage, ExtractedExport, SidebarPage

__all__ = [
    "ExtractionError",
    "ExtractionLimits",
    "extract_zip",
    "extract_raw_export",
    "load_tree",
    "safe_file_name",
]

_ATTACHMENT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Namespace for page ids synthesised from paths in exports without docmost-metadata.json.
_PATH_ID_NAMESPACE = uuid.UUID("6f1c8a52-3f7e-4b59-9d7e-0c1d2b3a4f50")


@dataclass
class _PageRecord:
    """A page as found in one ZIP, before titles/parents are settled."""

    page_id: str
    slug_id: str | None
    zip_path: str
    markdown_file: str
    position: str
    parent_path: str | None
    icon: str | None
    created_at: str | None
    updated_at: str | None
    heading_title: str | None
    link_namespace: str = SPACE_NAMESPACE
    link_path: str | None = None


@dataclass
class _ZipResult:
    pages: list[_PageRecord] = field(default_factory=list)
    has_metadata: bool = False
    docmost_version: str | None = None
    exported_at: str | None = None
    paths: dict[str, str] = field(default_factory=dict)  # every page path the metadata lists -> page id


# CommonMark backslash escapes (any ASCII punctuation): the exporter writes the title `함수(인자) [배열]` as
# `# 함수(인자) \[배열\]`.
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _heading_title(path: Path) -> str | None:
    """The title in the page's leading ``# Title`` line (Docmost writes one into every exported page), as a reader
    sees it: the exporter's backslash escapes removed."""
    with path.open("rb") as fh:
        first = fh.readline(64 * 1024)
    line = first.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    if line.startswith("# "):
        return _BACKSLASH_ESCAPE.sub(r"\1", line[2:].strip())
    if line == "#":
        return ""
    return None


def _is_attachment(entry: SafeEntry) -> bool:
    segments = entry.segments
    return len(segments) >= 3 and segments[-3] == "files" and bool(_ATTACHMENT_ID.match(segments[-2]))


def _read_metadata(zf, entry: SafeEntry, budget: ByteBudget, label: str) -> ExportMetadata:
    check_metadata_size(entry.info.file_size, label)
    buffer = BytesIO()
    copy_entry(zf, entry, buffer, budget)
    return parse_metadata(buffer.getvalue(), label)


def _synthetic_page_id(path: str) -> str:
    return str(uuid.uuid5(_PATH_ID_NAMESPACE, path))


class _Extractor:
    """Extracts one or more ZIPs into one destination, sharing the attachment list and the page-id set."""

    def __init__(self, dest: Path, limits: ExtractionLimits) -> None:
        self.dest = dest
        self.limits = limits
        self.attachments: dict[str, Attachment] = {}
        self.notes: list[str] = []
        self.written_page_ids: set[str] = set()
        self._attachment_crc: dict[str, tuple[int, int]] = {}
        self._used_files: set[str] = set()
        (dest / "pages").mkdir(exist_ok=True)
        (dest / "files").mkdir(exist_ok=True)

    def extract(self, zip_path: Path, *, only_page: str | None = None, skip_pages: frozenset[str] = frozenset(),
                keep_attachment: Callable[[str, str], bool] | None = None) -> _ZipResult:
        """Extract one ZIP. ``only_page`` (pageId or slugId) keeps just that page: a recovered single-page ZIP.
        ``skip_pages`` are not taken (page ids); ``keep_attachment(folder, "<id>/<name>")`` False skips an
        attachment entry."""
        label = zip_path.name
        with open_zip(zip_path, self.limits) as zf:
            entries = scan_zip(zf, zip_path, self.limits)
            budget = ByteBudget(self.limits)
            result = _ZipResult()
            metadata_entry = next((e for e in entries if not e.is_dir and e.path == METADATA_ENTRY), None)
            metadata: dict[str, PageMetadata] = {}
            if metadata_entry is not None:
                parsed = _read_metadata(zf, metadata_entry, budget, label)
                metadata = parsed.pages
                result.paths = {unicodedata.normalize("NFC", p): m.page_id for p, m in metadata.items()}
                result.has_metadata = True
                result.docmost_version = parsed.version
                result.exported_at = parsed.exported_at

            found_paths: set[str] = set()
            for entry in entries:
                if entry.is_dir or entry is metadata_entry:
                    continue
                if result.has_metadata and entry.path in metadata:
                    found_paths.add(entry.path)
                    meta = metadata[entry.path]
                    if only_page is not None and only_page not in (meta.page_id, meta.slug_id):
                        copy_entry(zf, entry, None, budget)
                        self.notes.append(f"{label}: page {entry.path!r} is not page {only_page}; skipped")
                        continue
                    if meta.page_id in skip_pages:
                        copy_entry(zf, entry, None, budget)  # read all the same: a corrupt entry fails the export
                        continue
                    result.pages.append(self._write_page(zf, entry, budget, label, meta))
                elif _is_attachment(entry):
                    folder, key = "/".join(entry.segments[:-3]), f"{entry.segments[-2]}/{entry.segments[-1]}"
                    if keep_attachment is not None and not keep_attachment(folder, key):
                        copy_entry(zf, entry, None, budget)
                        continue
                    self._write_attachment(zf, entry, budget, label)
                elif entry.path.endswith(".md"):
                    if result.has_metadata:
                        copy_entry(zf, entry, None, budget)
                        self.notes.append(
                            f"{label}: {entry.path!r} has no entry in {METADATA_ENTRY}; not treated as a page"
                        )
                    else:
                        result.pages.append(self._write_page(zf, entry, budget, label, None))
                else:
                    # Still read it: a corrupt or lying entry means the whole export is suspect.
                    copy_entry(zf, entry, None, budget)
                    self.notes.append(f"{label}: entry {entry.name!r} is neither a page nor an attachment; ignored")
            for path in metadata:
                if path not in found_paths:
                    self.notes.append(f"{label}: {METADATA_ENTRY} lists {path!r} but the ZIP has no such entry")
        if not result.has_metadata:
            self._pages_from_folders(result.pages)
            result.paths = {unicodedata.normalize("NFC", p.zip_path): p.page_id for p in result.pages}
        return result

    def _write_page(self, zf, entry: SafeEntry, budget: ByteBudget, label: str,
                    meta: PageMetadata | None) -> _PageRecord:
        page_id = meta.page_id if meta else _synthetic_page_id(entry.path)
        if page_id in self.written_page_ids:
            raise ExtractionError(f"{label}: entry {entry.name!r}: page {page_id} is already extracted")
        self.written_page_ids.add(page_id)
        markdown_file = f"pages/{page_id}.md"
        target = self.dest / markdown_file
        with target.open("wb") as out:
            copy_entry(zf, entry, out, budget)
        return _PageRecord(
            page_id=page_id,
            slug_id=meta.slug_id if meta else None,
            zip_path=entry.path,
            markdown_file=markdown_file,
            position=meta.position if meta else "",
            parent_path=meta.parent_path if meta else None,
            icon=meta.icon if meta else None,
            created_at=meta.created_at if meta else None,
            updated_at=meta.updated_at if meta else None,
            heading_title=_heading_title(target),
        )

    def _write_attachment(self, zf, entry: SafeEntry, budget: ByteBudget, label: str) -> None:
        attachment_id, name = entry.segments[-2], entry.segments[-1]
        key = f"{attachment_id}/{name}"
        fingerprint = (entry.info.CRC, entry.info.file_size)
        if key in self.attachments:
            # Docmost repeats an attachment in every folder whose pages use it; verify the copy, keep one.
            copy_entry(zf, entry, None, budget)
            if self._attachment_crc[key] != fingerprint:
                self.notes.append(
                    f"{label}: attachment {key!r} appears with different content in {entry.name!r}; kept the first"
                )
            return
        relative = self._unique_file(attachment_id, name)
        target = self.dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            size = copy_entry(zf, entry, out, budget)
        self.attachments[key] = Attachment(attachment_id=attachment_id, name=name, file=relative, size=size)
        self._attachment_crc[key] = fingerprint

    def add_file(self, attachment_id: str, name: str, source: Path) -> None:
        """An attachment from a file of its own (fetched beside the ZIPs), unless one with its id is listed."""
        key = f"{attachment_id}/{name}"
        if any(a.attachment_id == attachment_id for a in self.attachments.values()):
            self.notes.append(f"fetched file {key!r}: attachment {attachment_id} is already in the export; skipped")
            return
        relative = self._unique_file(attachment_id, name)
        target = self.dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        self.attachments[key] = Attachment(attachment_id=attachment_id, name=name, file=relative,
                                           size=target.stat().st_size)

    def _unique_file(self, attachment_id: str, name: str) -> str:
        safe = safe_file_name(name)
        relative = f"files/{attachment_id}/{safe}"
        counter = 1
        while relative in self._used_files:
            stem, dot, ext = safe.rpartition(".")
            relative = f"files/{attachment_id}/{stem or safe}-{counter}{dot}{ext if stem else ''}"
            counter += 1
        self._used_files.add(relative)
        return relative

    def _pages_from_folders(self, pages: list[_PageRecord]) -> None:
        """Older exports: ``X.md`` beside folder ``X/`` is the parent of ``X/*.md``; siblings ordered by name."""
        by_path = {p.zip_path: p for p in pages}
        for page in pages:
            folder = posixpath.dirname(page.zip_path)
            parent = None
            while folder:
                if f"{folder}.md" in by_path:
                    parent = f"{folder}.md"
                    break
                folder = posixpath.dirname(folder)
            if parent is None and posixpath.dirname(page.zip_path):
                self.notes.append(f"{page.zip_path!r}: no page file for its folder; placed at the root")
            page.parent_path = parent
        siblings: dict[str | None, list[_PageRecord]] = {}
        for page in pages:
            siblings.setdefault(page.parent_path, []).append(page)
        for group in siblings.values():
            group.sort(key=lambda p: posixpath.basename(p.zip_path))
            for index, page in enumerate(group):
                page.position = f"{index:06d}"


def _title_for(record: _PageRecord, tree_by_id: dict[str, SidebarPage] | None) -> str:
    if tree_by_id is not None and record.page_id in tree_by_id:
        # null and "" titles stay "": the converter shows them as "Untitled".
        return tree_by_id[record.page_id].title or ""
    if record.heading_title is not None:
        return record.heading_title
    return posixpath.basename(record.zip_path)[: -len(".md")]


def _to_exported_pages(
    records: Iterable[_PageRecord], tree_by_id: dict[str, SidebarPage] | None, notes: list[str]
) -> list[ExportedPage]:
    records = list(records)
    id_by_path = {r.zip_path: r.page_id for r in records}
    pages: list[ExportedPage] = []
    known_ids = set(id_by_path.values())
    for record in records:
        parent_id = None
        if record.parent_path is not None:
            parent_id = id_by_path.get(record.parent_path)
            if parent_id is None:
                notes.append(
                    f"page {record.zip_path!r}: its parent {record.parent_path!r} is not in the export; "
                    f"placed at the root"
                )
        sidebar = tree_by_id.get(record.page_id) if tree_by_id is not None else None
        if sidebar is not None and sidebar.parent_page_id != parent_id:
            # The API is the truth: children of a page the export dropped sit in the folder of the page whose
            # file name it collided with, so their parentPath names the wrong page.
            if sidebar.parent_page_id is None or sidebar.parent_page_id in known_ids:
                notes.append(
                    f"page {record.zip_path!r}: parent {parent_id} in the export, {sidebar.parent_page_id} in the "
                    f"API page tree; the API's is used"
                )
                parent_id = sidebar.parent_page_id
        icon = record.icon
        if icon is None and tree_by_id is not None and record.page_id in tree_by_id:
            icon = tree_by_id[record.page_id].icon
        pages.append(
            ExportedPage(
                page_id=record.page_id,
                slug_id=record.slug_id,
                zip_path=record.zip_path,
                markdown_file=record.markdown_file,
                title=_title_for(record, tree_by_id),
                parent_page_id=parent_id,
                position=record.position,
                icon=icon,
                created_at=record.created_at,
                updated_at=record.updated_at,
                link_namespace=record.link_namespace,
                link_path=record.link_path,
            )
        )
    return pages


def _tree_order(pages: list[ExportedPage], notes: list[str]) -> list[ExportedPage]:
    """Parents before children, siblings by position (byte order, like Docmost's sidebar), then page id."""
    ids = {p.page_id for p in pages}
    children: dict[str | None, list[ExportedPage]] = {}
    for page in pages:
        parent = page.parent_page_id if page.parent_page_id in ids else None
        children.setdefault(parent, []).append(page)
    for group in children.values():
        group.sort(key=lambda p: (p.position.encode("utf-8"), p.page_id))
    ordered: list[ExportedPage] = []
    visited: set[str] = set()

    def walk(parent: str | None) -> None:
        stack = list(reversed(children.get(parent, [])))
        while stack:
            page = stack.pop()
            if page.page_id in visited:
                continue
            visited.add(page.page_id)
            ordered.append(page)
            stack.extend(reversed(children.get(page.page_id, [])))

    walk(None)
    for page in sorted(pages, key=lambda p: p.page_id):
        if page.page_id not in visited:
            notes.append(f"page {page.zip_path!r}: its parents form a cycle; placed at the root")
            page.parent_page_id = None
            visited.add(page.page_id)
            ordered.append(page)
            walk(page.page_id)
    return ordered


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _fresh_destination(dest: Path) -> Iterator[Path]:
    """Use ``dest`` (absent or empty) and leave it removed/empty again if extraction fails."""
    dest = Path(dest)
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir() or dest.is_symlink():
            raise ExtractionError(f"{dest}: destination exists and is not a directory")
        if any(dest.iterdir()):
            raise ExtractionError(f"{dest}: destination directory is not empty")
        created = False
    else:
        # Remember the topmost directory this call creates, so a failure removes every directory it made.
        topmost = dest
        while not topmost.parent.exists():
            topmost = topmost.parent
        dest.mkdir(parents=True)
        created = True
    try:
        yield dest
    except BaseException:
        if created:
            shutil.rmtree(topmost, ignore_errors=True)
        else:
            for child in dest.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise


def extract_zip(
    zip_path: Path,
    dest: Path,
    *,
    limits: ExtractionLimits = ExtractionLimits(),
    tree: list[SidebarPage] | None = None,
) -> ExtractedExport:
    """Extract one Docmost export ZIP into ``dest`` (absent or empty) and return its page/attachment lists.

    Without ``tree`` titles come from each page's ``# Title`` line (offline form); with it, from the API.
    Raises ExtractionError (and leaves nothing in ``dest``) on any unsafe or broken input.
    """
    zip_path = Path(zip_path)
    with _fresh_destination(dest) as root:
        extractor = _Extractor(root, limits)
        result = extractor.extract(zip_path)
        tree_by_id = {p.id: p for p in tree} if tree is not None else None
        return _finish(extractor, result, result.pages, tree_by_id, source_sha256=_sha256(zip_path))


def _finish(
    extractor: _Extractor,
    result: _ZipResult,
    records: list[_PageRecord],
    tree_by_id: dict[str, SidebarPage] | None,
    *,
    source_sha256: str | None,
    recovered_ids: frozenset[str] | set[str] = frozenset(),
    docmost_version: str | None = None,
    link_paths: dict[str, dict[str, str]] | None = None,
) -> ExtractedExport:
    """Settle parents, titles and order of ``records``, then write and return the manifest under the root."""
    notes = extractor.notes
    pages = _to_exported_pages(records, tree_by_id, notes)
    for page in pages:
        page.recovered = page.page_id in recovered_ids
    if tree_by_id is not None:
        _note_tree_differences(pages, tree_by_id, notes)
    export = ExtractedExport(
        root=extractor.dest,
        pages=_tree_order(pages, notes),
        attachments=extractor.attachments,
        docmost_version=result.docmost_version or docmost_version,
        exported_at=result.exported_at,
        source_sha256=source_sha256,
        has_metadata=result.has_metadata,
        titles_from_api=tree_by_id is not None,
        notes=notes,
        link_paths=link_paths if link_paths is not None else {SPACE_NAMESPACE: dict(result.paths)},
    )
    export.save()
    return export


def _note_tree_differences(pages: list[ExportedPage], tree_by_id: dict[str, SidebarPage], notes: list[str]) -> None:
    present = {p.page_id for p in pages}
    for page in pages:
        if page.page_id not in tree_by_id:
            notes.append(f"page {page.zip_path!r} ({page.page_id}) is not in the API page tree; title from its file")
    for page_id, sidebar in tree_by_id.items():
        if page_id not in present:
            notes.append(f"page {sidebar.title!r} ({page_id}) of the API page tree is missing from the export")


def extract_raw_export(
    raw_dir: Path, dest: Path, *, limits: ExtractionLimits = ExtractionLimits()
) -> ExtractedExport:
    """Extract a raw export directory (download_space's layout) into ``dest``.

    ``space.zip`` gives most pages; each ``pages/<pageId>.zip`` (a single-page export fetched because the space
    export dropped that page) is merged in with ``recovered=True``, its parent and title from ``tree.json``,
    its attachments deduplicated by attachment id and name. A recovered page's ``zip_path`` is virtual (see
    ``singlepages.recovered_zip_path``). Titles come from ``tree.json`` when present (``titles_from_api``). The
    files fetched on their own (``fetched_files`` of ``raw-export.json``: attachments of other spaces the pages
    show) join the attachment list. The page documents (``documents/``) of the extracted pages are hard-linked into
    ``dest/documents/`` (:func:`~docmost_pipeline.export.documents.carry_documents`).
    """
    raw_dir = Path(raw_dir)
    manifest = _read_raw_manifest(raw_dir)
    tree_file = raw_dir / TREE_JSON
    tree_by_id = {p.id: p for p in load_tree(tree_file)} if tree_file.exists() else None
    space_zip = raw_dir / SPACE_ZIP

    with _fresh_destination(dest) as root:
        extractor = _Extractor(root, limits)
        notes = extractor.notes
        if manifest.get("empty") and not space_zip.exists():
            notes.append("the space is empty: Docmost had no pages to export")
            carry_documents(raw_dir, root, ())
            return _finish(extractor, _ZipResult(has_metadata=True), [], tree_by_id, source_sha256=None,
                           docmost_version=manifest.get("docmost_version"))
        if not space_zip.is_file():
            raise ExtractionError(f"{raw_dir}: {SPACE_ZIP} is missing")
        sha256 = _sha256(space_zip)
        expected = manifest.get("sha256")
        if isinstance(expected, str) and expected and expected != sha256:
            raise ExtractionError(
                f"{space_zip}: sha256 {sha256} differs from {MANIFEST} ({expected}); the file changed"
            )
        superseded = frozenset(manifest.get("superseded_page_ids") or ())
        result = extractor.extract(space_zip, skip_pages=superseded,
                                   keep_attachment=attachment_filter(raw_dir, superseded))
        records = list(result.pages)
        link_paths = {SPACE_NAMESPACE: dict(result.paths)}
        in_space_zip = set(result.paths.values())
        recovered_ids: set[str] = set()
        taken = {r.zip_path for r in records}
        zip_path_by_id = {r.page_id: r.zip_path for r in records}

        page_zips = sorted((raw_dir / PAGES_DIR).glob("*.zip")) if (raw_dir / PAGES_DIR).is_dir() else []
        for page_zip in page_zips:
            wanted = page_zip.name[: -len(".zip")]
            if wanted in extractor.written_page_ids or any(r.slug_id == wanted for r in records):
                notes.append(f"{PAGES_DIR}/{page_zip.name}: page {wanted} is already in {SPACE_ZIP}; skipped")
                continue
            page_result = extractor.extract(page_zip, only_page=wanted)
            if not page_result.pages:
                raise ExtractionError(f"{page_zip}: the recovered page ZIP does not hold page {wanted}")
            for record in page_result.pages:
                place_single_page(record, tree_by_id, zip_path_by_id, taken, notes)
                link_paths[record.link_namespace] = {unicodedata.normalize("NFC", record.link_path): record.page_id}
                if record.page_id not in in_space_zip:
                    recovered_ids.add(record.page_id)
                records.append(record)

        _add_fetched_files(extractor, raw_dir, manifest)
        export = _finish(extractor, result, records, tree_by_id, source_sha256=sha256, recovered_ids=recovered_ids,
                         docmost_version=manifest.get("docmost_version"), link_paths=link_paths)
        carry_documents(raw_dir, root, (page.page_id for page in export.pages))
        return export


def _add_fetched_files(extractor: _Extractor, raw_dir: Path, manifest: dict) -> None:
    """The files the raw export fetched on their own (attachments of other spaces, ``export.files``) join the
    attachment list like ZIP attachments; the ones Docmost did not give are noted (their pages show the alt text)."""
    label = f"{raw_dir / MANIFEST}"
    fetched = manifest.get("fetched_files") or []
    if not isinstance(fetched, list):
        raise ExtractionError(f"{label}: fetched_files is not a list")
    for index, entry in enumerate(fetched):
        if not isinstance(entry, dict):
            raise ExtractionError(f"{label}: fetched_files[{index}] is not an object")
        attachment_id, name, relative = entry.get("attachment_id"), entry.get("name"), entry.get("file")
        if not isinstance(attachment_id, str) or not _ATTACHMENT_ID.match(attachment_id) \
                or not isinstance(name, str) or not name:
            raise ExtractionError(f"{label}: fetched_files[{index}]: {attachment_id!r}/{name!r} is not an "
                                  "attachment id and file name")
        parts = relative.split("/") if isinstance(relative, str) else []
        if len(parts) != 3 or parts[:2] != ["files", attachment_id] or parts[2] in ("", ".", ".."):
            raise ExtractionError(f"{label}: fetched_files[{index}]: file {relative!r} is not files/{attachment_id}/"
                                  "<name>")
        source = raw_dir / relative
        if source.is_symlink() or not source.is_file():
            raise ExtractionError(f"{source}: fetched file is missing (or not a regular file)")
        size = source.stat().st_size
        if size != entry.get("bytes"):
            raise ExtractionError(f"{source}: {size} bytes, {MANIFEST} says {entry.get('bytes')}; the file changed")
        extractor.add_file(attachment_id, name, source)
    for entry in manifest.get("missing_files") or []:
        if isinstance(entry, dict):
            extractor.notes.append(f"files/{entry.get('attachment_id')}/{entry.get('name')}: shown by a page but not "
                                   f"in the export, and Docmost did not give it ({entry.get('reason')})")


def _read_raw_manifest(raw_dir: Path) -> dict:
    path = raw_dir / MANIFEST
    if not raw_dir.is_dir():
        raise ExtractionError(f"{raw_dir}: raw export directory does not exist")
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExtractionError(f"{path}: cannot read the raw export manifest ({exc})") from None
    if not isinstance(data, dict):
        raise ExtractionError(f"{path}: expected a JSON object")
    return data
