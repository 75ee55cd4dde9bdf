"""extract_raw_export: space.zip plus the single-page ZIPs recovered for pages the space export dropped."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from docmost_pipeline.export.extract import ExtractionError, extract_raw_export
from docmost_pipeline.model import ExtractedExport, SidebarPage
from docmost_pipeline_tests.export import hostile_zips
from docmost_pipeline_tests.export.conftest import FIXTURES, listing, sidebar_items, tree_json

COLLISIONS_TREE = "sidebar.collisions.root.limit-100.page-1.json"


def _single_page_zip(path: Path, page: SidebarPage, file_name: str, body: str) -> Path:
    """A page ZIP in the layout of POST /api/pages/export (see page-exports/*.zip)."""
    metadata = {
        "exportedAt": "2026-11-21T23:46:01.750Z",
        "source": "docmost",
        "version": "0.95.0",
        "pages": {
            file_name.replace(" ", "%20"): {
                "pageId": page.id,
                "slugId": page.slug_id,
                "icon": page.icon,
                "position": page.position,
                "parentPath": None,
                "createdAt": "2026-11-21T23:45:50.320Z",
                "updatedAt": "2026-11-21T23:45:50.320Z",
            }
        },
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(file_name, body)
        zf.writestr("docmost-metadata.json", json.dumps(metadata))
    return path


def _raw_dir(root: Path, space_zip: Path, tree: list[SidebarPage], page_zips: dict[str, Path]) -> Path:
    """The directory layout download_space writes (space.zip, pages/<pageId>.zip, tree.json, raw-export.json)."""
    root.mkdir(parents=True)
    shutil.copyfile(space_zip, root / "space.zip")
    (root / "pages").mkdir()
    for page_id, source in page_zips.items():
        shutil.copyfile(source, root / "pages" / f"{page_id}.zip")
    (root / "tree.json").write_text(tree_json(tree), encoding="utf-8")
    data = (root / "space.zip").read_bytes()
    manifest = {
        "space": {"id": tree[0].space_id, "slug": "collisions", "name": "Collisions", "description": None},
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "seconds": 0.1,
        "recovered_page_ids": sorted(page_zips),
        "docmost_version": "0.95.0",
        "empty": False,
    }
    (root / "raw-export.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root


def _lost_pages(tree: list[SidebarPage]) -> list[SidebarPage]:
    with zipfile.ZipFile(FIXTURES / "collisions.zip") as zf:
        present = {m["pageId"] for m in json.loads(zf.read("docmost-metadata.json"))["pages"].values()}
    return [p for p in tree if p.id not in present]


def test_recorded_page_export_is_merged_in(tmp_path: Path) -> None:
    tree = sidebar_items(COLLISIONS_TREE)
    xy_plan = next(p for p in tree if p.slug_id == "QFeHBE952J")
    raw = _raw_dir(
        tmp_path / "raw", FIXTURES / "collisions.zip", tree, {xy_plan.id: FIXTURES / "page-exports/QFeHBE952J.attachments.zip"}
    )
    export = extract_raw_export(raw, tmp_path / "out")

    assert len(export.pages) == 5
    recovered = [p for p in export.pages if p.recovered]
    assert [p.page_id for p in recovered] == [xy_plan.id]
    page = recovered[0]
    assert page.title == "xy plan" and page.slug_id == "QFeHBE952J" and page.parent_page_id is None
    # "xy plan.md" is the file of "x/y plan" in space.zip, so the recovered page gets a virtual, unique path.
    assert page.zip_path == "xy plan (recovered QFeHBE952J).md"
    assert len({p.zip_path for p in export.pages}) == 5
    assert export.page_file(page).read_text(encoding="utf-8").startswith("# xy plan\n")
    assert export.titles_from_api
    assert export.source_sha256 == hashlib.sha256((raw / "space.zip").read_bytes()).hexdigest()
    assert export.docmost_version == "0.95.0"
    missing = [n for n in export.notes if "missing from the export" in n]
    assert len(missing) == 2  # the two lost pages this raw dir has no ZIP for
    assert ExtractedExport.load(export.root) == export


def test_every_collisions_page_present_exactly_once(tmp_path: Path) -> None:
    tree = sidebar_items(COLLISIONS_TREE)
    lost = _lost_pages(tree)
    assert {p.slug_id for p in lost} == {"QFeHBE952J", "CQM5jnFxmd", "3N59AKfzhF"}
    page_zips = {}
    for page in lost:
        if page.slug_id == "QFeHBE952J":
            page_zips[page.id] = FIXTURES / "page-exports/QFeHBE952J.attachments.zip"
        else:
            file_name = page.title.replace(":", "").replace("?", "") + ".md"
            page_zips[page.id] = _single_page_zip(
                tmp_path / f"{page.slug_id}.zip", page, file_name, f"# {page.title}\n\nRecovered on its own.\n"
            )
    raw = _raw_dir(tmp_path / "raw", FIXTURES / "collisions.zip", tree, page_zips)
    export = extract_raw_export(raw, tmp_path / "out")

    assert [(p.page_id, p.title) for p in export.pages] == [(p.id, p.title) for p in tree]  # sidebar order
    assert {p.page_id for p in export.pages if p.recovered} == {p.id for p in lost}
    assert len({p.zip_path for p in export.pages}) == 7
    assert {p.zip_path for p in export.pages if p.recovered} == {
        "xy plan (recovered QFeHBE952J).md",
        "Notes (1) (recovered CQM5jnFxmd).md",
        "Q what (recovered 3N59AKfzhF).md",
    }
    assert not [n for n in export.notes if "missing from the export" in n]
    assert sorted(p.name for p in (export.root / "pages").iterdir()) == sorted(f"{p.id}.md" for p in tree)


def test_recovered_page_with_attachments_and_children(tmp_path: Path) -> None:
    """Engineering with 'Architecture Overview' dropped: its page ZIP brings it back under the right children."""
    with zipfile.ZipFile(FIXTURES / "engineering.zip") as zf:
        metadata = json.loads(zf.read("docmost-metadata.json"))
    overview_key = "Architecture%20Overview.md"
    overview_id = metadata["pages"].pop(overview_key)["pageId"]
    space_zip = hostile_zips.repack(
        FIXTURES / "engineering.zip",
        tmp_path / "dropped.zip",
        drop={"Architecture Overview.md", "docmost-metadata.json"},
        add=[("docmost-metadata.json", json.dumps(metadata).encode())],
    )
    tree = sidebar_items(
        *(f"sidebar.engineering.root.default.page-{n}.json" for n in (1, 2, 3)),
        "sidebar.engineering.page-Architecture-Overview.default.page-1.json",
    )
    page_zip = FIXTURES / "page-exports/architecture-overview.att-1.children-0.zip"
    raw = _raw_dir(tmp_path / "raw", space_zip, tree, {overview_id: page_zip})
    export = extract_raw_export(raw, tmp_path / "out")

    assert len(export.pages) == 100
    overview = next(p for p in export.pages if p.page_id == overview_id)
    assert overview.recovered and overview.title == "Architecture Overview"
    assert overview.zip_path == "Architecture Overview.md"
    children = [p.title for p in export.pages if p.parent_page_id == overview_id]
    assert children == ["Backend", "Frontend", "Infrastructure"]
    # The overview's attachments exist in both ZIPs: one copy each.
    assert len(export.attachments) == 2
    assert len(list((export.root / "files").rglob("*"))) == 4  # 2 id folders + 2 files


def test_empty_space(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "tree.json").write_text("[]")
    (raw / "raw-export.json").write_text(json.dumps({"empty": True, "docmost_version": None}))
    export = extract_raw_export(raw, tmp_path / "out")
    assert export.pages == [] and export.attachments == {}
    assert any("empty" in n for n in export.notes)
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_space_zip_changed_since_download_is_refused(tmp_path: Path) -> None:
    tree = sidebar_items(COLLISIONS_TREE)
    raw = _raw_dir(tmp_path / "raw", FIXTURES / "collisions.zip", tree, {})
    shutil.copyfile(FIXTURES / "hangul-docs.zip", raw / "space.zip")
    before = listing(tmp_path)
    with pytest.raises(ExtractionError, match=r"space\.zip: sha256 [0-9a-f]{64} differs from raw-export\.json"):
        extract_raw_export(raw, tmp_path / "out")
    assert listing(tmp_path) == before


def test_page_zip_without_its_page_is_refused(tmp_path: Path) -> None:
    tree = sidebar_items(COLLISIONS_TREE)
    lost = _lost_pages(tree)[0]
    raw = _raw_dir(
        tmp_path / "raw", FIXTURES / "collisions.zip", tree, {lost.id: FIXTURES / "page-exports/SdXrQvdiZb.attachments.zip"}
    )
    before = listing(tmp_path)
    with pytest.raises(ExtractionError, match=rf"does not hold page {lost.id}"):
        extract_raw_export(raw, tmp_path / "out")
    assert listing(tmp_path) == before


def test_hostile_page_zip_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    tree = sidebar_items(COLLISIONS_TREE)
    lost = _lost_pages(tree)[0]
    evil = hostile_zips.zip_slip(tmp_path / "evil.zip", "../../evil.md")
    raw = _raw_dir(tmp_path / "raw", FIXTURES / "collisions.zip", tree, {lost.id: evil})
    before = listing(tmp_path)
    with pytest.raises(ExtractionError, match=r"'\.\./\.\./evil\.md': '\.\.' segment"):
        extract_raw_export(raw, tmp_path / "out")
    assert listing(tmp_path) == before


def test_missing_space_zip_and_bad_tree_are_refused(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "raw-export.json").write_text(json.dumps({"empty": False}))
    with pytest.raises(ExtractionError, match=r"space\.zip is missing"):
        extract_raw_export(raw, tmp_path / "out")
    (raw / "tree.json").write_text('{"not": "a list"}')
    with pytest.raises(ExtractionError, match=r"tree\.json: expected a list of pages"):
        extract_raw_export(raw, tmp_path / "out")
    with pytest.raises(ExtractionError, match=r"raw export directory does not exist"):
        extract_raw_export(tmp_path / "absent", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_recovered_page_keeps_its_attachments_through_download_and_extraction(docmost_server, tmp_path: Path) -> None:
    """A page with 8 attachments (images, files, video) dropped from the space export, together with the files only
    it uses: its single-page export alone brings them back, and they end up in the extracted export."""
    from docmost_pipeline.docmost import DocmostClient
    from docmost_pipeline.emulator.recordings import page_attachment_files, referenced_attachment_ids
    from docmost_pipeline.export.download import download_space

    gallery = docmost_server.space_by_slug("content-gallery")
    media_id = next(pid for pid, page in gallery.pages.items() if page["title"] == "Images, Files & Media")
    markdown = gallery.page_markdown[media_id][1]
    expected = page_attachment_files(gallery, markdown)
    assert len(expected) == 8 and list(expected) == referenced_attachment_ids(markdown)
    docmost_server.drop_from_export(media_id)

    with DocmostClient(docmost_server.base_url, docmost_server.email, docmost_server.password,
                       backoff_base=0.01) as client:
        space = next(s for s in client.list_spaces() if s.slug == "content-gallery")
        raw = download_space(client, space, tmp_path / "raw")
    assert raw.recovered_page_ids == [media_id]
    with zipfile.ZipFile(raw.zip_path) as zf:
        assert not any(attachment_id in name for name in zf.namelist() for attachment_id in expected)

    export = extract_raw_export(raw.dir, tmp_path / "out")
    media = next(p for p in export.pages if p.page_id == media_id)
    assert media.recovered and media.title == "Images, Files & Media"
    for attachment_id, files in expected.items():
        for name, data in files.items():
            attachment = export.attachments[f"{attachment_id}/{name}"]
            assert (export.root / attachment.file).read_bytes() == data
    # Every attachment the recovered page's Markdown refers to is on disk.
    recovered_markdown = (export.root / media.markdown_file).read_text(encoding="utf-8")
    assert referenced_attachment_ids(recovered_markdown) == list(expected)
