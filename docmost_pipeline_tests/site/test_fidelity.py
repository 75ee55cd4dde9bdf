"""The fidelity measure itself (fidelity.py): what counts as a prose line, how Markdown is stripped, what text the
built HTML offers, and that a line missing from the page is a miss (so the 98% test can fail)."""

from __future__ import annotations

from docmost_pipeline_tests.site.fidelity import ArticleText, found_in, prose_lines, strip_markdown

SOURCE = """# A page title that is long enough

Plain prose with a [link label](other.md) and **bold** and _italic_ words.

```python
print("code is never a prose line, however long it is")
```

$$
\\frac{a}{b} + display math that is not prose either
$$

| First cell with enough text | short |
| --- | --- |
| Second row cell long enough | x |

:::info
Inside an admonition the text still counts.
:::

short line
"""


def test_prose_lines_skip_code_math_short_lines_and_split_tables():
    lines = [" ".join(pieces) for _, pieces in prose_lines(SOURCE)]
    assert lines == [
        "A page title that is long enough",
        "Plain prose with a link label and bold and italic words.",
        "First cell with enough text",
        "Second row cell long enough",
        "Inside an admonition the text still counts.",
    ]


def test_markdown_is_stripped_as_a_reader_sees_it():
    assert strip_markdown(r"Escaped \*stars\* and \`ticks\` and `code \* kept`") == \
        ["Escaped *stars* and `ticks` and code \\* kept"]
    assert strip_markdown("Footnote here[^1] and an ![image](x.png) gone") == ["Footnote here1 and an gone"]
    assert strip_markdown("Math $x^2$ splits the line") == ["Math", "splits the line"]
    assert strip_markdown("- [ ] A task with <https://example.com/x> inside") == ["A task with https://example.com/x inside"]
    assert strip_markdown("intra_word_underscores and と_斜体_。 stay") == ["intra_word_underscores and と_斜体_。 stay"]


def test_article_text_ignores_navigation_scripts_and_mathml():
    page = (
        "<nav>Sidebar entry text</nav><article><h1>Title<a class='hash-link'>\u200b</a></h1>"
        "<p>First <strong>bold</strong> part</p><p>second&nbsp;para</p>"
        "<span class='katex'><span class='katex-mathml'><math><annotation>x^2</annotation></math></span>"
        "<span class='katex-html'>x2</span></span><script>var hidden = 1;</script><br/>tail</article>"
        "<footer>Footer text</footer>"
    )
    text = ArticleText.of(page)
    assert text == "Title First bold part second para x2 tail"


def test_a_line_absent_from_the_page_is_a_miss():
    text = ArticleText.of("<article><p>The quick brown fox jumps over the lazy dog.</p></article>")
    assert found_in(["The quick brown fox jumps over the lazy dog."], text)
    assert not found_in(["The quick brown fox jumps over the lazy cat."], text)
    assert not found_in(["The quick brown fox", "missing second piece"], text)
    # A typed `&copy;` may legitimately render either way.
    assert found_in(["Copyright &copy; sign"], ArticleText.of("<article>Copyright © sign</article>"))
