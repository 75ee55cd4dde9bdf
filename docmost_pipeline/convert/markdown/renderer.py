"""Block rendering: one Docmost-exported Markdown page -> Docusaurus 3 MDX that renders like the original.

The *source* is edited at the line ranges the parser reports (``Token.map``), instead of re-rendering: callout
markers are mapped onto Docusaurus admonitions (``CALLOUT_ADMONITIONS``), raw HTML blocks become JSX
(``convert.html``), ``$$`` math is repaired (``convert.math``), pipe tables are re-emitted with every row's cells,
indented code becomes fenced code (MDX has no indented code), and the leading ``# Title`` line is dropped when it
repeats the page title (the front matter's ``title`` is the page heading), unless the content itself starts with an
H1, which Docusaurus would show instead of the title: then the title is written as the first heading. Each inline
run is handed to ``inline.InlineRenderer`` and its edits mapped back onto the source; the description is collected
on the way (``description``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from docmost_pipeline.convert.escape import Edit, apply_edits, escape_literal
from docmost_pipeline.convert.html import html_to_jsx
from docmost_pipeline.convert.links import LinkTarget
from docmost_pipeline.convert.markdown.description import Description, reader_text
from docmost_pipeline.convert.markdown.inline import InlineRenderer
from docmost_pipeline.convert.markdown.parsing import parser
from docmost_pipeline.convert.markdown.repairs import repair_list_indentation, repair_malformed_tables
from docmost_pipeline.convert.markdown.source import Source, container_prefix, join_row, split_row
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
# Docusaurus' classic heading-id syntax (@docusaurus/utils parseMarkdownHeadingId).
_DOCUSAURUS_HEADING_ID = re.compile(r"\s*\{#(?:.(?!\{#|\}))*.\}$")
# A tab reaches the next multiple of 4 columns, so at most 3 of its columns lie beyond a block's indentation.
_MAX_VIRTUAL_SPACES = 3
_BARE_AMPERSAND = re.compile(r"\\&(?!#[0-9]+;|#[xX][0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)")


@dataclass
class RenderedBody:
    """The MDX body of one page, what the renderer had to report ((kind, message) pairs) and the page's
    description: the plain text a reader sees in its first prose paragraph; ``""`` when the body has no prose,
    ``None`` when the body is empty."""

    text: str
    warnings: list[tuple[str, str]] = field(default_factory=list)
    description: str | None = None


def _title_matches(heading: str, title: str) -> bool:
    heading, title = heading.strip(), title.strip()
    if heading == title:
        return True
    duplicate = EXPORTER_DUPLICATE_SUFFIX.match(heading)
    if duplicate and duplicate.group("base").strip() == title:
        return True
    return title.lower() in ("", "untitled") and bool(EXPORTER_UNTITLED.match(heading))


def _content_title_level(tokens: list[Token], start: int) -> int | None:
    """The level of the heading Docusaurus would take as the page's content title: its ``contentTitle`` rule is the
    first heading of the document (at any depth) when no thematic break comes before it."""
    for token in tokens[start:]:
        if token.type == "hr":
            return None
        if token.type == "heading_open":
            return int(token.tag[1:])
    return None


def title_heading(title: str) -> str:
    """An H1 that shows ``title`` verbatim in MDX (every Markdown/MDX character escaped, ``#`` too, so a title
    ending in `` #`` keeps it; a trailing ``{#…}`` kept visible as in ``_heading_id_guard``)."""
    # `&` only where it would start a character reference (``&amp;``); a bare `&` is shown as written
    text = _BARE_AMPERSAND.sub("&", escape_literal(title.strip())).replace("#", "\\#")
    guard = '{""}' if _DOCUSAURUS_HEADING_ID.search(title.strip()) else ""
    return f"# {text}{guard}"


class _BodyRenderer(InlineRenderer):
    """Renders one page: the repairs, then one walk over the block tokens collecting source edits."""

    def __init__(self, resolve_link: Callable[[str], LinkTarget]) -> None:
        super().__init__(resolve_link)
        self.html_stack: list[str] = []
        self._parsed: tuple[str, list[Token], dict[str, Any]] | None = None

    def _parse(self, text: str) -> tuple[list[Token], dict[str, Any]]:
        """Block tokens and env of ``text``; the last parse is reused when a pre-pass left the text unchanged."""
        if self._parsed is not None and self._parsed[0] == text:
            return self._parsed[1], self._parsed[2]
        env: dict[str, Any] = {}
        tokens = self.md.parse(text, env)
        self._parsed = (text, tokens, env)
        return tokens, env

    def _block_tokens(self, text: str) -> list[Token]:
        """The repairs' ``parse``: through ``_parse``, so a text no repair changed is parsed once."""
        return self._parse(text)[0]

    # ---- whole page ---------------------------------------------------------------------------------
    def render(self, markdown: str, page_title: str | None) -> RenderedBody:
        text = markdown.replace("\r\n", "\n").replace("\r", "\n")
        text = repair_list_indentation(text, self._block_tokens)
        text = repair_malformed_tables(text, self._block_tokens, self.warn)
        tokens, self.env = self._parse(text)
        source = Source(text)
        edits: list[Edit] = []

        skip_inline: set[int] = set()
        if page_title is not None:
            dropped = self._title_edit(tokens, source, page_title)
            if dropped:
                edits.append(dropped)
                skip_inline.add(1)

        description = Description(self.env)
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
        if page_title is not None and _content_title_level(tokens, 3 if skip_inline else 0) == 1:
            # Docusaurus shows the first heading as the page title when it is an H1 (and the front matter's title
            # only when there is none): the page's own title goes first, as Docmost shows it above the content.
            out = title_heading(page_title) + "\n\n" + out
        return RenderedBody(out + "\n", self.warnings, description.result())

    def _title_edit(self, tokens: list[Token], source: Source, page_title: str) -> Edit | None:
        if len(tokens) < 2 or tokens[0].type != "heading_open" or tokens[0].tag != "h1" or not tokens[0].map:
            return None
        first, after = tokens[0].map
        if any(source.line(i).strip() for i in range(first)) or after != first + 1:
            return None
        heading = parser().parseInline(tokens[1].content, dict(self.env))[0]
        if not _title_matches(reader_text(heading.children or [])[0], page_title):
            return None
        end_line = after
        while end_line < len(source.lines) and not source.line(end_line).strip():
            end_line += 1
        return (source.line_start(first), source.line_start(end_line), "")

    # ---- block handlers -----------------------------------------------------------------------------
    def _block_inline_edits(self, token: Token, source: Source, *, flow: bool) -> list[Edit]:
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

    def _heading_id_guard(self, token: Token, source: Source) -> list[Edit]:
        """Docusaurus takes a heading whose text ends in ``{#…}`` as a custom id and hides it, even escaped.
        An empty string expression after it keeps the text visible (and renders nothing)."""
        if not token.map or "{#" not in token.content:
            return []
        plain = reader_text(parser().parseInline(token.content, dict(self.env))[0].children or [])[0]
        if not _DOCUSAURUS_HEADING_ID.search(plain):
            return []
        line = source.line(token.map[0])
        column = line.rfind(token.content)
        end = source.line_start(token.map[0]) + column + len(token.content) if column >= 0 else source.line_end(token.map[0])
        return [(end, end, '{""}')]

    def _locate_content(self, content: str, first_line: int, source: Source) -> list[tuple[int, int]]:
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

    def _locate_lines(self, lines: list[str], first_line: int, source: Source) -> list[tuple[int, int]] | None:
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

    def _table_edits(self, token: Token, source: Source) -> list[Edit]:
        if not token.map:
            return []
        first, end = token.map
        rows = []
        for line_index in range(first, end):
            line = source.line(line_index)
            prefix = container_prefix(line)
            rows.append((line_index, prefix, split_row(line[len(prefix) :])))
        columns = max(len(cells) for _, _, cells in rows)
        edits = []
        for position, (line_index, prefix, cells) in enumerate(rows):
            if position == 1:
                cells = cells + ["---"] * (columns - len(cells))
            else:
                cells = [apply_edits(cell, self.inline_edits(cell, flow=False)) for cell in cells]
                cells += [""] * (columns - len(cells))
            edits.append((source.line_start(line_index), source.line_end(line_index), join_row(prefix, cells)))
        return edits

    def _html_block_edits(self, token: Token, source: Source) -> list[Edit]:
        if not token.map:
            return []
        first, end = token.map
        first_content_line = token.content.split("\n")[0]
        line = source.line(first)
        column = len(line) - len(first_content_line) if line.endswith(first_content_line) else len(container_prefix(line))
        result = html_to_jsx(token.content, resolve=self._resolve_html_attribute, stack=self.html_stack)
        self.warnings.extend(result.warnings)
        last = end - 1
        while last > first and not source.line(last).strip():
            last -= 1
        return [(source.line_start(first) + column, source.line_end(last), result.jsx)]

    def _math_block_edits(self, token: Token, source: Source) -> list[Edit]:
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

    def _callout_edits(self, token: Token, source: Source) -> list[Edit]:
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

    def _indented_code_edits(self, token: Token, source: Source) -> list[Edit]:
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


def render_body(
    markdown: str, *, resolve_link: Callable[[str], LinkTarget], page_title: str | None = None
) -> RenderedBody:
    """Render one exported page body as Docusaurus 3 MDX.

    ``resolve_link`` gets every link and image destination exactly as written (percent-encoding, ``?t=``
    queries and all) and decides where it points; ``href=None`` turns a link into its plain label.
    The leading ``# Title`` line is dropped when it repeats ``page_title`` (also as ``Title (n)``); when the first
    heading of what remains is an H1 (Docusaurus would show it as the page title), ``# page_title`` comes first.
    """
    return _BodyRenderer(resolve_link).render(markdown, page_title)
