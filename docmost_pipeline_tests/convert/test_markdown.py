"""render_body: one test per construct Docmost 0.95's exporter writes, asserting the exact MDX produced."""

from __future__ import annotations

import zipfile

import pytest

from docmost_pipeline.convert.links import LinkTarget
from docmost_pipeline.convert.markdown import CALLOUT_ADMONITIONS, RenderedBody, render_body
from docmost_pipeline.emulator.recordings import RECORDINGS_DIR

FIXTURES = RECORDINGS_DIR


class RecordingResolver:
    """Resolves like the converter would, and remembers every destination it was asked about."""

    def __init__(self, mapping: dict[str, LinkTarget] | None = None) -> None:
        self.mapping = mapping or {}
        self.calls: list[str] = []

    def __call__(self, destination: str) -> LinkTarget:
        self.calls.append(destination)
        if destination in self.mapping:
            return self.mapping[destination]
        if destination == "":
            return LinkTarget(None, "unresolved")
        return LinkTarget(destination, "external")


def render(markdown: str, title: str | None = None, resolver: RecordingResolver | None = None) -> RenderedBody:
    return render_body(markdown, resolve_link=resolver or RecordingResolver(), page_title=title)


def text(markdown: str, **kwargs) -> str:
    return render(markdown, **kwargs).text


def gallery_page(name: str) -> str:
    with zipfile.ZipFile(FIXTURES / "content-gallery.zip") as archive:
        return archive.read(f"Gallery Index/{name}.md").decode("utf-8")


# ---- untouched content -------------------------------------------------------------------------------------


def test_plain_markdown_stays_byte_identical():
    source = (
        "# Heading\n\nSome **bold**, _italic_, `code`, a [link](https://example.com) and a list:\n\n"
        "- one\n  - two\n1. three\n\n> quote\n\n---\n\n- [x] done\n- [ ] open\n"
    )
    assert text(source) == source


def test_code_spans_and_fences_are_never_changed():
    source = (
        "Inline `{token} <div> ${var} List<String>` stays.\n\n"
        "```jsx\nexport default function App({ items }) {\n  return <>{items}</>;\n}\n```\n\n"
        "````markdown\n```js\nconsole.log('{x}');\n```\n````\n\n"
        "```mermaid\ngraph LR\n  A[Docmost] -->|export| B(ZIP)\n```\n"
    )
    assert text(source) == source


def test_quotes_and_code_gallery_page_is_unchanged_except_title():
    source = gallery_page("Quotes & Code Blocks")
    assert text(source, title="Quotes & Code Blocks") == source.split("\n", 2)[2] + "\n"  # the export has no final newline


# ---- MDX-hostile prose -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Template tokens: {token} and {{mustache}} and \\${var} and #{ruby}.",
         "Template tokens: \\{token\\} and \\{\\{mustache\\}\\} and \\$\\{var\\} and #\\{ruby\\}."),
        ("Empty tags &lt;> and </&gt; and generics List&lt;String&gt;.",
         "Empty tags &lt;> and \\</&gt; and generics List&lt;String&gt;."),
        ("Comparisons: a &lt; b, 1<2, and => and <-.", "Comparisons: a &lt; b, 1\\<2, and => and \\<-."),
        ("A JSX comment {/\\* jsx comment \\*/}.", "A JSX comment \\{/\\* jsx comment \\*/\\}."),
        ("import React from 'react'", "&#105;mport React from 'react'"),
        ("export default function Page() {}", "&#101;xport default function Page() \\{\\}"),
        ("important: not a keyword", "important: not a keyword"),
        ("Dollar signs: \\$5 and $10 (not math).", "Dollar signs: \\$5 and \\$10 (not math)."),
        (":::note not a callout :::", "::\\:note not a callout :::"),
        ("a key:value pair and 10:30 and https://example.com/x:y",
         "a key\\:value pair and 10:30 and https://example.com/x:y"),
        ("\\[\\[wiki link\\]\\] and \\[^1\\] and {#custom-id}", "\\[\\[wiki link\\]\\] and \\[^1\\] and \\{#custom-id\\}"),
        ("a ~single~ tilde", "a \\~single\\~ tilde"),
        ("HTML entities as text: &nbsp; &copy; &amp; &#169;", "HTML entities as text: &nbsp; &copy; &amp; &#169;"),
        ("Backslashes: C:\\\\Users and \\\\n", "Backslashes: C:\\\\Users and \\\\n"),
        ("An HTML comment: &lt;!-- comment --&gt;", "An HTML comment: &lt;!-- comment --&gt;"),
    ],
)
def test_hostile_prose_is_escaped_not_backticked(source, expected):
    assert text(source + "\n") == expected + "\n"


