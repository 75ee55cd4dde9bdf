"""The four recorded Docmost 0.95 exports extract completely and correctly (pages, tree, titles, attachments)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from docmost_pipeline.export.extract import extract_zip
from docmost_pipeline.model import ExtractedExport
from docmost_pipeline_tests.export import hostile_zips
from docmost_pipeline_tests.export.conftest import FIXTURES, sidebar_items

LONG_TITLE_PREFIX = "아주 긴 제목 테스트: 사내 위키 문서를"


def _metadata(zip_name: str) -> dict:
    with zipfile.ZipFile(FIXTURES / zip_name) as zf:
        return json.loads(zf.read("docmost-metadata.json"))


def _entry_bytes(zip_name: str) -> dict[str, bytes]:
    """Entry path (leading/doubled slashes collapsed, as the extractor names them) -> bytes."""
    with zipfile.ZipFile(FIXTURES / zip_name) as zf:
        return {
            "/".join(s for s in info.filename.split("/") if s): zf.read(info)
            for info in zf.infolist()
            if not info.is_dir()
        }


def _children(export: ExtractedExport, parent_id: str | None) -> list[str]:
    return [p.title for p in export.pages if p.parent_page_id == parent_id]


def _by_title(export: ExtractedExport, title: str):
    (page,) = [p for p in export.pages if p.title == title]
    return page


@pytest.mark.parametrize(
    ("zip_name", "pages", "attachments"),
    [("engineering.zip", 100, 2), ("hangul-docs.zip", 34, 0), ("content-gallery.zip", 20, 11), ("collisions.zip", 4, 0)],
)
def test_every_page_and_attachment_is_extracted_byte_for_byte(
    tmp_path: Path, zip_name: str, pages: int, attachments: int
) -> None:
    export = extract_zip(FIXTURES / zip_name, tmp_path / "out")
    metadata = _metadata(zip_name)
    entries = _entry_bytes(zip_name)

    assert len(export.pages) == pages == len(metadata["pages"])
    assert len(export.attachments) == attachments
    assert {p.page_id for p in export.pages} == {m["pageId"] for m in metadata["pages"].values()}
    for page in export.pages:
        assert page.markdown_file == f"pages/{page.page_id}.md"
        assert export.page_file(page).read_bytes() == entries[page.zip_path]
        assert page.recovered is False
    for key, attachment in export.attachments.items():
        assert key == f"{attachment.attachment_id}/{attachment.name}"
        data = export.attachment_file(attachment).read_bytes()
        assert attachment.size == len(data)
        assert any(path.endswith(f"files/{key}") and blob == data for path, blob in entries.items())
        assert attachment.file.isascii() and attachment.file.startswith(f"files/{attachment.attachment_id}/")
    assert export.docmost_version == metadata["version"] == "0.95.0"
    assert export.exported_at == metadata["exportedAt"]
    assert export.source_sha256 == hashlib.sha256((FIXTURES / zip_name).read_bytes()).hexdigest()
    assert export.has_metadata and not export.titles_from_api
    assert export.notes == []
    # Only the documented layout is written.
    written = {p.relative_to(export.root).parts[0] for p in export.root.iterdir()}
    assert written == {"pages", "files", "manifest.json"}
    assert ExtractedExport.load(export.root) == export


def test_engineering_tree_matches_the_api(tmp_path: Path) -> None:
    export = extract_zip(FIXTURES / "engineering.zip", tmp_path / "out")
    api_roots = sidebar_items(*(f"sidebar.engineering.root.default.page-{n}.json" for n in (1, 2, 3)))
    assert len(api_roots) == 45
    assert _children(export, None) == [p.title for p in api_roots]  # position order, Changelog first
    assert export.pages[0].title == "Changelog" and export.pages[0].position == "ZzVkk"

    api_reference = _by_title(export, "API Reference")
    api_children = sidebar_items(*(f"sidebar.engineering.page-API-Reference.default.page-{n}.json" for n in (1, 2)))
    assert _children(export, api_reference.page_id) == [p.title for p in api_children]
    assert len(api_children) == 30

    migrations = _by_title(export, "Migrations")
    chain = []
    page = migrations
    while page.parent_page_id:
        page = next(p for p in export.pages if p.page_id == page.parent_page_id)
        chain.append(page.title)
    assert chain == ["Database", "Backend", "Architecture Overview"]
    assert _by_title(export, "Load Testing").parent_page_id == _by_title(export, "Testing Strategy").page_id

    # Offline titles come from the "# Title" line, not from the sanitised file name.
    assert _by_title(export, "CI/CD Pipeline").zip_path == "CICD Pipeline.md"
    assert _by_title(export, "RFC-0001: Adopt Docmost").zip_path == "RFC Process/RFC-0001 Adopt Docmost.md"
    windows = _by_title(export, "Windows (WSL2)")
    assert windows.zip_path == "Getting Started/Local Development Setup/Windows (WSL2).md"
    getting_started = _by_title(export, "Getting Started")
    assert (getting_started.slug_id, getting_started.icon) == ("HGMXE2d4R9", "🚀")
    assert (getting_started.created_at, getting_started.updated_at) == (
        "2026-11-21T23:27:49.069Z",
        "2026-11-21T23:27:52.760Z",
    )
    # Every parent appears before its children.
    seen: set[str] = set()
    for page in export.pages:
        assert page.parent_page_id is None or page.parent_page_id in seen
        seen.add(page.page_id)


def test_hangul_long_name_and_api_titles(tmp_path: Path) -> None:
    tree = sidebar_items(
        "sidebar.hangul-docs.root.default.page-1.json",
        "sidebar.hangul-docs.root.default.page-2.json",
        "sidebar.hangul-docs.page-TYrdzwLUiJ.default.page-1.json",
        "sidebar.hangul-docs.page-PXoE0PxDNd.default.page-1.json",
    )
    export = extract_zip(FIXTURES / "hangul-docs.zip", tmp_path / "out", tree=tree)
    assert export.titles_from_api

    (long_page,) = [p for p in export.pages if p.title.startswith(LONG_TITLE_PREFIX)]
    assert len(long_page.zip_path.encode("utf-8")) == 258
    assert export.page_file(long_page).is_file()
    assert long_page.title.endswith("(and more than 255 bytes in UTF-8) 끝")  # the API title, ':' included

    api_titles = {p.id: p.title for p in tree}
    for page in export.pages:
        if page.page_id in api_titles:
            assert page.title == (api_titles[page.page_id] or "")
    assert "끝에 공백이 있는 제목   " in {p.title for p in export.pages}  # trailing spaces from the API kept
    untitled = [p for p in export.pages if p.zip_path in ("untitled.md", "untitled (1).md", "개발/untitled.md")]
    assert [p.title for p in untitled] == ["", "", ""]

    # Duplicate titles are tied to files by pageId only; under 개발 the sidebar order is not the suffix order.
    develop = _by_title(export, "개발")
    develop_children = [p for p in export.pages if p.parent_page_id == develop.page_id]
    api_children = sidebar_items("sidebar.hangul-docs.page-TYrdzwLUiJ.default.page-1.json")
    assert [p.page_id for p in develop_children] == [p.id for p in api_children]
    assert [p.zip_path for p in develop_children if p.title == "메모"] == ["개발/메모 (2).md", "개발/메모 (1).md", "개발/메모.md"]

    # Pages deeper than the recorded sidebar responses keep their "# Title" and are reported.
    migration = next(p for p in export.pages if p.zip_path.endswith("마이그레이션.md"))
    assert migration.title == "마이그레이션"
    assert any("is not in the API page tree" in note and "마이그레이션" in note for note in export.notes)


def test_offline_titles_are_the_docmost_titles_without_the_exporters_escapes(tmp_path: Path) -> None:
    """The exporter writes `# 함수(인자) \\[배열\\]` for the title `함수(인자) [배열]`: offline, the title is what a
    reader sees (else the converter keeps that line as a heading and shows the title twice, once with backslashes).
    Only the exporter's `Title (n)` / `untitled` forms of duplicate and empty titles still differ from the API."""
    tree = sidebar_items(
        "sidebar.hangul-docs.root.default.page-1.json",
        "sidebar.hangul-docs.root.default.page-2.json",
        "sidebar.hangul-docs.page-TYrdzwLUiJ.default.page-1.json",
        "sidebar.hangul-docs.page-PXoE0PxDNd.default.page-1.json",
    )
    api_titles = {p.id: (p.title or "").strip() for p in tree}
    export = extract_zip(FIXTURES / "hangul-docs.zip", tmp_path / "out")
    titles = {p.page_id: p.title for p in export.pages}
    assert titles["01a20070-081d-71cb-827c-b794f8700768"] == "함수(인자) [배열]"
    assert titles["01a20070-0857-73db-86a5-960bd61d9fb4"] == "특수문자 & + @ # % = ( ) [ ] ' \" , ; ! 모음"
    differ = sorted(title for page_id, title in titles.items()
                    if page_id in api_titles and title != api_titles[page_id])
    assert differ == ["untitled", "untitled", "untitled (1)", "메모 (1)", "메모 (2)", "회의록 (1)", "회의록 (2)"]


