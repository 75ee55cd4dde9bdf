"""The four assets of a space sync, one ``docmost_spaces`` partition per Docmost space.

``raw_export -> extracted_markdown -> postprocessed_tree -> published_space``. Assets pass small picklable
references (paths and counts, the dataclasses below), never file contents. Working data of a run lives under
``OUTPUT_DIR/.pipeline/{raw,extract,staging}/<space>/<run_id>/`` (:mod:`docmost_pipeline.workdir`).

``extracted_markdown`` is a plain top-level asset. The other three are built by small factories because a setting
changes their definition: the retry delay of ``raw_export``, the optional Docusaurus check of
``postprocessed_tree``, the freshness window of ``published_space``. Their bodies are top-level functions.
"""

import json
import shutil
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Backoff,
    Failure,
    FreshnessPolicy,
    Jitter,
    MetadataValue,
    Output,
    RetryPolicy,
    asset,
)

from docmost_pipeline.alerts import redact
from docmost_pipeline.convert.space import convert_space
from docmost_pipeline.defs.checks import tree_check_results, tree_check_specs
from docmost_pipeline.defs.metadata import markdown_table, page_tree_table
from docmost_pipeline.defs.partitions import GROUP_NAME, SPACES_PARTITIONS
from docmost_pipeline.defs.resources import DocmostResource, OutputResource
from docmost_pipeline.docmost.errors import DocmostAuthError
from docmost_pipeline.export.download import download_space
from docmost_pipeline.export.extract import extract_raw_export
from docmost_pipeline.model import ExtractedExport
from docmost_pipeline.publish import publish_tree
from docmost_pipeline.settings import Settings, SyncInterval
from docmost_pipeline.workdir import fresh_dir

ASSET_NAMES = ("raw_export", "extracted_markdown", "postprocessed_tree", "published_space")


@dataclass(frozen=True)
class SpaceRef:
    slug: str
    id: str
    name: str


@dataclass(frozen=True)
class RawExportRef:
    space: SpaceRef
    dir: str
    empty: bool
    sha256: str | None
    bytes: int


@dataclass(frozen=True)
class ExtractedRef:
    space: SpaceRef
    dir: str
    raw_dir: str
    empty: bool
    pages: int
    source_sha256: str | None


@dataclass(frozen=True)
class TreeRef:
    space: SpaceRef
    tree_dir: str
    extract_dir: str
    raw_dir: str
    empty: bool
    pages: int
    source_sha256: str | None
    # zip paths of pages the converter dropped on purpose (untitled, no content, no children): reported, not lost
    dropped_pages: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublishedRef:
    space: SpaceRef
    version: str
    previous_version: str | None
    path: str
    pages: int


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _run_started(context: AssetExecutionContext) -> float:
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is not None and record.start_time:
        return float(record.start_time)
    return time.time()


RAW_EXPORT_DESCRIPTION = """\
The space's Markdown export from Docmost (`POST /api/spaces/export`), plus every page the export dropped,
fetched on its own.

Written to `OUTPUT_DIR/.pipeline/raw/<space>/<run_id>/`. Retried 3 times with exponential backoff and jitter;
a rejected login fails at once.
"""


def raw_export_asset(retry_delay: float) -> AssetsDefinition:
    """``raw_export`` with its retry policy (RAW_EXPORT_RETRY_DELAY is the first delay)."""
    policy = RetryPolicy(max_retries=3, delay=retry_delay, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)

    @asset(name="raw_export", partitions_def=SPACES_PARTITIONS, group_name=GROUP_NAME, kinds={"docmost", "zip"},
           retry_policy=policy, description=RAW_EXPORT_DESCRIPTION)
    def raw_export(context: AssetExecutionContext, docmost: DocmostResource, output: OutputResource) -> Output:
        return materialize_raw_export(context, docmost, output)

    return raw_export


