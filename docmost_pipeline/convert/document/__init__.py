"""Restoring what Docmost's Markdown export loses, from each page's own ProseMirror document.

``restore_lost_blocks`` takes a page's exported Markdown and its document. The top-level document nodes that
carry something the export lost (``lost``) are aligned with their Markdown blocks (``align``), rendered from the
document as MDX/JSX (``jsx``), and their Markdown lines are replaced by a placeholder line that the Markdown path
(``convert.markdown``) passes through untouched; ``Restoration.fill`` then puts the JSX in. Everything else on the
page keeps the Markdown rendering, so a page without lost content converts byte for byte as without documents.
A page whose document cannot be aligned keeps the Markdown rendering and gets a warning.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from docmost_pipeline.convert.document.align import AlignmentError, align, markdown_units
from docmost_pipeline.convert.document.jsx import DocumentRenderer, RenderEnv
from docmost_pipeline.convert.document.load import PageDocuments, load_documents
from docmost_pipeline.convert.document.lost import block_status
from docmost_pipeline.convert.markdown.parsing import parser
from docmost_pipeline.convert.markdown.repairs import repair_list_indentation


@dataclass
class Restoration:
    """The page's Markdown with placeholders, the JSX each placeholder stands for, and what was rendered."""

    markdown: str
    blocks: dict[str, str] = field(default_factory=dict)
    imports: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def fill(self, mdx: str) -> str:
        """Put the rendered blocks in place of their placeholder lines in the Markdown path's output."""
        for marker, jsx in self.blocks.items():
            if marker not in mdx:
                raise AlignmentError("a restored block's placeholder did not survive the Markdown rendering")
            mdx = mdx.replace(marker, jsx, 1)
        if self.imports:
            mdx = "\n".join(self.imports) + "\n\n" + mdx
        return mdx


def _title_lines(markdown: str, units) -> int:
    """The export's first line is ``# <title>``: the units after it belong to the document."""
    return 1 if units and units[0].start == 0 and markdown.startswith("# ") else 0


def restore_lost_blocks(markdown: str, document: dict, env: RenderEnv) -> Restoration | None:
    """A ``Restoration`` for the page, or None when nothing needs it (the Markdown path renders the page alone).
    Raises AlignmentError when lost blocks exist but cannot be placed."""
    nodes = [node for node in document.get("content") or () if isinstance(node, dict)]
    wanted: set[int] = set()
    for index, node in enumerate(nodes):
        lost, unknown = block_status(node)
        for kind in sorted(unknown):
            env.warn("unknown_node", f"document node {kind!r} is not known; its block keeps the Markdown rendering")
        if lost and not unknown:
            wanted.add(index)
    if not wanted:
        return None
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    # the Markdown path's own list repair first (it runs again on the result, finding nothing to do): Docmost's
    # 2-space nesting under ordered items would otherwise make nested items look like top-level ones
    block_parser = parser(blocks_only=True)
    text = repair_list_indentation(text, lambda value: block_parser.parse(value, {}))
    units = markdown_units(text)
    units = units[_title_lines(text, units):]
    ranges = align(nodes, units, wanted)
    restoration = Restoration(markdown="", imports=[], counts=env.counts)
    restoration.markdown = _place(text, ranges, nodes, DocumentRenderer(env), restoration.blocks)
    restoration.imports = sorted(env.imports)
    return restoration


def _place(text: str, ranges: dict[int, tuple[int, int]], nodes: list[dict], renderer: DocumentRenderer,
           blocks: dict[str, str]) -> str:
    """Render the lost nodes and put one placeholder line in place of each run of consecutive ones (``blocks``
    gets placeholder -> JSX); returns the Markdown with the placeholders."""
    nonce = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    groups: list[list[int]] = []
    for index in sorted(ranges):
        if groups and groups[-1][-1] == index - 1:
            groups[-1].append(index)
        else:
            groups.append([index])
    markers = []
    for number, group in enumerate(groups):
        markers.append(f'<div data-docmost-restored="{nonce}-{number}"></div>')
        blocks[markers[-1]] = "\n\n".join(part for part in (renderer.block(nodes[i]) for i in group) if part)
    lines = text.split("\n")
    # from the bottom up, so the line numbers of the groups above stay valid
    for marker, group in reversed(list(zip(markers, groups))):
        start, end = ranges[group[0]][0], max(ranges[group[-1]][1], ranges[group[0]][0])
        before = [""] if start > 0 and lines[start - 1].strip() else []
        after = [""] if end < len(lines) and lines[end].strip() else []
        lines[start:end] = [*before, marker, *after]
    return "\n".join(lines)

__all__ = ["AlignmentError", "PageDocuments", "RenderEnv", "Restoration", "load_documents", "restore_lost_blocks"]