def test_heading_id_syntax_and_braces_in_heading_are_escaped():
    # Docusaurus would still read a trailing {#…} as a custom id and hide it: an empty expression follows it.
    assert text("## Heading with {braces} {#custom}\n") == '## Heading with \\{braces\\} \\{#custom\\}{""}\n'
    assert text("## Heading with {braces} and `{#code}`\n") == '## Heading with \\{braces\\} and `{#code}`{""}\n'
    assert text("## Heading with {#id} inside\n") == "## Heading with \\{#id\\} inside\n"


def test_marks_links_and_tables_with_hostile_text():
    source = (
        "**{bold braces}** _&lt;italic tag&gt;_ [link {with} &lt;brackets&gt;](https://example.com/?q={x})\n\n"
        "| {col} | &lt;col&gt; |\n| --- | --- |\n| {{cell}} | a < b |\n"
    )
    assert text(source) == (
        "**\\{bold braces\\}** _&lt;italic tag&gt;_ [link \\{with\\} &lt;brackets&gt;](https://example.com/?q={x})\n\n"
        "| \\{col\\} | &lt;col&gt; |\n| --- | --- |\n| \\{\\{cell\\}\\} | a \\< b |\n"
    )


def test_real_autolink_becomes_a_markdown_link_and_email_a_mailto():
    assert text("See <https://example.com/a_b> or <user@example.com>.\n") == (
        "See [https://example.com/a\\_b](https://example.com/a_b) or [user@example.com](mailto:user@example.com).\n"
    )


def test_bare_urls_of_embeds_stay_bare():
    source = "https://www.figma.com/file/Ab/Design-System?node-id=0:1\n\nhttps://example.com/chart?id=42&theme=dark\n"
    assert text(source) == source


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # remark-gfm would take a "\\<" after the URL into it, and the "<" would open a JSX tag: explicit link
        ("http://a.b<b>x", "[http://a.b](http://a.b)\\<b>x"),
        ("www.x.org<i>y", "[www.x.org](http://www.x.org)\\<i>y"),
        ("http://a.b.<b>x", "[http://a.b](http://a.b).\\<b>x"),  # GFM trims the "." off the link
        # a literal autolink shows backslashes verbatim: { } $ inside one need an explicit link instead
        ("Text https://a.b/$x$ y", "Text [https://a.b/\\$x\\$](https://a.b/$x$) y"),
        ("(https://a.b/(c){d}))", "([https://a.b/\\(c\\)\\{d\\}](https://a.b/%28c%29{d})))"),
        # across an escape markdown-it parsed inside the URL, to the "<" after it
        ("https://a.b/x\\_y<b>z", "[https://a.b/x\\\\\\_y](https://a.b/x\\_y)\\<b>z"),
        # trailing characters GFM trims are still scanned as the URL: no backslash may go there
        ("https://a.b/~x~ y", "https://a.b/~x~ y"),
        # no autolink can start after a letter (www.) or inside a link label: escaped as prose
        ("xwww.a.b/{x}<b>", "xwww.a.b/\\{x\\}\\<b>"),
        ("[see http://a.b/{x}](http://u.v)", "[see http://a.b/\\{x\\}](http://u.v)"),
        ("ftp://a.b/~x~ {y}", "ftp://a.b/\\~x\\~ \\{y\\}"),  # GFM autolinks http(s) and www. only
    ],
)
def test_bare_urls_render_as_remark_gfm_would_autolink_them(source, expected):
    assert text(source + "\n") == expected + "\n"


# ---- raw HTML -> JSX ---------------------------------------------------------------------------------------


def test_details_become_jsx_and_keep_markdown_inside():
    source = "<details>\n<summary>Click to expand</summary>\n\nHidden content with **bold**.\n\n</details>\n"
    assert text(source) == (
        '<details><summary>{"Click to expand"}</summary>\n\nHidden content with **bold**.\n\n</details>\n'
    )


