"""Each page's own document (``POST /api/pages/info``) stored beside the raw export: ``documents/<pageId>.json``.

Docmost's Markdown export loses content the page's document still has (audio/video/PDF players, merged cells,
embeds, colours...); the converter reads these documents. This module owns fetching them with a bounded number of
requests in flight (the client retries each like any other call), writing them atomically (the ``data`` object of
the answer, UTF-8 JSON), carrying a previous raw export's documents over by hard link, and recording every page
whose document could not be fetched in ``documents/unavailable.json`` as ``{"<pageId>": "<one-line reason>"}``
(always written, ``{}`` when none). Such a page keeps its Markdown rendering; nothing else fails. A rejected login
does fail: it is no page's fault.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from docmost_pipeline.docmost.errors import DocmostAuthError, DocmostError
from docmost_pipeline.export.files import link_file
from docmost_pipeline.model import DOCUMENTS_DIR, UNAVAILABLE_DOCUMENTS_FILE as UNAVAILABLE_FILE

DEFAULT_CONCURRENCY = 4
_PAGE_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class DocumentsReport:
    """What storing the documents of a raw export did: documents fetched from Docmost, reused from the base raw
    export, the pages without one (page id -> reason) and the wall time it took."""

    fetched: int = 0
    reused: int = 0
    unavailable: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DocumentsReport:
        return cls(fetched=int(data.get("fetched", 0)), reused=int(data.get("reused", 0)),
                   unavailable={str(k): str(v) for k, v in (data.get("unavailable") or {}).items()},
                   seconds=float(data.get("seconds", 0.0)))


def document_path(documents_dir: Path, page_id: str) -> Path:
    return Path(documents_dir) / f"{page_id}.json"


def read_unavailable(documents_dir: Path) -> dict[str, str]:
    """The ``unavailable.json`` of a documents folder; ``{}`` when absent or unreadable."""
    try:
        data = json.loads((Path(documents_dir) / UNAVAILABLE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_json(path: Path, value: object) -> None:
    """Write ``value`` as UTF-8 JSON to ``path`` atomically (a reader never sees half a file)."""
    part = path.with_name(f"{path.name}.{threading.get_ident()}.part")
    try:
        part.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fetch_one(client, page_id: str, documents_dir: Path) -> str | None:
    """Fetch and write one page's document; the reason it is unavailable, or None."""
    if not _PAGE_ID.fullmatch(page_id):
        return f"{page_id!r} is not a Docmost page id"
    try:
        data = client.page_info(page_id)
    except DocmostAuthError:
        raise
    except DocmostError as exc:  # messages never carry secrets (docmost.errors)
        return _one_line(str(exc))
    write_json(document_path(documents_dir, page_id), data)
    return None


def fetch_documents(client, page_ids: Iterable[str], documents_dir: Path, *,
                    concurrency: int = DEFAULT_CONCURRENCY) -> dict[str, str]:
    """Fetch the document of each page into ``documents_dir`` with at most ``concurrency`` requests in flight;
    returns the pages whose document could not be fetched after the client's retries (page id -> reason)."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    ids = list(dict.fromkeys(page_ids))
    if not ids:
        return {}
    Path(documents_dir).mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=min(concurrency, len(ids)), thread_name_prefix="docmost-documents") as pool:
        futures = {pool.submit(_fetch_one, client, page_id, Path(documents_dir)): page_id for page_id in ids}
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in done if f.exception() is not None), None)
        if failed is not None:  # a rejected login or a full disk: stop asking Docmost, report it
            for future in pending:
                future.cancel()
            raise failed.exception()
    reasons = {futures[f]: f.result() for f in futures}
    return {page_id: reasons[page_id] for page_id in ids if reasons[page_id] is not None}


def store_documents(client, documents_dir: Path, page_ids: Iterable[str], *, base_dir: Path | None = None,
                    changed: Iterable[str] = (), concurrency: int = DEFAULT_CONCURRENCY) -> DocumentsReport:
    """Fill ``documents_dir`` for ``page_ids``: a page not in ``changed`` whose document the base raw export
    ``base_dir`` holds gets it by hard link, every other page's is fetched; then ``unavailable.json``."""
    started = time.monotonic()
    documents_dir = Path(documents_dir)
    documents_dir.mkdir(parents=True, exist_ok=True)
    base_documents = Path(base_dir) / DOCUMENTS_DIR if base_dir is not None else None
    changed = set(changed)
    reused, to_fetch = 0, []
    for page_id in sorted(set(page_ids)):
        source = document_path(base_documents, page_id) if base_documents is not None else None
        if source is not None and page_id not in changed and _PAGE_ID.fullmatch(page_id) and source.is_file():
            link_file(source, document_path(documents_dir, page_id))
            reused += 1
        else:
            to_fetch.append(page_id)
    unavailable = fetch_documents(client, to_fetch, documents_dir, concurrency=concurrency)
    write_json(documents_dir / UNAVAILABLE_FILE, unavailable)
    return DocumentsReport(fetched=len(to_fetch) - len(unavailable), reused=reused, unavailable=unavailable,
                           seconds=time.monotonic() - started)


def drop_documents(documents_dir: Path, report: DocumentsReport, page_ids: Iterable[str]) -> DocumentsReport:
    """Remove the documents of ``page_ids`` (pages found deleted while the documents were stored) from the folder
    and its ``unavailable.json``; the counts of ``report`` stay what was done."""
    gone = {page_id for page_id in page_ids if _PAGE_ID.fullmatch(page_id)}
    for page_id in gone:
        document_path(documents_dir, page_id).unlink(missing_ok=True)
    unavailable = {k: v for k, v in report.unavailable.items() if k not in gone}
    write_json(Path(documents_dir) / UNAVAILABLE_FILE, unavailable)
    return DocumentsReport(fetched=report.fetched, reused=report.reused, unavailable=unavailable,
                           seconds=report.seconds)


def carry_documents(raw_dir: Path, extract_dir: Path, page_ids: Iterable[str]) -> int:
    """Hard-link the documents of ``page_ids`` from the raw export ``raw_dir`` into ``extract_dir/documents/`` (same
    layout, ``unavailable.json`` narrowed to ``page_ids``); nothing when the raw export has no documents folder.
    Returns how many documents were carried."""
    source_dir = Path(raw_dir) / DOCUMENTS_DIR
    if not source_dir.is_dir():
        return 0
    wanted = set(page_ids)
    target_dir = Path(extract_dir) / DOCUMENTS_DIR
    target_dir.mkdir(parents=True, exist_ok=True)
    carried = 0
    for source in source_dir.iterdir():
        # names come from the folder itself, never from page ids: nothing can be linked outside target_dir
        if source.suffix == ".json" and source.stem in wanted and not source.is_symlink() and source.is_file():
            link_file(source, target_dir / source.name)
            carried += 1
    unavailable = {k: v for k, v in read_unavailable(source_dir).items() if k in wanted}
    write_json(target_dir / UNAVAILABLE_FILE, unavailable)
    return carried


__all__ = ["DEFAULT_CONCURRENCY", "DOCUMENTS_DIR", "DocumentsReport", "UNAVAILABLE_FILE", "carry_documents",
           "document_path",
           "drop_documents", "fetch_documents", "read_unavailable", "store_documents", "write_json"]
