"""What each page of a raw export links to, and which pages bring which attachments of the space export.

An incremental sync re-exports a page on its own when it changed, and also when what Docmost writes into *other*
pages about it changed: a page that links to a renamed, moved, deleted or restored page is exported again (the
exporter writes the target's current title into page mentions, and its current path into links). So the index
records, per page, the pages its Markdown links to, found by a light scan of link destinations (a page linked in
any form counts; scanning too much only costs an extra export, never a wrong page).

Attachments: the space export puts ``files/<id>/<name>`` in the folder of the page that uses it. An attachment is
attributed to the pages of that folder whose Markdown refers to it; one that no Markdown refers to (Docmost's
audio node writes nothing) to every page of the folder, since any of them may own it.

Files: per page, the attachment references (``files/<id>/<name>`` link, image and ``src``/``href`` destinations, as
the converter resolves them) of its Markdown. A reference whose file no ZIP of the raw export holds (an attachment of
another space: Docmost writes the reference but exports only the space's own files) is fetched on its own
(:mod:`docmost_pipeline.export.files`).
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from docmost_pipeline.export.metadata import ExportMetadata, read_export_metadata
from docmost_pipeline.export.zipsafety import normalize_entry_name

INDEX_FILE = "page-index.json"
INDEX_SCHEMA = 2
SPACE_NAMESPACE = ""

_LINK_DEST = re.compile(r"\]\(\s*<?([^)\s>]*)")
_DOCMOST_PAGE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/]+)?/s/[^/]+/p/([^/?#]*)")
_FILES = re.compile(r"(?:^|/)files/([^/]+)/")
# an attachment reference anywhere in a page's Markdown: `files/<id>/` after `(`, `/`, `"` or a line start
_FILE_REFERENCE = re.compile(r"""(?:^|[(/"'\s<])files/([^/\s)"'>]+)/""", re.MULTILINE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# the start of an inline link or image destination, and HTML attributes naming a file
_DEST_OPEN = re.compile(r"\]\([ \t]*(?:\r?\n[ \t]*)?")
_HTML_URL_ATTR = re.compile(r"""\b(?:src|href)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# an attachment path as the converter resolves it (convert.links): files/<id>/<name>, /files/..., /api/files/...
_FILE_PATH = re.compile(r"(?:^|/)(?:api/)?files/([^/]+)/([^/]+)$")
_ATTACHMENT_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _normal(path: str) -> str:
    return unicodedata.normalize("NFC", path)


def slug_key(slug_id: str) -> str:
    """How a link to a page unknown when the index was made is recorded: by the slugId in its URL."""
    return f"slug:{slug_id}"


def page_namespace(page_id: str) -> str:
    """The link namespace of a single-page export: its relative links are relative to its own ZIP."""
    return f"page:{page_id}"


@dataclass
class PageIndex:
    """``space_paths``: every page path of ``space.zip`` -> page id (also pages not taken from it any more);
    ``links``: page id -> ids of the pages its Markdown links to (``slug:<slugId>`` for pages unknown then); ``attachment_owners``: ``"<folder>|<id>/<name>"``
    of each ``space.zip`` attachment entry -> the page ids it is attributed to; ``files``: page id -> the
    ``"<id>/<name>"`` attachment references of its Markdown (:func:`file_references`)."""

    space_paths: dict[str, str] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)
    attachment_owners: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)

    def dependents(self, targets: set[str]) -> set[str]:
        """Pages that link to any of ``targets``."""
        return {page for page, linked in self.links.items() if targets.intersection(linked)}

    def co_owners(self, pages: set[str]) -> set[str]:
        """Pages that share an unattributable attachment with any of ``pages`` (see the module docstring)."""
        shared: set[str] = set()
        for owners in self.attachment_owners.values():
            if len(owners) > 1 and pages.intersection(owners):
                shared.update(owners)
        return shared - pages

    def save(self, directory: Path) -> Path:
        path = Path(directory) / INDEX_FILE
        data = {"schema": INDEX_SCHEMA, "space_paths": self.space_paths, "links": self.links,
                "attachment_owners": self.attachment_owners, "files": self.files}
        path.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: Path) -> PageIndex | None:
        """The index of a raw export, or None when it has none (or an unreadable one)."""
        try:
            data = json.loads((Path(directory) / INDEX_FILE).read_text(encoding="utf-8"))
            if data.get("schema") != INDEX_SCHEMA:
                return None
            return cls(space_paths=dict(data["space_paths"]), links={k: list(v) for k, v in data["links"].items()},
                       attachment_owners={k: list(v) for k, v in data["attachment_owners"].items()},
                       files={k: list(v) for k, v in data["files"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None


def link_targets(markdown: str, page_path: str, paths: dict[str, str], slug_ids: dict[str, str]) -> set[str]:
    """Ids of the pages a page's Markdown links to: relative ``.md`` paths looked up in ``paths`` (relative to
    ``page_path``), Docmost page URLs (absolute or ``/s/...``) by the slugId in ``slug_ids``."""
    targets: set[str] = set()
    base = posixpath.dirname(page_path)
    for raw in _LINK_DEST.findall(markdown):
        dest = raw.strip()
        if not dest or dest.startswith("#"):
            continue
        docmost = _DOCMOST_PAGE.match(dest)
        if docmost:
            slug_id = unquote(docmost.group(1)).rsplit("-", 1)[-1]
            # a page not known now (in the trash, another space) is kept by slugId: it may come back
            targets.add(slug_ids.get(slug_id) or slug_key(slug_id))
            continue
        if _SCHEME.match(dest) or dest.startswith("/") or _FILES.search(dest):
            continue
        path = urlsplit(dest).path
        joined = _normal(posixpath.normpath(posixpath.join(base, unquote(path))))
        if joined in paths:
            targets.add(paths[joined])
    return targets


def _destinations(markdown: str) -> Iterator[str]:
    """Every inline link and image destination (CommonMark: ``<...>``, or a run without spaces whose parentheses
    balance, backslash escapes undone) and every HTML ``src``/``href`` value of a page's Markdown. Code is not
    skipped: a reference there only costs a file fetched in vain."""
    length = len(markdown)
    for match in _DEST_OPEN.finditer(markdown):
        start = match.end()
        if markdown.startswith("<", start):
            end = markdown.find(">", start + 1)
            if end > 0 and "\n" not in markdown[start:end]:
                yield _ESCAPED.sub(r"\1", markdown[start + 1:end])
            continue
        depth, end = 0, start
        while end < length:
            char = markdown[end]
            if char == "\\" and end + 1 < length:
                end += 2
                continue
            if char <= " ":
                break
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            end += 1
        if end > start:
            yield _ESCAPED.sub(r"\1", markdown[start:end])
    for match in _HTML_URL_ATTR.finditer(markdown):
        yield html.unescape(match.group(1) if match.group(1) is not None else match.group(2))


def file_references(markdown: str) -> list[str]:
    """The attachments a page's Markdown shows or links, as ``"<attachmentId>/<fileName>"`` (decoded), sorted: the
    relative destinations the converter resolves as attachments (``files/<id>/<name>``, ``/files/...``,
    ``/api/files/...``, with ``?t=`` query or percent-encoding), for ids that are Docmost ids (UUIDs)."""
    keys: set[str] = set()
    for dest in _destinations(markdown):
        if "files/" not in dest or _SCHEME.match(dest) or dest.startswith("//"):
            continue
        found = _FILE_PATH.search(urlsplit(dest).path)
        if found:
            attachment_id, name = unquote(found.group(1)), unquote(found.group(2))
            if _ATTACHMENT_ID.fullmatch(attachment_id) and name.strip():
                keys.add(f"{attachment_id}/{name}")
    return sorted(keys)


def _read_pages(zip_path: Path, metadata: ExportMetadata) -> dict[str, tuple[str, str]]:
    """page id -> (path in the ZIP, Markdown) for every page entry the metadata lists."""
    pages: dict[str, tuple[str, str]] = {}
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name, _ = normalize_entry_name(info.filename)
            meta = metadata.pages.get(name)
            if meta is None or info.is_dir():
                continue
            pages[meta.page_id] = (name, zf.read(info).decode("utf-8", errors="replace"))
    return pages


def _attachment_entries(zip_path: Path) -> list[tuple[str, str, str]]:
    """(folder, attachment id, "<id>/<name>") of every attachment file entry of a space export."""
    found = []
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name, _ = normalize_entry_name(info.filename)
            parts = name.strip("/").split("/")
            if info.is_dir() or len(parts) < 3 or parts[-3] != "files":
                continue
            folder = "/".join(parts[:-3])
            found.append((folder, parts[-2], f"{parts[-2]}/{parts[-1]}"))
    return found


def index_space_zip(zip_path: Path, slug_ids: dict[str, str]) -> PageIndex:
    """The index of a space export (``slug_ids``: slugId -> page id of every page the links may name)."""
    metadata = read_export_metadata(zip_path)
    if metadata is None:
        return PageIndex()
    paths = {_normal(path): meta.page_id for path, meta in metadata.pages.items()}
    pages = _read_pages(zip_path, metadata)
    index = PageIndex(space_paths=paths)
    referenced: dict[str, set[str]] = {}
    for page_id, (path, markdown) in pages.items():
        index.links[page_id] = sorted(link_targets(markdown, path, paths, slug_ids))
        index.files[page_id] = file_references(markdown)
        for attachment_id in _FILE_REFERENCE.findall(markdown):
            referenced.setdefault(unquote(attachment_id), set()).add(page_id)
    in_folder: dict[str, set[str]] = {}
    for page_id, (path, _) in pages.items():
        in_folder.setdefault(posixpath.dirname(path), set()).add(page_id)
    for folder, attachment_id, key in _attachment_entries(zip_path):
        local = in_folder.get(folder, set())
        owners = referenced.get(attachment_id, set()) & local or local
        index.attachment_owners[f"{folder}|{key}"] = sorted(owners)
    return index


def index_page_zip(zip_path: Path, page_id: str, slug_ids: dict[str, str]) -> tuple[list[str], list[str]]:
    """The pages a single-page export links to (its own relative links only reach itself) and its attachment
    references (:func:`file_references`)."""
    metadata = read_export_metadata(zip_path)
    if metadata is None:
        return [], []
    pages = _read_pages(zip_path, metadata)
    if page_id not in pages:
        return [], []
    path, markdown = pages[page_id]
    links = sorted(link_targets(markdown, path, {_normal(path): page_id}, slug_ids) - {page_id})
    return links, file_references(markdown)


def attachment_ids(zip_path: Path) -> set[str]:
    """The ids of the attachment file entries (``.../files/<id>/<name>``) of an export ZIP."""
    return {attachment_id for _, attachment_id, _ in _attachment_entries(zip_path)}


__all__ = ["INDEX_FILE", "PageIndex", "SPACE_NAMESPACE", "attachment_ids", "file_references", "index_page_zip",
           "slug_key", "index_space_zip", "link_targets", "page_namespace"]
