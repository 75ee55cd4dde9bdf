"""Blocking checks on a converted docs tree (the ``postprocessed_tree`` asset) before it may be published.

Each check is a plain function over the tree on disk returning a :class:`TreeCheck` (pass/fail, a one-line summary,
plottable counts and the problems found). Pure Python: :mod:`docmost_pipeline.defs.checks` turns the results into
the blocking asset checks of ``postprocessed_tree``, so a failed check keeps the previous version live.

- ``pages_exactly_once``: every page of the export (and of the API page tree) is in ``_docmost-pages.json``
  exactly once, and its file exists;
- ``links_resolve``: every relative link and image in every doc resolves to a file inside the tree, and every link
  to another space is a ``/docmost/p/<slugId>`` link the doc declares in its ``docmost.links`` front matter;
- ``front_matter_parses``: every doc's front matter is a YAML mapping;
- ``slug_names``: every file and folder name follows the slug rules of :mod:`docmost_pipeline.convert.slugs`;
- ``docusaurus_build`` (only with ``DOCUSAURUS_CHECK=1`` and Node available): the site builds with this space.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt

from docmost_pipeline.convert.attachments import ATTACHMENTS_DIR
from docmost_pipeline.convert.links import PAGES_INDEX as PAGES_MAP
from docmost_pipeline.convert.links import SITE_LINK_PREFIX
from docmost_pipeline.convert.slugs import is_valid_slug
from docmost_pipeline.convert.tree import CATEGORY_FILE
from docmost_pipeline.export.download import TREE_JSON
from docmost_pipeline.model import ExtractedExport

# the converter's own file and folder names, outside the slug rules on purpose
SPECIAL_NAMES = frozenset({CATEGORY_FILE, PAGES_MAP, ATTACHMENTS_DIR})
DOC_SUFFIXES = (".md", ".mdx")

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_HTML_REF = re.compile(r"""<(?:img|a|source|video|audio)\b[^>]*?\s(?:src|href)\s*=\s*(?:"([^"]*)"|'([^']*)')""",
                       re.IGNORECASE)
_EXTENSIONS = re.compile(r"^(?:\.[a-z0-9]+)*$")

@dataclass
class TreeCheck:
    name: str
    passed: bool
    summary: str
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _docs(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*") if p.is_file() and p.suffix in DOC_SUFFIXES
                  and ATTACHMENTS_DIR not in p.relative_to(tree).parts)


def split_front_matter(text: str) -> tuple[str | None, str]:
    """(front matter text or None, body). Raises ValueError when an opening ``---`` has no closing line."""
    if not text.startswith("---\n") and not text.startswith("---\r\n"):
        return None, text
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1:])
    raise ValueError("front matter opened with '---' is never closed")


def check_pages_exactly_once(tree: Path, extract_dir: Path | None, raw_dir: Path | None,
                             dropped_zip_paths: Iterable[str] = ()) -> TreeCheck:
    """Pages the converter dropped on purpose (``dropped_zip_paths``, reported as ``dropped_page`` warnings: untitled
    pages without content or children) are not expected in the tree; every other page is, exactly once."""
    problems: list[str] = []
    expected: dict[str, str] = {}
    dropped_paths = set(dropped_zip_paths)
    dropped_ids: set[str] = set()
    if extract_dir is not None and (extract_dir / ExtractedExport.MANIFEST).is_file():
        manifest = json.loads((extract_dir / ExtractedExport.MANIFEST).read_text(encoding="utf-8"))
        for page in manifest.get("pages", []):
            if page.get("zip_path") in dropped_paths:
                dropped_ids.add(page["page_id"])
                continue
            expected[page["page_id"]] = page.get("title") or page["page_id"]
    api_pages = 0
    if raw_dir is not None and (raw_dir / TREE_JSON).is_file():
        tree_items = json.loads((raw_dir / TREE_JSON).read_text(encoding="utf-8"))
        api_pages = len(tree_items)
        for item in tree_items:
            if item["id"] not in expected and item["id"] not in dropped_ids:
                problems.append(f"page {item.get('title')!r} ({item['id']}) is in Docmost's tree but not in the export")
                expected[item["id"]] = item.get("title") or item["id"]
    map_path = tree / PAGES_MAP
    entries: dict = {}
    if map_path.is_file():
        entries = json.loads(map_path.read_text(encoding="utf-8"))
    elif expected:
        problems.append(f"{PAGES_MAP} is missing")
    seen = Counter(str(entry.get("pageId")) for entry in entries.values())
    paths = Counter(str(entry.get("path")) for entry in entries.values())
    for page_id, title in expected.items():
        if seen[page_id] == 0:
            problems.append(f"page {title!r} ({page_id}) is missing from the tree")
        elif seen[page_id] > 1:
            problems.append(f"page {title!r} ({page_id}) appears {seen[page_id]} times")
    for path, count in paths.items():
        if count > 1:
            problems.append(f"{path} is claimed by {count} pages")
    for slug_id, entry in entries.items():
        rel = str(entry.get("path", ""))
        target = (tree / rel) if rel else tree
        if not rel or not target.is_file():
            problems.append(f"{PAGES_MAP} entry {slug_id} points to a missing file {rel!r}")
    docs = len(_docs(tree))
    counts = {"expected_pages": len(expected), "pages_in_tree": len(entries), "api_pages": api_pages,
              "dropped_pages": len(dropped_ids), "doc_files": docs}
    if problems:
        return TreeCheck("pages_exactly_once", False, f"{len(problems)} page problem(s): {problems[0]}", counts, problems)
    return TreeCheck("pages_exactly_once", True, f"all {len(expected)} pages present exactly once", counts)


