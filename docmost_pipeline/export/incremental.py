"""Incremental raw exports: the previous raw export plus the pages that changed, exported one by one.

:func:`plan_export` compares the page manifest with the one of the newest usable raw export of the space (the
*base*) and decides: export the whole space again (``full``: no usable base, the base's space export is older
than FULL_SYNC_EVERY, or more than ``max_changed_share`` of the pages would be exported) or export only what
changed (``incremental``). :func:`update_space` then builds the new raw export: the base's ``space.zip`` and
page ZIPs hard-linked, the changed pages exported again with ``POST /api/pages/export``.

What is exported again: pages added, updated (content, title, icon, position, parent) or restored since the base,
the pages that link to a page whose path or title changed or that appeared or vanished (:mod:`.pageindex`: the
exporter writes the target's title and path into them), and the pages sharing a folder attachment with any of
these. Deleted pages are dropped. Files the pages show that no ZIP holds (attachments of other spaces) are
hard-linked from the base when it fetched them, else fetched (:mod:`.files`). The result extracts to the same pages
and attachments a full export would give.

Page documents (``documents/``, :mod:`.documents`): a full export fetches every page's; an incremental one fetches
only those of the pages added or changed since the base (a changed ``updatedAt``, title, place or icon) and of the
pages the base has none for (unavailable then, or fetching was off), and hard-links the others from the base. They
are fetched while the export runs (a space export is mostly Docmost's time); pages found deleted meanwhile lose
theirs.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from docmost_pipeline.docmost.errors import DocmostForbidden, DocmostNotFound
from docmost_pipeline.export.download import (
    MANIFEST,
    download_space,
    PAGES_DIR,
    SPACE_ZIP,
    RawExport,
    RawExportError,
    prepare_dir,
    write_tree,
)
from docmost_pipeline.export.documents import (
    DEFAULT_CONCURRENCY,
    DOCUMENTS_DIR,
    DocumentsReport,
    drop_documents,
    store_documents,
)
from docmost_pipeline.export.files import as_dicts, fetch_files, present_ids, wanted_files
from docmost_pipeline.export.manifest import ManifestError, PageManifest, diff_manifests
from docmost_pipeline.export.metadata import read_export_metadata
from docmost_pipeline.export.pageindex import PageIndex, index_page_zip, slug_key
from docmost_pipeline.model import Space

log = logging.getLogger(__name__)

DEFAULT_FULL_EVERY = 24 * 3600.0
DEFAULT_MAX_CHANGED_SHARE = 0.2


class IncrementalUnusable(RuntimeError):
    """The incremental export cannot be made (the base does not fit what Docmost now exports): do a full one."""


@dataclass(frozen=True)
class Base:
    """A usable previous raw export with its page manifest and index."""

    raw: RawExport
    manifest: PageManifest
    index: PageIndex


@dataclass(frozen=True)
class SyncPlan:
    mode: str  # "full" or "incremental"
    reason: str
    base: Base | None = None
    export_ids: frozenset[str] = frozenset()
    deleted_ids: frozenset[str] = frozenset()
    changed: dict[str, int] = field(default_factory=dict)  # counts by kind, for logs and metadata
    changed_ids: frozenset[str] = frozenset()  # pages added or whose manifest entry changed (their document too)


def load_base(raw_dir: Path) -> Base | None:
    """The raw export in ``raw_dir`` if an incremental sync can build on it, else None (logged at debug)."""
    try:
        raw = RawExport.load(raw_dir)
        manifest = PageManifest.load(raw_dir)
    except (RawExportError, ManifestError) as exc:
        log.debug("%s is not a usable base: %s", raw_dir, exc)
        return None
    index = PageIndex.load(raw_dir)
    if index is None or raw.manifest_sha256 != manifest.digest or raw.full_at is None:
        return None
    missing = [pid for pid in raw.page_zip_ids if not (raw_dir / PAGES_DIR / f"{pid}.zip").is_file()]
    if missing or (not raw.empty and not (raw_dir / SPACE_ZIP).is_file()):
        return None
    return Base(raw=raw, manifest=manifest, index=index)


def find_base(space_raw_root: Path, *, exclude: Path | None = None) -> Base | None:
    """The newest usable raw export among the run folders of one space (``OUTPUT_DIR/.pipeline/raw/<space>``)."""
    if not space_raw_root.is_dir():
        return None
    candidates = [p for p in space_raw_root.iterdir() if p.is_dir() and (p / MANIFEST).is_file() and p != exclude]
    for raw_dir in sorted(candidates, key=lambda p: (p / MANIFEST).stat().st_mtime, reverse=True):
        base = load_base(raw_dir)
        if base is not None:
            return base
    return None


def plan_export(manifest: PageManifest, base: Base | None, *, now: float | None = None,
                full_every: float = DEFAULT_FULL_EVERY, max_changed_share: float = DEFAULT_MAX_CHANGED_SHARE,
                force_full: bool = False) -> SyncPlan:
    """Decide between a full and an incremental export of the space described by ``manifest``."""
    now = time.time() if now is None else now
    if force_full:
        return SyncPlan("full", "a full export was asked for")
    if base is None:
        return SyncPlan("full", "no usable previous raw export")
    if base.raw.empty:
        return SyncPlan("full", "the previous export was of an empty space")
    if now - float(base.raw.full_at or 0) >= full_every:
        return SyncPlan("full", f"the last full export is older than {full_every:g}s (FULL_SYNC_EVERY)")
    diff = diff_manifests(base.manifest, manifest)
    moved = diff.relocated | diff.added | diff.deleted
    slug_ids = {e.id: e.slug_id for e in (*base.manifest.entries, *manifest.entries)}
    dependents = base.index.dependents(set(moved) | {slug_key(slug_ids[i]) for i in moved}) - diff.deleted
    export_ids = (diff.added | diff.updated | dependents) - diff.deleted
    export_ids |= base.index.co_owners(set(export_ids | diff.deleted)) - diff.deleted
    changed = {"added": len(diff.added), "updated": len(diff.updated), "deleted": len(diff.deleted),
               "relocated": len(diff.relocated), "linking": len(dependents - diff.added - diff.updated)}
    if len(export_ids) > max_changed_share * max(len(manifest.entries), 1):
        return SyncPlan("full", f"{len(export_ids)} of {len(manifest.entries)} pages to export exceed "
                                f"{max_changed_share:.0%}: a full export is cheaper", changed=changed)
    return SyncPlan("incremental", "pages changed since the last export" if export_ids or diff.deleted
                    else "nothing changed since the last export", base=base, export_ids=frozenset(export_ids),
                    deleted_ids=frozenset(diff.deleted), changed=changed,
                    changed_ids=frozenset(diff.added | diff.updated))


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another filesystem, or links not allowed: a copy is as good
        shutil.copyfile(source, target)


def _export_pages(client, space: Space, page_ids: list[str], pages_dir: Path, version: str | None) -> set[str]:
    """Export each page on its own; returns the pages Docmost no longer has (403/404: deleted since the list)."""
    vanished: set[str] = set()
    for page_id in page_ids:
        target = pages_dir / f"{page_id}.zip"
        try:
            client.export_page(page_id, target)
        except (DocmostNotFound, DocmostForbidden) as exc:
            log.warning("space %s: page %s vanished before its export (%s); treated as deleted", space.slug,
                        page_id, exc)
            vanished.add(page_id)
            continue
        metadata = read_export_metadata(target)
        if metadata is None or page_id not in metadata.page_ids:
            raise RawExportError(f"space {space.slug}: the export of page {page_id} does not contain that page")
        if version and metadata.version and metadata.version != version:
            raise IncrementalUnusable(f"Docmost now exports version {metadata.version}, the base was {version}")
    return vanished


def update_space(client, space: Space, manifest: PageManifest, plan: SyncPlan, dest_dir: Path) -> RawExport:
    """Build an incremental raw export in ``dest_dir`` (new or empty) following ``plan``."""
    if plan.mode != "incremental" or plan.base is None:
        raise ValueError("update_space needs an incremental plan")
    started = time.monotonic()
    base, dest_dir = plan.base, prepare_dir(dest_dir)
    _link(base.raw.dir / SPACE_ZIP, dest_dir / SPACE_ZIP)
    exported = sorted(plan.export_ids)
    vanished = _export_pages(client, space, exported, dest_dir / PAGES_DIR, base.raw.docmost_version)
    live = {e.id for e in manifest.entries} - vanished
    carried = [pid for pid in base.raw.page_zip_ids if pid in live and pid not in plan.export_ids]
    for page_id in carried:
        _link(base.raw.dir / PAGES_DIR / f"{page_id}.zip", dest_dir / PAGES_DIR / f"{page_id}.zip")
    effective = PageManifest(space_id=manifest.space_id, entries=tuple(e for e in manifest.entries if e.id in live),
                             seconds=manifest.seconds, requests=manifest.requests)
    write_tree(dest_dir, effective.tree())
    effective.save(dest_dir)
    index = _updated_index(base, effective, [pid for pid in exported if pid in live], dest_dir)
    index.save(dest_dir)
    in_space_zip = set(base.index.space_paths.values())
    from_space_zip = (in_space_zip & live) - set(base.raw.superseded_page_ids) - plan.export_ids
    page_zips = sorted(set(carried) | (set(exported) & live))
    superseded = in_space_zip - from_space_zip
    wanted = wanted_files(index, from_space_zip | set(page_zips), present_ids(dest_dir, index, page_zips, superseded))
    fetched, missing = fetch_files(client, dest_dir, wanted, space_slug=space.slug, base_dir=base.raw.dir,
                                   base_files=base.raw.fetched_files)
    raw = RawExport(
        dir=dest_dir, space=space, zip_path=dest_dir / SPACE_ZIP, bytes=base.raw.bytes, sha256=base.raw.sha256,
        seconds=time.monotonic() - started,
        recovered_page_ids=[pid for pid in page_zips if pid not in in_space_zip],
        docmost_version=base.raw.docmost_version, mode="incremental", base=str(base.raw.dir),
        full_at=base.raw.full_at, manifest_sha256=effective.digest,
        superseded_page_ids=sorted(superseded), page_zip_ids=page_zips,
        exported_page_ids=[pid for pid in exported if pid in live],
        deleted_page_ids=sorted((plan.deleted_ids | vanished) - live),
        fetched_files=as_dicts(fetched), missing_files=as_dicts(missing),
    )
    raw.save()
    return raw


def export_changes(client, space: Space, manifest: PageManifest, dest_dir: Path, *, bases: Path,
                   force_full: bool = False, full_every: float = DEFAULT_FULL_EVERY,
                   max_changed_share: float = DEFAULT_MAX_CHANGED_SHARE, page_documents: bool = True,
                   document_concurrency: int = DEFAULT_CONCURRENCY) -> tuple[RawExport, SyncPlan]:
    """The raw export of ``space`` into ``dest_dir``: incremental on the newest usable raw export found in
    ``bases`` (the space's folder of raw exports) when :func:`plan_export` allows it, else full. With
    ``page_documents``, each page's document too (``documents/``, at most ``document_concurrency`` requests at
    once), fetched while the export runs: most of an export is Docmost's time, the client only waits."""
    plan = plan_export(manifest, find_base(Path(bases), exclude=Path(dest_dir)), force_full=force_full,
                       full_every=full_every, max_changed_share=max_changed_share)
    log.info("space %s: %s export (%s); changes: %s", space.slug, plan.mode, plan.reason, plan.changed)
    dest_dir = _empty(dest_dir)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="docmost-documents") as aside:
        documents = aside.submit(_store_documents, client, manifest, plan, dest_dir / DOCUMENTS_DIR,
                                 document_concurrency) if page_documents else None
        raw, plan = _export(client, space, manifest, plan, dest_dir)
        report = documents.result() if documents is not None else None
    if report is not None:
        report = drop_documents(dest_dir / DOCUMENTS_DIR, report, raw.deleted_page_ids)
        log.info("space %s: page documents: %d fetched, %d reused, %d unavailable in %.2fs", space.slug,
                 report.fetched, report.reused, len(report.unavailable), report.seconds)
        raw.documents = report.to_dict()
        raw.save()
    return raw, plan


