"""The four assets of a space sync, one ``docmost_spaces`` partition per Docmost space, and the website.

``raw_export -> extracted_markdown -> postprocessed_tree -> published_space``, then ``git_published_space`` when
GIT_PUBLISH_REPO is set, and (with SITE_DIR) the unpartitioned ``docusaurus_site`` over every space's
``published_space``. Assets pass small picklable
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
    AssetCheckResult,
    AssetExecutionContext,
    AssetsDefinition,
    Backoff,
    Config,
    Failure,
    FreshnessPolicy,
    Jitter,
    MetadataValue,
    Output,
    RetryPolicy,
    asset,
)
from pydantic import Field

from docmost_pipeline.alerts import redact
from docmost_pipeline.convert.space import convert_space
from docmost_pipeline.defs.checks import site_check_result, site_check_spec, tree_check_results, tree_check_specs
from docmost_pipeline.defs.metadata import markdown_table, page_tree_table
from docmost_pipeline.defs.partitions import GROUP_NAME, SPACES_PARTITIONS
from docmost_pipeline.defs.resources import DocmostResource, GitPublishResource, OutputResource, WebsiteResource
from docmost_pipeline.docmost.errors import DocmostAuthError, DocmostError
from docmost_pipeline.docmost.publicurl import PublicUrl
from docmost_pipeline.export.incremental import export_changes
from docmost_pipeline.export.manifest import read_manifest
from docmost_pipeline.export.extract import extract_raw_export
from docmost_pipeline import gitpublish
from docmost_pipeline.model import DOCUMENTS_DIR, ExtractedExport
from docmost_pipeline import publish
from docmost_pipeline.publish import PublishError, publish_tree
from docmost_pipeline.settings import Settings, SyncInterval
from docmost_pipeline.sitebuild import SiteBuildError
from docmost_pipeline.syncstate import live_source, source_digest
from docmost_pipeline.website import SiteUpdate, update_site
from docmost_pipeline.workdir import fresh_dir

MAX_NAMED_PAGES = 20  # pages named in the document_unavailable warning; the rest are counted
ASSET_NAMES = ("raw_export", "extracted_markdown", "postprocessed_tree", "published_space")
GIT_ASSET_NAME = "git_published_space"  # only with GIT_PUBLISH_REPO
SITE_ASSET_NAME = "docusaurus_site"  # only with SITE_DIR
SITE_GROUP_NAME = "website"
# every asset of the pipeline (the alert sensors tell its runs from other projects' by these names)
PIPELINE_ASSET_NAMES = (*ASSET_NAMES, GIT_ASSET_NAME, SITE_ASSET_NAME)


@dataclass(frozen=True)
class SpaceRef:
    slug: str
    id: str
    name: str


@dataclass(frozen=True)
class RawExportRef:
    space: SpaceRef
    dir: str | None  # None when nothing changed (sync_mode "unchanged")
    empty: bool
    sha256: str | None
    bytes: int
    sync_mode: str = "full"  # "full", "incremental" or "unchanged"
    source_digest: str | None = None  # recorded in the published stamp (docmost_pipeline.syncstate)
    live_version: str | None = None  # the version left live when unchanged
    public_url: str | None = None  # Docmost's address as readers see it (edit links, links to Docmost)


@dataclass(frozen=True)
class ExtractedRef:
    space: SpaceRef
    dir: str | None
    raw_dir: str | None
    empty: bool
    pages: int
    source_sha256: str | None
    sync_mode: str = "full"
    live_version: str | None = None
    public_url: str | None = None


@dataclass(frozen=True)
class TreeRef:
    space: SpaceRef
    tree_dir: str | None
    extract_dir: str | None
    raw_dir: str | None
    empty: bool
    pages: int
    source_sha256: str | None
    # zip paths of pages the converter dropped on purpose (untitled, no content, no children): reported, not lost
    dropped_pages: tuple[str, ...] = ()
    sync_mode: str = "full"
    live_version: str | None = None


@dataclass(frozen=True)
class PublishedRef:
    space: SpaceRef
    version: str
    previous_version: str | None
    path: str
    pages: int
    sync_mode: str = "full"  # "unchanged": the live version was left as it was


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _run_started(context: AssetExecutionContext) -> float:
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is not None and record.start_time:
        return float(record.start_time)
    return time.time()


RAW_EXPORT_DESCRIPTION = """\
What Docmost has for the space, exported only as far as it changed.