def test_content_gallery_attachments_keep_original_names(tmp_path: Path) -> None:
    export = extract_zip(FIXTURES / "content-gallery.zip", tmp_path / "out")
    key = "01a20070-3f35-772d-b664-684e42d81d9f/화면_캡처_(설정).png"
    korean = export.attachments[key]
    assert korean.name == "화면_캡처_(설정).png"
    assert korean.file == "files/01a20070-3f35-772d-b664-684e42d81d9f/HwaMyeon_KaebCheo_SeolJeong.png"
    assert export.attachment_file(korean).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "01a20070-3f8c-72fd-9142-9e4092c97c62/notes_&_todo.txt" in export.attachments
    assert len(_children(export, _by_title(export, "Gallery Index").page_id)) == 18
    assert _by_title(export, "Diagram Notes").parent_page_id == _by_title(export, "Diagrams").page_id
    assert export.page_file(_by_title(export, "Empty Page")).read_text(encoding="utf-8").startswith("# Empty Page")


def test_collisions_titles_come_from_the_file_not_its_name(tmp_path: Path) -> None:
    tree = sidebar_items("sidebar.collisions.root.limit-100.page-1.json")
    export = extract_zip(FIXTURES / "collisions.zip", tmp_path / "out")
    assert sorted(p.title for p in export.pages) == ["Notes", "Notes (1)", "Q: what?", "x/y plan"]
    with_tree = extract_zip(FIXTURES / "collisions.zip", tmp_path / "out2", tree=tree)
    assert sorted(p.title for p in with_tree.pages) == ["Notes", "Notes", "Q: what?", "x/y plan"]
    missing = [n for n in with_tree.notes if "missing from the export" in n]
    assert len(missing) == 3  # the pages the space export silently drops


