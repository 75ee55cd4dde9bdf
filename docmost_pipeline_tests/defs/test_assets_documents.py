"""``postprocessed_tree`` with the pages' own documents in the extraction (``<extract dir>/documents/``, where the
document fetcher puts them): the lost blocks are rendered from them and the metadata counts them."""

from __future__ import annotations

from pathlib import Path

from dagster import instance_for_test

from docmost_pipeline.defs import assets
from docmost_pipeline.defs.resources import close_cached_clients
from docmost_pipeline_tests.convert.document_coverage import write_documents_folder
from docmost_pipeline_tests.dagster_support import make_resources, make_settings, sync_space


def test_documents_in_the_extraction_are_rendered_and_counted(tmp_path, docmost_server, monkeypatch):
    extract = assets.extract_raw_export

    def extract_with_documents(raw_dir: Path, dest: Path):
        export = extract(raw_dir, dest)
        write_documents_folder("content-gallery", Path(dest) / "documents")  # as the fetcher stores them
        return export

    monkeypatch.setattr(assets, "extract_raw_export", extract_with_documents)
    output = tmp_path / "output"
    with instance_for_test() as instance:
        result = sync_space(instance, make_settings(docmost_server, output),
                            make_resources(docmost_server, output), "content-gallery")
    close_cached_clients()
    assert result.success
    tree = result.asset_materializations_for_node("postprocessed_tree")[0].metadata
    counts = tree["document_nodes"].value
    assert counts["audio"] == 1 and counts["embed"] == 6 and counts["status"] == 7
    assert "document_unavailable" not in tree["warning_counts"].value
    media = (output / "content-gallery" / "gallery-index" / "images-files-and-media.md").read_text(encoding="utf-8")
    assert "<audio controls" in media


def test_without_documents_the_metadata_counts_nothing(tmp_path, docmost_server):
    output = tmp_path / "output"
    with instance_for_test() as instance:
        result = sync_space(instance, make_settings(docmost_server, output),
                            make_resources(docmost_server, output), "content-gallery")
    close_cached_clients()
    tree = result.asset_materializations_for_node("postprocessed_tree")[0].metadata
    assert tree["document_nodes"].value == {}
    media = (output / "content-gallery" / "gallery-index" / "images-files-and-media.md").read_text(encoding="utf-8")
    assert "<audio" not in media
