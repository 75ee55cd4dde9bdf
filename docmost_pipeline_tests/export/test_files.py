"""Files a space's pages show that no ZIP of its raw export holds (attachments of other spaces): fetched with the
session into the raw export, carried over by incremental exports, extracted like ZIP attachments; a file Docmost
does not give is recorded, never fetched. Against the Docmost test server on 127.0.0.1."""

from __future__ import annotations

import json
import zipfile
from urllib.parse import unquote

import pytest

from docmost_pipeline.docmost import DocmostClient
from docmost_pipeline.emulator.recordings import RECORDINGS_DIR
from docmost_pipeline.export.download import RawExport, download_space
from docmost_pipeline.export.extract import ExtractionError, extract_raw_export
from docmost_pipeline.export.incremental import export_changes
from docmost_pipeline.export.manifest import read_manifest

KOREAN = ("01a20070-3f35-772d-b664-684e42d81d9f", "화면_캡처_(설정).png")  # a Content Gallery attachment
GONE = "00000000-0000-7000-8000-000000000000"


def page_id(server, slug: str, title: str) -> str:
    return next(p.id for p in server.space_by_slug(slug).model.pages.values() if p.title == title)


def gallery_file(attachment_id: str, name: str) -> bytes:
    with zipfile.ZipFile(RECORDINGS_DIR / "content-gallery.zip") as zf:
        return zf.read(f"Gallery Index//files/{attachment_id}/{name}")


def show_files(server) -> str:
    """Glossary (Engineering) shows a Content Gallery image and a file that no longer exists."""
    glossary = page_id(server, "engineering", "Glossary")
    server.link_attachment(glossary, KOREAN[0], alt="Korean screenshot")
    content = server.wiki.page(glossary)[1].content
    server.edit_page(glossary, content + f"\n\n![gone]({'files'}/{GONE}/gone.png)")
    return glossary


def engineering(client):
    return next(s for s in client.list_spaces() if s.slug == "engineering")


@pytest.mark.parametrize("slug", ["engineering", "hangul-docs", "content-gallery", "collisions"])
def test_recorded_spaces_have_every_file_in_their_export(client, docmost_server, tmp_path, slug):
    space = next(s for s in client.list_spaces() if s.slug == slug)
    raw = download_space(client, space, tmp_path / "raw")
    assert raw.fetched_files == [] and raw.missing_files == []
    assert not (raw.dir / "files").exists()
    assert not [r for r in docmost_server.requests if r.path.startswith("/api/files/")]


def test_a_file_of_another_space_is_fetched_and_a_gone_one_recorded(client, docmost_server, tmp_path):
    show_files(docmost_server)
    raw = download_space(client, engineering(client), tmp_path / "raw")
    expected = gallery_file(*KOREAN)
    assert raw.fetched_files == [{
        "attachment_id": KOREAN[0], "name": KOREAN[1], "file": f"files/{KOREAN[0]}/HwaMyeon_KaebCheo_SeolJeong.png",
        "bytes": len(expected), "sha256": raw.fetched_files[0]["sha256"]}]
    assert (raw.dir / raw.fetched_files[0]["file"]).read_bytes() == expected
    assert raw.missing_files == [{
        "attachment_id": GONE, "name": "gone.png", "status": 404,
        "reason": f"GET /api/files/{GONE}/gone.png failed (HTTP 404): Docmost says 'File not found'"}]
    assert sorted(p.name for p in (raw.dir / "files").iterdir()) == [KOREAN[0]]  # nothing left of the 404
    assert RawExport.load(raw.dir).fetched_files == raw.fetched_files
    assert RawExport.load(raw.dir).missing_files == raw.missing_files
    # Engineering's own attachments come with its export; only the two foreign references were asked for
    asked = sorted((unquote(r.path), r.status) for r in docmost_server.requests if r.path.startswith("/api/files/"))
    assert asked == [(f"/api/files/{GONE}/gone.png", 404), (f"/api/files/{KOREAN[0]}/{KOREAN[1]}", 200)]


