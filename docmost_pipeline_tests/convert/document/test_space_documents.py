"""convert_space with the pages' own documents: the recorded documents of the public spaces with their recorded
ZIPs (a consistent pair: ids were translated to match), hand-made folders for the failure cases."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from docmost_pipeline.convert import convert_space
from docmost_pipeline.export.extract import extract_zip
from docmost_pipeline_tests.convert.conftest import FIXTURES, SPACE_ZIPS, tree_bytes
from docmost_pipeline_tests.convert.document_coverage import recorded_documents, write_documents_folder

GALLERY = "content-gallery"


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> tuple[object, Path]:
    work = tmp_path_factory.mktemp("gallery")
    export = extract_zip(FIXTURES / f"{GALLERY}.zip", work / "export")
    return export, write_documents_folder(GALLERY, work / "documents")


def convert(export, out: Path, documents: Path | None = None, cache: Path | None = None):
    return convert_space(export, out, space_slug=GALLERY, space_name=SPACE_ZIPS[GALLERY],
                         base_url="http://localhost:3000", documents_dir=documents, cache_path=cache)


def _page_paths(out: Path) -> dict[str, str]:
    index = json.loads((out / "_docmost-pages.json").read_text(encoding="utf-8"))
    return {entry["pageId"]: entry["path"] for entry in index.values()}


def test_pages_without_lost_content_are_byte_identical(gallery, tmp_path):
    export, documents = gallery
    convert(export, tmp_path / "plain")
    report = convert(export, tmp_path / "restored", documents)
    plain, restored = tree_bytes(tmp_path / "plain"), tree_bytes(tmp_path / "restored")
    changed = {path for path in plain if plain[path] != restored.get(path)}
    assert set(plain) == set(restored)
    # exactly the pages whose documents hold something the export lost
    assert changed == {"gallery-index/index.md", "gallery-index/callouts.md", "gallery-index/created-from-html.md",
                       "gallery-index/details-columns-and-status.md", "gallery-index/embeds.md",
                       "gallery-index/footnotes-rules-and-breaks.md", "gallery-index/headings-and-inline-marks.md",
                       "gallery-index/images-files-and-media.md", "gallery-index/lists-nested-3-deep.md",
                       "gallery-index/mdx-hostile-prose.md",
                       "gallery-index/synced-block-reference.md", "gallery-index/tables.md"}
    kinds = report.warning_counts()
    assert "document_alignment" not in kinds and "document_unavailable" not in kinds and "unknown_node" not in kinds
    counts = report.document_node_counts()
    for kind in ("audio", "video", "pdf", "embed", "youtube", "status", "columns", "subpages",
                 "transclusionReference", "pageBreak", "tableHeader", "underline (mark)", "textStyle (mark)"):
        assert counts.get(kind), kind
    assert report.to_dict()["document_nodes"] == counts


def test_restored_blocks_replace_the_lossy_markdown(gallery, tmp_path):
    export, documents = gallery
    convert(export, tmp_path / "out", documents)
    media = (tmp_path / "out" / "gallery-index/images-files-and-media.md").read_text(encoding="utf-8")
    assert "<audio controls" in media and "[]()" not in media
    assert '<object data={require("../_attachments/' in media
    details = (tmp_path / "out" / "gallery-index/details-columns-and-status.md").read_text(encoding="utf-8")
    assert details.count("<details open>") == 1 and details.count("<details") == 4
    assert "flexWrap" in details
    synced = (tmp_path / "out" / "gallery-index/synced-block-reference.md").read_text(encoding="utf-8")
    assert "edit once, show everywhere" in synced
    index = (tmp_path / "out" / "gallery-index/index.md").read_text(encoding="utf-8")
    assert index.count("<li>[") == 18  # the subpages block: every child of Gallery Index (not Diagram Notes)


def test_missing_unavailable_and_malformed_documents_fall_back_with_a_warning(gallery, tmp_path):
    export, documents = gallery
    folder = tmp_path / "documents"
    shutil.copytree(documents, folder)
    ids = {data["title"]: page_id for page_id, data in recorded_documents(GALLERY).items()}
    (folder / f"{ids['Tables']}.json").unlink()
    (folder / f"{ids['Embeds']}.json").unlink()
    (folder / "unavailable.json").write_text(json.dumps({ids["Embeds"]: "HTTP 403"}), encoding="utf-8")
    (folder / f"{ids['Callouts']}.json").write_text("{not json", encoding="utf-8")
    report = convert(export, tmp_path / "out", folder)
    convert(export, tmp_path / "plain")
    unavailable = {w.page: w.message for w in report.warnings if w.kind == "document_unavailable"}
    assert unavailable == {
        "gallery-index/tables.md": f"no {ids['Tables']}.json in the documents folder; the page keeps its Markdown rendering",
        "gallery-index/embeds.md": "Docmost did not return it: HTTP 403; the page keeps its Markdown rendering",
        "gallery-index/callouts.md": unavailable["gallery-index/callouts.md"],
    }
    assert unavailable["gallery-index/callouts.md"].startswith(f"{ids['Callouts']}.json is unreadable: ")
    for page in unavailable:
        assert (tmp_path / "out" / page).read_bytes() == (tmp_path / "plain" / page).read_bytes()


def test_a_document_that_does_not_match_the_export_keeps_the_markdown(gallery, tmp_path):
    export, documents = gallery
    folder = tmp_path / "documents"
    shutil.copytree(documents, folder)
    page_id = next(i for i, d in recorded_documents(GALLERY).items() if d["title"] == "Embeds")
    data = json.loads((folder / f"{page_id}.json").read_text(encoding="utf-8"))
    data["content"]["content"][0]["content"][0]["text"] = "A heading the export never had"
    (folder / f"{page_id}.json").write_text(json.dumps(data), encoding="utf-8")
    report = convert(export, tmp_path / "out", folder)
    convert(export, tmp_path / "plain")
    assert [w.page for w in report.warnings if w.kind == "document_alignment"] == ["gallery-index/embeds.md"]
    assert (tmp_path / "out/gallery-index/embeds.md").read_bytes() == (tmp_path / "plain/gallery-index/embeds.md").read_bytes()


def test_the_cache_keys_on_documents_and_synced_block_sources(gallery, tmp_path):
    export, documents = gallery
    folder = tmp_path / "documents"
    shutil.copytree(documents, folder)
    cache = tmp_path / "cache.json"
    first = convert(export, tmp_path / "one", folder, cache)
    assert first.pages_rendered == 20
    again = convert(export, tmp_path / "two", folder, cache)
    assert again.pages_reused == 20 and again.document_node_counts() == first.document_node_counts()
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")
    # edit the synced block's source: the source page and the page that shows the block render again
    ids = {d["title"]: i for i, d in recorded_documents(GALLERY).items()}
    path = folder / f"{ids['Synced Block Source']}.json"
    path.write_text(path.read_text(encoding="utf-8").replace("edit once, show everywhere", "edited in the source"),
                    encoding="utf-8")
    third = convert(export, tmp_path / "three", folder, cache)
    assert third.pages_rendered == 2
    assert "edited in the source" in (tmp_path / "three/gallery-index/synced-block-reference.md").read_text(encoding="utf-8")
    convert(export, tmp_path / "fresh", folder)
    assert tree_bytes(tmp_path / "three") == tree_bytes(tmp_path / "fresh")


@pytest.mark.parametrize("space", ["engineering", "hangul-docs"])
def test_other_recorded_spaces_align_everywhere(space, tmp_path):
    export = extract_zip(FIXTURES / f"{space}.zip", tmp_path / "export")
    documents = write_documents_folder(space, tmp_path / "documents")
    report = convert_space(export, tmp_path / "out", space_slug=space, space_name=SPACE_ZIPS[space],
                           documents_dir=documents)
    plain = convert_space(export, tmp_path / "plain", space_slug=space, space_name=SPACE_ZIPS[space])
    kinds = report.warning_counts()
    assert "document_alignment" not in kinds and "unknown_node" not in kinds and "document_unavailable" not in kinds
    changed = [p for p, data in tree_bytes(tmp_path / "plain").items() if tree_bytes(tmp_path / "out").get(p) != data]
    assert bool(changed) == bool(report.document_node_counts())
    assert plain.warning_counts().keys() <= kinds.keys()


def test_cli_takes_a_documents_folder(gallery, tmp_path):
    _, documents = gallery
    result = subprocess.run([sys.executable, "-m", "docmost_pipeline.cli", "convert", str(FIXTURES / f"{GALLERY}.zip"),
                             str(tmp_path / "out"), "--space-slug", GALLERY, "--documents", str(documents)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Rendered from page documents: audio 1," in result.stdout
    missing = subprocess.run([sys.executable, "-m", "docmost_pipeline.cli", "convert", str(FIXTURES / f"{GALLERY}.zip"),
                              str(tmp_path / "out2"), "--documents", str(tmp_path / "nope")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and missing.stderr.strip().endswith("is not a folder")
    assert not (tmp_path / "out2").exists()