def test_joplin_table_html_becomes_valid_jsx():
    source = (
        '<div class="joplin-table-wrapper"><table dir="auto" style="min-width: 50px;"><tbody><tr dir="auto">'
        '<th dir="auto" colspan="2" rowspan="1"><p data-id="x" dir="auto">Cell {1} &lt;a&gt;</p></th></tr>'
        "<tr><td><br><pre><code class=\"language-python\">print('a')\nprint(\"b\")</code></pre></td></tr>"
        "</tbody></table></div>\n"
    )
    assert text(source) == (
        '<div className="joplin-table-wrapper"><table dir="auto" style={{"minWidth":"50px"}}><tbody><tr dir="auto">'
        '<th dir="auto" colSpan="2" rowSpan="1"><p data-id="x" dir="auto">{"Cell \\u007b1\\u007d \\u003ca\\u003e"}</p></th></tr>'
        '<tr><td><br /><pre><code className="language-python">{"print(\'a\')\\nprint(\\"b\\")"}</code></pre></td></tr>'
        "</tbody></table></div>\n"
    )


def test_inline_html_is_jsx_when_balanced_and_literal_when_not():
    assert text("H<sub>2</sub>O and x<sup>2</sup>, a<br>b, <u>under</u>\n") == (
        "H<sub>2</sub>O and x<sup>2</sup>, a<br />b, <u>under</u>\n"
    )
    assert text("an unclosed <div> tag and a stray </span>\n") == "an unclosed \\<div> tag and a stray \\</span>\n"
    assert text("hidden <!-- comment --> here\n") == "hidden  here\n"


def test_script_blocks_are_dropped_and_reported():
    rendered = render("<script>alert('x')</script>\n\nafter\n")
    assert rendered.text == "after\n"
    assert [kind for kind, _ in rendered.warnings] == ["dropped_html"]


def test_highlight_becomes_mark():
    assert text("==marked text== and ==x==y and a == b\n") == "<mark>marked text</mark> and <mark>x</mark>y and a == b\n"


# ---- callouts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("docmost", "docusaurus"), sorted(CALLOUT_ADMONITIONS.items()))
def test_every_callout_type_maps_to_an_admonition(docmost, docusaurus):
    rendered = render(f":::{docmost}\n**{docmost}** callout with {{x}}.\n:::\n")
    assert rendered.text == f":::{docusaurus}\n**{docmost}** callout with \\{{x\\}}.\n:::\n"
    assert rendered.warnings == []


def test_callout_table_is_explicit():
    assert CALLOUT_ADMONITIONS == {
        "default": "note", "info": "info", "note": "note", "success": "tip", "warning": "warning", "danger": "danger",
    }


def test_unknown_callout_becomes_note_and_is_reported():
    rendered = render(":::tip-of-day\ntext\n:::\n")
    assert rendered.text == ":::note\ntext\n:::\n"
    assert rendered.warnings == [("unknown_callout", "callout type 'tip-of-day' shown as a 'note' admonition")]


def test_callout_with_blocks_inside():
    source = ":::warning\nSeveral blocks:\n\n- a list\n\n```bash\nrm -rf ./build  # {x}\n```\n:::\n"
    assert text(source) == source


# ---- math --------------------------------------------------------------------------------------------------


def test_inline_math_is_repaired():
    source = "Inline: $E = mc^2$, $\\\\frac{a_{i}}{b^{2}}$, $a &lt; b &gt; c$, $\\\\{x \\\\mid x > 0\\\\}$.\n"
    assert text(source) == "Inline: $E = mc^2$, $\\frac{a_{i}}{b^{2}}$, $a < b > c$, $\\{x \\mid x > 0\\}$.\n"


def test_block_math_is_repaired():
    source = (
        "$$\n\\\\sum_{i=1}^{n} x_i^2 \\\\leq 1\n$$\n$$\nf(x) = \\\\begin{cases} 0 & x < 0 \\\\\\\\ 1 \\\\end{cases}\n$$\n"
        "$$\n\\\\mathbf{A}\\_{ij} = \\\\{ a\\_{ij} \\\\}\n$$\n"
    )
    assert text(source) == (
        "$$\n\\sum_{i=1}^{n} x_i^2 \\leq 1\n$$\n$$\nf(x) = \\begin{cases} 0 & x < 0 \\\\ 1 \\end{cases}\n$$\n"
        "$$\n\\mathbf{A}_{ij} = \\{ a_{ij} \\}\n$$\n"
    )


def test_math_that_was_not_doubled_is_left_alone():
    assert text("$$\n\\frac{a}{b}\n$$\n\nand $\\alpha$\n") == "$$\n\\frac{a}{b}\n$$\n\nand $\\alpha$\n"


