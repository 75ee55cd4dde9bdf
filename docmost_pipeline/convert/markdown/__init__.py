"""Body rendering: one Docmost-exported Markdown page -> Docusaurus 3 MDX that renders like the original.

The page is parsed with markdown-it-py (CommonMark + GFM tables/strikethrough, footnotes, ``$`` math,
``:::`` callouts, ``==mark==``) and the *source* is edited at the positions the parser reports, instead of
re-rendering: code spans and fenced code are never touched and everything not listed in the modules stays
byte-identical. The entry point is ``render_body``; the work is split by job:

* ``parsing``: the parser configuration and the inline scan that records each construct's source span;
* ``repairs``: pre-passes for Docmost's nested-list indentation and malformed merged-cell tables;
* ``renderer``: block level (``Token.map`` line ranges): callouts, HTML blocks, ``$$`` math, tables, indented
  code, the title line; ``inline``: the edits inside one inline run (links, images, HTML, math, mark, escaping);
* ``description``: the page's plain-text description; ``source``: the page's lines and pipe-table rows.
"""

from docmost_pipeline.convert.markdown.description import DESCRIPTION_MAX_CHARS, shorten_description
from docmost_pipeline.convert.markdown.renderer import (
    CALLOUT_ADMONITIONS,
    FALLBACK_ADMONITION,
    RenderedBody,
    render_body,
)

__all__ = [
    "CALLOUT_ADMONITIONS",
    "DESCRIPTION_MAX_CHARS",
    "FALLBACK_ADMONITION",
    "RenderedBody",
    "render_body",
    "shorten_description",
]
