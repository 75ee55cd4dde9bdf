"""The document renderer, node type by node type, on small hand-made documents."""

from __future__ import annotations

from collections import Counter

import pytest

from docmost_pipeline.convert.document.jsx import ADMONITION_IMPORT, DocumentRenderer, RenderEnv
from docmost_pipeline.convert.links import LinkTarget


def resolve(raw: str) -> LinkTarget:
    if raw.startswith("/api/files/"):
        return LinkTarget("_attachments/" + raw.split("/")[3] + "/" + raw.split("/")[4].split("?")[0], "attachment")
    if raw.startswith("/s/"):
        return LinkTarget("other-page.md", "doc", title="Other Page")
    return LinkTarget(raw, "external")


@pytest.fixture
def env() -> RenderEnv:
    warnings: list[tuple[str, str]] = []
    rendering = RenderEnv(resolve=resolve, warn=lambda kind, message: warnings.append((kind, message)),
                          subpages=lambda: [("Child A", "/s/space/p/-AAAA"), ("Child B", "/s/space/p/-BBBB")],
                          transclusion=lambda page, block: [paragraph("synced text")] if block == "b1" else None,
                          local_slug_ids=frozenset({"AAAA"}))
    rendering.warnings = warnings  # type: ignore[attr-defined]
    return rendering


def text(value: str, *marks: dict) -> dict:
    return {"type": "text", "text": value, **({"marks": list(marks)} if marks else {})}


def paragraph(*content, **attrs) -> dict:
    return {"type": "paragraph", "attrs": attrs, "content": [text(c) if isinstance(c, str) else c for c in content]}


def render(node: dict, env: RenderEnv) -> str:
    return DocumentRenderer(env).block(node)


def test_audio_and_video_are_native_players_with_the_file_link_kept(env):
    audio = render({"type": "audio", "attrs": {"src": "/api/files/a1/beep.wav"}}, env)
    assert audio.startswith('<audio controls preload="metadata" src={require("./_attachments/a1/beep.wav").default}')
    assert "[beep.wav](_attachments/a1/beep.wav)" in audio
    video = render({"type": "video", "attrs": {"src": "/api/files/v1/clip.mp4", "width": 160}}, env)
    assert "<video controls" in video and "width={160}" in video and "[clip.mp4](_attachments/v1/clip.mp4)" in video


def test_a_media_file_webpack_cannot_bundle_gets_the_link_only(env):
    assert render({"type": "audio", "attrs": {"src": "/api/files/a1/voice.xyz"}}, env) == \
        "<p>[voice.xyz](_attachments/a1/voice.xyz)</p>"


def test_pdf_is_an_embedded_viewer_with_a_link_fallback(env):
    out = render({"type": "pdf", "attrs": {"src": "/api/files/p1/report.pdf", "name": "report.pdf", "height": 600}}, env)
    assert '<object data={require("./_attachments/p1/report.pdf").default} type="application/pdf"' in out
    assert out.count("[report.pdf](_attachments/p1/report.pdf)") == 2  # inside the viewer and below it


def test_merged_cells_and_header_column_keep_spans_and_header_cells(env):
    table = {"type": "table", "content": [
        {"type": "tableRow", "content": [
            {"type": "tableHeader", "attrs": {"colspan": 2, "rowspan": 1}, "content": [paragraph("Wide")]}]},
        {"type": "tableRow", "content": [
            {"type": "tableHeader", "attrs": {"colspan": 1, "rowspan": 2}, "content": [paragraph("Tall")]},
            {"type": "tableCell", "attrs": {"backgroundColor": "#dbeafe"},
             "content": [paragraph("a"), {"type": "codeBlock", "attrs": {"language": "js"}, "content": [text("x {}")]}]}]},
    ]}
    out = render(table, env)
    assert "<th colSpan={2}>Wide</th>" in out
    assert "<th rowSpan={2}>Tall</th>" in out
    assert '<td style={{backgroundColor: "#dbeafe"}}>\n\n<p>a</p>\n\n```js\nx {}\n```\n\n</td>' in out


def test_details_open_state_and_nested_task_lists(env):
    details = {"type": "details", "attrs": {"open": True}, "content": [
        {"type": "detailsSummary", "content": [text("Sum")]},
        {"type": "detailsContent", "content": [paragraph("Body")]}]}
    assert render(details, env) == "<details open>\n\n<summary>Sum</summary>\n\n<p>Body</p>\n\n</details>"
    tasks = {"type": "taskList", "content": [{"type": "taskItem", "attrs": {"checked": False}, "content": [
        paragraph("Parent"),
        {"type": "taskList", "content": [{"type": "taskItem", "attrs": {"checked": True}, "content": [paragraph("Kid")]}]},
    ]}]}
    out = render(tasks, env)
    assert '<p><input type="checkbox" checked={false} disabled readOnly /> Parent</p>' in out
    assert '<p><input type="checkbox" checked={true} disabled readOnly /> Kid</p>' in out
    assert out.index("Parent") < out.index('<ul className="contains-task-list"', 10) < out.index("Kid")