Reads the space's page list (`POST /api/pages/recent`) and compares it with the live version's source:

- **unchanged**: nothing is exported (and nothing converted or published downstream);
- **incremental**: the previous raw export is reused and only changed pages (and the pages linking to moved
  ones) are exported one by one (`POST /api/pages/export`);
- **full**: the whole space is exported (`POST /api/spaces/export`), plus every page that export dropped.

Files the pages show that no export holds (attachments of other spaces) are fetched on their own
(`GET /api/files/...`). Docmost's public address (`DOCMOST_PUBLIC_URL`, else its `window.CONFIG.APP_URL`, else the
base URL) is what edit links and links back to Docmost use.

Each page's own document (`POST /api/pages/info`, ProseMirror JSON: what the Markdown export loses) is stored in
`documents/`: every page's on a full export, the changed pages' on an incremental one, `DOCUMENT_FETCH_CONCURRENCY`
requests at once (`PAGE_DOCUMENTS=off`: none). A page whose document cannot be fetched keeps its Markdown
rendering (a `document_unavailable` warning).

A full export happens without a usable previous export, every `FULL_SYNC_EVERY`, when more than
`INCREMENTAL_MAX_CHANGED` of the pages changed, or when asked for (config `full: true`,
`docmost-pipeline sync --full`). Written to `OUTPUT_DIR/.pipeline/raw/<space>/<run_id>/`. Retried 3 times with
exponential backoff and jitter; a rejected login fails at once.
"""


class SyncConfig(Config):
    """Run configuration of ``raw_export``."""

    full: bool = Field(default=False, description="Export the whole space even if only some pages changed.")


def raw_export_asset(retry_delay: float) -> AssetsDefinition:
    """``raw_export`` with its retry policy (RAW_EXPORT_RETRY_DELAY is the first delay)."""
    policy = RetryPolicy(max_retries=3, delay=retry_delay, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)

    @asset(name="raw_export", partitions_def=SPACES_PARTITIONS, group_name=GROUP_NAME, kinds={"docmost", "zip"},
           retry_policy=policy, description=RAW_EXPORT_DESCRIPTION)
    def raw_export(context: AssetExecutionContext, config: SyncConfig, docmost: DocmostResource,
                   output: OutputResource) -> Output:
        try:
            public = public_address(docmost)
            return materialize_raw_export(context, config, docmost.get_client(), output, public)
        except DocmostAuthError as exc:
            raise Failure(description="Docmost rejected the login (not retried): "
                                      + redact(str(exc), docmost.secrets()), allow_retries=False) from None

    return raw_export


def public_address(docmost: DocmostResource) -> PublicUrl:
    """Docmost's public address for this run; a malformed one Docmost publishes fails at once (no retries: a
    setting, not a passing fault)."""
    try:
        return docmost.get_public_url()
    except DocmostError as exc:
        if exc.status is None or exc.status >= 500 or isinstance(exc, DocmostAuthError):
            raise  # Docmost unreachable: retried like any export failure
        raise Failure(description=f"cannot learn Docmost's public address: {redact(str(exc), docmost.secrets())}; "
                                  "set DOCMOST_PUBLIC_URL", allow_retries=False) from None


def materialize_raw_export(context: AssetExecutionContext, config: SyncConfig, client,
                           output: OutputResource, public: PublicUrl) -> Output:
    slug = context.partition_key
    space = {s.slug: s for s in client.list_spaces()}.get(slug)
    if space is None:
        raise Failure(description=f"space {slug!r} is not in Docmost's space list (deleted, renamed or no access)",
                      allow_retries=False)
    space_ref = SpaceRef(slug=slug, id=space.id, name=space.name)
    manifest = read_manifest(client, space.id)
    digest = source_digest(manifest.digest, space_name=space.name, base_url=output.base_url, public_url=public.url,
                           page_documents=output.page_documents)
    live_version, live_digest = live_source(output.root, slug)
    manifest_meta = {"manifest_seconds": round(manifest.seconds, 3), "manifest_requests": manifest.requests,
                     "pages_listed": len(manifest.entries), "public_url": public.url,
                     "public_url_source": public.source}
    if live_digest == digest and not config.full:
        context.log.info(f"space {slug}: unchanged since version {live_version}; nothing to export")
        ref = RawExportRef(space=space_ref, dir=None, empty=not manifest.entries, sha256=None, bytes=0,
                           sync_mode="unchanged", source_digest=digest, live_version=live_version,
                           public_url=public.url)
        return Output(ref, metadata={"sync_mode": "unchanged", "reason": "the live version has this source",
                                     "live_version": live_version or "", "pages_exported": 0,
                                     "pages_reused": len(manifest.entries), "pages_deleted": 0, **manifest_meta})
    raw, plan = export_space_changes(context, client, space, manifest, output, full=config.full)
    if raw.empty:
        context.log.info(f"space {slug}: Docmost has no pages to export; it will be published as an empty "
                         "space (only its _category_.json)")
    ref = RawExportRef(space=space_ref, dir=str(raw.dir), empty=bool(raw.empty), sha256=raw.sha256,
                       bytes=int(raw.bytes or 0), sync_mode=raw.mode, source_digest=digest, public_url=public.url)
    exported = len(raw.exported_page_ids) if raw.mode == "incremental" else len(manifest.entries)
    return Output(ref, metadata={
        "sync_mode": raw.mode,
        "reason": plan.reason,
        "pages_exported": exported,
        "pages_reused": len(manifest.entries) - exported if raw.mode == "incremental" else 0,
        "pages_deleted": len(raw.deleted_page_ids),
        **manifest_meta,
        "bytes": int(raw.bytes or 0),
        "sha256": raw.sha256 or "",
        "download_seconds": float(raw.seconds or 0.0),
        "docmost_version": raw.docmost_version or "unknown",
        "recovered_pages": len(raw.recovered_page_ids or ()),
        "other_space_files_fetched": len(raw.fetched_files),
        "other_space_files_missing": len(raw.missing_files),
        **documents_metadata(raw),
        "empty_space": bool(raw.empty),
        "raw_dir": MetadataValue.path(str(raw.dir)),
    })


def export_space_changes(context: AssetExecutionContext, client, space, manifest, output: OutputResource, *,
                         full: bool):
    """The raw export of this run: incremental on the newest usable previous one when the plan allows it."""
    dest = output.work_dirs.raw(space.slug, context.run.run_id)
    raw, plan = export_changes(client, space, manifest, dest, bases=dest.parent, force_full=full,
                               full_every=output.full_sync_every, max_changed_share=output.incremental_max_changed,
                               page_documents=output.page_documents,
                               document_concurrency=output.document_fetch_concurrency)
    context.log.info(f"space {space.slug}: {raw.mode} export ({plan.reason}); changes: {plan.changed}")
    warn_unavailable_documents(context, space.slug, raw, manifest)
    return raw, plan


def warn_unavailable_documents(context: AssetExecutionContext, slug: str, raw, manifest) -> None:
    """One run-log warning naming the pages (by title, else id) whose document Docmost did not give."""
    unavailable = (raw.documents or {}).get("unavailable") or {}
    if not unavailable:
        return
    titles = {e.id: e.title for e in manifest.entries}
    names = [f"{titles[pid]!r} ({pid})" if titles.get(pid) else pid for pid in sorted(unavailable)]
    shown = ", ".join(names[:MAX_NAMED_PAGES]) + (f" and {len(names) - MAX_NAMED_PAGES} more"
                                                   if len(names) > MAX_NAMED_PAGES else "")
    first = unavailable[sorted(unavailable)[0]]
    context.log.warning(f"space {slug}: document_unavailable: {len(unavailable)} page(s) keep their Markdown "
                        f"rendering, Docmost did not give their document: {shown} (first reason: {first})")


def documents_metadata(raw) -> dict:
    """``raw_export`` metadata of the page documents (zeros and ``page_documents: false`` when not fetched)."""
    report = raw.documents or {}
    return {"page_documents": raw.documents is not None,
            "documents_fetched": int(report.get("fetched", 0)),
            "documents_reused": int(report.get("reused", 0)),
            "documents_unavailable": len(report.get("unavailable") or {}),
            "documents_seconds": round(float(report.get("seconds", 0.0)), 3)}


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
    if raw_export.sync_mode == "unchanged":
        ref = ExtractedRef(space=raw_export.space, dir=None, raw_dir=None, empty=raw_export.empty, pages=0,
                           source_sha256=raw_export.source_digest, sync_mode="unchanged",
                           live_version=raw_export.live_version)
        return Output(ref, metadata={"sync_mode": "unchanged", "live_version": raw_export.live_version or ""})
    # extract_raw_export also handles an empty space (its raw export has no space.zip)
    dest = fresh_dir(output.work_dirs.extract(context.partition_key, context.run.run_id))
    export = extract_raw_export(Path(raw_export.dir), dest)
    ref = ExtractedRef(space=raw_export.space, dir=str(dest), raw_dir=raw_export.dir, empty=raw_export.empty,
                       pages=len(export.pages), source_sha256=raw_export.source_digest,
                       sync_mode=raw_export.sync_mode, public_url=raw_export.public_url)
    return Output(ref, metadata={
        "sync_mode": raw_export.sync_mode,
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
attachments, `_category_.json` files. What Docmost's Markdown export loses (media players, merged cells, open
details, colours, embeds, ...) is rendered from each page's own document when the extraction holds them
(`documents/`); `document_nodes` counts those nodes per type.

Blocking checks run on it before anything is published; a failed check keeps the previous version live.
"""


