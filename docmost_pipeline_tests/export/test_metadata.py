"""docmost-metadata.json: download and extraction share one parser, so they refuse the same files the same way."""

from __future__ import annotations

import json
import zipfile

import pytest

from docmost_pipeline.docmost import DocmostClient
from docmost_pipeline.export.download import download_space
from docmost_pipeline.export.extract import extract_raw_export, extract_zip
from docmost_pipeline.export.metadata import ExportMetadataError, parse_metadata, read_export_metadata

PAGE_ID = "01a20080-7b36-7687-840f-64f8d34240c0"


def page_entry(**overrides) -> dict:
    entry = {"pageId": PAGE_ID, "slugId": "SdXrQvdiZb", "icon": None, "position": "a0", "parentPath": None,
             "createdAt": "2026-11-21T23:45:49.878Z", "updatedAt": "2026-11-21T23:45:49.878Z"}
    entry.update(overrides)
    return entry


def metadata(pages: object) -> bytes:
    return json.dumps({"exportedAt": "2026-11-21T23:46:01.273Z", "source": "docmost", "version": "0.95.0",
                       "pages": pages}).encode()


def write_export(path, metadata_bytes: bytes) -> None:
    """A space export with two pages and the given docmost-metadata.json."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a b.md", "# a b\n\nFirst.\n")
        zf.writestr("c.md", "# c\n\nSecond.\n")
        zf.writestr("docmost-metadata.json", metadata_bytes)


MALFORMED = {
    "not JSON": (b'{"pages": {', r"docmost-metadata\.json is not valid JSON \(Expecting"),
    "not UTF-8": (b'{"pages": {"\xff": 1}}', r"docmost-metadata\.json is not valid JSON \('utf-8' codec"),
    "a list": (b"[]", r"docmost-metadata\.json has no 'pages' object"),
    "pages not an object": (metadata([]), r"docmost-metadata\.json has no 'pages' object"),
    "entry not an object": (metadata({"a%20b.md": "x"}),
                            r"docmost-metadata\.json entry 'a%20b\.md': expected an object"),
    "no pageId": (metadata({"a%20b.md": page_entry(pageId=None)}),
                  r"docmost-metadata\.json entry 'a%20b\.md' pageId: None is not a valid"),
    "unsafe pageId": (metadata({"a%20b.md": page_entry(pageId="../x")}),
                      r"docmost-metadata\.json entry 'a%20b\.md' pageId: '\.\./x' is not a valid Docmost id"),
    "pageId twice": (metadata({"a%20b.md": page_entry(), "c.md": page_entry(slugId="other")}),
                     rf"docmost-metadata\.json entry 'c\.md': pageId {PAGE_ID} is also used by 'a%20b\.md'"),
    "one path twice": (metadata({"a%20b.md": page_entry(), "a b.md": page_entry(pageId="other-id")}),
                       r"docmost-metadata\.json entry 'a b\.md': names the same ZIP path as 'a b\.md'"),
    "parentPath a number": (metadata({"a%20b.md": page_entry(parentPath=5)}),
                            r"docmost-metadata\.json entry 'a%20b\.md' parentPath: expected a string or null, got int"),
    "slugId a list": (metadata({"a%20b.md": page_entry(slugId=["x"])}),
                      r"docmost-metadata\.json entry 'a%20b\.md' slugId: expected a string or null, got list"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_download_and_extraction_refuse_malformed_metadata_with_the_same_error(tmp_path, case):
    raw, pattern = MALFORMED[case]
    zip_path = tmp_path / "space.zip"
    write_export(zip_path, raw)
    with pytest.raises(ExportMetadataError, match=f"^space\\.zip: {pattern}") as from_download:
        read_export_metadata(zip_path)
    with pytest.raises(ExportMetadataError) as from_extraction:
        extract_zip(zip_path, tmp_path / "out")
    assert str(from_extraction.value) == str(from_download.value)
    assert not (tmp_path / "out").exists()


def test_valid_metadata_reads_the_same_pages_in_both_paths(tmp_path):
    zip_path = tmp_path / "space.zip"
    write_export(zip_path, metadata({"a%20b.md": page_entry(),
                                     "c.md": page_entry(pageId="c-page", slugId="C", parentPath="a%20b.md")}))
    parsed = read_export_metadata(zip_path)
    assert parsed.version == "0.95.0" and parsed.exported_at == "2026-11-21T23:46:01.273Z"
    assert parsed.page_ids == {PAGE_ID, "c-page"}
    assert parsed.pages["c.md"].parent_path == "a b.md"
    export = extract_zip(zip_path, tmp_path / "out")
    assert {p.page_id: p.parent_page_id for p in export.pages} == {PAGE_ID: None, "c-page": PAGE_ID}
    assert export.docmost_version == "0.95.0"


def test_an_export_without_metadata_is_none_not_an_error(tmp_path):
    zip_path = tmp_path / "old.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("a.md", "# a\n")
    assert read_export_metadata(zip_path) is None


def test_an_unreadable_metadata_entry_is_named(tmp_path):
    zip_path = tmp_path / "space.zip"
    write_export(zip_path, metadata({"a%20b.md": page_entry()}))
    data = bytearray(zip_path.read_bytes())
    local = data.index(b"docmost-metadata.json")  # first occurrence: the local header; corrupt its data
    data[local + 40: local + 60] = bytes(20)
    zip_path.write_bytes(bytes(data))
    with pytest.raises(ExportMetadataError, match=r"^space\.zip: cannot read docmost-metadata\.json \("):
        read_export_metadata(zip_path)


def test_parse_metadata_refuses_oversized_bytes():
    from docmost_pipeline.export.metadata import MAX_METADATA_BYTES

    with pytest.raises(ExportMetadataError, match=rf"x\.zip: docmost-metadata\.json declares {MAX_METADATA_BYTES + 1}"):
        parse_metadata(b" " * (MAX_METADATA_BYTES + 1), "x.zip")


def test_download_space_stops_on_malformed_metadata_like_extraction_does(docmost_server, tmp_path):
    # The served space export itself is malformed: the entry is a string, which download used to crash on.
    bad = tmp_path / "bad.zip"
    write_export(bad, metadata({"a%20b.md": "x"}))
    space = docmost_server.space_by_slug("collisions")
    space.export_zip = bad.read_bytes()
    with DocmostClient(docmost_server.base_url, docmost_server.email, docmost_server.password,
                       backoff_base=0.01) as client:
        collisions = next(s for s in client.list_spaces() if s.slug == "collisions")
        with pytest.raises(ExportMetadataError) as from_download:
            download_space(client, collisions, tmp_path / "raw")
    assert str(from_download.value) == "space.zip: docmost-metadata.json entry 'a%20b.md': expected an object"
    assert docmost_server.count("/api/pages/export") == 0  # nothing "recovered" from a file it cannot read
    with pytest.raises(ExportMetadataError) as from_extraction:
        extract_raw_export(tmp_path / "raw", tmp_path / "extracted")
    assert str(from_extraction.value) == str(from_download.value)
