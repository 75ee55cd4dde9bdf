"""Files a raw export's pages show but no ZIP of it holds: attachments of other spaces, fetched one by one.

Docmost lets a page embed an attachment of another space; its space export (and a single-page export) then writes
``![alt](files/<attachmentId>/<name>)`` into the page but puts no such file in the ZIP, so the page would show only
its alt text. :func:`fetch_files` finds every attachment reference of the pages that extraction will take
(``PageIndex.files``) whose id is in no ZIP entry extraction keeps, and downloads it with the session
(``GET /api/files/<attachmentId>/<fileName>``, :meth:`DocmostClient.download_file`: size cap and retries of
exports) into ``files/<attachmentId>/<safe name>`` beside the ZIPs. Extraction then lists it like a ZIP attachment.

A file Docmost does not serve (403, 404) or one over the size cap is recorded as missing, not fetched: the
converter shows the alt text or label with a ``missing_attachment`` warning. An incremental raw export hard-links
the base's fetched files that are still referenced instead of downloading them again; missing ones are asked for
again. One file per attachment id: when the pages name it differently, the first name in sort order is used.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from docmost_pipeline.docmost.errors import DocmostExportTooLarge, DocmostForbidden, DocmostNotFound
from docmost_pipeline.export.filenames import safe_file_name
from docmost_pipeline.export.pageindex import PageIndex, attachment_ids

FILES_DIR = "files"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchedFile:
    """A file fetched for the raw export: ``file`` is relative to the raw export directory."""

    attachment_id: str
    name: str
    file: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class MissingFile:
    """A referenced file Docmost did not give: ``status`` the HTTP status (403, 404) or None (too large)."""

    attachment_id: str
    name: str
    status: int | None
    reason: str


def wanted_files(index: PageIndex, page_ids: set[str] | None, present: set[str]) -> dict[str, str]:
    """attachment id -> file name of every reference of ``page_ids`` (None: every page of the index) whose id is not
    in ``present``; the first name in sort order when pages name one id differently."""
    wanted: dict[str, str] = {}
    for page_id, keys in index.files.items():
        if page_ids is not None and page_id not in page_ids:
            continue
        for key in keys:
            attachment_id, _, name = key.partition("/")
            if attachment_id not in present and (attachment_id not in wanted or name < wanted[attachment_id]):
                wanted[attachment_id] = name
    return dict(sorted(wanted.items()))


def present_ids(raw_dir: Path, index: PageIndex, page_zips: list[str], superseded: set[str]) -> set[str]:
    """Attachment ids extraction takes from the ZIPs: each page ZIP's, and the space export's except those whose
    every owner is superseded (extraction skips them, see ``extract._attachment_filter``)."""
    present: set[str] = set()
    for key, owners in index.attachment_owners.items():
        if not superseded or any(owner not in superseded for owner in owners):
            present.add(key.split("|", 1)[1].split("/", 1)[0])
    for page_id in page_zips:
        present |= attachment_ids(Path(raw_dir) / "pages" / f"{page_id}.zip")
    return present


def link_file(source: Path, target: Path) -> None:
    """Hard-link ``source`` to ``target`` (a copy when links are not possible)."""
    try:
        os.link(source, target)
    except OSError:  # another filesystem, or links not allowed: a copy is as good
        shutil.copyfile(source, target)


def fetch_files(client, raw_dir: Path, wanted: dict[str, str], *, space_slug: str,
                base_dir: Path | None = None, base_files: list[dict] | None = None
                ) -> tuple[list[FetchedFile], list[MissingFile]]:
    """Download each wanted file (attachment id -> name) into ``raw_dir/files/<id>/<safe name>``; a file the base raw
    export (``base_dir``, its ``fetched_files``) already holds is hard-linked from it."""
    raw_dir = Path(raw_dir)
    reusable = {entry["attachment_id"]: entry for entry in (base_files or [])}
    fetched: list[FetchedFile] = []
    missing: list[MissingFile] = []
    reused = 0
    for attachment_id, name in wanted.items():
        relative = f"{FILES_DIR}/{attachment_id}/{safe_file_name(name)}"
        target = raw_dir / relative
        previous = reusable.get(attachment_id)
        source = Path(base_dir) / previous["file"] if previous and base_dir is not None else None
        if source is not None and source.is_file() and not source.is_symlink() \
                and source.stat().st_size == previous["bytes"]:
            target.parent.mkdir(parents=True, exist_ok=True)
            link_file(source, target)
            fetched.append(FetchedFile(attachment_id, name, relative, previous["bytes"], previous["sha256"]))
            reused += 1
            continue
        try:
            download = client.download_file(attachment_id, name, target)
        except (DocmostNotFound, DocmostForbidden, DocmostExportTooLarge) as exc:
            missing.append(MissingFile(attachment_id, name, exc.status if exc.status in (403, 404) else None,
                                       str(exc)))
            for directory in (target.parent, target.parent.parent):  # nothing is left of it
                if directory.is_dir() and not any(directory.iterdir()):
                    directory.rmdir()
            continue
        fetched.append(FetchedFile(attachment_id, name, relative, download.bytes, download.sha256))
    if fetched or missing:
        log.info("space %s: %d file(s) shown by its pages but not in its export (attachments of other spaces): "
                 "%d fetched (%d reused from the previous export), %d missing", space_slug, len(wanted),
                 len(fetched), reused, len(missing))
    for item in missing:
        log.warning("space %s: file %s/%s cannot be fetched (%s); its pages show the alt text instead", space_slug,
                    item.attachment_id, item.name, item.reason)
    return fetched, missing


def as_dicts(items) -> list[dict]:
    return [asdict(item) for item in items]


__all__ = ["FILES_DIR", "FetchedFile", "MissingFile", "as_dicts", "fetch_files", "link_file", "present_ids",
           "wanted_files"]
