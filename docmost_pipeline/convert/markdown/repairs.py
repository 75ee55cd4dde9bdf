"""The structural pre-passes over a page's source, before it is rendered: Docmost's nested-list indentation and its
malformed merged-cell tables are rewritten into what CommonMark and GFM read as the lists and tables Docmost showed.

Both take ``parse`` (source -> block tokens) so that the renderer can reuse one parse when a repair changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from markdown_it.token import Token

from docmost_pipeline.convert.markdown.source import container_prefix, join_row, split_row

_SEPARATOR_CELL = re.compile(r"^:?-+:?$")
_LIST_ITEM = re.compile(r"^([-*+]|\d{1,9}[.)])(?: |$)")
_ORDERED_ITEM_LINE = re.compile(r"^ *\d{1,9}[.)] ", re.MULTILINE)  # an ordered list item at any line start
_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})")
# Docmost indents every nested list level by this many spaces, whatever the parent's marker width.
_DOCMOST_LIST_INDENT = 2
_BLOCK_START = re.compile(r"^(```|~~~|#|>|<|\||:::|\$\$)")


@dataclass
class _ListLevel:
    docmost_indent: int
    marker_width: int
    real_indent: int

    @property
    def content_column(self) -> int:
        return self.real_indent + self.marker_width


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


def repair_list_indentation(text: str, parse: Callable[[str], list[Token]]) -> str:
    """Docmost nests list levels by 2 spaces also under ordered items (``1. First\\n  1. Second``), where
    CommonMark needs the marker width (3): the children would become siblings or paragraph text.
    Lines of each top-level list are re-indented to their parent item's content column."""
    if not _ORDERED_ITEM_LINE.search(text):
        return text  # the 2-space quirk only misplaces children of ordered items
    tokens = parse(text)
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


def repair_malformed_tables(text: str, parse: Callable[[str], list[Token]], warn: Callable[[str, str], None]) -> str:
    """Docmost writes merged-cell tables with a delimiter row that has empty cells and too many columns."""
    if "|" not in text or "-" not in text:
        return text
    tokens = parse(text)
    lines = text.split("\n")
    changed = False
    for token in tokens:
        if token.type != "paragraph_open" or not token.map or token.map[1] - token.map[0] < 2:
            continue
        first, end = token.map
        header_line, separator_line = lines[first], lines[first + 1]
        prefix = container_prefix(header_line)
        if "|" not in header_line or "|" not in separator_line:
            continue
        separator = split_row(separator_line[len(container_prefix(separator_line)) :])
        dashes = [cell for cell in separator if cell]
        if not dashes or not all(_SEPARATOR_CELL.match(cell) for cell in dashes):
            continue
        header = split_row(header_line[len(prefix) :])
        rows = [split_row(lines[i][len(container_prefix(lines[i])) :]) for i in range(first + 2, end)]
        columns = max([len(header), len(dashes)] + [len(row) for row in rows])
        header += [""] * (columns - len(header))
        dashes += ["---"] * (columns - len(dashes))
        lines[first] = join_row(prefix, header)
        lines[first + 1] = join_row(container_prefix(separator_line), dashes)
        changed = True
        warn(
            "malformed_table",
            f"table at line {first + 1}: delimiter row {separator_line.strip()!r} repaired to {columns} columns",
        )
    return "\n".join(lines) if changed else text
