"""The page tree of one space: parents, sibling order, display titles, dropped pages and output paths.

Built once from the ``ExportedPage`` list; every later step (links, front matter, writing) reads it.

* Children are ordered by Docmost's ``position`` compared byte-wise (how Docmost sorts), ties by page id.
* ``sidebar_position`` is 1..n among siblings.
* A page with children becomes a folder ``<slug>/`` whose ``index.md`` is the page itself (Docusaurus makes a doc
  named ``index`` the category's link) plus ``_category_.json``; a leaf becomes ``<slug>.md``.
* Sibling names never collide and never take a name Docusaurus would treat as the category index
  (``index``, ``readme``, or the parent folder's own name).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from docmost_pipeline.convert.report import ConversionReport
from docmost_pipeline.convert.slugs import (
    CATEGORY_INDEX_NAMES,
    needs_transliteration,
    page_slug,
    slugify,
    unique_sibling_names,
)
from docmost_pipeline.model import ExportedPage, ExtractedExport

UNTITLED = "Untitled"
INDEX_DOC = "index.md"
CATEGORY_FILE = "_category_.json"

# How the exporter names pages in file names and `# Title` lines: `untitled` / `untitled (1)` for pages without a
# title, and ` (n)` appended to the second and later siblings sharing a title (also used by convert.markdown).
EXPORTER_UNTITLED = re.compile(r"^untitled(?: \(\d+\))?$")
EXPORTER_DUPLICATE_SUFFIX = re.compile(r"^(?P<base>.*) \((?P<n>\d+)\)$")
_LEADING_H1 = re.compile(r"^# [^\n]*(?:\n|$)")


@dataclass(eq=False)
class PageNode:
    page: ExportedPage
    title: str
    parent: PageNode | None = None
    children: list[PageNode] = field(default_factory=list)
    slug: str = ""
    sidebar_position: int = 0
    dir_path: str = ""  # folder (relative to out_dir, posix, "" = root) holding this page (file or folder)
    doc_path: str = ""  # the doc file, relative to out_dir

    @property
    def is_category(self) -> bool:
        return bool(self.children)

    @property
    def doc_dir(self) -> str:
        """The folder the doc file itself is in: relative links in the doc start here."""
        return posixpath.dirname(self.doc_path)

    @property
    def folder(self) -> str:
        """The folder a category page owns (its children live there)."""
        return str(PurePosixPath(self.dir_path, self.slug)) if self.dir_path else self.slug


@dataclass
class SpaceTree:
    roots: list[PageNode]
    by_page_id: dict[str, PageNode]
    dropped: list[ExportedPage]

    def walk(self) -> list[PageNode]:
        """Every node, depth-first in sidebar order."""
        out: list[PageNode] = []
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


def position_key(page: ExportedPage) -> tuple[bytes, str]:
    return ((page.position or "").encode("utf-8"), page.page_id)


def read_page_source(export: ExtractedExport, page: ExportedPage) -> str:
    """A page's exported Markdown, without BOM and with LF newlines."""
    text = export.page_file(page).read_text(encoding="utf-8")
    return text.lstrip("\ufeff").replace("\r\n", "\n")


def _body_is_empty(export: ExtractedExport, page: ExportedPage) -> bool:
    try:
        text = read_page_source(export, page)
    except FileNotFoundError:
        return True
    return not _LEADING_H1.sub("", text, count=1).strip()


def _raw_title(page: ExportedPage, titles_from_api: bool) -> str:
    title = page.title or ""
    if not titles_from_api and EXPORTER_UNTITLED.match(title.strip()):
        return ""
    return title