def postprocessed_tree_asset(docusaurus_check: bool) -> AssetsDefinition:
    """``postprocessed_tree`` with its blocking checks (the Docusaurus build only with DOCUSAURUS_CHECK=1)."""

    @asset(name="postprocessed_tree", partitions_def=SPACES_PARTITIONS, group_name=GROUP_NAME,
           kinds={"python", "docusaurus"}, check_specs=tree_check_specs(docusaurus_check),
           description=POSTPROCESSED_TREE_DESCRIPTION)
    def postprocessed_tree(context: AssetExecutionContext, extracted_markdown: ExtractedRef, output: OutputResource):
        if extracted_markdown.sync_mode == "unchanged":
            yield from unchanged_tree(extracted_markdown, tree_check_specs(docusaurus_check))
            return
        ref = yield from convert_extracted(context, extracted_markdown, output)
        yield from tree_check_results(ref, output.root, docusaurus=docusaurus_check)

    return postprocessed_tree


def unchanged_tree(extracted: ExtractedRef, specs):
    """Nothing changed: no conversion; each check reports the live version, which passed it when published."""
    ref = TreeRef(space=extracted.space, tree_dir=None, extract_dir=None, raw_dir=None, empty=extracted.empty,
                  pages=0, source_sha256=extracted.source_sha256, sync_mode="unchanged",
                  live_version=extracted.live_version)
    yield Output(ref, metadata={"sync_mode": "unchanged", "live_version": extracted.live_version or ""})
    summary = f"unchanged: the live version {extracted.live_version} passed this check when it was published"
    for spec in specs:
        yield AssetCheckResult(check_name=spec.name, asset_key="postprocessed_tree", passed=True,
                               description=summary, metadata={"summary": summary, "sync_mode": "unchanged"})


