"""The one parser of ``docmost-metadata.json``, the page list Docmost (>= 0.7x) writes into every export ZIP.

Owns the validation both readers rely on: ``download.py`` (which pages did the space export keep?) and
``extract.py`` (which entries are pages, with what parent, position and dates). Both therefore accept and refuse
exactly the same files, with the same :class:`ExportMetadataError` message naming the ZIP, the key and the field.

The file maps each page's ZIP path, every segment passed through ``encodeURIComponent``, to ``pageId``,
``slugId``, ``icon``, ``position``, ``parentPath`` (the parent's key, ``null`` at the root), ``createdAt`` and
``updatedAt``; plus ``version`` and ``exportedAt`` at the top (see the recordings README).
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from docmost_pipeline.export.zipsafety import ExtractionError

METADATA_ENTRY = "docmost-metadata.json"
MAX_METADATA_BYTES = 64 * 1024 * 1024

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


class ExportMetadataError(ExtractionError):
    """``docmost-metadata.json`` is unreadable, too large or malformed; the message names the ZIP and the field."""


@dataclass(frozen=True)
class PageMetadata:
    """One validated page entry. ``path`` and ``parent_path`` are decoded ZIP paths; ``position`` is "" if absent."""

    path: str
    page_id: str
    slug_id: str | None
    icon: str | None
    position: str
    parent_path: str | None
    created_at: str | None
    updated_at: str | None


@dataclass(frozen=True)
class ExportMetadata:
    """The validated file: pages by decoded ZIP path, the exporter's ``version`` and ``exportedAt`` if strings."""

    pages: dict[str, PageMetadata]
    version: str | None
    exported_at: str | None

    @property
    def page_ids(self) -> set[str]:
        return {page.page_id for page in self.pages.values()}


def decode_metadata_key(key: str) -> str:
    """A metadata key (ZIP path, each segment through encodeURIComponent) as the normalised ZIP path."""
    return "/".join(s for s in (unquote(seg) for seg in key.split("/")) if s not in ("", "."))


def check_metadata_size(declared: int, label: str) -> None:
    """Refuse a metadata entry whose declared size is over MAX_METADATA_BYTES, before reading it."""
    if declared > MAX_METADATA_BYTES:
        raise ExportMetadataError(f"{label}: {METADATA_ENTRY} declares {declared} bytes, too large")


def parse_metadata(raw: bytes, label: str) -> ExportMetadata:
    """Validate the bytes of ``docmost-metadata.json`` from the ZIP named ``label``."""
    check_metadata_size(len(raw), label)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportMetadataError(f"{label}: {METADATA_ENTRY} is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("pages"), dict):
        raise ExportMetadataError(f"{label}: {METADATA_ENTRY} has no 'pages' object")
    pages: dict[str, PageMetadata] = {}
    key_by_id: dict[str, str] = {}
    for key, meta in data["pages"].items():
        where = f"{label}: {METADATA_ENTRY} entry {key!r}"
        if not isinstance(meta, dict):
            raise ExportMetadataError(f"{where}: expected an object")
        page_id = meta.get("pageId")
        if not isinstance(page_id, str) or not _SAFE_ID.match(page_id):
            raise ExportMetadataError(f"{where} pageId: {page_id!r} is not a valid Docmost id")
        if page_id in key_by_id:
            raise ExportMetadataError(f"{where}: pageId {page_id} is also used by {key_by_id[page_id]!r}")
        key_by_id[page_id] = key
        path = decode_metadata_key(key)
        if path in pages:
            raise ExportMetadataError(f"{where}: names the same ZIP path as {pages[path].path!r}")
        parent = _optional_str(meta, "parentPath", where)
        position = meta.get("position")
        pages[path] = PageMetadata(
            path=path,
            page_id=page_id,
            slug_id=_optional_str(meta, "slugId", where),
            icon=_optional_str(meta, "icon", where),
            position=position if isinstance(position, str) else "",
            parent_path=decode_metadata_key(parent) if parent else None,
            created_at=_optional_str(meta, "createdAt", where),
            updated_at=_optional_str(meta, "updatedAt", where),
        )
    version, exported_at = data.get("version"), data.get("exportedAt")
    return ExportMetadata(
        pages=pages,
        version=version if isinstance(version, str) else None,
        exported_at=exported_at if isinstance(exported_at, str) else None,
    )


def read_export_metadata(zip_path: Path) -> ExportMetadata | None:
    """The validated metadata of the ZIP at ``zip_path``, or ``None`` when it has none (Docmost before 0.7x).

    The size is checked on the declared size before anything is read (zipfile never yields more than declared).
    """
    zip_path = Path(zip_path)
    label = zip_path.name
    try:
        with zipfile.ZipFile(zip_path) as zf:
            try:
                info = zf.getinfo(METADATA_ENTRY)
            except KeyError:
                return None
            check_metadata_size(info.file_size, label)
            raw = zf.read(info)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError) as exc:
        raise ExportMetadataError(f"{label}: cannot read {METADATA_ENTRY} ({exc})") from None
    return parse_metadata(raw, label)


def _optional_str(meta: dict, name: str, where: str) -> str | None:
    value = meta.get(name)
    if value is None or isinstance(value, str):
        return value
    raise ExportMetadataError(f"{where} {name}: expected a string or null, got {type(value).__name__}")
