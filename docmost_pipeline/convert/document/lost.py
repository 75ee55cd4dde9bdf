"""What Docmost's Markdown export loses: the test that decides which top-level blocks of a page are rendered from
its document instead of from the export (everything else keeps the Markdown rendering)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from docmost_pipeline.convert.document.safety import safe_alignment, safe_color, safe_int

# Every node type of Docmost 0.95's schema that the document renderer knows (docs/conversion.md lists how each
# renders). A type outside this set keeps the Markdown rendering of its block and gets an ``unknown_node`` warning.
KNOWN_NODES = frozenset({
    "doc", "text", "paragraph", "heading", "blockquote", "bulletList", "orderedList", "listItem", "taskList",
    "taskItem", "codeBlock", "horizontalRule", "hardBreak", "table", "tableRow", "tableHeader", "tableCell",
    "callout", "details", "detailsSummary", "detailsContent", "mathInline", "mathBlock", "image", "video", "audio",
    "pdf", "attachment", "drawio", "excalidraw", "embed", "youtube", "mention", "status", "columns", "column",
    "subpages", "transclusionSource", "transclusionReference", "pageBreak",
})
KNOWN_MARKS = frozenset({"bold", "italic", "strike", "underline", "code", "link", "highlight", "textStyle",
                         "subscript", "superscript"})
# Nodes the export drops or flattens whatever their attributes.
ALWAYS_LOST = frozenset({"audio", "video", "pdf", "embed", "youtube", "status", "columns", "subpages",
                         "transclusionReference", "pageBreak"})
# Text the export writes so that Markdown reads it differently: a character reference typed as text (``&copy;``
# is written as is, and Markdown shows ``©``).
_CHARACTER_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def walk(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("content") or ():
        if isinstance(child, dict):
            yield from walk(child)


def _lost_here(node: dict, parent: dict | None) -> bool:
    kind, attrs = node.get("type"), node.get("attrs") or {}
    if kind in ALWAYS_LOST:
        return True
    if kind == "details":
        return attrs.get("open") is True
    if kind == "taskList":
        return parent is not None and parent.get("type") == "taskItem"
    if kind == "callout":
        return bool(attrs.get("icon"))
    if kind in ("paragraph", "heading"):
        return safe_alignment(attrs.get("textAlign")) not in (None, "left") or bool(safe_int(attrs.get("indent"))) \
            or _intraword_italic(node)
    if kind == "table":
        return _table_lost(node)
    if kind == "taskItem":
        return _links_in(node)
    if kind == "text" and _CHARACTER_REFERENCE.search(str(node.get("text", ""))):
        return True
    if any(_mark_lost(mark) for mark in node.get("marks") or ()):
        return True
    return _intraword_italic(node)


def _links_in(task_item: dict) -> bool:
    """The export writes a task item's text without its links and page mentions."""
    for node in walk(task_item):
        if node.get("type") == "mention" and (node.get("attrs") or {}).get("entityType") == "page":
            return True
        if any(mark.get("type") == "link" for mark in node.get("marks") or ()):
            return True
    return False


def _word_char(char: str) -> bool:
    return bool(char) and not char.isspace() and not unicodedata.category(char).startswith(("P", "S"))


def _intraword_italic(node: dict) -> bool:
    """Italic is exported as ``_x_``, and CommonMark takes no ``_`` between two word characters for emphasis
    (``と_斜体_。`` stays literal): an italic run touching a word character on either side is lost."""
    content = [child for child in node.get("content") or () if isinstance(child, dict)]
    for index, child in enumerate(content):
        if not any(mark.get("type") == "italic" for mark in child.get("marks") or ()):
            continue
        before = content[index - 1] if index else None
        after = content[index + 1] if index + 1 < len(content) else None
        if before is not None and not _italic(before) and _word_char(str(before.get("text", ""))[-1:]):
            return True
        if after is not None and not _italic(after) and _word_char(str(after.get("text", ""))[:1]):
            return True
    return False


def _italic(node: dict) -> bool:
    return any(mark.get("type") == "italic" for mark in node.get("marks") or ())


def _mark_lost(mark: dict) -> bool:
    kind, attrs = mark.get("type"), mark.get("attrs") or {}
    if kind == "underline":
        return True
    if kind in ("textStyle", "highlight"):
        return safe_color(attrs.get("color")) is not None
    return False


def _table_lost(table: dict) -> bool:
    """Merged cells, a header cell outside the first row (header column) or a cell colour: the export's pipe table
    cannot show them."""
    for row_index, row in enumerate(table.get("content") or ()):
        for cell in row.get("content") or ():
            attrs = cell.get("attrs") or {}
            if (safe_int(attrs.get("colspan")) or 1) > 1 or (safe_int(attrs.get("rowspan")) or 1) > 1:
                return True
            if cell.get("type") == "tableHeader" and row_index > 0:
                return True
            if safe_color(attrs.get("backgroundColor")):
                return True
            # the export writes "||" in a cell as a single escaped pipe
            if any("||" in str(text.get("text", "")) for text in walk(cell) if text.get("type") == "text"):
                return True
    return False


def block_status(block: dict) -> tuple[bool, set[str]]:
    """(whether the export lost something in this top-level block, the unknown node/mark types in it)."""
    lost = False
    unknown: set[str] = set()

    def visit(node: dict, parent: dict | None) -> None:
        nonlocal lost
        kind = node.get("type")
        if kind not in KNOWN_NODES:
            unknown.add(str(kind))
        unknown.update(f"{m.get('type')} (mark)" for m in node.get("marks") or () if m.get("type") not in KNOWN_MARKS)
        lost = lost or _lost_here(node, parent)
        for child in node.get("content") or ():
            if isinstance(child, dict):
                visit(child, node)

    visit(block, None)
    return lost, unknown