def convert_extracted(context: AssetExecutionContext, extracted: ExtractedRef, output: OutputResource):
    """Convert the extracted space into staging; yields the asset's Output and returns its TreeRef."""
    slug = context.partition_key
    tree_dir = fresh_dir(output.work_dirs.staging(slug, context.run.run_id)) / "tree"
    started = time.monotonic()
    # the pages' own documents, when the extraction fetched them (what the Markdown export lost is rendered from them)
    documents = Path(extracted.dir) / DOCUMENTS_DIR
    report = convert_space(ExtractedExport.load(Path(extracted.dir)), tree_dir, space_slug=slug,
                           space_name=extracted.space.name, base_url=output.base_url,
                           public_url=extracted.public_url, cache_path=output.work_dirs.page_cache(slug),
                           documents_dir=documents if documents.is_dir() else None)
    seconds = time.monotonic() - started
    ref = TreeRef(space=extracted.space, tree_dir=str(tree_dir), extract_dir=extracted.dir,
                  raw_dir=extracted.raw_dir, empty=extracted.empty, pages=int(report.pages_written),
                  source_sha256=extracted.source_sha256,
                  dropped_pages=tuple(w.page for w in report.warnings if w.kind == "dropped_page"),
                  sync_mode=extracted.sync_mode)
    warnings_rows = [{"page": w.page, "kind": w.kind, "message": w.message} for w in report.warnings]
    yield Output(ref, metadata={
        "sync_mode": extracted.sync_mode,
        "pages": int(report.pages_written),
        "attachments": int(report.attachments_written),
        "pages_dropped": int(report.pages_dropped),
        "pages_rendered": int(report.pages_rendered),
        "pages_reused": int(report.pages_reused),
        "warnings": len(report.warnings),
        "warnings_table": MetadataValue.md(markdown_table(warnings_rows, ["page", "kind", "message"])),
        "warning_counts": MetadataValue.json(report.warning_counts()),
        "document_nodes": MetadataValue.json(report.document_node_counts()),
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
    if tree.sync_mode == "unchanged":
        return unchanged_publish(context, tree)
    result = publish_tree(Path(tree.tree_dir), output.root, slug, run_id=context.run.run_id,
                          source_sha256=tree.source_sha256, page_count=tree.pages, mode=output.publish_mode,
                          keep=output.publish_keep, logger=context.log)
    # The tree was copied into the versions store; this run's working copies are no longer needed.
    for leftover in (Path(tree.tree_dir).parent, Path(tree.extract_dir)):
        shutil.rmtree(leftover, ignore_errors=True)
    outcome = "unchanged" if result.unchanged else ("published empty space" if tree.empty else "published")
    _log_summary(context, tree, outcome, result.version)
    ref = PublishedRef(space=tree.space, version=result.version, previous_version=result.previous_version,
                       path=str(result.path), pages=tree.pages, sync_mode=tree.sync_mode)
    return Output(ref, metadata={
        "sync_mode": tree.sync_mode,
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


def unchanged_publish(context: AssetExecutionContext, tree: TreeRef) -> Output:
    """Nothing changed in Docmost since the live version: it stays live, nothing is written."""
    _log_summary(context, tree, "unchanged", tree.live_version)
    live = publish.status(Path(context.resources.output.root), context.partition_key)[0]
    ref = PublishedRef(space=tree.space, version=tree.live_version or "", previous_version=None,
                       path=str(live.path), pages=int((live.stamp or {}).get("page_count") or 0),
                       sync_mode="unchanged")
    return Output(ref, metadata={"sync_mode": "unchanged", "version": tree.live_version or "",
                                 "pages_live": ref.pages, "unchanged": True,
                                 "live_path": MetadataValue.path(str(live.path))})


def _log_summary(context: AssetExecutionContext, tree: TreeRef, outcome: str, version: str | None) -> None:
    summary = {"space": context.partition_key, "pages": tree.pages,
               "duration_seconds": round(time.time() - _run_started(context), 2), "result": outcome,
               "sync_mode": tree.sync_mode, "version": version}
    context.log.info("sync summary: " + json.dumps(summary, ensure_ascii=False))


GIT_PUBLISHED_SPACE_DESCRIPTION = """\
The live space committed into a git repository (docs as code): `GIT_PUBLISH_PATH/<space>` on `GIT_PUBLISH_BRANCH`
of `GIT_PUBLISH_REPO` made exactly the published tree, one commit per sync that changed it (naming the space, the
pages added, changed, renamed and removed, and the Docmost source), then pushed.

- No commit when the folder already equals the tree; nothing asked of the remote when the sync changed nothing
  and this version is already pushed.
- A rejected push (someone else pushed) is fetched and the commit redone on top, keeping others' changes outside
  the folder; inside it the published tree wins. At most `GIT_PUBLISH_PUSH_ATTEMPTS` times.
- A failure fails the run (and alerts); what is live in `OUTPUT_DIR` is never touched. The next sync tries again.
"""


def git_published_space_asset() -> AssetsDefinition:
    """``git_published_space``, downstream of ``published_space``."""

    @asset(name=GIT_ASSET_NAME, partitions_def=SPACES_PARTITIONS, group_name=GROUP_NAME, kinds={"git"},
           description=GIT_PUBLISHED_SPACE_DESCRIPTION)
    def git_published_space(context: AssetExecutionContext, published_space: PublishedRef, output: OutputResource,
                            git: GitPublishResource) -> Output:
        return publish_space_to_git(context, published_space, output, git)

    return git_published_space


def publish_space_to_git(context: AssetExecutionContext, published: PublishedRef, output: OutputResource,
                         git: GitPublishResource) -> Output:
    """Commit and push the live version, unless the sync changed nothing and the marker says it is pushed."""
    slug = context.partition_key
    target = git.target()
    marker_path = output.work_dirs.git_marker(slug)
    marker = gitpublish.read_marker(marker_path)
    base_meta = {"repo": target.display_repo, "folder": target.folder(slug), "version": published.version}
    if published.sync_mode == "unchanged" and gitpublish.already_published(marker, target, slug, published.version):
        context.log.info(f"git: version {published.version} of {slug} is already on {marker['branch']}")
        return Output(marker.get("head"), metadata={**base_meta, "branch": marker["branch"], "skipped": True,
                                                    "commit": "", "pushed": False, "attempts": 0})
    source = space_source(published, output)
    try:
        clone = gitpublish.clone_dir_for(output.work_dirs.git_root, target)
        result = gitpublish.publish_to_git(source, target, clone, logger=context.log)
    except gitpublish.GitPublishError as exc:
        raise Failure(description=redact(str(exc), git.secrets()), allow_retries=False) from None
    gitpublish.write_marker(marker_path, target, published.version, result)
    changes = result.changes
    return Output(result.head, metadata={
        **base_meta, "branch": result.branch, "skipped": False, "commit": result.commit or "",
        "pushed": result.pushed, "attempts": result.attempts, "pages_added": changes.added,
        "pages_changed": changes.changed, "pages_renamed": changes.renamed, "pages_removed": changes.removed,
        "files_changed": changes.files, "git_seconds": result.seconds,
    })


def space_source(published: PublishedRef, output: OutputResource) -> gitpublish.SpaceSource:
    """The published version directory of the space and what its stamp says it came from."""
    tree = Path(published.path).resolve()  # the version directory (symlink mode) or the live directory (exchange)
    stamp = publish.read_stamp(tree)
    return gitpublish.SpaceSource(
        space=published.space.slug, name=published.space.name, tree=tree, version=published.version,
        source_sha256=stamp.source_sha256 if stamp else None,
        pages_live=stamp.page_count if stamp else published.pages, docmost_url=output.base_url)


DOCUSAURUS_SITE_DESCRIPTION = """\
The website: the Docusaurus site (`site/`) built over the live version of every space in `OUTPUT_DIR`, and switched
live atomically into `SITE_DIR/live`, the folder a static web server serves (never missing, never partial).
`SITE_KEEP` built versions are kept for rollback (`docmost-pipeline rollback live --output-dir $SITE_DIR`).

Requested by `docusaurus_site_sensor` once spaces have published changes and no sync is queued or running (so a
backfill of every space gives one build). Not built again when the live site was built from the same space versions
and site code (metadata `unchanged: true`). A failed build fails the blocking check `site_builds` and the run (which
alerts); the previous site stays live.
"""


@asset(name=SITE_ASSET_NAME, deps=["published_space"], group_name=SITE_GROUP_NAME, kinds={"docusaurus", "html"},
       check_specs=[site_check_spec()], description=DOCUSAURUS_SITE_DESCRIPTION)
def docusaurus_site(context: AssetExecutionContext, output: OutputResource, website: WebsiteResource):
    try:
        update = update_site(output.root, website.root, keep=website.keep, run_id=context.run.run_id,
                             logger=context.log)
    except (SiteBuildError, PublishError) as exc:
        raise Failure(description=f"the site was not built: {exc}", allow_retries=False) from None
    metadata = site_metadata(update)
    if update.failed:
        summary = update.build.summary()
        yield site_check_result(summary, ok=False, clean=False, metadata=metadata)
        # the problems first: an alert shows the first lines of the message
        first, *problems = summary.splitlines()
        headline = (f"the site build failed ({update.errors} error(s)); the live site stays "
                    f"{update.live_version or '(none yet)'}")
        raise Failure(description="\n".join([headline, *problems, first]), metadata=metadata, allow_retries=False)
    yield Output(str(website.root / "live"), metadata=metadata)
    if update.unchanged:
        summary = f"unchanged: the live site {update.live_version} passed this check when it was built"
        yield site_check_result(summary, ok=True, clean=True, metadata={"unchanged": True})
    else:
        yield site_check_result(update.build.summary(), ok=True, clean=update.build.clean, metadata=metadata)


def site_metadata(update: SiteUpdate) -> dict:
    """Numbers the UI plots (build seconds, pages, bytes, errors) and what is live."""
    build = update.build
    return {
        "unchanged": update.unchanged,
        "build_seconds": round(build.seconds, 1) if build else 0.0,
        "pages": int(update.pages),
        "bytes": int(update.bytes),
        "errors": int(update.errors),
        "mdx_errors": len(build.mdx_errors) if build else 0,
        "broken_links": len(build.broken_links) + len(build.broken_markdown_links) if build else 0,
        "broken_anchors": len(build.broken_anchors) if build else 0,
        "katex_errors": int(build.katex_errors) if build else 0,
        "spaces": len(update.inputs.spaces),
        "version": update.live_version or "",
        "previous_version": update.previous_version or "",
    }


def build_assets(settings: Settings) -> list[AssetsDefinition]:
    """The four assets, in lineage order, shaped by the settings that change their definitions; then the git target
    with GIT_PUBLISH_REPO and the website with SITE_DIR."""
    return [
        raw_export_asset(settings.raw_export_retry_delay),
        extracted_markdown,
        postprocessed_tree_asset(settings.docusaurus_check),
        published_space_asset(settings.sync_interval),
        *([git_published_space_asset()] if settings.git_publish_repo else []),
        *([docusaurus_site] if settings.site_dir is not None else []),
    ]
