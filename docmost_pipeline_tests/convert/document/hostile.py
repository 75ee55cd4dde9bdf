"""A hand-made space whose document throws hostile attribute values and text at the document renderer (the page's
Markdown is what the export would write: the same text, without what it loses). Built by ``test_document_build``."""

from __future__ import annotations

import json
from pathlib import Path

from docmost_pipeline.convert.document.align import normal
from docmost_pipeline_tests.convert.conftest import ExportBuilder

PAGE_ID = "01a20099-0000-7000-8000-000000000001"
JSX_BREAKERS = "{ } < > </p> <script>alert(1)</script> {alert(1)} ${x} `tick` \\ import x from 'y' &amp; -->"
COLOURS = ["red;background:url(javascript:alert(1))", "expression(alert(1))", '"}}/><script>alert(1)</script>',
           "#fff\" onmouseover=\"alert(1)", "url(x)", "rgb(1,2,3) } ;", "'", "{", "}}"]
URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "https://x.example/\" onclick=\"alert(1)"]


def _text(value: str, *marks: dict) -> dict:
    return {"type": "text", "text": value, **({"marks": list(marks)} if marks else {})}


def _paragraph(*content: dict, **attrs) -> dict:
    return {"type": "paragraph", "attrs": attrs, "content": list(content)}


def hostile_nodes() -> list[dict]:
    nodes: list[dict] = [_paragraph(_text(f"colour {i} " + JSX_BREAKERS, {"type": "textStyle", "attrs": {"color": c}},
                                          {"type": "underline"}))
                         for i, c in enumerate(COLOURS)]
    nodes += [_paragraph(_text(f"highlight {i} " + JSX_BREAKERS, {"type": "highlight", "attrs": {"color": c}},
                               {"type": "underline"}), textAlign=c) for i, c in enumerate(COLOURS)]
    nodes += [_paragraph(_text(f"link {i} ", {"type": "underline"}),
                         _text("click", {"type": "link", "attrs": {"href": url}})) for i, url in enumerate(URLS)]
    nodes.append(_paragraph(*({"type": "status", "attrs": {"text": f"{JSX_BREAKERS} {i}", "color": c}}
                              for i, c in enumerate(COLOURS))))
    nodes.append({"type": "callout", "attrs": {"type": "info\" x=\"1", "icon": "\"}<script>"},
                  "content": [_paragraph(_text("callout " + JSX_BREAKERS))]})
    nodes += [{"type": "embed", "attrs": {"src": url, "provider": "youtube", "width": "1\" onload=\"x", "height": -5}}
              for url in [*URLS, "https://www.youtube.com/watch?v=abc\"onload=alert(1)"]]
    nodes.append({"type": "table", "content": [{"type": "tableRow", "content": [
        {"type": "tableHeader", "attrs": {"colspan": "2\" onclick=\"alert(1)", "rowspan": 999999, "align": "x;y"},
         "content": [_paragraph(_text("cell " + JSX_BREAKERS))]},
        {"type": "tableCell", "attrs": {"colspan": 2, "backgroundColor": COLOURS[0]},
         "content": [_paragraph(_text("second " + JSX_BREAKERS)),
                     {"type": "codeBlock", "attrs": {"language": "js} onload={alert(1)"},
                      "content": [_text("```\n</td><script>alert(1)</script>\n````")]}]}]}]})
    nodes.append({"type": "details", "attrs": {"open": True}, "content": [
        {"type": "detailsSummary", "content": [_text("summary " + JSX_BREAKERS)]},
        {"type": "detailsContent", "content": [_paragraph(_text("math "), {"type": "mathInline", "attrs": {
            "text": "a$<script>alert(1)</script>$"}}), {"type": "mathBlock", "attrs": {"text": "x$$\n<script>alert(1)</script>"}},
            _paragraph(_text("inline math "), {"type": "mathInline",
                                                                                           "attrs": {"text": "a < b"}})]}]})
    nodes.append({"type": "video", "attrs": {"src": "javascript:alert(1)"}})
    nodes.append({"type": "pdf", "attrs": {"src": "/api/files/../../etc/passwd", "name": "x\"}<script>"}})
    return nodes


def _markdown_of(node: dict) -> str:
    """What the export writes for a node, as far as the alignment looks (its text's letters and digits)."""
    kind = node["type"]
    if kind in ("video",):
        return "[x](javascript:x)"
    if kind in ("embed",):
        return node["attrs"]["src"].strip().replace("\t", "") or "x"
    if kind == "pdf":
        return "[]()"
    if kind == "details":
        summary, content = node["content"]
        inner = "\n\n".join(_letters(child) for child in content["content"])
        return f"<details>\n<summary>{_letters(summary)}</summary>\n\n{inner}\n\n</details>"
    if kind == "callout":
        return ":::info\n" + _letters(node) + "\n:::"
    return _letters(node) or "x"


def _letters(node: dict) -> str:
    parts = []

    def visit(value: dict) -> None:
        if value.get("type") == "text":
            parts.append(value["text"])
        if value.get("type") in ("status", "mathInline", "mathBlock"):
            parts.append(value["attrs"]["text"])
        for child in value.get("content") or ():
            visit(child)

    visit(node)
    return normal(" ".join(parts))


def hostile_space(root: Path) -> tuple[object, Path]:
    """(extracted export, documents folder) of a one-page space."""
    nodes = hostile_nodes()
    body = "# Hostile\n\n" + "\n\n".join(_markdown_of(node) for node in nodes) + "\n"
    builder = ExportBuilder(root / "export")
    builder.page(PAGE_ID, "Hostile", body=body, slug_id="HoStIlE001")
    documents = root / "documents"
    documents.mkdir(parents=True)
    (documents / f"{PAGE_ID}.json").write_text(json.dumps({"id": PAGE_ID, "slugId": "HoStIlE001", "title": "Hostile",
                                                           "content": {"type": "doc", "content": nodes}}),
                                               encoding="utf-8")
    return builder.build(), documents
