"""Render every page of the recorded Docmost 0.95 ZIPs with ``render_body`` alone and build them with the real site.

Used by ``test_markdown_build.py`` and runnable by hand (``python -m docmost_pipeline_tests.convert.markdown_site_check
OUT_DIR``). It isolates the body renderer from the rest of the converter: pages are written flat
(``<space>/p<NN>.md``), attachments under ASCII names, and a small resolver maps the export's links the way the
converter does (relative ``.md`` paths -> the flat page, ``files/…`` -> the copied file, Docmost URLs -> plain text).
The build is ``sitebuild.build_site`` (own generated-files directory, no shared webpack cache, problems parsed).
"""

from __future__ import annotations

import json
import posixpath
import shutil
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from docmost_pipeline import sitebuild
from docmost_pipeline.convert.frontmatter import dump_front_matter
from docmost_pipeline.convert.links import LinkTarget
from docmost_pipeline.convert.markdown import render_body
from docmost_pipeline.emulator.recordings import RECORDINGS_DIR

FIXTURES = RECORDINGS_DIR
SPACE_ZIPS = ("content-gallery.zip", "engineering.zip", "hangul-docs.zip")


def _title_of(markdown: str) -> str | None:
    first = markdown.split("\n", 1)[0]
    return first[2:].strip() if first.startswith("# ") else None


# Constructs the recorded ZIPs do not contain but Docmost (or a Markdown/HTML import) can produce.
EDGE_CASE_PAGES = {
    # Its description (front matter) is checked in the built HTML's meta tags.
    "Page Description.md": (
        "# Page Description\n\n## A heading {first}\n\n| cell {x} |\n| --- |\n| 1 |\n\n"
        "import {token} from a < b for $5, see [the other page](Other%20Page.md), `code {x}`, **bold**, _em_,\n"
        "~~struck~~ and ==marked== 한글 text.\n\nSecond paragraph.\n"
    ),
    "Edge Cases.md": (
        "# Edge Cases\n\n"
        "Autolinks <https://example.com/a_b?x=1&y=2> and <user@example.com>, key:value, 1<2, {x}, $5, ~a~.\n\n"
        "Unbalanced inline <div> tag, a stray </span>, a comment <!-- hidden --> and <br> and <mark>m</mark>.\n\n"
        "<div class=\"joplin-table-wrapper\"><table style=\"min-width: 50px; --x: 1\"><tbody><tr>"
        "<th colspan=\"2\">Head {1} &lt;b&gt;</th></tr><tr><td rowspan=\"1\"><p>see <a href=\"Other%20Page.md\">the "
        "<strong>other</strong> page</a> and <a href=\"https://example.com/\">ext</a></p></td>"
        "<td><img src=\"files/0001/pixel.png\" alt=\"pixel\"><pre><code>line {1}\n  line &lt;2&gt;</code></pre></td></tr>"
        "</tbody></table></div>\n\n"
        ":::tip-of-the-day\nUnknown callout with {braces}.\n:::\n\n"
        "Indented code follows:\n\n    code {x} <y>\n    more\n\n"
        "1. First\n  1. Second {level}\n  ```bash\n  echo {x}\n  ```\n2. Third\n\n"
        "| a | b |\n| --- | --- |\n| 1 | 2 | 3 {x} |\n\n"
        "<details open>\n<summary>Open **not bold** {x}</summary>\n\n- item\n\n</details>\n\n"
        "Text with ==mark {x}== and a [link with {braces}](Other%20Page.md \"title {x}\").\n\n"
        "## Typed heading id {#not-an-id}\n\n"
        "![pixel image](files/0001/pixel.png?t=123)\n"
    ),
    # Paragraphs whose markdown-it text differs from the source (tab continuation, NBSP-only line, NUL).
    "Whitespace Mapping.md": "# Whitespace Mapping\n\n- item\n\tcontinued with {x}\n\n\u00a0\nafter NBSP {y}\n\n"
    "nul\x00 then {z}\n",
    "Other Page.md": "# Other Page\n\n<p>Paragraph in HTML</p>\n\nimport x from 'y'\n\n[]()\n",
    "Web Addresses.md": (
        "# Web Addresses\n\n"
        "Tag after http://a.example<b>x and www.b.example<i>y here.\n\n"
        "Math-like https://c.example/$x$ and braces (https://d.example/(c){d})) end.\n\n"
        "Escaped https://e.example/x\\_y<b>z and trimmed https://f.example/~x~ y.\n"
    ),
    "files/0001/pixel.png": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
        b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
    ),
}


def edge_case_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in EDGE_CASE_PAGES.items():
            archive.writestr(name, content)
    return path


