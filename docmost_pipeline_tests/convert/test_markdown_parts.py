"""The pieces behind render_body: TeX repair, HTML -> JSX, prose escaping."""

from __future__ import annotations

import pytest

from docmost_pipeline.convert.escape import apply_edits, escape_literal, escape_text
from docmost_pipeline.convert.html import MarkdownLink, html_to_jsx, js_string, parse_single_tag, style_object
from docmost_pipeline.convert.math import looks_doubled, repair_tex


@pytest.mark.parametrize(
    ("exported", "inline", "original"),
    [
        ("\\\\frac{a_{i}}{b^{2}}", True, "\\frac{a_{i}}{b^{2}}"),
        ("a &lt; b &gt; c &amp; d", True, "a < b > c & d"),
        ("0 & x < 0 \\\\\\\\ 1", False, "0 & x < 0 \\\\ 1"),
        ("\\\\mathbf{A}\\_{ij}", False, "\\mathbf{A}_{ij}"),
        ("\\\\\\_", False, "\\_"),  # a TeX \_ : doubled backslash plus the exporter's escape
        ("E=mc^2", False, "E=mc^2"),
        ("\\frac{a}{b}", False, "\\frac{a}{b}"),  # not doubled: untouched
        ("a &lt; b", False, "a &lt; b"),  # entities are only an inline-math problem
    ],
)
def test_repair_tex(exported, inline, original):
    assert repair_tex(exported, inline=inline) == original


def test_looks_doubled_needs_every_run_even():
    assert looks_doubled("\\\\a \\\\\\\\ b\\_")
    assert not looks_doubled("\\\\a \\b")
    assert not looks_doubled("no backslash")


def test_style_strings_become_jsx_objects():
    assert style_object("min-width: 50px; text-align:center;") == '{{"minWidth":"50px","textAlign":"center"}}'
    assert style_object("-webkit-line-clamp: 2; --my-var: red") == '{{"WebkitLineClamp":"2","--my-var":"red"}}'
    assert style_object(" ; broken") is None


def test_js_string_hides_braces_and_angle_brackets_from_mdx():
    assert js_string('a {b} <c> "d"\n') == '"a \\u007bb\\u007d \\u003cc\\u003e \\"d\\"\\n"'


def test_html_to_jsx_attributes_void_elements_and_comments():
    result = html_to_jsx(
        '<td class="x" colspan="2" rowspan="3" onclick="evil()" data-id="q" style="color: red"><br>'
        "<img src=a.png><!-- gone --></br>text &amp; more</td>"
    )
    assert result.jsx == (
        '<td className="x" colSpan="2" rowSpan="3" data-id="q" style={{"color":"red"}}><br />'
        '<img src="a.png" />{"text & more"}</td>'
    )
    assert result.warnings == [("dropped_html", "attribute 'onclick' on <td> dropped")]


def test_html_to_jsx_keeps_nesting_valid_across_fragments():
    stack: list[str] = []
    assert html_to_jsx("<details open>\n<summary>Sum</summary>", stack=stack).jsx == '<details open><summary>{"Sum"}</summary>'
    assert stack == ["details"]
    closing = html_to_jsx("</span></details>", stack=stack)
    assert closing.jsx == "</details>"
    assert stack == []
    assert [kind for kind, _ in closing.warnings] == ["unbalanced_html"]


def test_html_to_jsx_resolves_links():
    def resolve(tag: str, attribute: str, value: str):
        return MarkdownLink("page.md") if value == "Page.md" else None

    assert html_to_jsx('<p><a href="Page.md" title="t">the <b>page</b></a> <a href="gone">x</a></p>', resolve=resolve).jsx == (
        '<p>[the <b>page</b>](page.md) <a>{"x"}</a></p>'
    )


@pytest.mark.parametrize(
    ("html", "kind"),
    [("<sub>", ("open", "sub")), ("</sub>", ("close", "sub")), ("<br>", ("void", "br")), ("<x/>", ("void", "x")),
     ("<!-- c -->", ("comment", None)), ("<?pi?>", ("other", None))],
)
def test_parse_single_tag(html, kind):
    assert parse_single_tag(html) == kind


def test_escape_helpers():
    assert escape_text("{a} <b> $c ~d e:f", line_starts=False) == "\\{a\\} \\<b> \\$c \\~d e\\:f"
    assert escape_text("export x\nimport y", line_starts=True) == "&#101;xport x\n&#105;mport y"
    assert escape_literal("https://x.org/a_b(c)") == "https://x.org/a\\_b\\(c\\)"
    assert apply_edits("abc", [(1, 1, "X"), (2, 3, "Y")]) == "aXbY"
    with pytest.raises(ValueError, match="overlapping edits"):
        apply_edits("abc", [(0, 2, "X"), (1, 3, "Y")])
