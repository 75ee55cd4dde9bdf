"""Node coverage of a real Docusaurus build: for every node and mark of the recorded page documents, is its rendered
counterpart on the built page? Used by ``test_document_build.py``; runnable by hand:
``python -m docmost_pipeline_tests.convert.document_coverage BUILD_DIR TREE_DIR SPACE...`` (trees converted with
documents, built with ``sitebuild``).

The built HTML is parsed with ``html.parser`` into a small element tree; each node type has its own test (an
``<audio>`` whose ``src`` is a file of the build, a cell with the right ``colspan``/``rowspan``, an ``<iframe>`` per
allow-listed embed, a badge with its colour, the text of a paragraph, ...). A miss is reported as
``<space>/<page title>: <type> <detail>``.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from docmost_pipeline.convert.document.embeds import frame_url
from docmost_pipeline.convert.document.jsx import STATUS_COLORS
from docmost_pipeline.emulator.recordings import RECORDINGS_DIR

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)  # Element | str
    parent: Element | None = None

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def iter(self, *tags: str):
        for child in self.children:
            if isinstance(child, Element):
                if not tags or child.tag in tags:
                    yield child
                yield from child.iter(*tags)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(element)
        if tag not in _VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, {k: v or "" for k, v in attrs}, parent=self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    return builder.root


def squash(value: str) -> str:
    """Text compared without whitespace differences (Docusaurus and the export re-wrap and trim text)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", value))