def test_fetched_files_are_extracted_like_zip_attachments(client, docmost_server, tmp_path):
    show_files(docmost_server)
    raw = download_space(client, engineering(client), tmp_path / "raw")
    export = extract_raw_export(raw.dir, tmp_path / "out")
    attachment = export.attachments[f"{KOREAN[0]}/{KOREAN[1]}"]
    assert attachment.file == f"files/{KOREAN[0]}/HwaMyeon_KaebCheo_SeolJeong.png"
    assert (export.root / attachment.file).read_bytes() == gallery_file(*KOREAN)
    assert f"{GONE}/gone.png" not in export.attachments
    assert any(note.startswith(f"files/{GONE}/gone.png: shown by a page but not in the export")
               for note in export.notes)


@pytest.mark.parametrize("change, message", [
    ({"file": "../space.zip"}, "is not files/"),
    ({"file": "files/01a20070-0dfb-73ce-b295-0818dcbbc27b/x.png"}, "is not files/"),
    ({"attachment_id": "../../etc"}, "is not an attachment id"),
    ({"bytes": 1}, "the file changed"),
])
def test_a_tampered_fetched_file_entry_is_refused(client, docmost_server, tmp_path, change, message):
    show_files(docmost_server)
    raw = download_space(client, engineering(client), tmp_path / "raw")
    manifest = json.loads((raw.dir / "raw-export.json").read_text(encoding="utf-8"))
    manifest["fetched_files"][0].update(change)
    (raw.dir / "raw-export.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ExtractionError, match=message):
        extract_raw_export(raw.dir, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_incremental_export_carries_the_fetched_files_over_and_asks_again_for_missing_ones(
        client, docmost_server, tmp_path):
    glossary = show_files(docmost_server)
    space = engineering(client)
    first, _ = export_changes(client, space, read_manifest(client, space.id), tmp_path / "raw" / "1",
                              bases=tmp_path / "raw")
    docmost_server.append_text(page_id(docmost_server, "engineering", "FAQ"), "One more answer.")
    docmost_server.clear_requests()
    second, plan = export_changes(client, space, read_manifest(client, space.id), tmp_path / "raw" / "2",
                                  bases=tmp_path / "raw")
    assert plan.mode == "incremental" and glossary not in second.exported_page_ids
    assert second.fetched_files == first.fetched_files and second.missing_files == first.missing_files
    old, new = (raw.dir / raw.fetched_files[0]["file"] for raw in (first, second))
    assert new.stat().st_ino == old.stat().st_ino  # hard-linked, not downloaded again
    asked = [r.path for r in docmost_server.requests if r.path.startswith("/api/files/")]
    assert asked == [f"/api/files/{GONE}/gone.png"]  # the missing one is asked for again
    # the page showing them is exported on its own: its references come from its page ZIP now
    docmost_server.append_text(glossary, "Edited.")
    third, plan = export_changes(client, space, read_manifest(client, space.id), tmp_path / "raw" / "3",
                                 bases=tmp_path / "raw")
    assert plan.mode == "incremental" and glossary in third.exported_page_ids
    assert [f["attachment_id"] for f in third.fetched_files] == [KOREAN[0]]
    export = extract_raw_export(third.dir, tmp_path / "out")
    assert (export.root / export.attachments[f"{KOREAN[0]}/{KOREAN[1]}"].file).read_bytes() == gallery_file(*KOREAN)


def test_a_file_over_the_size_cap_is_recorded_missing_not_fetched(docmost_server, tmp_path):
    callouts = page_id(docmost_server, "content-gallery", "Callouts")
    big = docmost_server.add_attachment(callouts, "big.bin", bytes(300_000))
    docmost_server.link_attachment(page_id(docmost_server, "engineering", "Glossary"), big["attachmentId"])
    with DocmostClient(docmost_server.base_url, docmost_server.email, docmost_server.password, backoff_base=0.01,
                       max_export_bytes=150_000) as client:  # the Engineering export (~76 kB) fits, the file not
        raw = download_space(client, engineering(client), tmp_path / "raw")
    assert raw.fetched_files == []
    (missing,) = raw.missing_files
    assert (missing["attachment_id"], missing["name"], missing["status"]) == (big["attachmentId"], "big.bin", None)
    assert "Content-Length declares 300000 bytes, more than the maximum of 150000 bytes" in missing["reason"]
    assert not (raw.dir / "files").exists()
