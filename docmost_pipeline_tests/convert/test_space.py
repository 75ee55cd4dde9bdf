"""convert_space on hand-made exports and on the four recorded Docmost 0.95 exports."""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from markdown_it import MarkdownIt

from docmost_pipeline.convert import ConversionError, convert_space
from docmost_pipeline.convert.slugs import is_valid_slug
from docmost_pipeline.export.extract import extract_zip
from docmost_pipeline.model import SidebarPage

from .conftest import FIXTURES, SPACE_ZIPS, tree_bytes

_HTML_URL = re.compile(r"""\b(?:src|href)=["']([^"']+)["']""")


def front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    head, _, body = text[4:].partition("\n---\n")
    return yaml.safe_load(head), body


def link_destinations(markdown: str) -> list[str]:
    """Every link/image destination a Markdown renderer would follow, plus src/href of raw HTML."""
    parser = MarkdownIt("commonmark").enable("table")
    found: list[str] = []
    stack = parser.parse(markdown)
    while stack:
        token = stack.pop()
        if token.type == "link_open":
            found.append(token.attrs.get("href", ""))
        elif token.type == "image":
            found.append(token.attrs.get("src", ""))
        elif token.type in ("html_block", "html_inline"):
            found.extend(_HTML_URL.findall(token.content))
        stack.extend(token.children or [])
    return found


def check_output_tree(out: Path, *, expected_page_ids: set[str]) -> list[str]:
    """The invariants every converted space must satisfy; returns the problems found."""
    problems: list[str] = []
    seen_ids: list[str] = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        parts = rel.split("/")
        if parts[0] == "_attachments":
            if path.is_file() and not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9.]+)?", parts[-1]):
                problems.append(f"attachment name not ASCII-safe: {rel}")
            continue
        if path.is_dir():
            if not is_valid_slug(parts[-1]):
                problems.append(f"folder name breaks the slug rules: {rel}")
            continue
        name = parts[-1]
        if name in ("_category_.json", "_docmost-pages.json"):
            continue
        if not name.endswith(".md") or not (name == "index.md" or is_valid_slug(name[:-3])):
            problems.append(f"file name breaks the slug rules: {rel}")
            continue
        meta, body = front_matter(path)
        seen_ids.append(meta["docmost"]["page_id"])
        for dest in link_destinations(body):
            if not dest:
                problems.append(f"{rel}: empty link")
                continue
            parts_ = urlsplit(dest)
            if parts_.scheme or dest.startswith(("#", "//")):
                continue
            if dest.startswith("/docmost/p/"):
                # a page of another space: the site's docmost-links plugin routes it, from this declaration
                if dest.removeprefix("/docmost/p/") not in meta["docmost"].get("links", {}):
                    problems.append(f"{rel}: cross-space link {dest!r} not declared in docmost.links")
                continue
            if dest.startswith("/"):
                problems.append(f"{rel}: site-absolute link {dest!r} (Docusaurus cannot resolve it)")
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), unquote(parts_.path)))
            if target.startswith("../") or not (out / target).is_file():
                problems.append(f"{rel}: link {dest!r} does not resolve to a file in the space")
    if sorted(seen_ids) != sorted(expected_page_ids):
        problems.append(f"pages written {sorted(seen_ids)} != expected {sorted(expected_page_ids)}")
    return problems


# ----------------------------------------------------------------------------------------------------------------
# hand-made exports


