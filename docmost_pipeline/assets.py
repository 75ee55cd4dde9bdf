"""The four Dagster assets of a space sync, one dynamic partition per Docmost space (key = the space's slug).

raw_export -> extracted_markdown -> postprocessed_tree -> published_space. Assets pass small picklable references
(paths and counts, the dataclasses below), never file contents. Working data of a run lives under
``OUTPUT_DIR/.pipeline/{raw,extract,staging}/<space>/<run_id>/`` (the maintenance job keeps the last raw exports
and removes the rest). ``postprocessed_tree`` runs the blocking checks of :mod:`docmost_pipeline.checks`; a failed
check stops ``published_space`` in that run, so the previous version stays live.

An empty space (Docmost answers its export with 400 "No accessible pages to export") is not a failure: it is
published as an empty space holding only its ``_category_.json``.
"""


import functools
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Backoff,
    DynamicPartitionsDefinition,
    Failure,
    FreshnessPolicy,
    Jitter,
    MetadataValue,
    Output,
    RetryPolicy,
    asset,
)

from docmost_pipeline.alerts import redact
from docmost_pipeline.resources import DocmostResource, OutputResource
from docmost_pipeline.settings import Settings

SPACES_PARTITIONS = DynamicPartitionsDefinition(name="docmost_spaces")
GROUP_NAME = "docmost_sync"
ASSET_NAMES = ("raw_export", "extracted_markdown", "postprocessed_tree", "published_space")
MAX_TABLE_ROWS = 200

# Test hook: callables (space_slug, tree_dir) run on the converted tree before the checks, used by tests to inject
# a broken link and prove that a failed blocking check keeps the previous version live. Empty in production.
AFTER_CONVERT_HOOKS: list[Callable[[str, Path], None]] = []


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


def _fresh_dir(path: Path) -> Path:
    # A retried step reuses the run id: start from an empty directory, never from a half-written attempt.
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _cell(value):
    # A '|' or a line break inside a cell would end the cell or the row of a Markdown table.
    return value.replace("|", "\\|").replace("\n", " ") if isinstance(value, str) else value


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    """A Markdown table (for ``MetadataValue.md``) of at most MAX_TABLE_ROWS rows; cell text is escaped here."""
    if not rows:
        return "_(none)_"
    frame = pd.DataFrame([{c: _cell(row.get(c)) for c in columns} for row in rows[:MAX_TABLE_ROWS]], columns=columns)
    text = frame.to_markdown(index=False)
    if len(rows) > MAX_TABLE_ROWS:
        text += f"\n\n… and {len(rows) - MAX_TABLE_ROWS} more"
    return text


def _page_tree_preview(export) -> str:
    by_id = {p.page_id: p for p in export.pages}

    def depth(page) -> int:
        level, seen = 0, set()
        while page.parent_page_id in by_id and page.page_id not in seen:
            seen.add(page.page_id)
            page = by_id[page.parent_page_id]
            level += 1
        return level

    rows = [
        {
            "page": ("\u2003" * depth(p)) + (p.title or "(untitled)"),
            "slugId": p.slug_id or "",
            "path in ZIP": p.zip_path,
            "recovered": "yes" if p.recovered else "",
        }
        for p in export.pages
    ]
    return markdown_table(rows, ["page", "slugId", "path in ZIP", "recovered"])


def _run_started(context: AssetExecutionContext) -> float:
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is not None and record.start_time:
        return float(record.start_time)
    return time.time()


# Every asset of the sync: one partition per space, in the docmost_sync group.
space_asset = functools.partial(asset, partitions_def=SPACES_PARTITIONS, group_name=GROUP_NAME)