def test_math_in_table_cell():
    source = "| Left | Center |\n| :--- | :---: |\n| **bold** | $x^2$ |\n"
    assert text(source) == source


# ---- tables ------------------------------------------------------------------------------------------------


def test_pipes_in_cells_stay_escaped():
    source = "| Expression | Meaning |\n| --- | --- |\n| `a \\| b` | bitwise or: a \\| b |\n| pipe at end \\| | x |\n"
    assert text(source) == source


def test_malformed_merged_cell_table_is_repaired_with_every_cell():
    source = (
        "| Quarter | Revenue |     | Notes |\n| --- | --- |     | --- | --- |\n| EU  | US  |\n"
        "| Q1  | 10  | 12  | colspan |\n| 40  | 41  | b   |\n"
    )
    rendered = render(source)
    assert rendered.text == (
        "| Quarter | Revenue |  | Notes |\n| --- | --- | --- | --- |\n| EU | US |  |  |\n"
        "| Q1 | 10 | 12 | colspan |\n| 40 | 41 | b |  |\n"
    )
    assert [kind for kind, _ in rendered.warnings] == ["malformed_table"]


def test_rows_wider_than_the_header_widen_the_table():
    assert text("| a | b |\n| --- | --- |\n| 1 | 2 | 3 |\n") == "| a | b |  |\n| --- | --- | --- |\n| 1 | 2 | 3 |\n"


def test_header_column_table_keeps_empty_header_row():
    source = "|     |     |\n| --- | --- |\n| Metric | p50 |\n| Latency | 12  |\n"
    assert text(source) == "|  |  |\n| --- | --- |\n| Metric | p50 |\n| Latency | 12 |\n"


# ---- links and images --------------------------------------------------------------------------------------


def test_every_destination_goes_through_the_resolver_raw():
    resolver = RecordingResolver(
        {
            "Gallery%20Index/Headings%20%26%20Marks.md": LinkTarget("gallery/headings and (marks).md", "doc"),
            "files/01a2/diagram.drawio.svg?t=1795303686180": LinkTarget("../assets/diagram.drawio.svg", "attachment"),
            "http://localhost:3000/s/x/p/gone-AbCdEf": LinkTarget(None, "unresolved"),
        }
    )
    source = (
        "Start with [Headings & Marks](Gallery%20Index/Headings%20%26%20Marks.md).\n\n"
        "![diagram.drawio.svg](files/01a2/diagram.drawio.svg?t=1795303686180)\n\n"
        "Gone: [Legacy {guide}](http://localhost:3000/s/x/p/gone-AbCdEf) text.\n\n"
        "[]()\n\nExternal [docs](https://docmost.com/docs)\n"
    )
    assert text(source, resolver=resolver) == (
        "Start with [Headings & Marks](gallery/headings%20and%20%28marks%29.md).\n\n"
        "![diagram.drawio.svg](../assets/diagram.drawio.svg)\n\n"
        "Gone: Legacy \\{guide\\} text.\n\nExternal [docs](https://docmost.com/docs)\n"
    )
    assert resolver.calls == [
        "Gallery%20Index/Headings%20%26%20Marks.md",
        "files/01a2/diagram.drawio.svg?t=1795303686180",
        "http://localhost:3000/s/x/p/gone-AbCdEf",
        "",
        "https://docmost.com/docs",
    ]


def test_unresolved_image_keeps_its_alt_text():
    resolver = RecordingResolver({"files/x/missing.png": LinkTarget(None, "unresolved")})
    assert text("before ![a {b}](files/x/missing.png) after\n", resolver=resolver) == "before a \\{b\\} after\n"


def test_footnotes_and_task_lists_render_as_written():
    source = "A footnote[^1] and $5.\n\n- [x] done\n- [ ] open\n\n[^1]: First footnote with [a link](https://example.com).\n"
    assert text(source) == (
        "A footnote[^1] and \\$5.\n\n- [x] done\n- [ ] open\n\n[^1]: First footnote with [a link](https://example.com).\n"
    )


# ---- title line --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_line", "title"),
    [
        ("# Callouts", "Callouts"),
        ("# 회의록 (1)", "회의록"),
        ("# 함수(인자) \\[배열\\]", "함수(인자) [배열]"),
        ("# 끝에 공백이 있는 제목", "끝에 공백이 있는 제목   "),
        ("# untitled (1)", "Untitled"),
        ("# 인증/인가 가이드", "인증/인가 가이드"),
    ],
)
def test_leading_title_line_is_dropped(first_line, title):
    assert text(f"{first_line}\n\n# {title.strip()} again\n\nbody\n", title=title).startswith("# ")
    assert text(f"{first_line}\n\nbody\n", title=title) == "body\n"