_MD = MarkdownIt("commonmark").enable("table")


def _link_targets(body: str) -> list[str]:
    targets: list[str] = []

    def walk(tokens) -> None:
        for token in tokens:
            if token.type == "link_open" and token.attrGet("href") is not None:
                targets.append(str(token.attrGet("href")))
            elif token.type == "image" and token.attrGet("src") is not None:
                targets.append(str(token.attrGet("src")))
            elif token.type in ("html_inline", "html_block"):
                targets.extend(a or b for a, b in _HTML_REF.findall(token.content))
            if token.children:
                walk(token.children)

    walk(_MD.parse(body))
    return targets


def _is_relative(target: str) -> bool:
    return bool(target) and not (_SCHEME.match(target) or target.startswith(("/", "#", "//")))


def _declared_site_links(data) -> list[str]:
    """slugIds the doc declares under ``docmost.links`` (each with a ``space``), the only ``/docmost/p/`` links the
    site's docmost-links plugin is told about by this doc."""
    docmost = data.get("docmost") if isinstance(data, dict) else None
    links = docmost.get("links") if isinstance(docmost, dict) else None
    if not isinstance(links, dict):
        return []
    return sorted(str(slug_id) for slug_id, fallback in links.items()
                  if isinstance(fallback, dict) and isinstance(fallback.get("space"), str) and fallback["space"])


def doc_facts(text: str) -> dict:
    """What the checks need from one doc, read once: its link targets, the slugIds its front matter declares, and
    whether that front matter exists and parses (``front_problem``)."""
    facts = {"front": False, "front_problem": None, "declared": [], "targets": []}
    try:
        front, body = split_front_matter(text)
    except ValueError as exc:
        front, body = None, text
        facts["front_problem"] = str(exc)
    if front is not None:
        facts["front"] = True
        try:
            data = yaml.safe_load(front)
        except yaml.YAMLError as exc:
            data = None
            facts["front_problem"] = str(exc).splitlines()[0]
        if data is not None and not isinstance(data, dict):
            facts["front_problem"] = f"front matter is a {type(data).__name__}, not a mapping"
        facts["declared"] = _declared_site_links(data)
    facts["targets"] = _link_targets(body)
    return facts


