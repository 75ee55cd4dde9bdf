"""The two halves of issue #10 together: ``raw_export`` fetches each page's document from the Docmost test server,
the extraction carries them, and ``postprocessed_tree`` renders the lost blocks from them and counts them."""

from __future__ import annotations

from dagster import instance_for_test

from docmost_pipeline.defs.resources import OutputResource, close_cached_clients
from docmost_pipeline_tests.dagster_support import make_resources, make_settings, sync_space

MEDIA_PAGE = ("content-gallery", "gallery-index", "images-files-and-media.md")


def sync_gallery(tmp_path, docmost_server, *, page_documents: bool):
    output = tmp_path / "output"
    resources = make_resources(docmost_server, output)
    resources["output"] = OutputResource(output_dir=str(output), base_url=docmost_server.base_url,
                                         page_documents=page_documents)
    with instance_for_test() as instance:
        result = sync_space(instance, make_settings(docmost_server, output), resources, "content-gallery")
    close_cached_clients()
    assert result.success
    raw = result.asset_materializations_for_node("raw_export")[0].metadata
    tree = result.asset_materializations_for_node("postprocessed_tree")[0].metadata
    return raw, tree, output.joinpath(*MEDIA_PAGE).read_text(encoding="utf-8")


def test_fetched_documents_are_rendered_and_counted(tmp_path, docmost_server):
    raw, tree, media = sync_gallery(tmp_path, docmost_server, page_documents=True)
    assert raw["documents_fetched"].value == 20 and raw["documents_unavailable"].value == 0
    counts = tree["document_nodes"].value
    assert counts["audio"] == 1 and counts["embed"] == 6 and counts["status"] == 7
    assert "document_unavailable" not in tree["warning_counts"].value
    assert "<audio controls" in media


def test_with_page_documents_off_the_markdown_rendering_stays(tmp_path, docmost_server):
    raw, tree, media = sync_gallery(tmp_path, docmost_server, page_documents=False)
    assert raw["documents_fetched"].value == 0
    assert tree["document_nodes"].value == {}
    assert "<audio" not in media