def test_attachment_repeated_in_several_folders_is_kept_once(tmp_path: Path) -> None:
    png = "01a20070-0dfb-73ce-b295-0818dcbbc27b/architecture-overview.png"
    data = _entry_bytes("engineering.zip")[f"files/{png}"]
    zip_path = hostile_zips.repack(
        FIXTURES / "engineering.zip",
        tmp_path / "repeated.zip",
        add=[
            (f"Getting Started//files/{png}", data),
            (f"Architecture Overview/Backend//files/{png}", data),
        ],
    )
    export = extract_zip(zip_path, tmp_path / "out")
    assert len(export.attachments) == 2
    assert export.attachment_file(export.attachments[png]).read_bytes() == data
    assert len(list((export.root / "files").rglob("*.png"))) == 1
    assert export.notes == []


def test_repeated_attachment_with_other_content_is_noted(tmp_path: Path) -> None:
    png = "01a20070-0dfb-73ce-b295-0818dcbbc27b/architecture-overview.png"
    zip_path = hostile_zips.repack(
        FIXTURES / "engineering.zip", tmp_path / "repeated.zip", add=[(f"Getting Started//files/{png}", b"other")]
    )
    export = extract_zip(zip_path, tmp_path / "out")
    assert len(export.attachments) == 2
    assert export.attachments[png].size == 13125
    assert any("appears with different content" in n for n in export.notes)