class DocFacts:
    """``doc_facts`` of each doc of a tree, kept between runs by content (``path``: a JSON file, or None): a tree
    where one page changed is parsed for that page only."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._old: dict[str, dict] = {}
        self._new: dict[str, dict] = {}
        if self.path is not None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._old = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._old = {}

    def of(self, doc: Path) -> dict:
        data = doc.read_bytes()
        key = hashlib.sha256(data).hexdigest()
        facts = self._new.get(key) or self._old.get(key) or doc_facts(data.decode("utf-8"))
        self._new[key] = facts
        return facts

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(self._new), encoding="utf-8")
        os.replace(temporary, self.path)


def check_links_resolve(tree: Path, facts: DocFacts | None = None) -> TreeCheck:
    """Relative links must resolve to a file inside the tree; links to other spaces must be ``/docmost/p/<slugId>``
    links declared in the doc's own ``docmost.links`` front matter (the site builds a route for those). A relative
    link out of the tree (into another space) is a problem: it breaks the site when that space is republished."""
    facts = facts or DocFacts()
    problems: list[str] = []
    relative = site_links = external = 0
    tree_abs = os.path.normpath(os.path.abspath(tree))
    for doc in _docs(tree):
        doc_info = facts.of(doc)
        where = doc.relative_to(tree).as_posix()
        for target in doc_info["targets"]:
            if target.startswith(SITE_LINK_PREFIX):
                site_links += 1
                if target[len(SITE_LINK_PREFIX):] not in doc_info["declared"]:
                    problems.append(f"{where}: link {target!r} is not declared in the doc's docmost.links front matter")
                continue
            if not _is_relative(target):
                external += 1
                continue
            relative += 1
            path_part = unquote(target.split("#", 1)[0].split("?", 1)[0])
            if not path_part:
                continue
            resolved = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(doc)), path_part))
            if resolved != tree_abs and not resolved.startswith(tree_abs + os.sep):
                problems.append(f"{where}: link {target!r} points outside the tree")
            elif not os.path.exists(resolved):
                problems.append(f"{where}: link {target!r} does not resolve")
    counts = {"relative_links": relative, "cross_space_links": site_links, "other_links": external}
    if problems:
        return TreeCheck("links_resolve", False, f"{len(problems)} broken link(s): {problems[0]}", counts, problems)
    return TreeCheck("links_resolve", True,
                     f"all {relative} relative links and images resolve; all {site_links} cross-space links are "
                     "declared", counts)


def check_front_matter(tree: Path, facts: DocFacts | None = None) -> TreeCheck:
    facts = facts or DocFacts()
    problems: list[str] = []
    with_front_matter = 0
    docs = _docs(tree)
    for doc in docs:
        doc_info = facts.of(doc)
        if doc_info["front_problem"]:
            problems.append(f"{doc.relative_to(tree).as_posix()}: {doc_info['front_problem']}")
        elif doc_info["front"]:
            with_front_matter += 1
    counts = {"docs": len(docs), "docs_with_front_matter": with_front_matter}
    if problems:
        return TreeCheck("front_matter_parses", False, f"{len(problems)} bad front matter: {problems[0]}", counts,
                         problems)
    return TreeCheck("front_matter_parses", True, f"front matter of {len(docs)} docs parses", counts)


def name_follows_slug_rules(name: str) -> bool:
    if name in SPECIAL_NAMES:
        return True
    stem, dot, extensions = name.partition(".")
    return is_valid_slug(stem) and bool(_EXTENSIONS.match(dot + extensions))


def check_slug_names(tree: Path) -> TreeCheck:
    problems = [
        f"{p.relative_to(tree).as_posix()}: name {p.name!r} is outside the slug rules"
        for p in sorted(tree.rglob("*"))
        if not name_follows_slug_rules(p.name)
    ]
    total = sum(1 for _ in tree.rglob("*"))
    counts = {"names": total}
    if problems:
        return TreeCheck("slug_names", False, f"{len(problems)} bad name(s): {problems[0]}", counts, problems)
    return TreeCheck("slug_names", True, f"all {total} names follow the slug rules", counts)


def check_docusaurus_build(tree: Path, space: str, output_root: Path | None = None) -> TreeCheck:
    """Build the site with this tree as ``space`` beside the other published spaces (the site as readers get it)."""
    if shutil.which("node") is None:
        return TreeCheck("docusaurus_build", False, "DOCUSAURUS_CHECK=1 but Node is not installed")
    import tempfile

    from docmost_pipeline import sitebuild

    trees = {}
    if output_root is not None and output_root.is_dir():
        trees = {p.name: p for p in output_root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    trees[space] = tree
    try:
        with tempfile.TemporaryDirectory(prefix="docmost-check-build-") as build_dir:
            result = sitebuild.build_site(trees, Path(build_dir))
    except sitebuild.SiteBuildError as exc:
        return TreeCheck("docusaurus_build", False, f"Docusaurus build could not run: {exc}")
    counts = {"mdx_errors": len(result.mdx_errors), "broken_links": len(result.broken_links),
              "broken_markdown_links": len(result.broken_markdown_links), "katex_errors": result.katex_errors}
    if not result.clean:
        lines = result.summary().splitlines()
        return TreeCheck("docusaurus_build", False, lines[0], counts, lines[1:])
    return TreeCheck("docusaurus_build", True, f"Docusaurus builds the site with this space ({result.seconds:.0f}s)",
                     counts)


def run_tree_checks(tree: Path, *, space: str, extract_dir: Path | None, raw_dir: Path | None,
                    dropped_zip_paths: Iterable[str] = (), output_root: Path | None = None,
                    docusaurus: bool = False, facts_path: Path | None = None) -> list[TreeCheck]:
    """Every blocking check on a converted tree, in order (the Docusaurus build only when asked for).
    ``facts_path`` keeps what was read of each doc for the next run (:class:`DocFacts`)."""
    facts = DocFacts(facts_path)
    results = [
        check_pages_exactly_once(tree, extract_dir, raw_dir, dropped_zip_paths),
        check_links_resolve(tree, facts),
        check_front_matter(tree, facts),
        check_slug_names(tree),
    ]
    facts.save()
    if docusaurus:
        results.append(check_docusaurus_build(tree, space, output_root))
    return results
