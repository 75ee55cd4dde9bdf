"""render_body finds every inline run in the source, also where markdown-it's text differs from the source's.

markdown-it turns a tab that straddles a list item's indentation into spaces, reads NUL as U+FFFD and trims
Unicode whitespace (NBSP) off a paragraph, whole lines included. The renderer used to give up on such a paragraph
("unmapped_block") and leave it unescaped, so ``{x}`` reached MDX as a JavaScript expression and broke the build.
"""

from __future__ import annotations

import random

import pytest

from docmost_pipeline.convert.links import LinkTarget
from docmost_pipeline.convert.markdown import render_body


def resolve(destination: str) -> LinkTarget:
    return LinkTarget("target.md", "doc") if destination == "Other%20Page.md" else LinkTarget(destination, "external")


def render(markdown: str):
    return render_body(markdown, resolve_link=resolve)


@pytest.mark.parametrize(
    "source,expected",
    [
        # A tab continuing a list item: markdown-it's line is "  b {x}", the source's "\tb {x}".
        ("- a\n\tb {x}\n", "- a\n\tb \\{x\\}\n"),
        ("1. a\n\tb {x}\n", "1. a\n\tb \\{x\\}\n"),
        ("- a\n\t\tb {x}\n", "- a\n\t\tb \\{x\\}\n"),
        ("- a\n \tb {x}\n", "- a\n \tb \\{x\\}\n"),
        # Virtual spaces followed by real ones, and edits on both sides of them.
        ("- a {y}\n\t  **b** {x} [o](Other%20Page.md)\n", "- a \\{y\\}\n\t  **b** \\{x\\} [o](target.md)\n"),
        ("> - a\n>\tb {x}\n", "> - a\n>\tb \\{x\\}\n"),
        ("1. x\n   - a\n\t b {x}\n", "1. x\n   - a\n\t b \\{x\\}\n"),
        # Lines markdown-it trims away whole (NBSP only), before the text and inside a quote or list.
        ("\u00a0\nb {x}\n", "\u00a0\nb \\{x\\}\n"),
        ("\u00a0\n\u3000\nb {x}\nc {y}\n", "\u00a0\n\u3000\nb \\{x\\}\nc \\{y\\}\n"),
        ("> \u00a0\n> b {x}\n", "> \u00a0\n> b \\{x\\}\n"),
        ("- a\n\n  \u00a0\n  b {x}\n", "- a\n\n  \u00a0\n  b \\{x\\}\n"),
        ("a {x}  \u00a0\n", "a \\{x\\}  \u00a0\n"),
        # NUL, which markdown-it reads as U+FFFD.
        ("a\x00b {x}\n", "a\x00b \\{x\\}\n"),
        ("- a\n\t\x00b {x}\n", "- a\n\t\x00b \\{x\\}\n"),
        # Carriage returns and lazy blockquote continuation.
        ("a\r\nb {x}\r\n", "a\nb \\{x\\}\n"),
        ("> a\nb {x}\n", "> a\nb \\{x\\}\n"),
    ],
)
def test_hard_to_map_paragraphs_are_escaped_in_place(source, expected):
    rendered = render(source)
    assert rendered.text == expected
    assert rendered.warnings == []


WHITESPACE_FRAGMENTS = [
    ">", "> ", " ", "  ", "   ", "    ", "\t", "\t", "- ", "-\t", "1. ", "* ", "a", "b c", "{x}", "\n", "\n", "\n\n",
    "\u00a0", "\u3000", "\u2003", "\x00", "\r", "\r\n", "*", "**", "`", "[o](Other%20Page.md)", "## ", "===", "|",
    "$", "==", "[^1]: ", "\\", "<b>", ":::note\n", ":::\n", "```\n",
]


def test_whitespace_soup_always_maps():
    """4,000 seeded pages of tabs, NBSP, NUL and container markers: none fails to map and none warns about it."""
    rng = random.Random(20261123)
    for _ in range(4000):
        source = "".join(rng.choice(WHITESPACE_FRAGMENTS) for _ in range(rng.randint(2, 40)))
        try:
            rendered = render(source)
        except Exception as error:  # pragma: no cover - the failure message names the input
            raise AssertionError(f"render_body failed on {source!r}: {error}") from error
        assert "unmapped_block" not in {kind for kind, _ in rendered.warnings}, source
