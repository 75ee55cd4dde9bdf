"""Inline rendering: the edits that make one inline run (a paragraph's, a heading's, a table cell's text) MDX-safe.

Each construct the scan found is handled where it is: links and images get their destination from
``resolve_link``, autolinks become ordinary links, inline HTML becomes JSX (or literal text when unbalanced),
``$…$`` math is repaired, ``==x==`` becomes ``<mark>``; the plain text between constructs is escaped for MDX
(``convert.escape``). Edits are offsets into the run; the block renderer maps them onto the page source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from markdown_it.helpers import parseLinkDestination
from markdown_it.token import Token

from docmost_pipeline.convert.escape import (
    Edit,
    autolink_edits,
    autolink_runs,
    encode_href,
    escape_literal,
    escape_text,
    text_edits,
)
from docmost_pipeline.convert.html import MarkdownLink, html_to_jsx, js_string, parse_single_tag
from docmost_pipeline.convert.links import LinkTarget
from docmost_pipeline.convert.markdown.parsing import Span, nest, parser, scan
from docmost_pipeline.convert.math import repair_tex

# Inline content without a match can get no edit from ``inline_edits``: every edit starts at one of these:
# ``[`` (links, images, footnote references), ``<`` (autolinks, inline HTML, escaping), ``=`` (mark), ``$``
# (math, escaping), ``~`` (strikethrough, escaping), ``{`` ``}`` and ``:`` before an ASCII letter (escaping,
# ``escape._CANDIDATE``) and, in flow text only, ``import``/``export`` (ESM guard).
_INLINE_EDIT_TRIGGER = re.compile(r"[\[<=$~{}]|:[A-Za-z]")
_FLOW_EDIT_TRIGGER = re.compile(r"[\[<=$~{}]|:[A-Za-z]|import|export")


def _plain_label(label: str) -> str:
    """A link label as text: Markdown backslash escapes removed (the exporter escapes ``_``, ``-`` and the like)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", label).strip()


