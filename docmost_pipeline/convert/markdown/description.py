"""The page's ``description``: the plain text a reader sees in its first prose paragraph, shortened for search
snippets. Also the reader's text of one inline run (``reader_text``), which the renderer uses to compare headings."""

from __future__ import annotations

import re
from typing import Any

from markdown_it.token import Token

from docmost_pipeline.convert.markdown.parsing import parser
from docmost_pipeline.convert.math import repair_tex

# Longest ``description`` written, "…" included. Docusaurus itself never cuts its excerpt, and Google sets no limit
# but cuts snippets to the device width (about 155-160 characters on desktop), so a longer text would be cut again
# by the search engine, mid-word.
DESCRIPTION_MAX_CHARS = 160
# A cut backs off to the last space only when that keeps at least this share of the limit; text without spaces
# (Chinese, Japanese, long URLs) is cut at the limit instead.
_DESCRIPTION_MIN_WORD_CUT = DESCRIPTION_MAX_CHARS // 2
# Inline text without these characters is plain text as CommonMark reads it (no markup, escapes or entities).
_INLINE_MARKUP = re.compile(r"[\\`*_\[\]<&$=~]")
_TASK_CHECKBOX = re.compile(r"\[[ xX]\]\s")  # remark-gfm's task list item marker


def reader_text(children: list[Token]) -> tuple[str, bool]:
    """(text a reader sees in one parsed inline run, whether any of it is prose): emphasis and link markup
    gone (labels kept), inline code without backticks, images, footnote markers and HTML tags dropped. Inline
    math is kept as its TeX (the closest text to the rendered formula) but does not count as prose on its own."""
    parts = []
    prose = False
    for child in children:
        kind = child.type
        if kind in ("text", "text_special", "code_inline"):  # text_special: escapes, entities (before text_join)
            parts.append(child.content)
            prose = prose or bool(child.content.strip())
        elif kind in ("math_inline", "math_inline_double"):
            parts.append(repair_tex(child.content, inline=True))  # the TeX as typed, as the body keeps it
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kind == "html_inline" and child.content[:3].lower() == "<br":
            parts.append(" ")
    return "".join(parts), prose


def shorten_description(text: str, limit: int = DESCRIPTION_MAX_CHARS) -> str:
    """``text`` with whitespace collapsed, cut at a word boundary to at most ``limit`` characters ("…" included)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " ":
        space = cut.rfind(" ")
        if space >= _DESCRIPTION_MIN_WORD_CUT:
            cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


class Description:
    """The page's description, found while the renderer walks the block tokens: the plain text of the first
    paragraph with prose in it. Paragraphs in lists and quotes count; headings, code, tables, HTML blocks, math
    blocks, footnotes and image-only paragraphs do not (they are no paragraphs, or hold no prose). A callout is an
    aside (a warning, a note), so its text is used only when the page has no prose outside callouts.

    ``result`` is ``""`` when the page has no prose: Docusaurus would otherwise describe the page with the first
    line of the MDX source (a table row, an HTML block's ``{"text"}``, escapes and all); an empty description makes
    it write none, as it does for an empty page."""

    def __init__(self, env: dict[str, Any]) -> None:
        self.env = env
        self.callouts = 0
        self.footnotes = 0
        self.text: str | None = None
        self.callout_text: str | None = None

    def track(self, kind: str) -> None:
        if kind == "container_callout_open":
            self.callouts += 1
        elif kind == "container_callout_close":
            self.callouts -= 1
        elif kind == "footnote_block_open":
            self.footnotes += 1
        elif kind == "footnote_block_close":
            self.footnotes -= 1

    def wants_paragraph(self) -> bool:
        return self.text is None and not self.footnotes and not (self.callouts and self.callout_text is not None)

    def offer(self, content: str, children: list[Token], *, first_in_item: bool = False) -> None:
        """One paragraph's inline content and its inline tokens (empty when the renderer did not scan it);
        ``first_in_item``: the paragraph opens a list item, where ``[ ]``/``[x]`` is a task checkbox (remark-gfm)."""
        if not children:
            if not _INLINE_MARKUP.search(content):
                children = [Token("text", "", 0, content=content)]  # nothing to parse: the text is the source
            else:
                children = parser().parseInline(content, dict(self.env))[0].children or []
        text, prose = reader_text(children)
        if first_in_item and _TASK_CHECKBOX.match(text):
            text = text[3:]
            prose = prose and bool(text.strip())
        if not prose:
            return
        if self.callouts:
            self.callout_text = shorten_description(text)
        else:
            self.text = shorten_description(text)

    def result(self) -> str:
        return self.text if self.text is not None else self.callout_text or ""
