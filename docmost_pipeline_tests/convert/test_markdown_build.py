"""render_body against the real site: every page of the recorded ZIPs (plus edge cases) through ``docusaurus build``.

The build must pass (0 MDX errors, 0 broken links), KaTeX must not report an error, and the text CommonMark shows
for each exported page must appear on the built page. Installs site/node_modules (``npm ci``) when missing; one build
takes 1-4 minutes on 2 cores.
"""

from __future__ import annotations

import re
import zipfile
from html import unescape
from pathlib import Path

import pytest

from docmost_pipeline import sitebuild
from docmost_pipeline_tests.convert import markdown_site_check as check

pytestmark = pytest.mark.timeout(1500)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("markdown-build")
    docs, _ = check.render_all(work)
    result = sitebuild.build_site(docs, work / "build")  # npm ci from the lockfile on a fresh clone
    assert result.ok, result.summary()
    assert "MDX compilation failed" not in result.output
    assert "broken link" not in result.output.lower()
    assert result.clean, result.summary()  # also no broken anchor/Markdown link and no KaTeX error span
    return result.build_dir


def _page(built: Path, space: str, zip_name: str, entry: str) -> str:
    """Built HTML of one ZIP entry (pages are written as p<index in sorted entry names>.md)."""
    with zipfile.ZipFile(check.FIXTURES / zip_name) as archive:
        names = sorted(name for name in archive.namelist() if name.endswith(".md"))
    return (built / "docs" / space / f"p{names.index(entry):03d}" / "index.html").read_text(encoding="utf-8")


def test_no_katex_error_in_any_page(built: Path):
    pages = list((built / "docs").rglob("index.html"))
    assert len(pages) >= 154 + 2
    assert [str(page) for page in pages if "katex-error" in page.read_text(encoding="utf-8")] == []


@pytest.mark.parametrize("zip_name", check.SPACE_ZIPS)
def test_commonmark_text_of_every_page_is_on_the_built_page(built: Path, zip_name: str):
    checked, misses = check.fidelity_misses(check.FIXTURES / zip_name, built)
    assert checked > 50
    assert misses == [], "\n".join(misses)


def test_hostile_prose_page_shows_the_original_characters(built: Path):
    html = _page(built, "content-gallery", "content-gallery.zip", "Gallery Index/MDX-hostile Prose.md")
    text = " ".join(check._blocks(html))
    for expected in (
        "Template tokens: {token} and {{mustache}} and ${var} and #{ruby}.",
        "Comparisons: a < b > c, x <= y, 1<2, and an arrow -> and => and <-.",
        "import React from 'react'",
        "export default function Page() {}",
        ":::note not a callout :::",
        "[[wiki link]] and [^1] not a footnote and {#custom-id}",
        "Dollar signs: $5 and $10 (not math), $$ also not math $$.",
        "Heading with {braces} and <angle> brackets",
    ):
        assert expected in text


def test_callouts_math_details_and_tables_render(built: Path):
    callouts = _page(built, "content-gallery", "content-gallery.zip", "Gallery Index/Callouts.md")
    for admonition in ("note", "info", "tip", "warning", "danger"):
        assert f"theme-admonition-{admonition}" in callouts
    math = _page(built, "content-gallery", "content-gallery.zip", "Gallery Index/Math.md")
    assert math.count('class="katex"') >= 4 and math.count('class="katex-display"') == 3
    details = _page(built, "content-gallery", "content-gallery.zip", "Gallery Index/Details, Columns & Status.md")
    assert details.count("<details") == 4 and "Click to expand" in details
    tables = _page(built, "content-gallery", "content-gallery.zip", "Gallery Index/Tables.md")
    table_text = " ".join(check._blocks(tables))
    for cell in ("Q2", "20 (spans two columns)", "Q3 (spans two rows)", "41", "Second paragraph.", "a list"):
        assert cell in table_text
    assert "<pre dir=\"auto\"><code class=\"language-python\">print(&#x27;in a cell&#x27;)</code></pre>" in tables
    assert tables.count("<table") == 6


def test_bare_urls_link_like_remark_gfm_and_show_their_characters(built: Path):
    pages = sorted(name for name in check.EDGE_CASE_PAGES if name.endswith(".md"))
    html = (built / "docs" / "edge-cases" / f"p{pages.index('Web Addresses.md'):03d}" / "index.html").read_text("utf-8")
    text = " ".join(check._blocks(html))
    assert "Tag after http://a.example<b>x and www.b.example<i>y here." in text
    assert "Math-like https://c.example/$x$ and braces (https://d.example/(c){d})) end." in text
    assert "Escaped https://e.example/x\\_y<b>z and trimmed https://f.example/~x~ y." in text
    for href in ("http://a.example", "http://www.b.example", "https://c.example/$x$", "https://d.example/%28c%29%7Bd%7D",
                 "https://e.example/x_y", "https://f.example/~x"):
        assert f'href="{href}"' in html


def test_edge_cases_render(built: Path):
    html = (built / "docs" / "edge-cases" / "p000" / "index.html").read_text(encoding="utf-8")
    text = " ".join(check._blocks(html))
    assert "Unbalanced inline <div> tag, a stray </span>" in text
    assert "key:value, 1<2, {x}, $5, ~a~." in text
    assert 'href="/docs/edge-cases/p001"' in html  # <a href> inside an HTML table became a resolved doc link
    assert "theme-admonition-note" in html
    assert "Open **not bold** {x}" in html
    assert "Typed heading id {#not-an-id}" in text


_META_DESCRIPTION = re.compile(r'<meta data-rh="true" (?:name|property)="(?:og:)?description" content="([^"]*)"')


def test_meta_description_is_the_plain_text_of_the_first_paragraph(built: Path):
    """The body escapes MDX-hostile prose (``\\{``, ``\\<``, ``\\$``, ``&#105;mport``); the page's description
    front matter carries the text a reader sees, and Docusaurus puts it into the meta tags as is."""
    pages = sorted(name for name in check.EDGE_CASE_PAGES if name.endswith(".md"))
    html = (built / "docs" / "edge-cases" / f"p{pages.index('Page Description.md'):03d}" / "index.html").read_text(
        encoding="utf-8")
    contents = _META_DESCRIPTION.findall(html)
    assert len(contents) == 2, contents  # name="description" and property="og:description"
    expected = ("import {token} from a < b for $5, see the other page, code {x}, bold, em, struck and marked "
                "한글 text.")
    assert [unescape(content) for content in contents] == [expected, expected]
    assert "\\" not in html.split("</head>")[0] and "&amp;#105;" not in html  # no escape leaks anywhere in the head