def test_edit_urls_and_cross_space_fallbacks_use_the_public_url(builder, tmp_path):
    builder.page("gs", "Getting Started", slug_id="HGMXE2d4R9", position="a0",
                 body="# Getting Started\n\nSee [한글](http://localhost:3000/s/hangul-docs/p/-6uKvMkOKMN) and "
                      "[self](http://docmost:3000/s/engineering/p/getting-started-HGMXE2d4R9).\n")
    out = tmp_path / "engineering"
    convert_space(builder.build(), out, space_slug="engineering", space_name="Engineering",
                  base_url="http://docmost:3000", public_url="http://localhost:3000/")
    meta, body = front_matter(out / "getting-started.md")
    assert meta["custom_edit_url"] == "http://localhost:3000/s/engineering/p/HGMXE2d4R9"
    assert meta["docmost"]["links"] == \
        {"6uKvMkOKMN": {"space": "hangul-docs", "url": "http://localhost:3000/s/hangul-docs/p/-6uKvMkOKMN"}}
    assert "[한글](/docmost/p/6uKvMkOKMN)" in body and "[self](getting-started.md)" in body
    # without a public URL the base URL is the one readers get
    convert_space(builder.build(), tmp_path / "plain", space_slug="engineering", space_name="Engineering",
                  base_url="http://docmost:3000")
    assert front_matter(tmp_path / "plain" / "getting-started.md")[0]["custom_edit_url"] == \
        "http://docmost:3000/s/engineering/p/HGMXE2d4R9"


def test_a_changed_public_url_renders_cached_pages_again(builder, tmp_path):
    builder.page("gs", "Getting Started", slug_id="HGMXE2d4R9", position="a0", body="# Getting Started\n\nText.\n")
    export = builder.build()
    cache = tmp_path / "cache.json"
    first = convert_space(export, tmp_path / "a", space_slug="engineering", space_name="Engineering",
                          base_url="http://docmost:3000", public_url="http://localhost:3000", cache_path=cache)
    second = convert_space(export, tmp_path / "b", space_slug="engineering", space_name="Engineering",
                           base_url="http://docmost:3000", public_url="https://wiki.example.com", cache_path=cache)
    assert (first.pages_rendered, second.pages_rendered, second.pages_reused) == (1, 1, 0)
    assert front_matter(tmp_path / "b" / "getting-started.md")[0]["custom_edit_url"] == \
        "https://wiki.example.com/s/engineering/p/HGMXE2d4R9"


def test_writes_layout_front_matter_and_index(builder, tmp_path):
    builder.page("gs", "Getting Started", slug_id="HGMXE2d4R9", icon="🚀", position="a01WH",
                 body="# Getting Started\n\nSee [macOS](Getting%20Started/macOS.md).\n")
    builder.page("mac", "macOS", parent="gs", slug_id="MACxxxxxxx", position="a0", zip_path="Getting Started/macOS.md")
    builder.page("ch", "Changelog", slug_id="ZZZZZZZZZZ", position="ZzVkk")
    builder.attachment("att-1", "a b.png")
    out = tmp_path / "out" / "engineering"
    report = convert_space(builder.build(), out, space_slug="engineering", space_name="Engineering",
                           base_url="https://docmost.example.com/")
    assert report.pages_written == 3 and report.attachments_written == 1 and report.pages_dropped == 0
    assert report.bytes_written == sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert json.loads((out / "_category_.json").read_text(encoding="utf-8")) == {"label": "Engineering"}
    assert json.loads((out / "getting-started" / "_category_.json").read_text(encoding="utf-8")) == \
        {"label": "Getting Started", "position": 2}
    assert (out / "_attachments" / "att-1" / "a-b.png").read_bytes() == b"\x89PNG data"
    meta, body = front_matter(out / "getting-started" / "index.md")
    assert meta == {
        "title": "Getting Started",
        "sidebar_label": "🚀 Getting Started",
        "sidebar_position": 2,
        "description": "See macOS.",  # the first paragraph as the reader sees it: link label, no URL
        "last_update": {"date": "2026-11-21T23:27:52.760Z"},
        "custom_edit_url": "https://docmost.example.com/s/engineering/p/HGMXE2d4R9",
        "docmost": {"page_id": "gs", "slug_id": "HGMXE2d4R9"},
    }
    assert front_matter(out / "changelog.md")[0]["sidebar_position"] == 1
    assert front_matter(out / "getting-started" / "macos.md")[0]["sidebar_position"] == 1
    index = json.loads((out / "_docmost-pages.json").read_text(encoding="utf-8"))
    assert index["HGMXE2d4R9"] == {"path": "getting-started/index.md", "title": "Getting Started", "pageId": "gs"}
    assert index["MACxxxxxxx"]["path"] == "getting-started/macos.md"
    assert "(macos.md)" in body and "# Getting Started" not in body


