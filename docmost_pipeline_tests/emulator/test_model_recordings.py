"""The page model of the emulator, unchanged, answers like the recordings: ``recent`` and ``info`` byte for byte, and
exports generated from it have the recorded entries and Markdown (the recorded bytes are what the server sends while
nothing changed; these tests force generation to check the generator against them)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from docmost_pipeline.emulator.recordings import API_DIR, RECORDINGS_DIR, recorded_page_exports
from docmost_pipeline_tests.emulator.test_server_recordings import logged_in

INDEX = json.loads((API_DIR / "index.json").read_text(encoding="utf-8"))
RECENT = [e for e in INDEX if e["path"] == "/api/pages/recent" and e["status"] == 200]
INFO = [e for e in INDEX if e["path"] == "/api/pages/info" and e["status"] == 200]
SPACES = ("engineering", "hangul-docs", "content-gallery", "collisions")


def test_every_recorded_recent_and_info_request_is_selected():
    # recent: 4 spaces at limit 100 + 20 pages of engineering at limit 5; info: 100 + 34 + 20 pages.
    assert len(RECENT) == 24 and len(INFO) == 154


@pytest.mark.parametrize("entry", RECENT, ids=[e["name"] for e in RECENT])
def test_recent_equals_the_recording_byte_for_byte(docmost_server, entry):
    with logged_in(docmost_server) as http:
        response = http.post(entry["path"], json=entry["request_body"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.content == (RECORDINGS_DIR / entry["body_file"]).read_bytes()


def test_info_equals_the_recordings_byte_for_byte(docmost_server):
    first = (API_DIR / "page-info.collisions.first.json").read_bytes()
    with logged_in(docmost_server) as http:
        for entry in INFO:
            response = http.post(entry["path"], json=entry["request_body"])
            assert response.content == (RECORDINGS_DIR / entry["body_file"]).read_bytes(), entry["name"]
        response = http.post("/api/pages/info", json={"pageId": json.loads(first)["data"]["id"]})
        by_slug = http.post("/api/pages/info", json={"pageId": json.loads(first)["data"]["slugId"]})
    assert response.content == first
    assert by_slug.content == first  # a pageId that is not a UUID is looked up as a slugId


def _entries(data: bytes) -> tuple[list[str], dict[str, bytes], dict]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        files = {n: zf.read(n) for n in names if not n.endswith("/") and n != "docmost-metadata.json"}
        metadata = json.loads(zf.read("docmost-metadata.json"))
    metadata.pop("exportedAt")
    return names, files, metadata


@pytest.mark.parametrize("slug", SPACES)
def test_generated_space_export_of_the_unchanged_model_equals_the_recording(docmost_server, slug):
    """Same entry names in the same order, same Markdown and attachment bytes, same metadata (keys in the same order)
    but ``exportedAt``: every page is reproduced, since the model's read order is the recorded export's own."""
    space = docmost_server.space_by_slug(slug)
    generated, pages = docmost_server.exporter.space_zip(space.model)
    ours, theirs = _entries(generated), _entries(space.export_zip)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2] and list(ours[2]["pages"]) == list(theirs[2]["pages"])
    assert pages == len(space.model.live_pages())


def test_read_order_decides_duplicate_suffixes_which_the_recordings_alone_do_not_tell(docmost_server):
    """Where the recorded export is ambiguous. Docmost numbers siblings with equal titles in the order its export query
    reads them, and the recordings do not say that order: the model takes it from the recorded ZIP's entry order
    (``seed.COLLISIONS_READ_ORDER`` for Collisions, where overwritten entries hide it). Read by creation time instead,
    these pages come out differently: the two untitled root pages of 한글 문서 swap ``untitled``/``untitled (1)`` and
    the ``메모`` pages under ``개발`` swap ``메모``/``메모 (2)`` (and the pages linking to them, ``테스트 한글`` and
    ``마이그레이션``, link to the other file), and in Collisions other pages survive the file-name collisions."""
    differing = {}
    for slug in SPACES:
        space = docmost_server.space_by_slug(slug)
        for page in space.model.pages.values():
            page.read_rank = (page.created_at, page.id)
        _, ours, _ = _entries(docmost_server.exporter.space_zip(space.model)[0])
        _, theirs, _ = _entries(space.export_zip)
        differing[slug] = sorted(name for name in theirs if ours.get(name) != theirs[name])
    assert differing == {
        "engineering": [],
        "content-gallery": [],
        "hangul-docs": ["untitled (1).md", "untitled.md", "개발/메모 (2).md", "개발/메모.md",
                        "개발/백엔드/데이터베이스/마이그레이션.md", "테스트 한글.md"],
        "collisions": ["Notes (1).md", "Notes.md", "Q what.md", "xy plan.md"],
    }


@pytest.mark.parametrize("key", sorted(recorded_page_exports()),
                         ids=lambda k: f"{k[0][:13]}-att{int(k[1])}-ch{int(k[2])}")
def test_generated_page_export_of_the_unchanged_model_equals_the_recording(docmost_server, key):
    """The 7 recorded single-page exports (plain Markdown, ZIP with attachments, ZIP with children) are what the
    generator writes for the unchanged model: links to other pages as APP_URL URLs, attachments as server paths in
    the plain file."""
    page_id, attachments, children = key
    space, page = docmost_server.find_page(page_id)
    export = docmost_server.exporter.page_export(space.model, page, attachments, children)
    recording = recorded_page_exports()[key]
    if export.kind == "file":
        assert export.data == recording.body
    else:
        assert _entries(export.data) == _entries(recording.body)


def test_sidebar_items_come_from_the_model(docmost_server):
    engineering = docmost_server.space_by_slug("engineering")
    by_title = {p["title"]: p for p in engineering.pages.values()}
    assert len(by_title) == 100 and "Legacy Deploy Guide (deprecated)" not in by_title
    legacy = next(p for p in engineering.model.pages.values() if p.trashed)
    assert (legacy.title, legacy.slug_id) == ("Legacy Deploy Guide (deprecated)", "nBXWN8W8Hb")
