"""Validation of untrusted document values, embed frame URLs and the documents folder."""

from __future__ import annotations

import json

import pytest

from docmost_pipeline.convert.document.embeds import frame_url
from docmost_pipeline.convert.document.load import load_documents
from docmost_pipeline.convert.document.safety import is_link_url, safe_color, safe_int


@pytest.mark.parametrize("value", ["#E00000", "#fff", "rgb(1, 2, 3)", "rgba(1,2,3,0.5)", "hsl(120 50% 50%)", "Red"])
def test_plain_colours_pass(value):
    assert safe_color(value) in (value, value.lower())


@pytest.mark.parametrize("value", ["url(x)", "red;background:url(javascript:alert(1))", "expression(alert(1))",
                                   '"}}', "#fff\" onmouseover=\"x", "{", "'", "", None, 5, "rgb(1,2,3) }",
                                   "var(--x)", "x" * 50])
def test_hostile_colours_are_dropped(value):
    assert safe_color(value) is None


@pytest.mark.parametrize("value", ["javascript:alert(1)", "JaVaScRiPt:x", " javascript:x", "java\tscript:x",
                                   "data:text/html,x", "vbscript:x", "", "\x00https://a"])
def test_script_urls_are_refused(value):
    assert not is_link_url(value)


def test_link_urls_and_integers():
    assert all(is_link_url(u) for u in ("https://a.example/x?y=1&z", "mailto:a@b.c", "/s/x/p/y", "../a.md", "#x"))
    assert safe_int("2") == 2 and safe_int(True) is None and safe_int(-1) is None and safe_int(10**9) is None


@pytest.mark.parametrize(("provider", "src", "framed"), [
    ("youtube", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
    ("youtube", "https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
    ("vimeo", "https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
    ("loom", "https://www.loom.com/share/0123abc", "https://www.loom.com/embed/0123abc"),
    ("figma", "https://www.figma.com/file/AbCdEfGhIjKlMnOpQrStUv/Design-System?node-id=0:1",
     "https://www.figma.com/embed?embed_host=docmost&url=https%3A%2F%2Fwww.figma.com%2Ffile%2FAbCdEfGhIjKlMnOpQrStUv"
     "%2FDesign-System%3Fnode-id%3D0%3A1"),
    ("gsheets", "https://docs.google.com/spreadsheets/d/1AbC/edit#gid=0", "https://docs.google.com/spreadsheets/d/1AbC/edit#gid=0"),
    ("gdrive", "https://drive.google.com/file/d/XyZ/view", "https://drive.google.com/file/d/XyZ/preview"),
    ("miro", "https://miro.com/app/board/uXjVabc=/", "https://miro.com/app/live-embed/uXjVabc=?embedMode=view_only_without_ui"),
    ("iframe", "https://example.com/widgets/chart?id=42", None),
    ("youtube", "http://www.youtube.com/watch?v=x", None),
    ("youtube", "javascript:alert(1)", None),
    ("figma", "https://evil.example/file/AbCdEfGhIjKlMnOpQrStUv", None),
])
def test_frame_urls_follow_docmost_providers_and_the_allow_list(provider, src, framed):
    assert frame_url(provider, src) == framed


def test_documents_folder_problems_name_the_file(tmp_path):
    (tmp_path / "p1.json").write_text(json.dumps({"id": "p1", "content": {"type": "doc", "content": []}}))
    (tmp_path / "p2.json").write_text(json.dumps({"id": "other", "content": None}))
    (tmp_path / "p3.json").write_text(json.dumps({"id": "p3", "content": {"type": "paragraph"}}))
    (tmp_path / "p4.json").write_text(json.dumps({"id": "p4", "content": None}))
    (tmp_path / "unavailable.json").write_text(json.dumps({"p5": "HTTP 404"}))
    documents = load_documents(tmp_path)
    assert documents.content == {"p1": {"type": "doc", "content": []}, "p4": None}
    assert documents.missing_reason("p1") is None and documents.missing_reason("p4") is None
    assert documents.missing_reason("p2") == "p2.json is unreadable: its id 'other' is not the file's page id"
    assert documents.missing_reason("p3").startswith("p3.json is unreadable: content is not a ProseMirror document")
    assert documents.missing_reason("p5") == "Docmost did not return it: HTTP 404"
    assert documents.missing_reason("p6") == "no p6.json in the documents folder"
    assert load_documents(tmp_path / "absent").content == {}


def test_malformed_node_shapes_are_cleaned_on_load(tmp_path):
    content = {"type": "doc", "content": [
        {"type": "paragraph", "attrs": ["not", "a", "dict"], "marks": "bold",
         "content": [{"type": "text", "text": 5, "marks": [{"type": "underline", "attrs": 3}, "x"]}, "stray", 7]},
        "not a node"]}
    (tmp_path / "p1.json").write_text(json.dumps({"id": "p1", "content": content}))
    assert load_documents(tmp_path).content["p1"] == {"type": "doc", "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "5", "marks": [{"type": "underline"}]}]}]}