def test_description_front_matter_follows_the_page_body(builder, tmp_path):
    builder.page("p", "Prose", body="# Prose\n\nUse `{x}` when a < b, see [Tables](Tables.md).\n")
    builder.page("t", "Tables", body="# Tables\n\n| {a} | b |\n| --- | --- |\n| 1 | 2 |\n")
    builder.page("e", "Empty", body="# Empty\n")
    out = tmp_path / "out"
    convert_space(builder.build(), out, space_slug="s", space_name="S")
    prose = (out / "prose.md").read_text(encoding="utf-8")
    assert "description: 'Use {x} when a < b, see Tables.'\n" in prose
    assert "when a \\< b, see [Tables](tables.md)." in prose  # the body itself stays escaped MDX
    assert front_matter(out / "tables.md")[0]["description"] == ""  # no prose: nothing for Docusaurus to guess
    assert "description" not in front_matter(out / "empty.md")[0]  # empty body: Docusaurus writes none itself


def test_out_dir_must_be_absent_or_empty(builder, tmp_path):
    builder.page("a", "A")
    export = builder.build()
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(ConversionError, match="not empty"):
        convert_space(export, out, space_slug="s", space_name="S")
    with pytest.raises(ConversionError, match="space slug"):
        convert_space(export, tmp_path / "o2", space_slug="../evil", space_name="S")
    assert not (tmp_path / "o2").exists()


def test_offline_conversion_says_lost_pages_cannot_be_recovered(builder, tmp_path):
    builder.titles_from_api = False
    builder.page("a", "A")
    report = convert_space(builder.build(), tmp_path / "o", space_slug="s", space_name="S")
    assert "lost_page_offline" in {w.kind for w in report.warnings}
    assert "cannot be recovered offline" in report.summary()
    assert report.to_dict()["warning_counts"]["lost_page_offline"] == 1


# ----------------------------------------------------------------------------------------------------------------
# the recorded exports


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    root = tmp_path_factory.mktemp("extracted")
    return {slug: extract_zip(FIXTURES / f"{slug}.zip", root / slug) for slug in SPACE_ZIPS}


@pytest.mark.parametrize("slug", sorted(SPACE_ZIPS))
def test_recorded_exports_convert_completely(extracted, tmp_path, slug):
    export = extracted[slug]
    out = tmp_path / slug
    report = convert_space(export, out, space_slug=slug, space_name=SPACE_ZIPS[slug],
                           base_url="http://localhost:3000")
    dropped = {p.page_id for p in export.pages} - {
        front_matter(p)[0]["docmost"]["page_id"] for p in out.rglob("*.md") if "_attachments" not in p.parts}
    assert report.pages_written + report.pages_dropped == len(export.pages)
    assert len(dropped) == report.pages_dropped
    problems = check_output_tree(out, expected_page_ids={p.page_id for p in export.pages} - dropped)
    assert problems == [], "\n".join(problems)
    assert report.attachments_written == len({a.attachment_id for a in export.attachments.values()})


def test_engineering_order_and_icons(extracted, tmp_path):
    out = tmp_path / "engineering"
    convert_space(extracted["engineering"], out, space_slug="engineering", space_name="Engineering")
    changelog, _ = front_matter(out / "changelog.md")
    assert changelog["sidebar_position"] == 1  # position ZzVkk sorts before a0...
    assert changelog["sidebar_label"] == "📝 Changelog"
    assert "custom_edit_url" not in changelog  # no Docmost base URL given
    assert json.loads((out / "api-reference" / "_category_.json").read_text()) ["label"] == "API Reference"
    assert len(list((out / "api-reference").glob("*.md"))) == 31  # index + 30 children
    assert front_matter(out / "rfc-process" / "rfc-0001-adopt-docmost.md")[0]["title"] == "RFC-0001: Adopt Docmost"