def test_title_line_kept_when_it_differs_or_is_not_first():
    assert text("# Callouts\n", title="Callouts") == ""
    # the page's own title first: Docusaurus would show the content's first H1 in place of the front matter's title
    assert text("# Something else\n\nbody\n", title="Callouts") == "# Callouts\n\n# Something else\n\nbody\n"
    assert text("intro\n\n# Callouts\n", title="Callouts") == "# Callouts\n\nintro\n\n# Callouts\n"


def test_content_starting_with_its_own_h1_keeps_the_page_title_above_it():
    """Content Gallery's "Headings & Inline Marks" starts with "# Heading level 1": as the site's first heading that
    H1 became the page title (Docusaurus' contentTitle) and the real title was only in the sidebar and the tab."""
    source = "# Headings & Inline Marks\n\n# Heading level 1\n\n## Heading level 2\n"
    assert text(source, title="Headings & Inline Marks") == \
        "# Headings & Inline Marks\n\n# Heading level 1\n\n## Heading level 2\n"
    # Docusaurus takes the first heading at any depth (a list, a callout), unless a thematic break comes first
    assert text("# T\n\n- item\n\n  # In a list\n", title="T").startswith("# T\n\n- item")
    assert text("# T\n\n:::info\n# In a callout\n:::\n", title="T").startswith("# T\n\n:::info")
    assert text("# T\n\nintro\n\n## Section\n\n# Later H1\n", title="T") == "intro\n\n## Section\n\n# Later H1\n"
    assert text("# T\n\nintro\n\n---\n\n# After a rule\n", title="T") == "intro\n\n---\n\n# After a rule\n"
    # the title is shown verbatim whatever it holds: Markdown and MDX characters escaped, a {#id} suffix kept visible
    assert text("# x\n\n# Body\n", title="C# <b>{x}</b> *a* _b_ 1 & &amp; #") == (
        "# C\\# \\<b\\>\\{x\\}\\</b\\> \\*a\\* \\_b\\_ 1 & \\&amp; \\#\n\n# x\n\n# Body\n")
    assert text("# Body\n", title="Anchors {#custom-id}").startswith('# Anchors \\{\\#custom-id\\}{""}\n\n# Body')


# ---- misc --------------------------------------------------------------------------------------------------


def test_indented_code_becomes_fenced():
    assert text("para\n\n    code {x}\n    more\n\nafter\n") == "para\n\n```\ncode {x}\nmore\n```\n\nafter\n"


def test_unpaired_strikethrough_is_literal():
    assert text("~~struck~~ and ~~ alone\n") == "~~struck~~ and \\~\\~ alone\n"


def test_docmost_two_space_nesting_under_ordered_items_is_reindented():
    source = gallery_page("Lists (nested 3 deep)")
    rendered = text(source, title="Lists (nested 3 deep)")
    assert "1. First\n   1. Second level\n      1. Third level one\n      2. Third level two\n2. Second\n" in rendered
    assert "  1. one\n  2. two\n     - [x] task inside ordered inside bullet\n" in rendered
    assert "- Level 1 item A\n  - Level 2 item\n    - Level 3 item x\n" in rendered  # bullets were already right
    assert "  ```python\n  print('inside a list')\n  ```\n" in rendered


def test_fenced_code_inside_a_reindented_item_moves_with_it():
    source = "1. step\n  ```bash\n    indented {x}\n  ```\n2. next\n"
    assert text(source) == "1. step\n   ```bash\n     indented {x}\n   ```\n2. next\n"


def test_html_links_to_pages_become_markdown_links_and_images_require_the_file():
    resolver = RecordingResolver(
        {
            "Other%20Page.md": LinkTarget("other-page.md", "doc"),
            "files/01/a b.png": LinkTarget("../assets/a b.png", "attachment"),
        }
    )
    source = (
        '<table><tr><td><p>see <a href="Other%20Page.md">the <strong>other</strong> page</a></p>'
        '<img src="files/01/a b.png" alt="pic"></td></tr></table>\n\n'
        'Inline <a href="Other%20Page.md">other {page}</a> and <a href="https://example.com" target="_blank">ext</a>.\n'
    )
    assert text(source, resolver=resolver) == (
        '<table><tr><td><p>{"see "}[the <strong>other</strong> page](other-page.md)</p>'
        '<img src={require("../assets/a b.png").default} alt="pic" /></td></tr></table>\n\n'
        'Inline [other \\{page\\}](other-page.md) and <a href="https://example.com" target="_blank">ext</a>.\n'
    )
    assert resolver.calls == ["Other%20Page.md", "files/01/a b.png", "Other%20Page.md", "https://example.com"]