def build_assets(settings: Settings) -> list[AssetsDefinition]:
    """The four assets, configured from settings (retry delay, freshness window, optional Docusaurus check)."""
    from docmost_pipeline.checks import CHECK_SPECS, run_tree_checks

    retry_policy = RetryPolicy(
        max_retries=3,
        delay=settings.raw_export_retry_delay,
        backoff=Backoff.EXPONENTIAL,
        jitter=Jitter.PLUS_MINUS,
    )

    @space_asset(
        kinds={"docmost", "zip"},
        retry_policy=retry_policy,
        description=(
            "The space's Markdown export ZIP downloaded from Docmost (POST /api/spaces/export), plus every page the "
            "export dropped fetched on its own, into OUTPUT_DIR/.pipeline/raw/<space>/<run_id>/. Retried 3 times "
            "with exponential backoff and jitter; a rejected login fails at once."
        ),
    )
    def raw_export(context: AssetExecutionContext, docmost: DocmostResource, output: OutputResource) -> Output:
        from docmost_pipeline.docmost.errors import DocmostAuthError
        from docmost_pipeline.export.download import download_space

        slug = context.partition_key
        secrets = docmost.secrets()
        try:
            client = docmost.get_client()
            spaces = {s.slug: s for s in client.list_spaces()}
            space = spaces.get(slug)
            if space is None:
                raise Failure(
                    description=f"space {slug!r} is not in Docmost's space list (deleted, renamed or no access)",
                    allow_retries=False,
                )
            dest = _fresh_dir(output.raw_dir(slug, context.run.run_id))
            raw = download_space(client, space, dest)
        except DocmostAuthError as exc:
            raise Failure(
                description=f"Docmost rejected the login (not retried): {redact(str(exc), secrets)}",
                allow_retries=False,
            ) from None
        ref = RawExportRef(
            space=SpaceRef(slug=slug, id=space.id, name=space.name),
            dir=str(raw.dir),
            empty=bool(raw.empty),
            sha256=raw.sha256,
            bytes=int(raw.bytes or 0),
        )
        if raw.empty:
            context.log.info(f"space {slug}: Docmost has no pages to export; it will be published as an empty "
                             "space (only its _category_.json)")
        return Output(
            ref,
            metadata={
                "bytes": int(raw.bytes or 0),
                "sha256": raw.sha256 or "",
                "download_seconds": float(raw.seconds or 0.0),
                "docmost_version": raw.docmost_version or "unknown",
                "recovered_pages": len(raw.recovered_page_ids or ()),
                "empty_space": bool(raw.empty),
                "raw_dir": MetadataValue.path(str(raw.dir)),
            },
        )

    @space_asset(
        kinds={"python", "markdown"},
        description=(
            "Safe extraction of the raw export: one Markdown file per page (by pageId) and one copy per attachment, "
            "with the page list (titles from the API tree, recovered pages merged)."
        ),
    )
    def extracted_markdown(context: AssetExecutionContext, raw_export: RawExportRef, output: OutputResource) -> Output:
        from docmost_pipeline.export.extract import extract_raw_export

        # extract_raw_export also handles an empty space (its raw export has no space.zip)
        dest = _fresh_dir(output.extract_dir(context.partition_key, context.run.run_id))
        export = extract_raw_export(Path(raw_export.dir), dest)
        total_bytes = _tree_bytes(dest)
        recovered = sum(1 for p in export.pages if p.recovered)
        return Output(
            ExtractedRef(
                space=raw_export.space,
                dir=str(dest),
                raw_dir=raw_export.dir,
                empty=raw_export.empty,
                pages=len(export.pages),
                source_sha256=raw_export.sha256,
            ),
            metadata={
                "pages": len(export.pages),
                "attachments": len(export.attachments),
                "recovered_pages": recovered,
                "total_bytes": total_bytes,
                "docmost_version": export.docmost_version or "unknown",
                "page_tree": MetadataValue.md(_page_tree_preview(export)),
                "extract_dir": MetadataValue.path(str(dest)),
            },
        )

    check_specs = [spec for spec in CHECK_SPECS if spec.name != "docusaurus_build" or settings.docusaurus_check]

    @space_asset(
        kinds={"python", "docusaurus"},
        check_specs=check_specs,
        description=(
            "The converted Docusaurus docs tree of the space in staging (MDX-safe Markdown, slugged names, "
            "attachments, _category_.json). Blocking checks run on it before anything is published."
        ),
    )
    def postprocessed_tree(context: AssetExecutionContext, extracted_markdown: ExtractedRef, output: OutputResource):
        from docmost_pipeline.convert.space import convert_space
        from docmost_pipeline.model import ExtractedExport

        slug = context.partition_key
        tree_dir = _fresh_dir(output.staging_dir(slug, context.run.run_id)) / "tree"
        export = ExtractedExport.load(Path(extracted_markdown.dir))
        started = time.monotonic()
        report = convert_space(
            export,
            tree_dir,
            space_slug=slug,
            space_name=extracted_markdown.space.name,
            base_url=output.base_url,
        )
        seconds = time.monotonic() - started
        for hook in AFTER_CONVERT_HOOKS:
            hook(slug, tree_dir)
        warnings_rows = [{"page": w.page, "kind": w.kind, "message": w.message} for w in report.warnings]
        ref = TreeRef(
            space=extracted_markdown.space,
            tree_dir=str(tree_dir),
            extract_dir=extracted_markdown.dir,
            raw_dir=extracted_markdown.raw_dir,
            empty=extracted_markdown.empty,
            pages=int(report.pages_written),
            source_sha256=extracted_markdown.source_sha256,
            dropped_pages=tuple(w.page for w in report.warnings if w.kind == "dropped_page"),
        )
        yield Output(
            ref,
            metadata={
                "pages": int(report.pages_written),
                "attachments": int(report.attachments_written),
                "pages_dropped": int(report.pages_dropped),
                "warnings": len(report.warnings),
                "warnings_table": MetadataValue.md(markdown_table(warnings_rows, ["page", "kind", "message"])),
                "warning_counts": MetadataValue.json(report.warning_counts()),
                "bytes": _tree_bytes(tree_dir),
                "conversion_seconds": round(seconds, 3),
                "empty_space": extracted_markdown.empty,
                "tree_dir": MetadataValue.path(str(tree_dir)),
            },
        )
        for result in run_tree_checks(ref, output.root, docusaurus=settings.docusaurus_check):
            yield result

    freshness_policy = None
    if settings.sync_interval is not None:
        window = timedelta(seconds=2 * settings.sync_interval.seconds)
        freshness_policy = FreshnessPolicy.time_window(fail_window=window)

    @space_asset(
        kinds={"docusaurus", "filesystem"},
        freshness_policy=freshness_policy,
        description=(
            "The space live in OUTPUT_DIR/<space>: the checked tree switched in atomically (previous versions kept "
            "for rollback, PUBLISH_KEEP); a tree identical to the live version is not published again "
            "(metadata unchanged=true). Flagged stale when older than 2 x SYNC_INTERVAL."
        ),
    )
    def published_space(context: AssetExecutionContext, postprocessed_tree: TreeRef, output: OutputResource) -> Output:
        from docmost_pipeline.publish import publish_tree

        slug = context.partition_key
        result = publish_tree(
            Path(postprocessed_tree.tree_dir),
            output.root,
            slug,
            run_id=context.run.run_id,
            source_sha256=postprocessed_tree.source_sha256,
            page_count=postprocessed_tree.pages,
            mode=output.publish_mode,
            keep=output.publish_keep,
            logger=context.log,
        )
        # The tree was copied into the versions store; this run's working copies are no longer needed.
        for leftover in (Path(postprocessed_tree.tree_dir).parent, Path(postprocessed_tree.extract_dir)):
            shutil.rmtree(leftover, ignore_errors=True)
        duration = time.time() - _run_started(context)
        if result.unchanged:
            outcome = "unchanged"
        else:
            outcome = "published empty space" if postprocessed_tree.empty else "published"
        context.log.info(
            "sync summary: "
            + json.dumps(
                {
                    "space": slug,
                    "pages": postprocessed_tree.pages,
                    "duration_seconds": round(duration, 2),
                    "result": outcome,
                    "version": result.version,
                },
                ensure_ascii=False,
            )
        )
        return Output(
            PublishedRef(
                space=postprocessed_tree.space,
                version=result.version,
                previous_version=result.previous_version,
                path=str(result.path),
                pages=postprocessed_tree.pages,
            ),
            metadata={
                "version": result.version,
                "previous_version": result.previous_version or "",
                "pages_live": int(postprocessed_tree.pages),
                "publish_seconds": round(float(result.seconds), 3),
                "files": int(result.files),
                "bytes": int(result.bytes),
                "mode": result.mode,
                "pruned_versions": len(result.pruned),
                "unchanged": result.unchanged,
                "empty_space": postprocessed_tree.empty,
                "live_path": MetadataValue.path(str(result.path)),
            },
        )

    return [raw_export, extracted_markdown, postprocessed_tree, published_space]