def materialize_raw_export(context: AssetExecutionContext, docmost: DocmostResource,
                           output: OutputResource) -> Output:
    slug = context.partition_key
    try:
        client = docmost.get_client()
        space = {s.slug: s for s in client.list_spaces()}.get(slug)
        if space is None:
            raise Failure(description=f"space {slug!r} is not in Docmost's space list (deleted, renamed or no access)",
                          allow_retries=False)
        raw = download_space(client, space, fresh_dir(output.work_dirs.raw(slug, context.run.run_id)))
    except DocmostAuthError as exc:
        raise Failure(description=f"Docmost rejected the login (not retried): {redact(str(exc), docmost.secrets())}",
                      allow_retries=False) from None
    if raw.empty:
        context.log.info(f"space {slug}: Docmost has no pages to export; it will be published as an empty "
                         "space (only its _category_.json)")
    ref = RawExportRef(space=SpaceRef(slug=slug, id=space.id, name=space.name), dir=str(raw.dir),
                       empty=bool(raw.empty), sha256=raw.sha256, bytes=int(raw.bytes or 0))
    return Output(ref, metadata={
        "bytes": int(raw.bytes or 0),
        "sha256": raw.sha256 or "",
        "download_seconds": float(raw.seconds or 0.0),
        "docmost_version": raw.docmost_version or "unknown",
        "recovered_pages": len(raw.recovered_page_ids or ()),
        "empty_space": bool(raw.empty),
        "raw_dir": MetadataValue.path(str(raw.dir)),
    })


@asset(
    partitions_def=SPACES_PARTITIONS,
    group_name=GROUP_NAME,
    kinds={"python", "markdown"},
    description="""\
Safe extraction of the raw export: one Markdown file per page (named by page id) and one copy per attachment,
with the page list (titles from Docmost's page tree, recovered pages merged in).
""",
)
def extracted_markdown(context: AssetExecutionContext, raw_export: RawExportRef, output: OutputResource) -> Output:
    # extract_raw_export also handles an empty space (its raw export has no space.zip)
    dest = fresh_dir(output.work_dirs.extract(context.partition_key, context.run.run_id))
    export = extract_raw_export(Path(raw_export.dir), dest)
    ref = ExtractedRef(space=raw_export.space, dir=str(dest), raw_dir=raw_export.dir, empty=raw_export.empty,
                       pages=len(export.pages), source_sha256=raw_export.sha256)
    return Output(ref, metadata={
        "pages": len(export.pages),
        "attachments": len(export.attachments),
        "recovered_pages": sum(1 for p in export.pages if p.recovered),
        "total_bytes": _tree_bytes(dest),
        "docmost_version": export.docmost_version or "unknown",
        "page_tree": MetadataValue.md(page_tree_table(export)),
        "extract_dir": MetadataValue.path(str(dest)),
    })


POSTPROCESSED_TREE_DESCRIPTION = """\
The converted Docusaurus docs tree of the space, in staging: MDX-safe Markdown, slugged file names,
attachments, `_category_.json` files.

Blocking checks run on it before anything is published; a failed check keeps the previous version live.
"""


def postprocessed_tree_asset(docusaurus_check: bool) -> AssetsDefinition:
    """``postprocessed_tree`` with its blocking checks (the Docusaurus build only with DOCUSAURUS_CHECK=1)."""

    @asset(name="postprocessed_tree", partitions_def=SPACES_PARTITIONS, group_name=GROUP_NAME,
           kinds={"python", "docusaurus"}, check_specs=tree_check_specs(docusaurus_check),
           description=POSTPROCESSED_TREE_DESCRIPTION)
    def postprocessed_tree(context: AssetExecutionContext, extracted_markdown: ExtractedRef, output: OutputResource):
        ref = yield from convert_extracted(context, extracted_markdown, output)
        yield from tree_check_results(ref, output.root, docusaurus=docusaurus_check)

    return postprocessed_tree