def test_empty_link_paragraph_is_removed_but_list_items_keep_their_marker():
    assert text("## PDF\n\n[]()\n\n## Video\n\n- []()\n- b\n") == "## PDF\n\n## Video\n\n- \n- b\n"


# ---- delimiter runs next to other constructs (fuzz regressions) -----------------------------------------------
# ``fragments_join`` merges a run of text tokens into its last token after the scan; a literal ``~``/``~~``/``=``
# token that ended such a run used to be measured with the merged text, so its escapes (and a following <mark>)
# landed on the wrong characters, overlapping the edits after them.


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("(a<b~~~\n==hi==", "(a\\<b\\~\\~\\~\n<mark>hi</mark>\n"),
        ("|_~~</details> - ", "|_\\~\\~\\</details> - \n"),
        ("[ref]:atext ~~<br>", "[ref]\\:atext \\~\\~<br />\n"),
        ("{#id}~~~~~\n-=<u>1. (", "\\{#id\\}\\~\\~\\~\\~\\~\n-=\\<u>1. (\n"),
        ("a ~~", "a \\~\\~\n"),  # used to gain a trailing backslash
        ("x ~~~y~~ z", "x \\~~~y~~ z\n"),  # only the lone tilde is literal
        ("a ===b==", "a =<mark>b</mark>\n"),
        ("x ====hi== {#id} y", "x ==<mark>hi</mark> \\{#id\\} y\n"),
    ],
)
def test_delimiter_runs_after_text_escape_only_their_own_characters(source, expected):
    assert text(source) == expected


_FUZZ_FRAGMENTS = [
    "[a](b)", "[x y](../p%20q.md)", "![img](files/1/a b.png)", "![](x)", "[](y)", "[ref]", "[ref]: http://r\n", "<br>",
    "<b>", "</b>", '<a href="x">', "</a>", '<img src="files/2/z.png">', "<details>", "</details>", "<summary>",
    "<!-- c -->", "$x$", "$$", "$\\\\frac{a}{b}$", "$a &lt; b$", "~~", "~", "==", "=", "{", "}", ":a", ": ", "import ",
    "export", "importer", "\n", "\n\n", "| a | b |\n| --- | --- |\n", "| c | d | e |\n", "|", "-", " - ", "1. ",
    "  1. ", "  - ", "`", "```\n", "~~~\n", "*", "**", "_", "\\", "\\{", "&amp;", "&#123;", "<http://x.y/z>", "<a@b.c>",
    "[^1]", "[^1]: note\n", ":::info\n", ":::warning\n", ":::\n", "# ", "## ", "    code\n", "> ", "www.ex.com/{a}",
    "https://ex.com/a:b", "word", "text ", " ", "  ", "\t", "{#id}", "| --- |", "<", ">", "!", "[", "]", "(", ")",
    "a<b", "1<2", "<>", "$5", "x:y", "http://a.b", "Title", "# Title\n\n", "- [ ] task", "<u>", "</u>", "<sup>",
    "==hi==", "~~s~~", "<![", "<![CDATA[x]]>", "<div>\n", "</div>\n",
]


def test_random_fragment_soup_never_breaks_the_edit_plan():
    """3,000 seeded random pages from the fuzzing building blocks: every one renders (no overlapping edits)."""
    import random

    rng = random.Random(20261122)
    for _ in range(3000):
        source = "".join(rng.choice(_FUZZ_FRAGMENTS) for _ in range(rng.randint(1, 40)))
        try:
            render(source, title=rng.choice([None, "Title", "word", ""]))
        except Exception as error:  # pragma: no cover - the failure message names the input
            raise AssertionError(f"render_body failed on {source!r}: {error}") from error


def test_marked_section_lookalikes_inside_html_stay_text():
    # html.parser asserts on "<![" that opens no CDATA section; the characters are prose and must stay visible.
    assert text("<div>\n<![img](x.png)\n</div>") == '<div>{"\\u003c!["}{"img](x.png)\\n"}</div>\n'
    assert text("<div><![foo]></div>") == '<div>{"\\u003c!["}{"foo]\\u003e"}</div>\n'