def test_conversion_is_byte_identical_across_runs(extracted, tmp_path):
    for slug in ("content-gallery", "hangul-docs"):
        convert_space(extracted[slug], tmp_path / "a" / slug, space_slug=slug, space_name=SPACE_ZIPS[slug],
                      base_url="http://localhost:3000")
        convert_space(extracted[slug], tmp_path / "b" / slug, space_slug=slug, space_name=SPACE_ZIPS[slug],
                      base_url="http://localhost:3000")
        assert tree_bytes(tmp_path / "a" / slug) == tree_bytes(tmp_path / "b" / slug)


def _sidebar_items(*names: str) -> list[SidebarPage]:
    pages = []
    for name in names:
        data = json.loads((FIXTURES / "api" / name).read_text(encoding="utf-8"))
        for item in data["data"]["items"]:
            pages.append(SidebarPage(id=item["id"], slug_id=item["slugId"], title=item["title"], icon=item["icon"],
                                     position=item["position"], parent_page_id=item["parentPageId"],
                                     has_children=item["hasChildren"], space_id=item["spaceId"]))
    return pages


def test_api_titles_keep_originals_and_untitled_pages(tmp_path):
    tree = _sidebar_items("sidebar.hangul-docs.root.default.page-1.json", "sidebar.hangul-docs.root.default.page-2.json",
                          "sidebar.hangul-docs.page-TYrdzwLUiJ.default.page-1.json",
                          "sidebar.hangul-docs.page-PXoE0PxDNd.default.page-1.json")
    export = extract_zip(FIXTURES / "hangul-docs.zip", tmp_path / "x", tree=tree)
    out = tmp_path / "hangul-docs"
    report = convert_space(export, out, space_slug="hangul-docs", space_name="한글 문서")
    titles = {}
    for path in out.rglob("*.md"):
        meta, _ = front_matter(path)
        titles.setdefault(meta["title"], []).append(path.relative_to(out).as_posix())
    assert sorted(titles["회의록"]) == ["hoeuirok-2.md", "hoeuirok-3.md", "hoeuirok.md"]
    assert "인증/인가 가이드" in titles and "OAuth 2.0 / OIDC" in titles
    assert "끝에 공백이 있는 제목   " in titles
    assert "🚀🔥" in titles
    untitled = titles.get("Untitled", [])
    dropped_paths = {w.page for w in report.warnings if w.kind == "dropped_page"}
    assert len(untitled) + len(dropped_paths) == 3  # root "" and null, plus the "" child of 개발
    assert "lost_page_offline" not in {w.kind for w in report.warnings}
    expected = {p.page_id for p in export.pages if p.zip_path not in dropped_paths}
    assert check_output_tree(out, expected_page_ids=expected) == []


def test_cross_space_links_are_site_links_whatever_the_other_space_state(extracted, tmp_path):
    """Engineering's links to 한글 문서 pages become /docmost/p/<slugId> with their fallback in the front matter, and
    the output does not depend on whether (or where) 한글 문서 is published beside it."""
    output = tmp_path / "output"
    convert_space(extracted["hangul-docs"], output / "hangul-docs", space_slug="hangul-docs", space_name="한글 문서")
    convert_space(extracted["engineering"], output / "engineering", space_slug="engineering",
                  space_name="Engineering", base_url="http://localhost:3000")
    meta, body = front_matter(output / "engineering" / "getting-started" / "index.md")
    assert "[테스트 한글](/docmost/p/6uKvMkOKMN)" in body
    assert "[인증/인가 가이드](/docmost/p/PXoE0PxDNd)" in body
    assert meta["docmost"]["links"] == {
        "6uKvMkOKMN": {"space": "hangul-docs", "url": "http://localhost:3000/s/hangul-docs/p/-6uKvMkOKMN"},
        "PXoE0PxDNd": {"space": "hangul-docs", "url": "http://localhost:3000/s/hangul-docs/p/-PXoE0PxDNd"},
    }
    assert "hangul-docs/" not in body  # no relative link into the other space's tree
    without_neighbour = tmp_path / "alone" / "engineering"
    convert_space(extracted["engineering"], without_neighbour, space_slug="engineering",
                  space_name="Engineering", base_url="http://localhost:3000")
    assert tree_bytes(without_neighbour) == tree_bytes(output / "engineering")
    # pages without cross-space links carry no `links` key
    assert "links" not in front_matter(output / "engineering" / "glossary.md")[0]["docmost"]


