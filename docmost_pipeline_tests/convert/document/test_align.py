"""Alignment of top-level document nodes with the exported Markdown, and the placeholders put in for lost blocks."""

from __future__ import annotations

import pytest

from docmost_pipeline.convert.document import AlignmentError, RenderEnv, restore_lost_blocks
from docmost_pipeline.convert.document.align import align, markdown_units
from docmost_pipeline.convert.links import LinkTarget


def para(text: str, **attrs) -> dict:
    return {"type": "paragraph", "attrs": attrs, "content": [{"type": "text", "text": text}]}


def items(kind: str, *texts: str) -> dict:
    item = "taskItem" if kind == "taskList" else "listItem"
    return {"type": kind, "content": [{"type": item, "content": [para(t)]} for t in texts]}


def env(warnings: list | None = None) -> RenderEnv:
    return RenderEnv(resolve=lambda raw: LinkTarget(raw, "external"),
                     warn=lambda kind, message: (warnings if warnings is not None else []).append((kind, message)))


def test_adjacent_lists_merged_by_markdown_are_counted_in_items():
    markdown = "- a\n- b\n\n- [ ] c\n\nafter\n"
    nodes = [items("bulletList", "a", "b"), items("taskList", "c"), para("after")]
    # (the item of a loose list ends after its blank line)
    assert align(nodes, markdown_units(markdown), {1, 2}) == {1: (3, 5), 2: (5, 6)}


def test_nodes_the_export_drops_get_an_empty_range_before_the_next_block():
    markdown = "## Audio\n\nnext paragraph\n"
    nodes = [{"type": "heading", "content": [{"type": "text", "text": "Audio"}]},
             {"type": "audio", "attrs": {"src": "/api/files/a/b.wav"}}, para("next paragraph")]
    assert align(nodes, markdown_units(markdown), {1}) == {1: (2, 2)}


def test_details_are_their_html_lines_plus_their_content_and_images_share_a_line():
    markdown = "<details>\n<summary>S</summary>\n\ninner\n\n</details>\n\n![a](x.png)![b](y.png)\n\nend\n"
    details = {"type": "details", "content": [{"type": "detailsSummary", "content": [{"type": "text", "text": "S"}]},
                                              {"type": "detailsContent", "content": [para("inner")]}]}
    nodes = [details, {"type": "image", "attrs": {"alt": "a"}}, {"type": "image", "attrs": {"alt": "b"}}, para("end")]
    assert align(nodes, markdown_units(markdown), {0, 3}) == {0: (0, 6), 3: (9, 10)}


def test_a_node_whose_text_is_not_in_its_block_fails_the_alignment():
    with pytest.raises(AlignmentError, match="top-level node 1 \\(paragraph\\) does not match the Markdown at line 1"):
        align([para("completely different words")], markdown_units("something else entirely\n"), {0})
    with pytest.raises(AlignmentError, match="past the end"):
        align([para("one"), para("two")], markdown_units("one\n"), {1})


def test_alignment_is_only_checked_up_to_the_last_lost_node():
    # footnote definitions and other tail differences after the last lost block do not matter
    assert align([para("a", textAlign="center"), para("never exported")], markdown_units("a\n"), {0}) == {0: (0, 1)}


def test_restoration_replaces_the_lost_lines_with_a_placeholder_and_fills_it():
    markdown = "# Page\n\nplain\n\ncentered text\n\nplain again\n"
    document = {"type": "doc", "content": [para("plain"), para("centered text", textAlign="center"),
                                           para("plain again")]}
    restoration = restore_lost_blocks(markdown, document, env())
    assert restoration is not None
    [marker] = restoration.blocks
    assert restoration.markdown == f"# Page\n\nplain\n\n{marker}\n\nplain again\n"
    assert restoration.fill(f"plain\n\n{marker}\n\nplain again\n") == \
        'plain\n\n<p style={{textAlign: "center"}}>centered text</p>\n\nplain again\n'
    assert restoration.counts == {"paragraph": 1}


def test_a_page_without_lost_content_needs_no_restoration():
    assert restore_lost_blocks("# P\n\ntext\n", {"type": "doc", "content": [para("text")]}, env()) is None


def test_an_unknown_node_keeps_its_block_in_markdown_with_a_warning():
    warnings: list = []
    block = {"type": "blockquote", "content": [para("x", textAlign="center"), {"type": "futureWidget"}]}
    assert restore_lost_blocks("# P\n\n> x\n", {"type": "doc", "content": [block]}, env(warnings)) is None
    assert warnings == [("unknown_node", "document node 'futureWidget' is not known; its block keeps the Markdown "
                                         "rendering")]