def test_marks_colours_alignment_and_status(env):
    out = render(paragraph(
        text("u", {"type": "underline"}),
        text("red", {"type": "textStyle", "attrs": {"color": "#E00000"}}),
        text("hl", {"type": "highlight", "attrs": {"color": "#faf594"}}),
        {"type": "status", "attrs": {"text": "Done", "color": "green"}},
        textAlign="center", indent=1), env)
    assert out.startswith('<p style={{textAlign: "center", marginLeft: "2rem"}}>')
    assert "<u>u</u>" in out and '<span style={{color: "#E00000"}}>red</span>' in out
    assert '<mark style={{backgroundColor: "#faf594"}}>hl</mark>' in out
    assert 'data-color="green"' in out and 'backgroundColor: "#d3f9d8"' in out and ">Done</span>" in out
    assert env.counts["underline (mark)"] == 1 and env.counts["status"] == 1


def test_callout_icon_uses_the_admonition_component(env):
    out = render({"type": "callout", "attrs": {"type": "success", "icon": "🦄"}, "content": [paragraph("Hi")]}, env)
    assert out == '<Admonition type="tip" icon={"🦄"}>\n\n<p>Hi</p>\n\n</Admonition>'
    assert env.imports == {ADMONITION_IMPORT}


def test_embeds_frame_allow_listed_providers_and_link_the_rest(env):
    out = render({"type": "embed", "attrs": {"src": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "provider": "youtube",
                                             "width": 640, "height": 360}}, env)
    assert 'src={"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"}' in out
    assert 'sandbox="allow-scripts allow-same-origin allow-popups allow-presentation"' in out
    assert 'loading="lazy"' in out and 'aspectRatio: "640 / 360"' in out
    assert '<a href={"https://www.youtube.com/watch?v=dQw4w9WgXcQ"}>' in out
    other = render({"type": "embed", "attrs": {"src": "https://example.com/x", "provider": "iframe"}}, env)
    assert "<iframe" not in other and '<a href={"https://example.com/x"}>' in other
    plain_http = render({"type": "embed", "attrs": {"src": "http://www.youtube.com/watch?v=x", "provider": "youtube"}}, env)
    assert "<iframe" not in plain_http


def test_columns_subpages_synced_blocks_and_page_break(env):
    columns = render({"type": "columns", "content": [{"type": "column", "content": [paragraph("L")]},
                                                     {"type": "column", "content": [paragraph("R")]}]}, env)
    assert 'style={{display: "flex", flexWrap: "wrap", gap: "1rem"}}' in columns
    assert columns.count('style={{flex: "1 1 10rem", minWidth: 0}}') == 2
    subpages = render({"type": "subpages"}, env)
    assert "<li>[Child A](other-page.md)</li>" in subpages and "<li>[Child B](other-page.md)</li>" in subpages
    synced = render({"type": "transclusionReference", "attrs": {"sourcePageId": "p", "transclusionId": "b1"}}, env)
    assert "<p>synced text</p>" in synced
    assert render({"type": "transclusionReference", "attrs": {"sourcePageId": "p", "transclusionId": "zz"}}, env) == ""
    assert env.warnings[-1][0] == "unresolved_transclusion"
    assert "breakAfter" in render({"type": "pageBreak"}, env)


def test_links_resolve_through_the_page_resolver(env):
    out = render(paragraph(text("see", {"type": "link", "attrs": {"href": "/s/space/p/x-AAAA"}}),
                           text(" ext", {"type": "link", "attrs": {"href": "https://example.com/?a=1&b=2"}}),
                           text(" bad", {"type": "link", "attrs": {"href": "javascript:alert(1)"}})), env)
    assert "[see](other-page.md)" in out
    assert '<a href={"https://example.com/?a=1&b=2"}> ext</a>' in out
    assert "javascript" not in out and "bad" in out


def test_unknown_node_inside_a_restored_block_warns(env):
    assert render({"type": "blockquote", "content": [{"type": "fancyWidget"}, paragraph("kept")]}, env) == \
        "<blockquote>\n\n<p>kept</p>\n\n</blockquote>"
    assert env.warnings == [("unknown_node", "document node 'fancyWidget' inside a restored block is not shown")]


def test_counts_are_per_type(env):
    render({"type": "bulletList", "content": [{"type": "listItem", "content": [paragraph("a")]}]}, env)
    assert env.counts == Counter({"bulletList": 1, "listItem": 1, "paragraph": 1})


def test_mentions_link_pages_of_this_space_and_show_the_others_as_text(env):
    out = render(paragraph({"type": "mention", "attrs": {"entityType": "page", "slugId": "AAAA", "label": "old"}},
                           {"type": "mention", "attrs": {"entityType": "page", "slugId": "ZZZZ", "label": "Far {x}"}},
                           {"type": "mention", "attrs": {"entityType": "user", "label": "Sam Rivera"}}), env)
    assert out == "<p>[Other Page](other-page.md)Far \\{x\\}@Sam Rivera</p>"
    assert env.warnings == []