def recorded_documents(space: str) -> dict[str, dict]:
    """page id -> the ``data`` object of each recorded ``POST /api/pages/info`` of ``space``."""
    found = {}
    for path in sorted((RECORDINGS_DIR / "api").glob(f"page-info.{space}.*.json")):
        if path.name.endswith(".headers.json"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        found[data["id"]] = data
    return found


def write_documents_folder(space: str, folder: Path) -> Path:
    """A documents folder (the fetcher's layout) made of the recorded documents of ``space``."""
    folder.mkdir(parents=True, exist_ok=True)
    for page_id, data in recorded_documents(space).items():
        (folder / f"{page_id}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return folder


class PageCheck:
    """The checks of one built page against its document."""

    def __init__(self, root: Element, build_dir: Path, documents: dict[str, dict]) -> None:
        self.root = root
        self.main = next(root.iter("article"), root)
        self.build_dir = build_dir
        self.documents = documents
        self.text = squash(self.main.text())
        self._scripts: str | None = None
        self.other_slug_ids: set[str] = set()

    def serves(self, url: str, media: str = "") -> bool:
        """True when a URL of the page is a file of the build; webpack inlines small files as ``data:`` URLs (of
        the file's media type, ``media`` is its prefix: ``audio/``, ``image/``...)."""
        if url.startswith("data:"):
            return url[len("data:"):].startswith(media) and ";base64," in url
        path = unquote(urlsplit(url).path)
        return bool(path.startswith("/")) and (self.build_dir / path.lstrip("/")).is_file()

    def in_scripts(self, value: str) -> bool:
        """True when ``value`` is in the page's JavaScript (what renders client-side only, e.g. Mermaid)."""
        if self._scripts is None:
            self._scripts = "".join(p.read_text(encoding="utf-8", errors="replace")
                                    for p in (self.build_dir / "assets" / "js").glob("*.js"))
        return json.dumps(value, ensure_ascii=False)[1:-1] in self._scripts

    def has_text(self, value: str) -> bool:
        return squash(value) in self.text

    def within(self, tags: tuple[str, ...], value: str, **attrs: str) -> bool:
        wanted = squash(value)
        if not wanted:
            return any(all(e.attrs.get(k) == v for k, v in attrs.items()) for e in self.main.iter(*tags))
        for element in self.main.iter(*tags):
            if all(element.attrs.get(k) == v for k, v in attrs.items()) and wanted in squash(element.text()):
                return True
        return False

    # one check per node type; returns None when found, else what is missing
    def check(self, node: dict, parent_types: tuple[str, ...]) -> str | None:
        kind, attrs = node.get("type"), node.get("attrs") or {}
        text = _first_run(node) if kind not in ("codeBlock", "text") else _plain(node)
        method = getattr(self, f"_{kind}", None)
        if method is not None:
            return method(node, attrs, text, parent_types)
        return self._runs(node)

    def _runs(self, node: dict) -> str | None:
        """Every run of text of the node (text between atoms such as mentions, math, media) is on the page."""
        for run in text_runs(node):
            if squash(run) and not self.has_text(run):
                return f"text {run[:40]!r} not on the page"
        return None

    def _doc(self, node, attrs, text, parents):
        return None

    def _text(self, node, attrs, text, parents):
        if self.has_text(text) or self._url_label(node):
            return None
        if parents and parents[-1] == "codeBlock" and self.in_scripts(text.split("\n")[0]):
            return None  # a Mermaid diagram, rendered client-side
        return f"{text[:40]!r} not on the page"

    def _url_label(self, node: dict) -> bool:
        """A link whose text is its own URL: the page shows the target's title instead (as the Markdown path does)."""
        link = next((m for m in node.get("marks") or () if m.get("type") == "link"), None)
        href = ((link or {}).get("attrs") or {}).get("href") or ""
        return bool(link) and squash(str(node.get("text", ""))) == squash(href) and bool(list(self.main.iter("a")))

    def _heading(self, node, attrs, text, parents):
        if not squash(text) or self.within(("h1", "h2", "h3", "h4", "h5", "h6"), text):
            return None
        return f"no heading with {text[:40]!r}"

    def _codeBlock(self, node, attrs, text, parents):
        if attrs.get("language") == "mermaid":  # rendered client-side from the page's script
            return None if self.in_scripts(text.split("\n")[0]) else "Mermaid source not in the page's scripts"
        return None if self.within(("pre",), text.replace("\n", "")) or not squash(text) else "no <pre> with the code"

    def _table(self, node, attrs, text, parents):
        rows = len(node.get("content") or [])
        if any(len(list(t.iter("tr"))) == rows for t in self.main.iter("table")):
            return None
        return f"no <table> with {rows} rows"

    def _cell(self, node, attrs, text, tag):
        wanted = {}
        for name in ("colspan", "rowspan"):
            value = attrs.get(name) or 1
            if value > 1:
                wanted[name] = str(value)
        if self.within((tag,), text, **wanted):
            return None
        return f"no <{tag}> {wanted or ''} with {text[:30]!r}"

    def _tableHeader(self, node, attrs, text, parents):
        return self._cell(node, attrs, text, "th")

    def _tableCell(self, node, attrs, text, parents):
        return self._cell(node, attrs, text, "td")

    def _tableRow(self, node, attrs, text, parents):
        return None if self.within(("tr",), text) else "no <tr> with its text"

    def _bulletList(self, node, attrs, text, parents):
        return None if self.within(("ul",), text) else "no <ul> with its text"

    def _orderedList(self, node, attrs, text, parents):
        start = attrs.get("start") or 1
        wanted = {"start": str(start)} if start != 1 else {}
        return None if self.within(("ol",), text, **wanted) else f"no <ol> {wanted} with its text"

    def _listItem(self, node, attrs, text, parents):
        return None if self.within(("li",), text) else "no <li> with its text"

    def _taskList(self, node, attrs, text, parents):
        for ul in self.main.iter("ul"):
            if squash(text) in squash(ul.text()) and any(i.attrs.get("type") == "checkbox" for i in ul.iter("input")):
                return None
        return "no list with checkboxes"

    def _taskItem(self, node, attrs, text, parents):
        own = _plain({"content": (node.get("content") or [])[:1]})
        for li in self.main.iter("li"):
            box = next((i for i in li.iter("input") if i.attrs.get("type") == "checkbox"), None)
            if box is not None and squash(own) in squash(li.text()) and ("checked" in box.attrs) == bool(attrs.get("checked")):
                # its own checkbox comes before any nested item's
                if box.parent is not None and (box.parent is li or box.parent.parent is li):
                    return None
        return f"no <li> with a {'checked' if attrs.get('checked') else 'unchecked'} box and {own[:30]!r}"

    def _blockquote(self, node, attrs, text, parents):
        return None if self.within(("blockquote",), text) else "no <blockquote> with its text"

    def _callout(self, node, attrs, text, parents):
        for div in self.main.iter("div"):
            if "theme-admonition" in div.attrs.get("class", "") and squash(text) in squash(div.text()):
                icon = attrs.get("icon")
                if not icon or icon in div.text():
                    return None
        return "no admonition with its text" + (f" and icon {attrs.get('icon')}" if attrs.get("icon") else "")

    def _details(self, node, attrs, text, parents):
        for details in self.main.iter("details"):
            if squash(text) in squash(details.text()) and ("open" in details.attrs) == bool(attrs.get("open")):
                return None
        return f"no {'open ' if attrs.get('open') else ''}<details> with its text"

    def _detailsSummary(self, node, attrs, text, parents):
        return None if self.within(("summary",), text) else "no <summary> with its text"

    def _media(self, tag, attrs):
        media = {"img": "image/"}.get(tag, f"{tag}/")
        for element in self.main.iter(tag):
            if self.serves(element.attrs.get("src", ""), media):
                return None
        return f"no <{tag}> whose src is a file of the build"

    def _audio(self, node, attrs, text, parents):
        return self._media("audio", attrs)

    def _video(self, node, attrs, text, parents):
        return self._media("video", attrs)

    def _image(self, node, attrs, text, parents):
        return self._media("img", attrs)

    _drawio = _image
    _excalidraw = _image

    def _pdf(self, node, attrs, text, parents):
        for element in self.main.iter("object", "iframe", "embed"):
            if self.serves(element.attrs.get("data") or element.attrs.get("src", ""), "application/pdf"):
                return None
        return "no PDF viewer whose file is in the build"

    def _attachment(self, node, attrs, text, parents):
        name = attrs.get("name") or ""
        for link in self.main.iter("a"):
            if self.serves(link.attrs.get("href", "")) and squash(name) in squash(link.text()):
                return None
        return f"no link to the file {name!r}"

    def _frame(self, src, framed):
        if framed is None:  # not allow-listed: the original link is the counterpart
            return None if any(a.attrs.get("href") == src for a in self.main.iter("a")) else f"no link to {src}"
        for frame in self.main.iter("iframe"):
            if frame.attrs.get("src") == framed and "sandbox" in frame.attrs:
                return None if any(a.attrs.get("href") == src for a in self.main.iter("a")) else f"no link to {src}"
        return f"no sandboxed <iframe> for {src}"

    def _embed(self, node, attrs, text, parents):
        return self._frame(attrs.get("src"), frame_url(attrs.get("provider"), attrs.get("src")))

    def _youtube(self, node, attrs, text, parents):
        return self._frame(attrs.get("src"), frame_url("youtube", attrs.get("src")))

    def _status(self, node, attrs, text, parents):
        background = STATUS_COLORS.get(attrs.get("color") or "gray", STATUS_COLORS["gray"])[0]
        for span in self.main.iter("span"):
            if background in span.attrs.get("style", "") and squash(attrs.get("text") or "") == squash(span.text()):
                return None
        return f"no {attrs.get('color')} badge {attrs.get('text')!r}"

    def _columns(self, node, attrs, text, parents):
        count = len(node.get("content") or [])
        for div in self.main.iter("div"):
            kids = [c for c in div.children if isinstance(c, Element)]
            if "flex-wrap:wrap" in div.attrs.get("style", "").replace(" ", "") and len(kids) == count:
                return None
        return f"no flex-wrap container of {count} columns"

    def _column(self, node, attrs, text, parents):
        return self._runs(node)

    def _subpages(self, node, attrs, text, parents):
        for ul in self.main.iter("ul"):
            if "docmost-subpages" in ul.attrs.get("class", "") and list(ul.iter("a")):
                return None
        return "no list of child pages"

    def _transclusionReference(self, node, attrs, text, parents):
        source = self.documents.get(attrs.get("sourcePageId"), {}).get("content") or {}
        for found in _walk(source):
            if found.get("type") == "transclusionSource" and (found.get("attrs") or {}).get("id") == attrs.get("transclusionId"):
                return None if self.has_text(_plain(found)) else "the synced block's text is not on the page"
        return "source block not found in the recorded documents"

    def _pageBreak(self, node, attrs, text, parents):
        for div in self.main.iter("div"):
            if "break-after:page" in div.attrs.get("style", "").replace(" ", ""):
                return None
        return "no page-break element"

    def _horizontalRule(self, node, attrs, text, parents):
        return None if list(self.main.iter("hr")) else "no <hr>"

    def _hardBreak(self, node, attrs, text, parents):
        return None if list(self.main.iter("br")) else "no <br>"

    def _mathInline(self, node, attrs, text, parents):
        return None if any("katex" in s.attrs.get("class", "") for s in self.main.iter("span")) else "no KaTeX"

    _mathBlock = _mathInline

    def _unresolved(self, href: str, text: str) -> bool:
        """A link to a Docmost page that is in no recorded space (trashed): shown as its text, as the Markdown path
        does with every link it cannot resolve."""
        slug_id = re.sub(r"[#?].*$", "", href).rsplit("-", 1)[-1]
        known = {data.get("slugId") for data in self.documents.values()} | self.other_slug_ids
        return "/p/" in href and slug_id not in known and self.has_text(text)

    def _mention(self, node, attrs, text, parents):
        label = attrs.get("label") or ""
        if attrs.get("entityType") == "user":
            return None if self.has_text("@" + label) or self.has_text(label) else f"no @{label}"
        return None if list(self.main.iter("a")) else "no page link"

    # marks
    def mark(self, mark: dict, node: dict) -> str | None:
        kind, attrs = mark.get("type"), mark.get("attrs") or {}
        text = str(node.get("text", ""))
        tags = {"bold": ("strong", "b"), "italic": ("em", "i"), "strike": ("s", "del"), "underline": ("u",),
                "code": ("code",), "subscript": ("sub",), "superscript": ("sup",), "link": ("a",)}
        if kind == "link" and (self._url_label(node) or self._unresolved(attrs.get("href") or "", text)):
            return None
        if kind in tags:
            return None if self.within(tags[kind], text) or not squash(text) else f"no <{tags[kind][0]}> with {text[:30]!r}"
        if kind == "highlight":
            color = attrs.get("color")
            for element in self.main.iter("mark"):
                if squash(text) in squash(element.text()) and (not color or color.lower() in element.attrs.get("style", "").lower()):
                    return None
            return f"no <mark> {color or ''} with {text[:30]!r}"
        if kind == "textStyle":
            color = (attrs.get("color") or "").lower()
            for element in self.main.iter("span"):
                if squash(text) in squash(element.text()) and color in element.attrs.get("style", "").lower():
                    return None
            return f"no text in {color} with {text[:30]!r}"
        return None


def _walk(node: dict):
    yield node
    for child in node.get("content") or ():
        yield from _walk(child)


def text_runs(node: dict) -> list[str]:
    """The node's text split at atoms (mentions, math, media, ...) and at block boundaries."""
    runs: list[str] = [""]

    def visit(value: dict) -> None:
        kind = value.get("type")
        if kind == "text":
            if any(m.get("type") == "link" for m in value.get("marks") or ()):
                runs.append("")  # a link's text is checked by the link's own test (it may show the target's title)
            else:
                runs[-1] += str(value.get("text", ""))
            return
        if kind not in _INLINE_MARKUP:
            runs.append("")
        for child in value.get("content") or ():
            visit(child)
        if kind not in _INLINE_MARKUP:
            runs.append("")

    visit(node)
    return [run for run in runs if run.strip()]


_INLINE_MARKUP = frozenset({"paragraph", "heading", "detailsSummary"})


def _first_run(node: dict) -> str:
    runs = text_runs(node)
    return runs[0] if runs else ""


def _plain(node: dict) -> str:
    kind, attrs = node.get("type"), node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "status":
        return str(attrs.get("text") or "")
    if kind in ("mention", "mathInline", "mathBlock", "hardBreak", "image", "video", "audio", "pdf", "attachment",
                "embed", "youtube", "drawio", "excalidraw", "subpages", "transclusionReference"):
        return ""  # shown differently (links with current titles, KaTeX, players): checked by their own test
    return "".join(_plain(child) for child in node.get("content") or ())


def coverage(build_dir: Path, tree_dir: Path, space: str) -> tuple[Counter, list[str]]:
    """(instances checked per type, misses as '<space>/<title>: <type> <detail>') over the space's documents."""
    documents = recorded_documents(space)
    all_slug_ids = {data.get("slugId") for name in ("content-gallery", "engineering", "hangul-docs")
                    for data in recorded_documents(name).values()}
    index = json.loads((tree_dir / "_docmost-pages.json").read_text(encoding="utf-8"))
    checked: Counter = Counter()
    misses: list[str] = []
    for entry in index.values():
        data = documents.get(entry["pageId"])
        if not data or not data.get("content"):
            continue
        route = entry["path"][: -len(".md")]
        route = route[: -len("/index")] if route.endswith("/index") else route
        html = (build_dir / "docs" / space / route / "index.html").read_text(encoding="utf-8")
        page = PageCheck(parse_html(html), build_dir, documents)
        page.other_slug_ids = all_slug_ids

        def visit(node: dict, parents: tuple[str, ...]) -> None:
            kind = str(node.get("type"))
            checked[kind] += 1
            miss = page.check(node, parents)
            if miss:
                misses.append(f"{space}/{entry['title']}: {kind} {miss}")
            for mark in node.get("marks") or ():
                checked[f"{mark.get('type')} (mark)"] += 1
                miss = page.mark(mark, node)
                if miss:
                    misses.append(f"{space}/{entry['title']}: {mark.get('type')} (mark) {miss}")
            for child in node.get("content") or ():
                visit(child, (*parents, kind))

        visit(data["content"], ())
    return checked, misses


if __name__ == "__main__":
    build, tree_root, *spaces = sys.argv[1:]
    total, all_misses = 0, []
    for name in spaces:
        counts, found = coverage(Path(build), Path(tree_root.replace("{space}", name)), name)
        total += sum(counts.values())
        all_misses.extend(found)
    print("\n".join(all_misses))
    print(f"{total - len(all_misses)}/{total} instances found ({100 * (total - len(all_misses)) / max(total, 1):.2f}%)")