def _export(client, space: Space, manifest: PageManifest, plan: SyncPlan, dest_dir: Path) -> tuple[RawExport,
                                                                                                   SyncPlan]:
    if plan.mode == "incremental":
        try:
            return update_space(client, space, manifest, plan, dest_dir), plan
        except IncrementalUnusable as exc:
            log.warning("space %s: incremental export not possible (%s); exporting it all", space.slug, exc)
            plan = SyncPlan("full", str(exc), changed=plan.changed)
            for leftover in dest_dir.iterdir():  # the documents being fetched stay
                if leftover.name != DOCUMENTS_DIR:
                    if leftover.is_dir():
                        shutil.rmtree(leftover)
                    else:
                        leftover.unlink()
    return download_space(client, space, dest_dir, manifest), plan


def _store_documents(client, manifest: PageManifest, plan: SyncPlan, documents_dir: Path,
                     concurrency: int) -> DocumentsReport:
    """Every page's document on a full export; on an incremental one the changed pages' (and those the base has
    none for), the others hard-linked from the base."""
    live = {e.id for e in manifest.entries}
    incremental = plan.mode == "incremental" and plan.base is not None
    return store_documents(client, documents_dir, live, base_dir=plan.base.raw.dir if incremental else None,
                           changed=plan.changed_ids if incremental else live, concurrency=concurrency)


def _empty(directory: Path) -> Path:
    directory = Path(directory)
    if directory.exists():
        shutil.rmtree(directory)
    return directory


def _updated_index(base: Base, manifest: PageManifest, exported: list[str], dest_dir: Path) -> PageIndex:
    slug_ids = {e.slug_id: e.id for e in manifest.entries if e.slug_id}
    live = set(manifest.by_id)
    links = {pid: targets for pid, targets in base.index.links.items() if pid in live}
    files = {pid: keys for pid, keys in base.index.files.items() if pid in live}
    for page_id in exported:
        links[page_id], files[page_id] = index_page_zip(dest_dir / PAGES_DIR / f"{page_id}.zip", page_id, slug_ids)
    return PageIndex(space_paths=dict(base.index.space_paths), links=links,
                     attachment_owners=dict(base.index.attachment_owners), files=files)


__all__ = ["Base", "DEFAULT_FULL_EVERY", "DEFAULT_MAX_CHANGED_SHARE", "IncrementalUnusable", "SyncPlan",
           "export_changes", "find_base", "load_base", "plan_export", "update_space"]