class InlineRenderer:
    """Inline edits for one page: the page's link resolution, parser env and warnings (the block renderer,
    ``renderer._BodyRenderer``, extends it with the page's blocks)."""

    def __init__(self, resolve_link: Callable[[str], LinkTarget]) -> None:
        self.resolve_link = resolve_link
        self.md = parser(blocks_only=True)
        self.warnings: list[tuple[str, str]] = []
        self.env: dict[str, Any] = {}
        # Inline tokens of every run ``_scan`` parsed, by content: the description reuses a paragraph's instead of
        # parsing it again.
        self._scanned: dict[str, list[Token]] = {}

    def warn(self, kind: str, message: str) -> None:
        self.warnings.append((kind, message))

    def _scan(self, content: str) -> list[Span]:
        spans, tokens = scan(self.md, content, self.env)
        self._scanned[content] = tokens
        return spans

    def inline_edits(self, content: str, *, flow: bool, autolinks: bool = True) -> list[Edit]:
        """Edits (offsets into ``content``) that make one inline run MDX-safe (``autolinks``: False in image alt
        text, where GFM makes no autolink)."""
        if not (_FLOW_EDIT_TRIGGER if flow else _INLINE_EDIT_TRIGGER).search(content):
            return []
        return self._range_edits(content, 0, len(content), nest(self._scan(content)), flow, autolinks)

    def _range_edits(
        self, content: str, start: int, end: int, nodes: list[Span], flow: bool, autolinks: bool = True
    ) -> list[Edit]:
        edits: list[Edit] = []
        html_plan = self._plan_inline_html(content, [node for node in nodes if node.name == "html_inline"])
        gaps = []
        cursor = start
        for node in nodes:
            gaps.append((cursor, node.start))
            edits.extend(text_edits(content, cursor, node.start, line_starts=flow))
            edits.extend(self._node_edits(content, node, flow, html_plan))
            cursor = node.end
        gaps.append((cursor, end))
        edits.extend(text_edits(content, cursor, end, line_starts=flow))
        if not autolinks:
            return edits
        # remark-gfm reads a bare URL raw, across what markdown-it took for escapes, entities or emphasis.
        link_edits, verbatim = autolink_edits(content, autolink_runs(content, gaps))
        if not link_edits and not verbatim:
            return edits
        kept = [edit for edit in edits if not any(s <= edit[0] < e for s, e in verbatim)]
        return kept + link_edits

    def _node_edits(self, content: str, node: Span, flow: bool, html_plan: dict[int, str]) -> list[Edit]:
        name = node.name
        if name == "link":
            return self._link_edits(content, node, flow)
        if name == "image":
            return self._image_edits(content, node)
        if name == "autolink":
            return self._autolink_edits(content, node)
        if name == "html_inline":
            replacement = html_plan.get(id(node))
            return [] if replacement is None else [(node.start, node.end, replacement)]
        if name == "math_inline":
            dollars = len(content[node.start : node.end]) - len(content[node.start : node.end].lstrip("$"))
            inner_start, inner_end = node.start + dollars, node.end - dollars
            tex = content[inner_start:inner_end]
            repaired = repair_tex(tex, inline=True)
            return [] if repaired == tex else [(inner_start, inner_end, repaired)]
        if name in ("strikethrough", "mark"):
            return self._delimiter_edits(node)
        return []  # escapes, code spans, entities, emphasis, breaks, footnote references: verbatim

    def _delimiter_edits(self, node: Span) -> list[Edit]:
        edits = []
        offset = node.start
        for token, length in zip(node.tokens, node.widths, strict=True):
            if token.type == "mark_open":
                edits.append((offset, offset + length, "<mark>"))
            elif token.type == "mark_close":
                edits.append((offset, offset + length, "</mark>"))
            elif token.type == "text" and node.name == "strikethrough":
                edits.extend((offset + i, offset + i, "\\") for i in range(length))
            offset += length
        return edits

    def _destination(self, content: str, start: int, end: int) -> tuple[int, int, str]:
        position = start
        while position < end and content[position] in " \t\n":
            position += 1
        result = parseLinkDestination(content, position, end)
        if not result.ok or result.pos <= position:
            return position, position, ""
        raw = content[position : result.pos]
        if raw.startswith("<") and raw.endswith(">"):
            raw = raw[1:-1]
        return position, result.pos, raw

    def _link_edits(self, content: str, node: Span, flow: bool) -> list[Edit]:
        label_start, label_end = node.start + 1, node.label_end
        if label_end is None:
            return self._range_edits(content, node.start, node.end, node.children, flow)
        label_edits = self._range_edits(content, label_start, label_end, node.children, flow, autolinks=False)
        after = label_end + 1
        if after >= node.end or content[after] != "(":
            return label_edits  # reference link: its definition stays as written
        dest_start, dest_end, raw = self._destination(content, after + 1, node.end)
        target = self.resolve_link(raw)
        label_empty = not content[label_start:label_end].strip()
        if label_empty:
            if target.href is not None:
                self.warn("empty_link", f"link without text to {raw!r} removed")
            return [(node.start, node.end, "")]
        if target.href is None:
            return [(node.start, label_start, ""), *label_edits, (label_end, node.end, "")]
        label = _plain_label(content[label_start:label_end])
        if target.title and label != target.title and label in target.placeholders:
            label_edits = [(label_start, label_end, escape_literal(target.title))]
        return [*label_edits, (dest_start, dest_end, encode_href(target.href))]

    def _image_edits(self, content: str, node: Span) -> list[Edit]:
        label_start, label_end = node.start + 2, node.label_end
        if label_end is None:
            return []
        alt = content[label_start:label_end]
        alt_edits = [
            (s + label_start, e + label_start, r) for s, e, r in self.inline_edits(alt, flow=False, autolinks=False)
        ]
        after = label_end + 1
        if after >= node.end or content[after] != "(":
            return alt_edits
        dest_start, dest_end, raw = self._destination(content, after + 1, node.end)
        target = self.resolve_link(raw)
        if target.href is None:
            return [(node.start, label_start, ""), *alt_edits, (label_end, node.end, "")]
        return [*alt_edits, (dest_start, dest_end, encode_href(target.href))]

    def _autolink_edits(self, content: str, node: Span) -> list[Edit]:
        raw = content[node.start + 1 : node.end - 1]
        if "@" in raw and ":" not in raw:
            href: str | None = "mailto:" + raw
        else:
            href = self.resolve_link(raw).href
        label = escape_literal(raw)
        replacement = f"[{label}]({encode_href(href)})" if href is not None else label
        return [(node.start, node.end, replacement)]

    def _plan_inline_html(self, content: str, nodes: list[Span]) -> dict[int, str]:
        """JSX for balanced inline tags, literal text for the rest (MDX rejects unclosed inline tags)."""
        plan: dict[int, str] = {}
        open_tags: list[tuple[str, Span]] = []

        def literal(node: Span) -> str:
            return escape_text(content[node.start : node.end])

        closers: dict[int, str] = {}

        def jsx(node: Span, closer: Span | None = None) -> str:
            result = html_to_jsx(
                content[node.start : node.end], resolve=self._resolve_html_attribute, stack=[], close_links=False
            )
            self.warnings.extend(result.warnings)
            if closer is not None and result.pending_link is not None:
                closers[id(closer)] = "](" + result.pending_link + ")"
            return result.jsx

        for node in nodes:
            kind, tag = parse_single_tag(content[node.start : node.end])
            if kind == "comment":
                plan[id(node)] = ""
            elif kind == "void":
                plan[id(node)] = jsx(node)
            elif kind == "open":
                open_tags.append((tag or "", node))
            elif kind == "close" and open_tags and open_tags[-1][0] == tag:
                _, opener = open_tags.pop()
                plan[id(opener)] = jsx(opener, node)
                plan[id(node)] = closers.get(id(node), f"</{tag}>")
            else:
                plan[id(node)] = literal(node)
        for _, opener in open_tags:
            plan[id(opener)] = literal(opener)
        return plan

    def _resolve_html_attribute(self, tag: str, attribute: str, value: str) -> str | MarkdownLink | None:
        target = self.resolve_link(value)
        if target.href is None:
            self.warn("dropped_html", f"{attribute}={value!r} on <{tag}> removed (target not found)")
            return None
        href = target.href
        if tag == "a" and target.kind in ("doc", "attachment") and "://" not in href:
            return MarkdownLink(encode_href(href))
        if tag == "img" and attribute == "src" and target.kind == "attachment" and "://" not in href and not href.startswith("/"):
            # Docusaurus only bundles Markdown images; a JSX <img> needs require() to get the file.
            path = unquote(href)
            if not path.startswith("."):
                path = "./" + path
            return "{require(" + js_string(path) + ").default}"
        return href