def test_metadata_and_entries_that_do_not_match_are_noted(tmp_path: Path) -> None:
    zip_path = hostile_zips.repack(
        FIXTURES / "collisions.zip",
        tmp_path / "mismatch.zip",
        drop={"Notes.md"},
        add=[("Stray.md", b"# Stray\n"), ("stray.bin", b"\x00")],
    )
    export = extract_zip(zip_path, tmp_path / "out")
    assert len(export.pages) == 3
    assert any("lists 'Notes.md' but the ZIP has no such entry" in n for n in export.notes)
    assert any("'Stray.md' has no entry in docmost-metadata.json" in n for n in export.notes)
    assert any("'stray.bin' is neither a page nor an attachment" in n for n in export.notes)


def test_export_without_metadata_gets_its_tree_from_folders(tmp_path: Path) -> None:
    with_metadata = extract_zip(FIXTURES / "hangul-docs.zip", tmp_path / "meta")
    zip_path = hostile_zips.repack(FIXTURES / "hangul-docs.zip", tmp_path / "old.zip", drop={"docmost-metadata.json"})
    export = extract_zip(zip_path, tmp_path / "out")
    again = extract_zip(zip_path, tmp_path / "again")

    assert not export.has_metadata and export.docmost_version is None
    assert len(export.pages) == 34
    path_of = {p.page_id: p.zip_path for p in export.pages}
    parents = {p.zip_path: path_of.get(p.parent_page_id) for p in export.pages}
    meta_path_of = {p.page_id: p.zip_path for p in with_metadata.pages}
    assert parents == {p.zip_path: meta_path_of.get(p.parent_page_id) for p in with_metadata.pages}
    assert parents["개발/백엔드/데이터베이스/마이그레이션.md"] == "개발/백엔드/데이터베이스.md"
    assert [p.page_id for p in export.pages] == [p.page_id for p in again.pages]  # ids stable from paths
    assert not ({p.page_id for p in export.pages} & set(meta_path_of))
    develop = next(p for p in export.pages if p.zip_path == "개발.md")
    children = [p for p in export.pages if p.parent_page_id == develop.page_id]
    assert [p.zip_path for p in children] == sorted(p.zip_path for p in children)  # name order
    assert [p.position for p in children] == [f"{i:06d}" for i in range(len(children))]
    assert next(p for p in export.pages if p.zip_path == "개발/메모 (1).md").title == "메모 (1)"
    assert any(p.title.startswith(LONG_TITLE_PREFIX) for p in export.pages)


def test_api_parent_wins_over_the_exports_parent_path(tmp_path: Path) -> None:
    """Children of a dropped page sit in the folder of its namesake; the API tree tells the real parent."""
    import dataclasses

    tree = sidebar_items("sidebar.collisions.root.limit-100.page-1.json")
    x_y_plan = next(p for p in tree if p.slug_id == "SdXrQvdiZb")
    tree = [dataclasses.replace(p, parent_page_id=x_y_plan.id) if p.slug_id == "OLWG3HDpOm" else p for p in tree]
    export = extract_zip(FIXTURES / "collisions.zip", tmp_path / "out", tree=tree)
    notes_page = next(p for p in export.pages if p.slug_id == "OLWG3HDpOm")
    assert notes_page.parent_page_id == x_y_plan.id
    assert any("the API's is used" in n and "Notes.md" in n for n in export.notes)
    assert [p.slug_id for p in export.pages].index("OLWG3HDpOm") == 1  # right after its parent