def convert_extracted(context: AssetExecutionContext, extracted: ExtractedRef, output: OutputResource):
    """Convert the extracted space into staging; yields the asset's Output and returns its TreeRef."""
    slug = context.partition_key
    tree_dir = fresh_dir(output.work_dirs.staging(slug, context.run.run_id)) / "tree"
    started = time.monotonic()
    report = convert_space(ExtractedExport.load(Path(extracted.dir)), tree_dir, space_slug=slug,
                           space_name=extracted.space.name, base_url=output.base_url)
    seconds = time.monotonic() - started
    ref = TreeRef(space=extracted.space, tree_dir=str(tree_dir), extract_dir=extracted.dir,
                  raw_dir=extracted.raw_dir, empty=extracted.empty, pages=int(report.pages_written),
                  source_sha256=extracted.source_sha256,
                  dropped_pages=tuple(w.page for w in report.warnings if w.kind == "dropped_page"))
    warnings_rows = [{"page": w.page, "kind": w.kind, "message": w.message} for w in report.warnings]
    yield Output(ref, metadata={
        "pages": int(report.pages_written),
        "attachments": int(report.attachments_written),
        "pages_dropped": int(report.pages_dropped),
        "warnings": len(report.warnings),
        "warnings_table": MetadataValue.md(markdown_table(warnings_rows, ["page", "kind", "message"])),
        "warning_counts": MetadataValue.json(report.warning_counts()),
        "bytes": _tree_bytes(tree_dir),
        "conversion_seconds": round(seconds, 3),
        "empty_space": extracted.empty,
    })
    return ref


PUBLISHED_SPACE_DESCRIPTION = """\
The space live in `OUTPUT_DIR/<space>`: the checked tree switched in atomically, earlier versions kept for
rollback (`PUBLISH_KEEP`).

A tree identical to the live version is not published again (metadata `unchanged: true`).
"""


def published_space_asset(sync_interval: SyncInterval | None) -> AssetsDefinition:
    """``published_space``, flagged stale after 2 x SYNC_INTERVAL when a sync schedule is set."""
    freshness, description = None, PUBLISHED_SPACE_DESCRIPTION
    if sync_interval is not None:
        freshness = FreshnessPolicy.time_window(fail_window=timedelta(seconds=2 * sync_interval.seconds))
        description += "\nFlagged stale when older than 2 x `SYNC_INTERVAL`.\n"

    @asset(name="published_space", partitions_def=SPACES_PARTITIONS, group_name=GROUP_NAME,
           kinds={"docusaurus", "filesystem"}, freshness_policy=freshness, description=description)
    def published_space(context: AssetExecutionContext, postprocessed_tree: TreeRef, output: OutputResource) -> Output:
        return publish_converted(context, postprocessed_tree, output)

    return published_space


def publish_converted(context: AssetExecutionContext, tree: TreeRef, output: OutputResource) -> Output:
    slug = context.partition_key
    result = publish_tree(Path(tree.tree_dir), output.root, slug, run_id=context.run.run_id,
                          source_sha256=tree.source_sha256, page_count=tree.pages, mode=output.publish_mode,
                          keep=output.publish_keep, logger=context.log)
    # The tree was copied into the versions store; this run's working copies are no longer needed.
    for leftover in (Path(tree.tree_dir).parent, Path(tree.extract_dir)):
        shutil.rmtree(leftover, ignore_errors=True)
    outcome = "unchanged" if result.unchanged else ("published empty space" if tree.empty else "published")
    summary = {"space": slug, "pages": tree.pages, "duration_seconds": round(time.time() - _run_started(context), 2),
               "result": outcome, "version": result.version}
    context.log.info("sync summary: " + json.dumps(summary, ensure_ascii=False))
    ref = PublishedRef(space=tree.space, version=result.version, previous_version=result.previous_version,
                       path=str(result.path), pages=tree.pages)
    return Output(ref, metadata={
        "version": result.version,
        "previous_version": result.previous_version or "",
        "pages_live": int(tree.pages),
        "publish_seconds": round(float(result.seconds), 3),
        "files": int(result.files),
        "bytes": int(result.bytes),
        "mode": result.mode,
        "pruned_versions": len(result.pruned),
        "unchanged": result.unchanged,
        "empty_space": tree.empty,
        "live_path": MetadataValue.path(str(result.path)),
    })


def build_assets(settings: Settings) -> list[AssetsDefinition]:
    """The four assets, in lineage order, shaped by the settings that change their definitions."""
    return [
        raw_export_asset(settings.raw_export_retry_delay),
        extracted_markdown,
        postprocessed_tree_asset(settings.docusaurus_check),
        published_space_asset(settings.sync_interval),
    ]