def _raw_export_dir(root: Path) -> Path:
    """A download_space directory for the Collisions space: the recorded space.zip (4 of 7 pages), the recorded
    single-page export of `xy plan`, and hand-made single-page ZIPs for the two other lost pages."""
    import hashlib
    import shutil
    import zipfile
    from dataclasses import asdict

    tree = _sidebar_items("sidebar.collisions.root.limit-100.page-1.json")
    with zipfile.ZipFile(FIXTURES / "collisions.zip") as zf:
        present = {m["pageId"] for m in json.loads(zf.read("docmost-metadata.json"))["pages"].values()}
    lost = [p for p in tree if p.id not in present]
    root.mkdir(parents=True)
    (root / "pages").mkdir()
    shutil.copyfile(FIXTURES / "collisions.zip", root / "space.zip")
    for page in lost:
        target = root / "pages" / f"{page.id}.zip"
        if page.slug_id == "QFeHBE952J":
            shutil.copyfile(FIXTURES / "page-exports" / "QFeHBE952J.attachments.zip", target)
            continue
        name = page.title.replace(":", "") + ".md"
        meta = {"exportedAt": "2026-11-21T23:46:01.750Z", "source": "docmost", "version": "0.95.0", "pages": {
            name.replace(" ", "%20"): {"pageId": page.id, "slugId": page.slug_id, "icon": None,
                                       "position": page.position, "parentPath": None,
                                       "createdAt": "2026-11-21T23:45:50.320Z",
                                       "updatedAt": "2026-11-21T23:45:50.320Z"}}}
        with zipfile.ZipFile(target, "w") as zf:
            zf.writestr(name, f"# {page.title}\n\nRecovered body of {page.title}.\n")
            zf.writestr("docmost-metadata.json", json.dumps(meta))
    (root / "tree.json").write_text(json.dumps([asdict(p) for p in tree]), encoding="utf-8")
    data = (root / "space.zip").read_bytes()
    (root / "raw-export.json").write_text(json.dumps({
        "space": {"id": tree[0].space_id, "slug": "collisions", "name": "Collisions", "description": None},
        "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "seconds": 0.1,
        "recovered_page_ids": sorted(p.id for p in lost), "docmost_version": "0.95.0", "empty": False}),
        encoding="utf-8")
    return root


def test_recovered_pages_of_the_collisions_space(tmp_path):
    from docmost_pipeline.export.extract import extract_raw_export

    export = extract_raw_export(_raw_export_dir(tmp_path / "raw"), tmp_path / "x")
    out = tmp_path / "collisions"
    report = convert_space(export, out, space_slug="collisions", space_name="Collisions")
    assert report.pages_written == 7 and report.pages_recovered == 3
    titles = sorted(front_matter(p)[0]["title"] for p in out.glob("*.md"))
    assert titles == sorted(["x/y plan", "xy plan", "Notes", "Notes", "Notes (1)", "Q: what?", "Q what"])
    assert sorted(p.name for p in out.glob("*.md")) == sorted(
        ["xy-plan.md", "xy-plan-2.md", "notes.md", "notes-2.md", "notes-1.md", "q-what.md", "q-what-2.md"])
    assert check_output_tree(out, expected_page_ids={p.page_id for p in export.pages}) == []
    assert "lost_page_offline" not in {w.kind for w in report.warnings}