def _offline_titles(pages: list[ExportedPage], titles: dict[str, str]) -> None:
    """Offline the titles come from `# Title` lines, where the exporter appended ` (n)` to duplicates.

    Undo it when a sibling carries the bare title and the file name has the same suffix (`회의록 (1).md`).
    """
    by_parent: dict[str | None, set[str]] = {}
    for page in pages:
        by_parent.setdefault(page.parent_page_id, set()).add(titles[page.page_id])
    for page in pages:
        match = EXPORTER_DUPLICATE_SUFFIX.match(titles[page.page_id])
        if not match or match["base"] not in by_parent[page.parent_page_id]:
            continue
        stem = PurePosixPath(page.zip_path).stem
        if stem.endswith(f" ({match['n']})"):
            titles[page.page_id] = match["base"]


def build_tree(export: ExtractedExport, *, space_slug: str, report: ConversionReport) -> SpaceTree:
    pages = sorted(export.pages, key=lambda p: p.page_id)
    titles = {p.page_id: _raw_title(p, export.titles_from_api) for p in pages}
    if not export.titles_from_api:
        _offline_titles(pages, titles)

    ids = {p.page_id for p in pages}
    has_children = {p.parent_page_id for p in pages if p.parent_page_id in ids}

    dropped: list[ExportedPage] = []
    nodes: dict[str, PageNode] = {}
    for page in pages:
        title = titles[page.page_id]
        if not title.strip():
            if page.page_id not in has_children and _body_is_empty(export, page):
                dropped.append(page)
                report.warn(page.zip_path, "dropped_page", "untitled page without content or children dropped")
                continue
            title = UNTITLED
        nodes[page.page_id] = PageNode(page=page, title=title)

    roots: list[PageNode] = []
    for node in nodes.values():
        parent_id = node.page.parent_page_id
        parent = nodes.get(parent_id) if parent_id else None
        if parent_id and parent is None:
            report.warn(node.title, "orphan_page", f"parent page {parent_id} is not in the export; shown at the root")
        if parent is None:
            roots.append(node)
        else:
            node.parent = parent
            parent.children.append(node)

    # A parent cycle leaves nodes unreachable from the roots: show them at the root rather than lose them.
    reachable = _reachable(roots)
    for node in nodes.values():
        if node.page.page_id not in reachable:
            report.warn(node.title, "orphan_page", "page is part of a parent cycle; shown at the root")
            if node.parent is not None:
                node.parent.children.remove(node)
                node.parent = None
            roots.append(node)
            reachable |= _reachable([node])

    tree = SpaceTree(roots=roots, by_page_id=nodes, dropped=dropped)
    _place(roots, dir_path="", folder_name=space_slug, report=report)
    return tree


def _reachable(roots: list[PageNode]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node.page.page_id in seen:
            continue
        seen.add(node.page.page_id)
        stack.extend(node.children)
    return seen


def _place(siblings: list[PageNode], *, dir_path: str, folder_name: str, report: ConversionReport) -> None:
    """Order siblings, name them and give them paths, then do the same for each category's children.

    Uses an explicit work list instead of recursion so any nesting depth works.
    """
    work = [(siblings, dir_path, folder_name)]
    while work:
        group, group_dir, group_folder = work.pop()
        group.sort(key=lambda n: position_key(n.page))
        candidates = []
        for node in group:
            slug = page_slug(node.title, node.page.slug_id)
            if not slugify(node.title):
                report.warn(node.title, "fallback_slug", f"title has nothing to spell in ASCII; named {slug!r}")
            elif needs_transliteration(node.title):
                report.warn(node.title, "transliterated_title", f"file name transliterated to {slug!r}")
            candidates.append(slug)
        names = unique_sibling_names(candidates, reserved=CATEGORY_INDEX_NAMES | {group_folder.lower()})
        for index, (node, name) in enumerate(zip(group, names), start=1):
            node.slug = name
            node.sidebar_position = index
            node.dir_path = group_dir
            if node.is_category:
                node.doc_path = f"{node.folder}/{INDEX_DOC}"
                work.append((node.children, node.folder, name))
            else:
                node.doc_path = f"{group_dir}/{name}.md" if group_dir else f"{name}.md"