def render_space(zip_path: Path, out_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """Write every page of one space ZIP as MDX into ``out_dir``; returns warnings per ZIP entry."""
    archive = zipfile.ZipFile(zip_path)
    pages = sorted(name for name in archive.namelist() if name.endswith(".md"))
    flat = {name: f"p{index:03d}.md" for index, name in enumerate(pages)}
    files = {name.lstrip("/").replace("//", "/"): name for name in archive.namelist() if "files/" in name and not name.endswith("/")}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "_category_.json").write_text(json.dumps({"label": zip_path.stem}), encoding="utf-8")
    warnings: dict[str, list[tuple[str, str]]] = {}
    copied: dict[str, str] = {}
    for page in pages:
        page_dir = posixpath.dirname(page)

        def resolve(destination: str, page_dir: str = page_dir) -> LinkTarget:
            if not destination:
                return LinkTarget(None, "unresolved")
            parts = urlsplit(destination)
            if parts.scheme in ("http", "https") and parts.netloc == "localhost:3000" or destination.startswith("/s/"):
                return LinkTarget(None, "unresolved")
            if parts.scheme or destination.startswith("#"):
                return LinkTarget(destination, "external")
            path = posixpath.normpath(posixpath.join(page_dir, unquote(parts.path.lstrip("/"))))
            if path in flat:
                return LinkTarget(flat[path], "doc")
            if path in files:
                if path not in copied:
                    extension = posixpath.splitext(path)[1]
                    target = f"files/f{len(copied):03d}{extension}"
                    (out_dir / "files").mkdir(exist_ok=True)
                    (out_dir / target).write_bytes(archive.read(files[path]))
                    copied[path] = target
                return LinkTarget(copied[path], "attachment")
            return LinkTarget(None, "unresolved")

        markdown = archive.read(page).decode("utf-8")
        title = _title_of(markdown)
        rendered = render_body(markdown, resolve_link=resolve, page_title=title)
        warnings[page] = rendered.warnings
        front = {"title": title or "Untitled"}
        if rendered.description is not None:
            front["description"] = rendered.description
        (out_dir / flat[page]).write_text(dump_front_matter(front) + "\n" + rendered.text, encoding="utf-8")
    return warnings


def render_all(work: Path) -> tuple[Path, dict[str, dict[str, list[tuple[str, str]]]]]:
    """Render the recorded ZIPs plus the edge-case ZIP into ``work/docs`` (emptied first): (docs dir, warnings per
    ZIP name and entry)."""
    docs = work / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    work.mkdir(parents=True, exist_ok=True)
    zips = [FIXTURES / name for name in SPACE_ZIPS] + [edge_case_zip(work / "edge-cases.zip")]
    return docs, {zip_path.name: render_space(zip_path, docs / zip_path.stem) for zip_path in zips}


def main(out: str) -> int:
    work = Path(out)
    docs, warnings = render_all(work)
    for name, pages in warnings.items():
        for page, page_warnings in pages.items():
            for kind, message in page_warnings:
                print(f"{name}:{page}: {kind}: {message}")
    result = sitebuild.build_site(docs, work / "build")
    print(result.summary())
    return 0 if result.clean else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))


# ---- fidelity: what CommonMark shows for the original export must show on the built page ----------------

_BLOCK_TAGS = {"p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "summary", "blockquote", "div", "tr", "pre"}
_SKIPPED_TAGS = {"script", "style", "math", "svg", "annotation", "button", "nav", "code", "pre", "sup"}


class _TextBlocks(HTMLParser):
    """Text of an HTML document, one entry per block element; math, code and scripts left out."""

    def __init__(self, skip_classes: tuple[str, ...] = ()) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.stack: list[bool] = []
        self.skip_classes = skip_classes

    def _flush(self) -> None:
        block = " ".join("".join(self.current).split())
        if block:
            self.blocks.append(block)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "hr", "input", "meta", "link"):
            return
        classes = dict(attrs).get("class") or ""
        skip = tag in _SKIPPED_TAGS or any(name in classes.split() for name in self.skip_classes)
        self.stack.append(skip)
        if skip:
            self.skip_depth += 1
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "img", "hr", "input", "meta", "link") or not self.stack:
            return
        if self.stack.pop():
            self.skip_depth -= 1
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.current.append(data)

    def text(self) -> list[str]:
        self._flush()
        return self.blocks


def _blocks(html: str, skip_classes: tuple[str, ...] = ()) -> list[str]:
    parser = _TextBlocks(skip_classes)
    parser.feed(html)
    return parser.text()


def fidelity_misses(zip_path: Path, build_dir: Path, min_chars: int = 20) -> tuple[int, list[str]]:
    """(text blocks checked, blocks missing): each block of text CommonMark renders for an exported page
    (math, code and footnote markers aside) must appear verbatim in the text of the page Docusaurus built."""
    from docmost_pipeline.convert.markdown.parsing import parser
    from docmost_pipeline.convert.markdown.repairs import repair_list_indentation, repair_malformed_tables

    # The reference is CommonMark's rendering of the export after the two structural repairs (list indentation,
    # merged-cell table): what is compared is the text, i.e. the escaping.
    archive = zipfile.ZipFile(zip_path)
    pages = sorted(name for name in archive.namelist() if name.endswith(".md"))
    checked, misses = 0, []
    for index, page in enumerate(pages):
        block_tokens = parser(blocks_only=True).parse
        source = repair_malformed_tables(
            repair_list_indentation(archive.read(page).decode("utf-8"), block_tokens), block_tokens, lambda *_: None
        )
        reference = parser().render(source)
        built_file = build_dir / "docs" / zip_path.stem / f"p{index:03d}" / "index.html"
        built_text = " ".join(" ".join(_blocks(built_file.read_text(encoding="utf-8"), ("katex",))).split())
        for block in _blocks(reference, ("math", "footnotes")):
            if block.startswith(("[ ] ", "[x] ")):
                block = block[4:]  # a task item: the site shows a checkbox instead
            if len(block) < min_chars:
                continue
            checked += 1
            if block not in built_text:
                misses.append(f"{page}: {block}")
    return checked, misses
