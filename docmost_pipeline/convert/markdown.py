"""Body rendering: one Docmost-exported Markdown page -> Docusaurus 3 MDX that renders like the original.

The page is parsed with markdown-it-py (CommonMark + GFM tables/strikethrough, footnotes, ``$`` math,
``:::`` callouts, ``==mark==``) and the *source* is edited at the positions the parser reports, instead of
re-rendering: code spans and fenced code are never touched and everything not listed below stays byte-identical.

* Block level (``Token.map`` line ranges): callout markers are mapped onto Docusaurus admonitions
  (``CALLOUT_ADMONITIONS``), raw HTML blocks become JSX (``convert.html``), ``$$`` math is repaired
  (``convert.math``), pipe tables are re-emitted with every row's cells (the exporter's malformed merged-cell
  table is repaired first), indented code becomes fenced code (MDX has no indented code), and the leading
  ``# Title`` line is dropped when it repeats the page title.
* Inline level: every inline rule of the parser is wrapped to record the source span it consumed, so each
  construct is handled where it is: links and images get their destination from ``resolve_link``, autolinks
  become ordinary links, inline HTML becomes JSX (or literal text when unbalanced), ``$…$`` math is repaired,
  ``==x==`` becomes ``<mark>``; the plain text between constructs is escaped for MDX (``convert.escape``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.helpers import parseLinkDestination, parseLinkLabel
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.state_inline import Delimiter
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from docmost_pipeline.convert.escape import (
    Edit,
    apply_edits,
    autolink_edits,
    autolink_runs,
    encode_href,
    escape_literal,
    escape_text,
    text_edits,
)
from docmost_pipeline.convert.html import MarkdownLink, html_to_jsx, js_string, parse_single_tag
from docmost_pipeline.convert.links import LinkTarget
from docmost_pipeline.convert.math import looks_doubled, repair_tex
from docmost_pipeline.convert.tree import EXPORTER_DUPLICATE_SUFFIX, EXPORTER_UNTITLED

# Docmost callout type -> Docusaurus admonition type. Every Docmost 0.95 type is listed explicitly;
# anything else becomes "note" and is reported as "unknown_callout".
CALLOUT_ADMONITIONS = {
    "default": "note",
    "info": "info",
    "note": "note",
    "success": "tip",
    "warning": "warning",
    "danger": "danger",
}
FALLBACK_ADMONITION = "note"

_SPANS_KEY = "_docmost_pipeline_spans"
_STATE_KEY = "_docmost_pipeline_state"
_CALLOUT_PARAMS = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_-]*)\s*$")
_SEPARATOR_CELL = re.compile(r"^:?-+:?$")
_LIST_ITEM = re.compile(r"^([-*+]|\d{1,9}[.)])(?: |$)")
# Docusaurus' classic heading-id syntax (@docusaurus/utils parseMarkdownHeadingId).
_DOCUSAURUS_HEADING_ID = re.compile(r"\s*\{#(?:.(?!\{#|\}))*.\}$")
_ORDERED_ITEM_LINE = re.compile(r"^ *\d{1,9}[.)] ", re.MULTILINE)  # an ordered list item at any line start
# Inline content without a match can get no edit from ``inline_edits``: every edit starts at one of these:
# ``[`` (links, images, footnote references), ``<`` (autolinks, inline HTML, escaping), ``=`` (mark), ``$``
# (math, escaping), ``~`` (strikethrough, escaping), ``{`` ``}`` and ``:`` before an ASCII letter (escaping,
# ``escape._CANDIDATE``) and, in flow text only, ``import``/``export`` (ESM guard).
_INLINE_EDIT_TRIGGER = re.compile(r"[\[<=$~{}]|:[A-Za-z]")
_FLOW_EDIT_TRIGGER = re.compile(r"[\[<=$~{}]|:[A-Za-z]|import|export")
_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})")
# Inline text without these characters is plain text as CommonMark reads it (no markup, escapes or entities).
_INLINE_MARKUP = re.compile(r"[\\`*_\[\]<&$=~]")
_TASK_CHECKBOX = re.compile(r"\[[ xX]\]\s")  # remark-gfm's task list item marker
# Docmost indents every nested list level by this many spaces, whatever the parent's marker width.
_DOCMOST_LIST_INDENT = 2
# A tab reaches the next multiple of 4 columns, so at most 3 of its columns lie beyond a block's indentation.
_MAX_VIRTUAL_SPACES = 3


# Longest ``description`` written, "…" included. Docusaurus itself never cuts its excerpt, and Google sets no limit
# but cuts snippets to the device width (about 155-160 characters on desktop), so a longer text would be cut again
# by the search engine, mid-word.
DESCRIPTION_MAX_CHARS = 160
# A cut backs off to the last space only when that keeps at least this share of the limit; text without spaces
# (Chinese, Japanese, long URLs) is cut at the limit instead.
_DESCRIPTION_MIN_WORD_CUT = DESCRIPTION_MAX_CHARS // 2


@dataclass
class RenderedBody:
    """The MDX body of one page, what the renderer had to report ((kind, message) pairs) and the page's
    description: the plain text a reader sees in its first prose paragraph; ``""`` when the body has no prose,
    ``None`` when the body is empty."""

    text: str
    warnings: list[tuple[str, str]] = field(default_factory=list)
    description: str | None = None


# --------------------------------------------------------------------------------------------------------
# Parser: markdown-it with span recording
# --------------------------------------------------------------------------------------------------------


@dataclass
class _Span:
    name: str
    start: int
    end: int
    tokens: list[Token]
    label_end: int | None = None
    children: list[_Span] = field(default_factory=list)
    # Delimiter runs (strikethrough, mark): source characters each of ``tokens`` stands for, taken when the rule
    # returns. Post-processing rewrites these tokens in place (``fragments_join`` concatenates a run of adjacent
    # text tokens into the run's *last* token, so a literal ``~`` token can end up holding the text before it),
    # hence their ``content`` cannot tell where they are in the source afterwards.
    widths: list[int] = field(default_factory=list)


def _mark_tokenize(state: StateInline, silent: bool) -> bool:
    """``==highlight==`` delimiters (the markdown-it-mark rule; Docmost writes highlights this way)."""
    if silent or state.src[state.pos] != "=":
        return False
    scanned = state.scanDelims(state.pos, True)
    length = scanned.length
    if length < 2:
        return False
    if length % 2:
        token = state.push("text", "", 0)
        token.content = "="
        length -= 1
    for _ in range(0, length, 2):
        token = state.push("text", "", 0)
        token.content = "=="
        if scanned.can_open or scanned.can_close:
            state.delimiters.append(
                Delimiter(
                    marker=ord("="),
                    length=0,
                    token=len(state.tokens) - 1,
                    end=-1,
                    open=scanned.can_open,
                    close=scanned.can_close,
                )
            )
    state.pos += scanned.length
    return True


def _mark_pairs(state: StateInline, delimiters: list[Delimiter]) -> None:
    for delimiter in delimiters:
        if delimiter.marker != ord("=") or delimiter.end == -1:
            continue
        opening = state.tokens[delimiter.token]
        closing = state.tokens[delimiters[delimiter.end].token]
        opening.type, opening.tag, opening.nesting, opening.markup = "mark_open", "mark", 1, "=="
        closing.type, closing.tag, closing.nesting, closing.markup = "mark_close", "mark", -1, "=="


def _mark_post_process(state: StateInline) -> None:
    _mark_pairs(state, state.delimiters)
    for meta in state.tokens_meta:
        if meta and meta.get("delimiters"):
            _mark_pairs(state, meta["delimiters"])


def _recording_tokenize(md: MarkdownIt) -> Callable[[StateInline], None]:
    """``md.inline.tokenize`` that, during our own scans, records the source span each inline rule consumed.

    Same loop as ``ParserInline.tokenize``; for the scan's own state (``env[_STATE_KEY]``), every rule other than
    ``text`` that matches records a ``_Span`` right after it returns (so a link's nested label spans come first).
    The snapshot (start position, pending text, token count) is taken once per position: a rule that fails
    leaves ``pos``, ``tokens`` and ``pending`` as they were (the contract ``ParserInline.tokenize`` relies on).
    Every other state (silent lookahead, image alt text, ordinary parses) runs the original loop."""
    inline = md.inline
    original = inline.tokenize
    named = [(rule.name, rule.fn) for rule in inline.ruler.__rules__ if rule.enabled]
    if [fn for _, fn in named] != inline.ruler.getRules(""):
        raise RuntimeError("inline rule chain out of order")
    first_name, first_rule = named[0]
    if first_name != "text":
        raise RuntimeError("the text rule is expected first")
    others = named[1:]
    label_names = ("link", "image")
    delimiter_names = ("strikethrough", "mark")

    def tokenize(state: StateInline) -> None:
        env = state.env
        spans = env.get(_SPANS_KEY) if isinstance(env, dict) else None
        if spans is None or env.get(_STATE_KEY) is not state:
            original(state)
            return
        end = state.posMax
        max_nesting = state.md.options["maxNesting"]
        text = first_rule
        while state.pos < end:
            pos = state.pos
            ok = False
            if state.level < max_nesting:
                ok = text(state, False)
                if ok:
                    if state.pos <= pos:
                        raise RuntimeError("inline rule didn't increment state.pos")
                else:
                    had_pending = bool(state.pending)
                    first_new = len(state.tokens)
                    for name, rule in others:
                        ok = rule(state, False)
                        if ok:
                            if state.pos <= pos:
                                raise RuntimeError("inline rule didn't increment state.pos")
                            new_tokens = state.tokens[first_new + 1 :] if had_pending else state.tokens[first_new:]
                            span = _Span(name, pos, state.pos, new_tokens)
                            if name in delimiter_names:
                                span.widths = [len(token.content) for token in new_tokens]
                            elif name in label_names:
                                saved_max = state.posMax
                                state.posMax = span.end
                                label_end = parseLinkLabel(state, pos + (0 if name == "link" else 1), name == "link")
                                state.posMax = saved_max
                                span.label_end = label_end if label_end >= 0 else None
                            spans.append(span)
                            break
            if ok:
                if state.pos >= end:
                    break
                continue
            state.append_pending(state.src[state.pos])
            state.pos += 1
        if state.pending:
            state.pushPending()

    return tokenize


def _callout_params_valid(params: str, *_: Any) -> bool:
    return bool(_CALLOUT_PARAMS.match(params))


@lru_cache(maxsize=2)
def _parser(blocks_only: bool = False) -> MarkdownIt:
    """The parser; ``blocks_only`` skips the core inline pass (the renderer scans each inline run itself)."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    footnote_plugin(md, inline=False)
    # Same boundaries as remark-math: spaces and digits next to the dollars allowed, $$…$$ inline allowed.
    dollarmath_plugin(md, allow_labels=False, allow_space=True, allow_digits=True, double_inline=True)
    container_plugin(md, "callout", validate=_callout_params_valid)
    md.inline.ruler.before("emphasis", "mark", _mark_tokenize)
    md.inline.ruler2.after("strikethrough", "mark", _mark_post_process)
    md.inline.add_terminator_char("=")
    md.inline.add_terminator_char("$")
    if blocks_only:
        md.core.ruler.disable("inline")
        md.inline.tokenize = _recording_tokenize(md)  # type: ignore[method-assign]
    return md


def _nest(spans: list[_Span]) -> list[_Span]:
    roots: list[_Span] = []
    stack: list[_Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        while stack and span.start >= stack[-1].end:
            stack.pop()
        (stack[-1].children if stack else roots).append(span)
        stack.append(span)
    return roots


# --------------------------------------------------------------------------------------------------------
# Source with line offsets
# --------------------------------------------------------------------------------------------------------


class _Source:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line) + 1

    def line(self, index: int) -> str:
        return self.lines[index] if index < len(self.lines) else ""

    def line_start(self, index: int) -> int:
        return self.starts[index] if index < len(self.starts) else len(self.text)

    def line_end(self, index: int) -> int:
        return self.line_start(index) + len(self.line(index))


def _container_prefix(line: str) -> str:
    """Leading blockquote markers and indentation of a table/paragraph line."""
    return line[: len(line) - len(line.lstrip(" \t>"))]


def _split_row(row: str) -> list[str]:
    """Cells of a pipe-table row: split at unescaped ``|``, outer pipes removed, cells trimmed."""
    text = row.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|"):
        backslashes = len(text[:-1]) - len(text[:-1].rstrip("\\"))
        if backslashes % 2 == 0:
            text = text[:-1]
    cells: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == "|":
            cells.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    cells.append("".join(current))
    return [cell.strip() for cell in cells]


def _join_row(prefix: str, cells: list[str]) -> str:
    return prefix + "| " + " | ".join(cells) + " |"


@dataclass
class _ListLevel:
    docmost_indent: int
    marker_width: int
    real_indent: int

    @property
    def content_column(self) -> int:
        return self.real_indent + self.marker_width


_BLOCK_START = re.compile(r"^(```|~~~|#|>|<|\||:::|\$\$)")


def _list_region_end(lines: list[str], first: int, parsed_end: int) -> int:
    """End of the lines a Docmost list spans: its parsed range, extended over indented lines, further items and
    lazy continuation text (a col-0 line right after text that starts no other block)."""
    index = max(parsed_end, first + 1)
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            following = next((later for later in lines[index + 1 :] if later.strip()), "")
            if not (following.startswith((" ", "\t")) or _LIST_ITEM.match(following)):
                break
        elif not (line.startswith((" ", "\t")) or _LIST_ITEM.match(line)):
            if not lines[index - 1].strip() or _BLOCK_START.match(line):
                break
        index += 1
    return index


def _reindent_list(lines: list[str], first: int, end: int) -> bool:
    """Re-indent lines[first:end] (one top-level list) from Docmost's 2-spaces-per-level to CommonMark columns."""
    stack: list[_ListLevel] = []
    fence: tuple[str, int] | None = None  # (closing marker, column shift) while inside fenced code
    changed = False
    for index in range(first, end):
        line = lines[index]
        indent = len(line) - len(line.lstrip(" "))
        body = line[indent:]
        if fence is not None:
            marker, shift = fence
            new_indent = max(0, indent + shift) if body else indent
            if body.startswith(marker) and not body.strip(marker[0]).strip():
                fence = None
        elif not body:
            continue
        elif item := _LIST_ITEM.match(body):
            while stack and stack[-1].docmost_indent >= indent:
                stack.pop()
            new_indent = stack[-1].content_column if stack else indent
            stack.append(_ListLevel(indent, len(item.group(1)) + 1, new_indent))
        else:
            owners = [level for level in stack if level.docmost_indent + _DOCMOST_LIST_INDENT == indent]
            if not owners:
                continue
            del stack[stack.index(owners[-1]) + 1 :]
            new_indent = owners[-1].content_column
            opening = _FENCE_OPEN.match(body)
            if opening:
                fence = (opening.group(1)[0] * len(opening.group(1)), new_indent - indent)
        if new_indent != indent:
            lines[index] = " " * new_indent + body
            changed = True
    return changed


def _reader_text(children: list[Token]) -> tuple[str, bool]:
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


class _Description:
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
                children = _parser().parseInline(content, dict(self.env))[0].children or []
        text, prose = _reader_text(children)
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


def _title_matches(heading: str, title: str) -> bool:
    heading, title = heading.strip(), title.strip()
    if heading == title:
        return True
    duplicate = EXPORTER_DUPLICATE_SUFFIX.match(heading)
    if duplicate and duplicate.group("base").strip() == title:
        return True
    return title.lower() in ("", "untitled") and bool(EXPORTER_UNTITLED.match(heading))


# --------------------------------------------------------------------------------------------------------
# Renderer
# --------------------------------------------------------------------------------------------------------


class _BodyRenderer:
    def __init__(self, resolve_link: Callable[[str], LinkTarget]) -> None:
        self.resolve_link = resolve_link
        self.md = _parser(blocks_only=True)
        self.warnings: list[tuple[str, str]] = []
        self.env: dict[str, Any] = {}
        self.html_stack: list[str] = []
        self._parsed: tuple[str, list[Token], dict[str, Any]] | None = None
        # Inline tokens of every run ``_scan`` parsed, by content: the description reuses a paragraph's instead of
        # parsing it again.
        self._scanned: dict[str, list[Token]] = {}

    def _parse(self, text: str) -> tuple[list[Token], dict[str, Any]]:
        """Block tokens and env of ``text``; the last parse is reused when a pre-pass left the text unchanged."""
        if self._parsed is not None and self._parsed[0] == text:
            return self._parsed[1], self._parsed[2]
        env: dict[str, Any] = {}
        tokens = self.md.parse(text, env)
        self._parsed = (text, tokens, env)
        return tokens, env

    def warn(self, kind: str, message: str) -> None:
        self.warnings.append((kind, message))

    # ---- whole page ---------------------------------------------------------------------------------
    def render(self, markdown: str, page_title: str | None) -> RenderedBody:
        text = markdown.replace("\r\n", "\n").replace("\r", "\n")
        text = self._repair_list_indentation(text)
        text = self._repair_malformed_tables(text)
        tokens, self.env = self._parse(text)
        source = _Source(text)
        edits: list[Edit] = []

        skip_inline: set[int] = set()
        if page_title is not None:
            dropped = self._title_edit(tokens, source, page_title)
            if dropped:
                edits.append(dropped)
                skip_inline.add(1)

        description = _Description(self.env)
        table_depth = 0
        for index, token in enumerate(tokens):
            kind = token.type
            description.track(kind)
            if kind == "table_open":
                table_depth += 1
                edits.extend(self._table_edits(token, source))
            elif kind == "table_close":
                table_depth -= 1
            elif kind == "inline" and not table_depth and index not in skip_inline:
                parent = tokens[index - 1].type if index else ""
                edits.extend(self._block_inline_edits(token, source, flow=parent == "paragraph_open"))
                if parent == "paragraph_open" and description.wants_paragraph() and token.content.strip():
                    description.offer(token.content, self._scanned.get(token.content, []),
                                      first_in_item=index > 1 and tokens[index - 2].type == "list_item_open")
                if parent == "heading_open":
                    edits.extend(self._heading_id_guard(token, source))
            elif kind == "html_block":
                edits.extend(self._html_block_edits(token, source))
            elif kind == "math_block":
                edits.extend(self._math_block_edits(token, source))
            elif kind == "container_callout_open":
                edits.extend(self._callout_edits(token, source))
            elif kind == "code_block":
                edits.extend(self._indented_code_edits(token, source))

        out = apply_edits(text, edits)
        if self.html_stack:
            closers = "".join(f"</{tag}>" for tag in reversed(self.html_stack))
            self.warn("unbalanced_html", f"closed HTML elements left open at the end of the page: {closers}")
            out = out.rstrip("\n") + "\n\n" + closers + "\n"
        out = out.strip("\n")
        if not out.strip():
            return RenderedBody("", self.warnings, None)
        return RenderedBody(out + "\n", self.warnings, description.result())

    def _title_edit(self, tokens: list[Token], source: _Source, page_title: str) -> Edit | None:
        if len(tokens) < 2 or tokens[0].type != "heading_open" or tokens[0].tag != "h1" or not tokens[0].map:
            return None
        first, after = tokens[0].map
        if any(source.line(i).strip() for i in range(first)) or after != first + 1:
            return None
        heading = _parser().parseInline(tokens[1].content, dict(self.env))[0]
        if not _title_matches(_reader_text(heading.children or [])[0], page_title):
            return None
        end_line = after
        while end_line < len(source.lines) and not source.line(end_line).strip():
            end_line += 1
        return (source.line_start(first), source.line_start(end_line), "")

    # ---- list indentation (pre-pass) ----------------------------------------------------------------
    def _repair_list_indentation(self, text: str) -> str:
        """Docmost nests list levels by 2 spaces also under ordered items (``1. First\\n  1. Second``), where
        CommonMark needs the marker width (3): the children would become siblings or paragraph text.
        Lines of each top-level list are re-indented to their parent item's content column."""
        if not _ORDERED_ITEM_LINE.search(text):
            return text  # the 2-space quirk only misplaces children of ordered items
        tokens, _ = self._parse(text)
        lines = text.split("\n")
        changed = False
        done = 0
        for token in tokens:
            if token.type in ("bullet_list_open", "ordered_list_open") and token.level == 0 and token.map:
                if token.map[0] < done:
                    continue
                # CommonMark may have ended the list early (a child fence at the wrong column interrupts it).
                done = _list_region_end(lines, token.map[0], token.map[1])
                changed |= _reindent_list(lines, token.map[0], done)
        return "\n".join(lines) if changed else text

    # ---- malformed tables (pre-pass) ----------------------------------------------------------------
    def _repair_malformed_tables(self, text: str) -> str:
        """Docmost writes merged-cell tables with a delimiter row that has empty cells and too many columns."""
        if "|" not in text or "-" not in text:
            return text
        tokens, _ = self._parse(text)
        lines = text.split("\n")
        changed = False
        for token in tokens:
            if token.type != "paragraph_open" or not token.map or token.map[1] - token.map[0] < 2:
                continue
            first, end = token.map
            header_line, separator_line = lines[first], lines[first + 1]
            prefix = _container_prefix(header_line)
            if "|" not in header_line or "|" not in separator_line:
                continue
            separator = _split_row(separator_line[len(_container_prefix(separator_line)) :])
            dashes = [cell for cell in separator if cell]
            if not dashes or not all(_SEPARATOR_CELL.match(cell) for cell in dashes):
                continue
            header = _split_row(header_line[len(prefix) :])
            rows = [_split_row(lines[i][len(_container_prefix(lines[i])) :]) for i in range(first + 2, end)]
            columns = max([len(header), len(dashes)] + [len(row) for row in rows])
            header += [""] * (columns - len(header))
            dashes += ["---"] * (columns - len(dashes))
            lines[first] = _join_row(prefix, header)
            lines[first + 1] = _join_row(_container_prefix(separator_line), dashes)
            changed = True
            self.warn(
                "malformed_table",
                f"table at line {first + 1}: delimiter row {separator_line.strip()!r} repaired to {columns} columns",
            )
        return "\n".join(lines) if changed else text

    # ---- block handlers -----------------------------------------------------------------------------
    def _block_inline_edits(self, token: Token, source: _Source, *, flow: bool) -> list[Edit]:
        if not token.map or not token.content:
            return []
        content = token.content
        line_offsets = self._locate_content(content, token.map[0], source)
        content_line_starts = [0]
        for line in content.split("\n")[:-1]:
            content_line_starts.append(content_line_starts[-1] + len(line) + 1)

        def to_source(offset: int) -> int:
            line = bisect_right(content_line_starts, offset) - 1
            source_offset, virtual = line_offsets[line]
            return source_offset + max(0, offset - content_line_starts[line] - virtual)

        edits = self.inline_edits(content, flow=flow)
        first, end = token.map
        if flow and not apply_edits(content, edits).strip() and line_offsets[0][0] == source.line_start(first):
            # Nothing left of a top-level paragraph: remove its lines and the blank line after it.
            while end < len(source.lines) and not source.line(end).strip():
                end += 1
            return [(source.line_start(first), source.line_start(end), "")]
        return [(to_source(s), to_source(e), r) for s, e, r in edits]

    def _heading_id_guard(self, token: Token, source: _Source) -> list[Edit]:
        """Docusaurus takes a heading whose text ends in ``{#…}`` as a custom id and hides it, even escaped.
        An empty string expression after it keeps the text visible (and renders nothing)."""
        if not token.map or "{#" not in token.content:
            return []
        plain = _reader_text(_parser().parseInline(token.content, dict(self.env))[0].children or [])[0]
        if not _DOCUSAURUS_HEADING_ID.search(plain):
            return []
        line = source.line(token.map[0])
        column = line.rfind(token.content)
        end = source.line_start(token.map[0]) + column + len(token.content) if column >= 0 else source.line_end(token.map[0])
        return [(end, end, '{""}')]

    def _locate_content(self, content: str, first_line: int, source: _Source) -> list[tuple[int, int]]:
        """Where each line of an inline run starts in the source: (offset of its first real character, virtual).

        markdown-it's ``getLines`` makes every content line a suffix of its source line (container markers and
        indentation cut off), read with NUL as U+FFFD, after ``virtual`` spaces (at most 3) that stand for the columns
        of a tab beyond the block's indentation and have no source characters: in a ``- `` item, a continuation
        line of a tab and ``b`` reads ``"  b"``. The run is then trimmed of Unicode whitespace, so its last line
        may lose trailing characters and its first source lines may vanish whole (a line holding only NBSP).
        """
        lines = content.split("\n")
        last_start = max(first_line, len(source.lines) - len(lines))
        for start in range(first_line, last_start + 1):
            located = self._locate_lines(lines, start, source)
            if located is not None:
                return located
        raise ValueError(f"line {first_line + 1}: inline text {content!r} is not in the source")

    def _locate_lines(self, lines: list[str], first_line: int, source: _Source) -> list[tuple[int, int]] | None:
        located = []
        for index, line in enumerate(lines):
            source_line = source.line(first_line + index).replace("\0", "\ufffd")
            leading = min(_MAX_VIRTUAL_SPACES, len(line) - len(line.lstrip(" ")))
            candidates = [(virtual, line[virtual:]) for virtual in range(leading + 1)]
            found = next(((len(source_line) - len(real), virtual) for virtual, real in candidates
                          if source_line.endswith(real)), None)
            if found is None and index == len(lines) - 1:
                found = next(((source_line.rfind(real), virtual) for virtual, real in candidates
                              if source_line.rfind(real) >= 0), None)
            if found is None:
                return None
            column, virtual = found
            located.append((source.line_start(first_line + index) + column, virtual))
        return located

    def _table_edits(self, token: Token, source: _Source) -> list[Edit]:
        if not token.map:
            return []
        first, end = token.map
        rows = []
        for line_index in range(first, end):
            line = source.line(line_index)
            prefix = _container_prefix(line)
            rows.append((line_index, prefix, _split_row(line[len(prefix) :])))
        columns = max(len(cells) for _, _, cells in rows)
        edits = []
        for position, (line_index, prefix, cells) in enumerate(rows):
            if position == 1:
                cells = cells + ["---"] * (columns - len(cells))
            else:
                cells = [apply_edits(cell, self.inline_edits(cell, flow=False)) for cell in cells]
                cells += [""] * (columns - len(cells))
            edits.append((source.line_start(line_index), source.line_end(line_index), _join_row(prefix, cells)))
        return edits

    def _html_block_edits(self, token: Token, source: _Source) -> list[Edit]:
        if not token.map:
            return []
        first, end = token.map
        first_content_line = token.content.split("\n")[0]
        line = source.line(first)
        column = len(line) - len(first_content_line) if line.endswith(first_content_line) else len(_container_prefix(line))
        result = html_to_jsx(token.content, resolve=self._resolve_html_attribute, stack=self.html_stack)
        self.warnings.extend(result.warnings)
        last = end - 1
        while last > first and not source.line(last).strip():
            last -= 1
        return [(source.line_start(first) + column, source.line_end(last), result.jsx)]

    def _math_block_edits(self, token: Token, source: _Source) -> list[Edit]:
        if not token.map:
            return []
        doubled = looks_doubled(token.content)
        edits = []
        line_index, end = token.map
        for content_line in token.content.split("\n"):
            if not content_line.strip():
                continue
            while line_index < end and source.line(line_index).find(content_line) < 0:
                line_index += 1
            if line_index >= end:
                break
            column = source.line(line_index).find(content_line)
            repaired = repair_tex(content_line, inline=False, doubled=doubled)
            if repaired != content_line:
                start = source.line_start(line_index) + column
                edits.append((start, start + len(content_line), repaired))
            line_index += 1
        return edits

    def _callout_edits(self, token: Token, source: _Source) -> list[Edit]:
        if not token.map:
            return []
        name = token.info.strip()
        admonition = CALLOUT_ADMONITIONS.get(name)
        if admonition is None:
            admonition = FALLBACK_ADMONITION
            self.warn("unknown_callout", f"callout type {name!r} shown as a {FALLBACK_ADMONITION!r} admonition")
        line = source.line(token.map[0])
        column = line.find(name, line.find(":"))
        if admonition == name or column < 0:
            return []
        start = source.line_start(token.map[0]) + column
        return [(start, start + len(name), admonition)]

    def _indented_code_edits(self, token: Token, source: _Source) -> list[Edit]:
        """MDX has no indented code blocks: emit the same code as a fenced block."""
        if not token.map:
            return []
        first, end = token.map
        code_lines = token.content.split("\n")
        if code_lines and code_lines[-1] == "":
            code_lines.pop()
        first_line = source.line(first)
        prefix = first_line[: len(first_line) - len(first_line.lstrip(" \t>"))]
        container = prefix[:-4] if prefix.endswith("    ") else prefix.rstrip(" \t")
        longest = max((len(run) for run in re.findall(r"`+", token.content)), default=0)
        fence = "`" * max(3, longest + 1)
        body = "\n".join((container + line) if line else container.rstrip() for line in code_lines)
        replacement = f"{container}{fence}\n{body}\n{container}{fence}"
        last = first + len(code_lines) - 1
        return [(source.line_start(first), source.line_end(last), replacement)]

    # ---- inline -------------------------------------------------------------------------------------
    def _scan(self, content: str) -> list[_Span]:
        env = dict(self.env)
        env[_SPANS_KEY] = []
        state = StateInline(content, self.md, env, [])
        env[_STATE_KEY] = state
        self.md.inline.tokenize(state)
        for rule in self.md.inline.ruler2.getRules(""):
            rule(state)
        self._scanned[content] = state.tokens
        return env[_SPANS_KEY]

    def inline_edits(self, content: str, *, flow: bool, autolinks: bool = True) -> list[Edit]:
        """Edits (offsets into ``content``) that make one inline run MDX-safe (``autolinks``: False in image alt
        text, where GFM makes no autolink)."""
        if not (_FLOW_EDIT_TRIGGER if flow else _INLINE_EDIT_TRIGGER).search(content):
            return []
        return self._range_edits(content, 0, len(content), _nest(self._scan(content)), flow, autolinks)

    def _range_edits(
        self, content: str, start: int, end: int, nodes: list[_Span], flow: bool, autolinks: bool = True
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

    def _node_edits(self, content: str, node: _Span, flow: bool, html_plan: dict[int, str]) -> list[Edit]:
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

    def _delimiter_edits(self, node: _Span) -> list[Edit]:
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

    def _link_edits(self, content: str, node: _Span, flow: bool) -> list[Edit]:
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
        return [*label_edits, (dest_start, dest_end, encode_href(target.href))]

    def _image_edits(self, content: str, node: _Span) -> list[Edit]:
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

    def _autolink_edits(self, content: str, node: _Span) -> list[Edit]:
        raw = content[node.start + 1 : node.end - 1]
        if "@" in raw and ":" not in raw:
            href: str | None = "mailto:" + raw
        else:
            href = self.resolve_link(raw).href
        label = escape_literal(raw)
        replacement = f"[{label}]({encode_href(href)})" if href is not None else label
        return [(node.start, node.end, replacement)]

    def _plan_inline_html(self, content: str, nodes: list[_Span]) -> dict[int, str]:
        """JSX for balanced inline tags, literal text for the rest (MDX rejects unclosed inline tags)."""
        plan: dict[int, str] = {}
        open_tags: list[tuple[str, _Span]] = []

        def literal(node: _Span) -> str:
            return escape_text(content[node.start : node.end])

        closers: dict[int, str] = {}

        def jsx(node: _Span, closer: _Span | None = None) -> str:
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


def render_body(
    markdown: str, *, resolve_link: Callable[[str], LinkTarget], page_title: str | None = None
) -> RenderedBody:
    """Render one exported page body as Docusaurus 3 MDX.

    ``resolve_link`` gets every link and image destination exactly as written (percent-encoding, ``?t=``
    queries and all) and decides where it points; ``href=None`` turns a link into its plain label.
    The leading ``# Title`` line is dropped when it repeats ``page_title`` (also as ``Title (n)``).
    """
    return _BodyRenderer(resolve_link).render(markdown, page_title)
