"""download_space: a complete raw export on disk, with the pages Docmost's space export drops recovered."""

from __future__ import annotations

import json
import zipfile

import pytest

from docmost_pipeline.emulator.recordings import RECORDINGS_DIR
from docmost_pipeline.export.download import RawExport, RawExportError, download_space
from docmost_pipeline.export.metadata import ExportMetadataError, read_export_metadata


def spaces_by_slug(client):
    return {s.slug: s for s in client.list_spaces()}


def page_ids_in(zip_path):
    return [page.page_id for page in read_export_metadata(zip_path).pages.values()]


def test_collisions_space_recovers_exactly_the_three_dropped_pages(client, docmost_server, tmp_path):
    space = spaces_by_slug(client)["collisions"]
    raw = download_space(client, space, tmp_path / "raw")
    tree = raw.tree()
    assert len(tree) == 7
    by_slug_id = {p.slug_id: p for p in tree}
    # Ground truth from the recording itself: the ZIP's metadata lacks exactly these three pages.
    recorded_ids = set(page_ids_in(RECORDINGS_DIR / "collisions.zip"))
    expected = [p.id for p in tree if p.id not in recorded_ids]
    assert len(expected) == 3
    assert raw.recovered_page_ids == expected
    assert by_slug_id["QFeHBE952J"].id in expected  # "xy plan", lost behind "x/y plan"
    # Every page of the space is present exactly once across space.zip and pages/*.zip.
    all_ids = page_ids_in(raw.zip_path) + [i for pid in raw.recovered_page_ids for i in page_ids_in(raw.page_zip(pid))]
    assert sorted(all_ids) == sorted(p.id for p in tree)
    for page_id in raw.recovered_page_ids:
        with zipfile.ZipFile(raw.page_zip(page_id)) as zf:
            markdown = [n for n in zf.namelist() if n.endswith(".md")]
            assert len(markdown) == 1
            title = next(p.title for p in tree if p.id == page_id)
            assert zf.read(markdown[0]).decode().startswith(f"# {title}")
    assert docmost_server.count("/api/pages/export") == 3


def test_engineering_export_is_complete_without_recovery(client, tmp_path):
    raw = download_space(client, spaces_by_slug(client)["engineering"], tmp_path / "raw")
    assert raw.recovered_page_ids == []
    assert raw.docmost_version == "0.95.0"
    assert raw.zip_path.read_bytes() == (RECORDINGS_DIR / "engineering.zip").read_bytes()
    assert raw.bytes == 75870 and len(raw.sha256) == 64
    assert len(raw.tree()) == 100
    assert not (tmp_path / "raw" / "pages").exists()


@pytest.mark.parametrize("slug,pages", [("hangul-docs", 34), ("content-gallery", 20)])
def test_other_recorded_spaces_are_complete(client, tmp_path, slug, pages):
    raw = download_space(client, spaces_by_slug(client)[slug], tmp_path / slug)
    assert len(raw.tree()) == pages
    assert sorted(page_ids_in(raw.zip_path)) == sorted(p.id for p in raw.tree())


def test_empty_space_gives_empty_raw_export(client, tmp_path):
    raw = download_space(client, spaces_by_slug(client)["general"], tmp_path / "raw")
    assert raw.empty is True and raw.zip_path is None and raw.bytes == 0
    assert not (tmp_path / "raw" / "space.zip").exists()
    assert raw.tree() == []
    assert RawExport.load(tmp_path / "raw").empty is True


def test_manifest_round_trips(client, tmp_path):
    raw = download_space(client, spaces_by_slug(client)["collisions"], tmp_path / "raw")
    loaded = RawExport.load(tmp_path / "raw")
    assert loaded == raw
    manifest = json.loads((tmp_path / "raw" / "raw-export.json").read_text())
    assert manifest["space"]["slug"] == "collisions"
    assert manifest["recovered_page_ids"] == raw.recovered_page_ids
    tree = json.loads((tmp_path / "raw" / "tree.json").read_text())
    assert {"id", "slug_id", "title", "icon", "position", "parent_page_id", "has_children"} <= set(tree[0])


def test_refuses_a_non_empty_destination(client, tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "leftover.zip").write_bytes(b"x")
    with pytest.raises(RawExportError, match="not empty"):
        download_space(client, spaces_by_slug(client)["collisions"], tmp_path / "raw")


def test_load_of_a_missing_manifest_names_the_file(tmp_path):
    with pytest.raises(RawExportError, match="raw-export.json is missing"):
        RawExport.load(tmp_path)


def test_an_oversized_metadata_entry_is_refused_before_it_is_read(tmp_path):
    # A hostile server's export: 65 MiB of zeros deflate to ~64 KiB; reading it whole would be a memory bomb.
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("docmost-metadata.json", "w") as out:
            for _ in range(65):
                out.write(bytes(1024 * 1024))
    with pytest.raises(ExportMetadataError, match=r"^bomb\.zip: docmost-metadata\.json declares 68157440 bytes, too large$"):
        read_export_metadata(bomb)