# ---- warnings docs/conversion.md promises for the conversion report ---------------------------------------------------


def test_elements_an_html_block_leaves_open_are_closed_at_the_end_and_reported():
    rendered = render("<details>\n<summary>S</summary>\n\nbody\n")
    assert rendered.text == '<details><summary>{"S"}</summary>\n\nbody\n\n</details>\n'
    assert rendered.warnings == [
        ("unbalanced_html", "closed HTML elements left open at the end of the page: </details>")
    ]


def test_link_without_text_but_with_a_target_is_removed_and_reported():
    rendered = render("[](files/x.pdf) and text\n\n[](files/y.pdf)\n")
    assert rendered.text == " and text\n"
    assert rendered.warnings == [
        ("empty_link", "link without text to 'files/x.pdf' removed"),
        ("empty_link", "link without text to 'files/y.pdf' removed"),
    ]


def test_html_src_to_nothing_is_dropped_and_reported():
    resolver = RecordingResolver({"gone.png": LinkTarget(None, "unresolved")})
    rendered = render('<img src="gone.png" alt="x">\n', resolver=resolver)
    assert rendered.text == '<img alt="x" />\n'
    assert rendered.warnings == [("dropped_html", "src='gone.png' on <img> removed (target not found)")]


# ---- description: the first prose paragraph as plain text ------------------------------------------------------


def description(markdown: str, title: str | None = "Page", **kwargs) -> str | None:
    return render(markdown, title=title, **kwargs).description


def test_description_shows_the_characters_the_body_had_to_escape():
    rendered = render("# Page\n\nTemplate {token} and a < b cost $5.\n", title="Page")
    assert rendered.text == "Template \\{token\\} and a \\< b cost \\$5.\n"
    assert rendered.description == "Template {token} and a < b cost $5."


def test_description_of_an_import_line_is_the_word_not_its_character_reference():
    rendered = render("# Page\n\nimport React from 'react'\nexport default x\n", title="Page")
    assert rendered.text == "&#105;mport React from 'react'\n&#101;xport default x\n"
    assert rendered.description == "import React from 'react' export default x"


def test_description_keeps_what_the_exporter_escaped_as_the_reader_sees_it():
    assert description("# Page\n\n\\${var}, &lt;div&gt;, \\*not emphasis\\*, C:\\\\Users and &amp;.\n") == \
        "${var}, <div>, *not emphasis*, C:\\Users and &."


def test_description_keeps_link_labels_and_drops_urls():
    resolver = RecordingResolver({"Gone.md": LinkTarget(None, "unresolved")})
    assert description("# Page\n\nSee [the guide](guide.md \"t\"), [gone](Gone.md), <https://example.com/a_b> and "
                       "<ops@example.com>.\n", resolver=resolver) == \
        "See the guide, gone, https://example.com/a_b and ops@example.com."


def test_description_keeps_inline_code_without_backticks_and_drops_emphasis_markers():
    assert description("# Page\n\nRun `make {x}` with **bold**, _em_, ~~struck~~ and ==marked== words.\n") == \
        "Run make {x} with bold, em, struck and marked words."


def test_description_collapses_line_breaks_and_whitespace():
    assert description("# Page\n\nline one\nline two  \nline\u00a0three<br>four\\\nfive\n") == \
        "line one line two line three four five"


def test_description_skips_headings_code_tables_html_math_images_and_footnotes():
    source = (
        "# Page\n\n## A heading {x}\n\n```js\nconst a = {x};\n```\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n"
        "<div>HTML block</div>\n\n$$\nx^2\n$$\n\n![only an image](files/a.png)\n\n$x$\n\n"
        "Prose[^1] after ![inline](x.png) all that.\n\n[^1]: A footnote.\n"
    )
    assert description(source) == "Prose after all that."


def test_description_comes_from_lists_and_quotes_when_they_come_first():
    assert description("# Page\n\n- first *item*\n- second\n") == "first item"
    assert description("# Page\n\n> quoted {x}\n") == "quoted {x}"


def test_description_takes_callout_text_only_when_there_is_no_other_prose():
    """Decision: a callout is an aside (a warning, a note), not the page's summary."""
    assert description("# Page\n\n:::warning\nDeprecated {soon}.\n:::\n\nThe real intro.\n") == "The real intro."
    assert description("# Page\n\n:::info\nOnly a **callout** here.\n:::\n\n```\ncode\n```\n") == \
        "Only a callout here."


