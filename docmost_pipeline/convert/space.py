"""``convert_space``: one extracted Docmost space export -> one Docusaurus 3 docs tree in ``out_dir``.

Output layout (``out_dir`` becomes ``OUTPUT_DIR/<space-slug>`` on publish):

    _category_.json            {"label": <space name>}
    <slug>.md                  a leaf page
    <slug>/index.md            a page with children (the category's index doc)
    <slug>/_category_.json     {"label": <original title>, "position": n}
    _attachments/<id>/<name>   every attachment once, ASCII-safe names
    _docmost-pages.json        slugId -> {path, title, pageId}: the page index (read by the tree checks)

Deterministic: the same input gives byte-identical output (sorted traversal, no timestamps, stable names).

With ``documents_dir`` (each page's own ProseMirror document, :mod:`docmost_pipeline.convert.document.load`) the
blocks the Markdown export lost are rendered from the document (:mod:`docmost_pipeline.convert.document`); a page
without a usable document keeps its Markdown rendering and gets a ``document_unavailable`` warning.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from docmost_pipeline.convert.attachments import plan_attachments, write_attachments
from docmost_pipeline.convert.cache import PageCache, page_key
from docmost_pipeline.convert.document import (
    AlignmentError,
    PageDocuments,
    RenderEnv,
    load_documents,
    restore_lost_blocks,
)
from docmost_pipeline.convert.frontmatter import build_front_matter, dump_front_matter
from docmost_pipeline.convert.links import PAGES_INDEX, LinkResolver, LinkTarget
from docmost_pipeline.convert.markdown import render_body
from docmost_pipeline.convert.report import ConversionReport
from docmost_pipeline.convert.tree import CATEGORY_FILE, PageNode, build_tree, read_page_source
from docmost_pipeline.fingerprint import pipeline_fingerprint
from docmost_pipeline.model import ExtractedExport


class ConversionError(ValueError):
    """Bad input for a conversion (output directory not empty, bad space slug, ...)."""


def check_out_dir(out_dir: Path) -> None:
    """Raise ConversionError unless ``out_dir`` is absent or an empty directory."""
    if out_dir.exists() or out_dir.is_symlink():
        if not out_dir.is_dir():
            raise ConversionError(f"output path {out_dir} exists and is not a directory")
        if any(out_dir.iterdir()):
            raise ConversionError(f"output directory {out_dir} is not empty")


def _check_space_slug(space_slug: str) -> None:
    if not space_slug or space_slug in (".", "..") or "/" in space_slug or "\\" in space_slug \
            or not space_slug.isascii() or space_slug.startswith((".", "_")):
        raise ConversionError(f"space slug {space_slug!r} cannot be a folder name (ASCII, no '/', no leading . or _)")


class _Writer:
    """Writes text files under out_dir with LF newlines and counts the bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bytes = 0
        self._made: set[Path] = set()

    def text(self, relative: str, content: str) -> None:
        data = content.encode("utf-8")
        path = self.root / relative
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        path.write_bytes(data)
        self.bytes += len(data)

    def json(self, relative: str, value) -> None:
        self.text(relative, json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def edit_url(public_url: str | None, space_slug: str, slug_id: str | None) -> str | None:
    """The page in Docmost, on the address readers open (``custom_edit_url``)."""
    if not public_url or not slug_id:
        return None
    return f"{public_url.rstrip('/')}/s/{space_slug}/p/{slug_id}"


def convert_space(
    export: ExtractedExport,
    out_dir: Path,
    *,
    space_slug: str,
    space_name: str,
    base_url: str | None = None,
    cache_path: Path | None = None,
    public_url: str | None = None,
    documents_dir: Path | None = None,
) -> ConversionReport:
    """Convert one extracted space export into a Docusaurus docs tree written directly into ``out_dir``.

    ``public_url`` is Docmost's address as readers see it (its ``APP_URL``; default: ``base_url``): edit links and
    the Docmost URLs of links into other spaces are written on it. Absolute links on either host are Docmost's own.

    ``documents_dir`` holds the pages' own documents (``<pageId>.json``, ``unavailable.json``); without it the
    conversion uses the Markdown export alone, exactly as before.

    With ``cache_path`` pages whose inputs did not change since the conversion that wrote that file are taken
    from it instead of rendered again (:mod:`docmost_pipeline.convert.cache`); the output is the same.
    """
    out_dir = Path(out_dir)
    _check_space_slug(space_slug)
    check_out_dir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    report = ConversionReport(space_slug=space_slug, space_name=space_name)
    if not export.titles_from_api:
        report.warn("", "lost_page_offline",
                    "converted without the Docmost API: titles come from the pages' `# Title` lines, and pages the "
                    "space export dropped (colliding file names) cannot be recovered offline")
    tree = build_tree(export, space_slug=space_slug, report=report)
    report.pages_dropped = len(tree.dropped)

    plan = plan_attachments(export)
    report.attachments_written, attachment_bytes = write_attachments(export, plan, out_dir)

    public_url = (public_url or base_url or "").rstrip("/") or None
    resolver = LinkResolver(tree, plan, space_slug=space_slug, base_url=base_url, report=report,
                            read_markdown=lambda node: read_page_source(export, node.page),
                            link_paths=export.link_paths, public_url=public_url)
    writer = _Writer(out_dir)
    writer.json(CATEGORY_FILE, {"label": space_name})
    pages_index: dict[str, dict] = {}
    cache = PageCache(cache_path, fingerprint=pipeline_fingerprint())
    documents = load_documents(Path(documents_dir)) if documents_dir is not None else None
    context = _PageContext(export, resolver, writer, report, cache, base_url=base_url, public_url=public_url,
                           space_slug=space_slug, documents=documents)
    for node in tree.walk():
        _write_page(node, context)
        if node.page.slug_id:
            pages_index[node.page.slug_id] = {"path": node.doc_path, "title": node.title,
                                              "pageId": node.page.page_id}
        report.pages_written += 1
        report.pages_recovered += int(node.page.recovered)
    writer.json(PAGES_INDEX, dict(sorted(pages_index.items())))
    report.bytes_written = writer.bytes + attachment_bytes
    report.pages_rendered, report.pages_reused = cache.misses, cache.hits
    cache.save()
    return report


@dataclass(frozen=True)
class _PageContext:
    """What writing one page needs besides the page itself."""

    export: ExtractedExport
    resolver: LinkResolver
    writer: _Writer
    report: ConversionReport
    cache: PageCache
    base_url: str | None
    public_url: str | None
    space_slug: str
    documents: PageDocuments | None = None

    def document(self, node: PageNode) -> dict | None:
        """The page's document content; warns ``document_unavailable`` (once per rendering) when there is none."""
        if self.documents is None:
            return None
        reason = self.documents.missing_reason(node.page.page_id)
        if reason is not None:
            self.report.warn(node.doc_path, "document_unavailable",
                             f"{reason}; the page keeps its Markdown rendering")
            return None
        return self.documents.content[node.page.page_id]

    def transclusion(self, page_id: str, block_id: str) -> list[dict] | None:
        """The content of synced block ``block_id`` of page ``page_id`` (None when either is unknown)."""
        source = (self.documents.content.get(page_id) if self.documents else None) or {}
        for node in _walk(source):
            if node.get("type") == "transclusionSource" and (node.get("attrs") or {}).get("id") == block_id:
                return [child for child in node.get("content") or () if isinstance(child, dict)]
        return None


def _walk(node: dict):
    yield node
    for child in node.get("content") or ():
        if isinstance(child, dict):
            yield from _walk(child)


def _document_fields(node: PageNode, context: _PageContext) -> dict:
    """What a page rendered with its document also depends on: the document, the documents of the pages its synced
    blocks come from, and its children (the subpages block lists them). Empty without documents, so the cache keys
    of a conversion without documents are unchanged."""
    if context.documents is None:
        return {}
    documents = context.documents
    page_id = node.page.page_id
    content = documents.content.get(page_id)
    sources = sorted({str((n.get("attrs") or {}).get("sourcePageId")) for n in _walk(content or {})
                      if n.get("type") == "transclusionReference"})
    digest = hashlib.sha256(json.dumps(
        [content, [documents.content.get(source) for source in sources], documents.missing_reason(page_id)],
        ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
    return {"document": digest, "children": [[c.title, c.page.slug_id] for c in node.children]}


def _page_fields(node: PageNode, context: _PageContext) -> dict:
    """Everything besides the Markdown that shapes a page's doc file (the cache key; see convert.cache)."""
    page = node.page
    return {"title": node.title, "doc_path": node.doc_path, "sidebar_position": node.sidebar_position,
            "is_category": node.is_category, "page_id": page.page_id, "slug_id": page.slug_id, "icon": page.icon,
            "updated_at": page.updated_at, "base_url": context.base_url, "public_url": context.public_url,
            "space_slug": context.space_slug, **_document_fields(node, context)}


def _write_page(node: PageNode, context: _PageContext) -> None:
    page, report = node.page, context.report
    try:
        source = read_page_source(context.export, page)
    except FileNotFoundError:
        report.warn(node.doc_path, "missing_page_file", f"{page.markdown_file} missing from the extraction")
        source = ""
    key = page_key(source, _page_fields(node, context))
    entry = context.cache.get(page.page_id, key)
    hit = entry is not None and context.resolver.still_resolves(node, entry["links"])
    if hit:
        for kind, message in entry["warnings"]:
            report.warn(node.doc_path, kind, message)
        report.document_nodes.update(entry.get("restored") or {})
    else:
        entry = _render_page(node, source, context) | {"key": key}
    context.cache.keep(page.page_id, entry, hit=hit)
    context.writer.text(node.doc_path, entry["text"])
    if node.is_category:
        context.writer.json(f"{node.folder}/{CATEGORY_FILE}", {"label": node.title, "position": node.sidebar_position})


def _render_page(node: PageNode, source: str, context: _PageContext) -> dict:
    """Render one page; returns its cache entry (the doc text, the links it resolved, the warnings it gave)."""
    page, report, resolver = node.page, context.report, context.resolver
    first_warning = len(report.warnings)
    links: list[list] = []

    def resolve(raw: str) -> LinkTarget:
        target = resolver.resolve(raw, node)
        links.append([raw, target.href, target.kind, target.title])
        return target

    rendered, restored = _render_with_document(node, source, resolve, context)
    for kind, message in rendered.warnings:
        report.warn(node.doc_path, kind, message)
    front = build_front_matter(
        title=node.title,
        sidebar_position=node.sidebar_position,
        description=rendered.description,
        icon=page.icon,
        updated_at=page.updated_at,
        edit_url=edit_url(context.public_url, context.space_slug, page.slug_id),
        page_id=page.page_id,
        slug_id=page.slug_id,
        links=resolver.cross_space_links(node),
    )
    body = rendered.text.strip("\n")
    text = dump_front_matter(front) + ("\n" + body + "\n" if body else "")
    warnings = [[w.kind, w.message] for w in report.warnings[first_warning:]]
    report.document_nodes.update(restored)
    return {"links": links, "warnings": warnings, "text": text, "restored": dict(sorted(restored.items()))}


def _no_links(raw: str) -> LinkTarget:
    return LinkTarget(None, "unresolved")


def _render_with_document(node: PageNode, source: str, resolve, context: _PageContext):
    """The page's body: the Markdown path, with the blocks the export lost rendered from the page's document when
    there is one. Returns (RenderedBody, node counts of what came from the document)."""
    document = context.document(node)
    if not document:
        return render_body(source, resolve_link=resolve, page_title=node.title), {}
    report = context.report
    env = RenderEnv(resolve=resolve, warn=lambda kind, message: report.warn(node.doc_path, kind, message),
                    subpages=lambda: [(child.title, f"/s/{context.space_slug}/p/-{child.page.slug_id}")
                                      for child in node.children if child.page.slug_id],
                    transclusion=context.transclusion, space_slug=context.space_slug,
                    local_slug_ids=frozenset(context.resolver.by_slug_id))
    try:
        restoration = restore_lost_blocks(source, document, env)
        if restoration is None:
            return render_body(source, resolve_link=resolve, page_title=node.title), {}
        rendered = render_body(restoration.markdown, resolve_link=resolve, page_title=node.title)
        rendered.text = restoration.fill(rendered.text)
        # the description is the first prose paragraph the reader sees, also when that paragraph was restored
        rendered.description = render_body(source, resolve_link=_no_links, page_title=node.title).description
        return rendered, dict(restoration.counts)
    except AlignmentError as error:
        report.warn(node.doc_path, "document_alignment",
                    f"{error}; the page keeps its Markdown rendering")
        return render_body(source, resolve_link=resolve, page_title=node.title), {}


__all__ = ["ConversionError", "check_out_dir", "convert_space", "edit_url"]
