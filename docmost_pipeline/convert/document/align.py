"""Aligning a document's top-level nodes with the blocks of the page's exported Markdown.

The export writes the top-level nodes in order; each node becomes a known number of Markdown blocks ("units"):
one for most nodes, none for the nodes the export drops (audio, page break, subpages, synced-block reference, empty
paragraph), one per item for lists (adjacent lists can merge into one Markdown list, so lists are counted in items),
the open and close HTML lines plus the content for ``details``, the content of each column for ``columns``, and
one shared line for a run of consecutive images. Every node's units are checked against its own text; the
alignment is only trusted up to the last node that is rendered from the document, and any mismatch before that
fails the page (it keeps its Markdown rendering).
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from dataclasses import dataclass

from markdown_it.token import Token

from docmost_pipeline.convert.markdown.parsing import parser

_IMAGE_NODES = frozenset({"image", "drawio", "excalidraw"})
_SILENT_NODES = frozenset({"audio", "pageBreak", "subpages", "transclusionReference"})
_LISTS = frozenset({"bulletList", "orderedList", "taskList"})
_TAG = re.compile(r"<[^>]*>")


class AlignmentError(ValueError):
    """The document and the exported Markdown do not line up."""


@dataclass(frozen=True)
class Unit:
    """One top-level Markdown block (or one item of a top-level list): its lines [start, end) and its text."""

    start: int
    end: int
    text: str


def _token_text(tokens: list[Token]) -> str:
    parts = []
    for token in tokens:
        if token.type == "inline":
            parts.extend(child.content for child in token.children or () if child.type != "softbreak")
        elif token.type in ("fence", "code_block", "math_block", "html_block"):
            parts.append(_TAG.sub(" ", token.content) if token.type == "html_block" else token.content)
    return " ".join(parts)


def markdown_units(markdown: str) -> list[Unit]:
    """The top-level blocks of an exported page, lists split into their items; footnote definitions left out."""
    tokens = parser().parse(markdown, {})
    units: list[Unit] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type.startswith("footnote"):
            break
        end = index
        if token.nesting == 1:
            depth = 0
            for end in range(index, len(tokens)):
                depth += tokens[end].nesting
                if depth == 0:
                    break
        if token.type in ("bullet_list_open", "ordered_list_open"):
            units.extend(_list_items(tokens[index + 1:end]))
        elif token.map:
            units.append(Unit(token.map[0], token.map[1], _token_text(tokens[index:end + 1])))
        index = end + 1
    return units


def _list_items(tokens: list[Token]) -> list[Unit]:
    items = []
    for position, token in enumerate(tokens):
        if token.type == "list_item_open" and token.level == 1 and token.map:
            depth, end = 0, position
            for end in range(position, len(tokens)):
                depth += tokens[end].nesting
                if depth == 0:
                    break
            items.append(Unit(token.map[0], token.map[1], _token_text(tokens[position:end + 1])))
    return items


def normal(value: str) -> str:
    value = unicodedata.normalize("NFC", html.unescape(value))
    return "".join(char for char in value.lower() if char.isalnum())


def node_text(node: dict) -> str:
    """The text the export shows for a node (media and embeds: their file name or URL, as the export writes it)."""
    kind, attrs = node.get("type"), node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "mention":
        return str(attrs.get("label") or "")
    if kind == "status":
        return str(attrs.get("text") or "")
    if kind in ("mathInline", "mathBlock"):
        return str(attrs.get("text") or "")
    if kind in ("video", "embed", "youtube"):
        return str(attrs.get("src") or "").split("/")[-1] if kind == "video" else str(attrs.get("src") or "")
    if kind == "attachment":
        return str(attrs.get("name") or "")
    if kind == "image":
        return str(attrs.get("alt") or "")
    if kind in ("drawio", "excalidraw"):
        return str(attrs.get("title") or "")
    return " ".join(node_text(child) for child in node.get("content") or () if isinstance(child, dict))


def footprint(node: dict) -> int:
    """How many units the export writes for a node."""
    kind, content = node.get("type"), [c for c in node.get("content") or () if isinstance(c, dict)]
    if kind in _SILENT_NODES:
        return 0
    if kind == "paragraph":
        return 1 if normal(node_text(node)) or any(c.get("type") != "text" for c in content
                                                   if c.get("type") != "hardBreak") else 0
    if kind in _LISTS:
        return len(content)
    if kind == "details":
        inner = next((c for c in content if c.get("type") == "detailsContent"), {})
        return 2 + sum(footprint(c) for c in inner.get("content") or ())
    if kind in ("columns", "column", "transclusionSource"):
        return sum(footprint(c) for c in content)
    return 1


def _matches(expected: str, units: list[Unit]) -> bool:
    doc, md = normal(expected), normal(" ".join(unit.text for unit in units))
    if doc == md:
        return True
    if not doc or not md:
        return False
    if md.startswith(doc[:24]) or doc.startswith(md[:24]):
        return True
    # bounded: the ratio is quadratic in the lengths, and the first 2,000 characters decide it anyway
    return difflib.SequenceMatcher(None, doc[:2000], md[:2000], autojunk=False).ratio() >= 0.5


def align(nodes: list[dict], units: list[Unit], wanted: set[int]) -> dict[int, tuple[int, int]]:
    """Line range [start, end) of the Markdown of each top-level node whose index is in ``wanted`` (a node the
    export wrote nothing for gets the empty range where it would have been). Raises AlignmentError."""
    ranges: dict[int, tuple[int, int]] = {}
    position, index = 0, 0
    last = max(wanted, default=-1)
    while index <= last and index < len(nodes):
        node = nodes[index]
        group = [index]
        if node.get("type") in _IMAGE_NODES:
            while group[-1] + 1 < len(nodes) and nodes[group[-1] + 1].get("type") in _IMAGE_NODES:
                group.append(group[-1] + 1)
        count = 1 if len(group) > 1 else footprint(node)
        taken = units[position:position + count]
        if len(taken) < count:
            raise AlignmentError(f"top-level node {index + 1} ({node.get('type')}) is past the end of the Markdown")
        expected = " ".join(node_text(nodes[i]) for i in group)
        if count and not _matches(expected, taken):
            raise AlignmentError(f"top-level node {index + 1} ({node.get('type')}) does not match the Markdown "
                                 f"at line {taken[0].start + 1}")
        if count:
            span = (taken[0].start, taken[-1].end)
        else:
            at = units[position].start if position < len(units) else (units[-1].end if units else 0)
            span = (at, at)
        for i in group:
            if i in wanted:
                ranges[i] = span
        position += count
        index = group[-1] + 1
    return ranges