def test_description_of_hangul_prose():
    assert description("# 한글\n\n머메이드 다이어그램은 {중괄호}와 <꺾쇠>를 그대로 보여 줍니다.\n", title="한글") == \
        "머메이드 다이어그램은 {중괄호}와 <꺾쇠>를 그대로 보여 줍니다."


@pytest.mark.parametrize("body", [
    "| a {x} | b |\n| --- | --- |\n| 1 | 2 |\n",
    "```python\nprint('{x}')\n```\n",
    "![diagram](files/a.png)\n",
    "<p>Paragraph in HTML</p>\n",
    "$$\n\\frac{a}{b}\n$$\n",
])
def test_description_is_empty_when_the_body_has_no_prose(body):
    # Empty, not absent: without it Docusaurus describes the page with the first line of the MDX source.
    rendered = render("# Page\n\n" + body, title="Page")
    assert rendered.text.strip()
    assert rendered.description == ""


def test_description_is_absent_when_the_body_is_empty():
    assert render("# Page\n", title="Page").description is None
    assert render("", title="Page").description is None


WORDS = "Docmost keeps the team's knowledge in one place, and this paragraph keeps going {on} and on"


@pytest.mark.parametrize("prefix, expected_end", [
    # 159 characters end exactly before a space: the whole word stays, then "…" (160 in all).
    ("", ", and this paragraph…"),
    # One character more: "paragraph" would be cut inside, so the cut backs off to the space before it.
    ("A ", ", and this…"),
])
def test_long_description_is_cut_at_a_word_boundary(prefix, expected_end):
    paragraph = f"{prefix}{WORDS} {WORDS} {WORDS}."
    cut = description(f"# Page\n\n{paragraph}\n")
    assert len(cut) <= 160 and cut.endswith(expected_end)
    kept = cut[:-1]
    assert paragraph.startswith(kept) and paragraph[len(kept)] == " "


def test_description_cut_drops_the_punctuation_it_ends_on():
    assert description("# Page\n\n" + "word, " * 40 + "\n") == "word, " * 25 + "word…"  # not "word,…"


def test_short_description_is_not_cut():
    paragraph = "x" * 160
    assert description(f"# Page\n\n{paragraph}\n") == paragraph


def test_long_hangul_description_is_cut_between_words():
    sentence = "한글 문서의 첫 문단이 아주 길게 이어집니다"
    cut = description("# 한글\n\n" + " ".join([sentence] * 12) + "\n", title="한글")
    assert len(cut) <= 160 and cut.endswith("…")
    assert (" ".join([sentence] * 12))[len(cut) - 1] == " "


def test_description_without_spaces_is_cut_at_the_limit():
    cut = description("# Page\n\n" + "日本語の文章" * 40 + "\n")
    assert cut == ("日本語の文章" * 40)[:159] + "…"


def test_description_of_the_recorded_hostile_prose_page():
    rendered = render(gallery_page("MDX-hostile Prose"), title="MDX-hostile Prose")
    assert rendered.description == "Each paragraph below is plain text (no marks) that is hostile to MDX/JSX parsers."


def test_description_keeps_inline_math_as_the_tex_the_author_typed():
    # The exporter doubles backslashes and writes &lt; inside math; the body repairs that, and so does the text.
    assert description("# Page\n\nInline $\\\\frac{a_{i}}{b}$ and $a &lt; b$ here.\n") == \
        "Inline \\frac{a_{i}}{b} and a < b here."


@pytest.mark.parametrize("paragraph, expected", [
    ("Plain words: nothing to parse.", "Plain words: nothing to parse."),  # taken as written
    ("A \\*star\\* &amp; **bold** `code`.", "A *star* & bold code."),  # no edit needed: parsed for the text
    ("A \\*star\\* &amp; **bold** `code` {x}.", "A *star* & bold code {x}."),  # the renderer's own scan reused
])
def test_description_is_the_same_whichever_way_the_paragraph_was_read(paragraph, expected):
    assert description(f"# Page\n\n{paragraph}\n") == expected


def test_description_of_a_task_list_leaves_the_checkbox_out():
    # remark-gfm shows `[ ]`/`[x]` at the start of a list item as a checkbox, not as text.
    assert description("# Page\n\n- [ ] open {task}\n- [x] done\n") == "open {task}"
    assert description("# Page\n\n1. [X] **Done** first\n") == "Done first"
    assert description("# Page\n\n[x] is not a checkbox outside a list.\n") == "[x] is not a checkbox outside a list."
