"""Each page's own document (``POST /api/pages/info``) stored with the raw export: a bounded number of requests in
flight, every page's document on a full export, only the changed pages' on an incremental one, a page whose document
cannot be fetched listed as unavailable while the rest goes on, and the folder carried into the extraction. Against
the Docmost test server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from docmost_pipeline.docmost import DocmostAuthError
from docmost_pipeline.export.documents import DOCUMENTS_DIR, UNAVAILABLE_FILE, fetch_documents
from docmost_pipeline.export.extract import extract_raw_export
from docmost_pipeline.export.incremental import export_changes
from docmost_pipeline.export.manifest import read_manifest
from docmost_pipeline_tests.emulator.test_server_recordings import logged_in

INFO = "/api/pages/info"


def space_of(client, slug: str):
    return next(s for s in client.list_spaces() if s.slug == slug)


def page_id(server, slug: str, title: str) -> str:
    return next(p.id for p in server.space_by_slug(slug).model.pages.values() if p.title == title and not p.trashed)


def sync(client, slug: str, root, run: str, **kwargs):
    space = space_of(client, slug)
    return export_changes(client, space, read_manifest(client, space.id), root / run, bases=root, **kwargs)


def stored(directory) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))
            if p.name != UNAVAILABLE_FILE}


def unavailable(directory) -> dict[str, str]:
    return json.loads((directory / UNAVAILABLE_FILE).read_text(encoding="utf-8"))


def server_documents(server, slug: str) -> dict[str, dict]:
    """What the server answers now for every page of the space that is not in the trash."""
    with logged_in(server) as http:
        return {page.id: http.post(INFO, json={"pageId": page.id}).json()["data"]
                for page in server.space_by_slug(slug).model.live_pages()}


def test_requests_in_flight_never_exceed_the_bound(client, docmost_server, tmp_path):
    pages = [p.id for p in docmost_server.space_by_slug("engineering").model.live_pages()][:24]
    docmost_server.set_info_latency(0.05)
    for bound in (3, 1):
        docmost_server.info_concurrency(reset=True)
        assert fetch_documents(client, pages, tmp_path / str(bound), concurrency=bound) == {}
        assert docmost_server.info_concurrency()["max_in_flight"] == bound
        assert sorted(stored(tmp_path / str(bound))) == sorted(pages)


def test_a_full_export_stores_every_page_document_as_the_server_sends_it(client, docmost_server, tmp_path):
    docmost_server.clear_requests()
    raw, plan = sync(client, "engineering", tmp_path / "raw", "1")
    documents = raw.dir / DOCUMENTS_DIR
    assert plan.mode == "full"
    assert docmost_server.count(INFO) == 100
    assert stored(documents) == server_documents(docmost_server, "engineering")
    assert unavailable(documents) == {}
    assert (raw.documents["fetched"], raw.documents["reused"], raw.documents["unavailable"]) == (100, 0, {})
    assert raw.documents["seconds"] > 0
    assert json.loads((raw.dir / "raw-export.json").read_text())["documents"] == raw.documents

    export = extract_raw_export(raw.dir, tmp_path / "extract")
    carried = export.root / DOCUMENTS_DIR
    assert sorted(stored(carried)) == sorted(p.page_id for p in export.pages)
    some = next(iter(stored(carried)))
    assert (carried / f"{some}.json").stat().st_ino == (documents / f"{some}.json").stat().st_ino  # hard link
    assert unavailable(carried) == {}


def test_an_incremental_export_fetches_exactly_the_changed_pages_documents(client, docmost_server, tmp_path):
    first, _ = sync(client, "engineering", tmp_path / "raw", "1")
    glossary, faq = page_id(docmost_server, "engineering", "Glossary"), page_id(docmost_server, "engineering", "FAQ")
    changelog = page_id(docmost_server, "engineering", "Changelog")
    docmost_server.append_text(glossary, "A sentence added in Docmost.")
    docmost_server.rename_page(faq, "Questions")  # the pages linking to it are exported again, not their documents
    created = docmost_server.create_page("engineering", "Brand new", content="Written today.")["id"]
    docmost_server.trash_page(changelog)
    docmost_server.clear_requests()
    second, plan = sync(client, "engineering", tmp_path / "raw", "2")

    assert plan.mode == "incremental"
    assert docmost_server.count(INFO) == 3  # Glossary, FAQ and the new page; Changelog's is dropped
    assert (second.documents["fetched"], second.documents["reused"]) == (3, 97)
    documents = second.dir / DOCUMENTS_DIR
    assert stored(documents) == server_documents(docmost_server, "engineering")
    assert changelog not in stored(documents) and created in stored(documents)
    untouched = next(p for p in stored(documents) if p not in (glossary, faq, created))
    assert (documents / f"{untouched}.json").stat().st_ino == \
        (first.dir / DOCUMENTS_DIR / f"{untouched}.json").stat().st_ino  # hard-linked from the base


def test_an_unchanged_space_fetches_no_document(client, docmost_server, tmp_path):
    sync(client, "hangul-docs", tmp_path / "raw", "1")
    docmost_server.clear_requests()
    second, plan = sync(client, "hangul-docs", tmp_path / "raw", "2")
    assert plan.mode == "incremental" and plan.reason == "nothing changed since the last export"
    assert docmost_server.count(INFO) == 0
    assert (second.documents["fetched"], second.documents["reused"]) == (0, 34)
    assert stored(second.dir / DOCUMENTS_DIR) == server_documents(docmost_server, "hangul-docs")


def test_a_document_that_cannot_be_fetched_is_listed_and_fetched_again_next_time(client, docmost_server, tmp_path):
    callouts = page_id(docmost_server, "content-gallery", "Callouts")
    docmost_server.faults.fail_page_info(callouts, status=500)
    docmost_server.faults.fail(INFO, times=2, status=503)  # passing failures of other pages are retried away
    raw, _ = sync(client, "content-gallery", tmp_path / "raw", "1")
    documents = raw.dir / DOCUMENTS_DIR
    reason = ("POST /api/pages/info failed (HTTP 500): Docmost says 'Internal server error' (server error; gave up "
              "after 4 attempts)")
    assert unavailable(documents) == {callouts: reason}
    assert raw.documents["unavailable"] == {callouts: reason} and raw.documents["fetched"] == 19
    assert docmost_server.count(INFO, 500) == 4  # client.retries = 3

    export = extract_raw_export(raw.dir, tmp_path / "extract")  # the rest of the sync goes on
    assert len(export.pages) == 20 and unavailable(export.root / DOCUMENTS_DIR) == {callouts: reason}
    assert not (export.root / DOCUMENTS_DIR / f"{callouts}.json").exists()

    docmost_server.faults.reset()
    expected = server_documents(docmost_server, "content-gallery")
    assert stored(documents) == {k: v for k, v in expected.items() if k != callouts}
    docmost_server.clear_requests()
    second, plan = sync(client, "content-gallery", tmp_path / "raw", "2")
    assert plan.mode == "incremental" and docmost_server.count(INFO) == 1
    assert stored(second.dir / DOCUMENTS_DIR) == server_documents(docmost_server, "content-gallery")
    assert unavailable(second.dir / DOCUMENTS_DIR) == {}


def test_documents_off_writes_none_and_the_next_export_with_them_fetches_all(client, docmost_server, tmp_path):
    docmost_server.clear_requests()
    first, _ = sync(client, "hangul-docs", tmp_path / "raw", "1", page_documents=False)
    assert docmost_server.count(INFO) == 0 and first.documents is None
    assert not (first.dir / DOCUMENTS_DIR).exists()
    export = extract_raw_export(first.dir, tmp_path / "extract")
    assert not (export.root / DOCUMENTS_DIR).exists()

    second, plan = sync(client, "hangul-docs", tmp_path / "raw", "2")
    assert plan.mode == "incremental" and docmost_server.count(INFO) == 34
    assert stored(second.dir / DOCUMENTS_DIR) == server_documents(docmost_server, "hangul-docs")


def test_documents_of_pages_not_extracted_are_not_carried(client, docmost_server, tmp_path):
    raw, _ = sync(client, "collisions", tmp_path / "raw", "1")
    documents = raw.dir / DOCUMENTS_DIR
    stray = "01a20070-0000-7000-8000-000000000000"  # a page deleted since: not in the extracted page list
    (documents / f"{stray}.json").write_text('{"id": "%s"}' % stray, encoding="utf-8")
    (documents / UNAVAILABLE_FILE).write_text(json.dumps({stray: "gone"}), encoding="utf-8")
    export = extract_raw_export(raw.dir, tmp_path / "extract")
    carried = export.root / DOCUMENTS_DIR
    assert sorted(stored(carried)) == sorted(p.page_id for p in export.pages) and stray not in stored(carried)
    assert unavailable(carried) == {}


def test_a_rejected_login_while_fetching_documents_fails_the_export(client, docmost_server, tmp_path):
    pages = [p.id for p in docmost_server.space_by_slug("engineering").model.live_pages()][:10]
    client.login()
    docmost_server.set_password("rotated-on-the-server")
    docmost_server.expire_sessions()
    with pytest.raises(DocmostAuthError):
        fetch_documents(client, pages, tmp_path / "documents", concurrency=4)
    assert docmost_server.count(INFO) <= 4  # the requests in flight when it happened; the rest were not made


def test_documents_are_fetched_while_the_space_export_runs(client, docmost_server, tmp_path):
    docmost_server.set_export_latency(base_seconds=1.0, per_page_seconds=0.0)
    docmost_server.clear_requests()
    raw, _ = sync(client, "engineering", tmp_path / "raw", "1")
    paths = [r.path for r in docmost_server.requests]
    # the export answers after 1 s; by then documents have been answered (requests are logged as answered)
    assert paths.index(INFO) < paths.index("/api/spaces/export")
    assert raw.documents["fetched"] == 100 and stored(raw.dir / DOCUMENTS_DIR).keys() == {
        p.id for p in docmost_server.space_by_slug("engineering").model.live_pages()}


def test_a_page_deleted_during_the_export_loses_its_document(client, docmost_server, tmp_path):
    sync(client, "engineering", tmp_path / "raw", "1")
    glossary = page_id(docmost_server, "engineering", "Glossary")
    docmost_server.append_text(glossary, "Edited, then trashed before the sync exports it.")
    space = space_of(client, "engineering")
    manifest = read_manifest(client, space.id)  # still lists Glossary
    docmost_server.trash_page(glossary)
    raw, _ = export_changes(client, space, manifest, tmp_path / "raw" / "2", bases=tmp_path / "raw")
    assert glossary in raw.deleted_page_ids
    documents = raw.dir / DOCUMENTS_DIR
    assert glossary not in stored(documents) and glossary not in unavailable(documents)
    assert stored(documents) == server_documents(docmost_server, "engineering")
