"""Links between spaces survive the other space changing: one real Docusaurus build.

Space A is converted and published while space B is live; B is then republished with the page A links to renamed
(new doc path) and another linked page removed. A is NOT re-converted. The site must still build (0 broken links),
and A's links, written as ``/docmost/p/<slugId>``, must lead to B's page under its new permalink, to the Docmost
URL of the removed page, to the Docmost URL of a page of a never-published space C, and to a "not published"
page for space D (no Docmost base URL known when A was converted). The site is built under a non-root baseUrl.
"""

from __future__ import annotations

import re
from pathlib import Path

from docmost_pipeline import sitebuild
from docmost_pipeline.convert import convert_space
from docmost_pipeline.publish import publish_tree
from docmost_pipeline_tests.convert.conftest import ExportBuilder

DOCMOST = "https://docmost.example"
SITE_BASE = "/wiki/"
RENAMED, REMOVED, KEPT = "RunbookB01", "OldNotesB1", "HomeBxxxx1"
IN_C, IN_D = "PlanC00001", "PageD00001"


def _space_b(root: Path, *, republished: bool) -> ExportBuilder:
    b = ExportBuilder(root=root)
    b.page("b-home", "Home", slug_id=KEPT, position="a0")
    if republished:
        # renamed and moved under Home: new title, new doc path
        b.page("b-runbook", "Operations Runbook", slug_id=RENAMED, parent="b-home", position="a0",
               zip_path="Home/Operations Runbook.md")
    else:
        b.page("b-runbook", "Runbook", slug_id=RENAMED, position="a1")
        b.page("b-notes", "Old Notes", slug_id=REMOVED, position="a2")
    return b


def _space_a(root: Path) -> ExportBuilder:
    a = ExportBuilder(root=root)
    a.page("a-links", "Links", slug_id="LinksA0001", body=(
        "# Links\n\n"
        f"See [the runbook]({DOCMOST}/s/team-b/p/runbook-{RENAMED}) and [the old notes]({DOCMOST}/s/team-b/p/"
        f"old-notes-{REMOVED}#history).\n\n"
        f"Plans live in [space C]({DOCMOST}/s/team-c/p/plan-{IN_C}).\n\n"
        f"Space D has [a page](/s/team-d/p/page-{IN_D}).\n"
    ))
    return a


def _meta_refresh(html: str) -> str | None:
    match = re.search(r'<meta[^>]*http-equiv="refresh"[^>]*content="0; ?url=([^"]+)"', html)
    return match.group(1) if match else None


def test_links_to_a_space_republished_with_renamed_and_removed_pages_still_build(site_ready, tmp_path, monkeypatch):
    output = tmp_path / "output"
    output.mkdir()
    work = tmp_path / "work"

    def convert_and_publish(slug: str, name: str, export_builder: ExportBuilder, run: str, **options) -> None:
        tree = work / run / slug
        convert_space(export_builder.build(), tree, space_slug=slug, space_name=name, **options)
        publish_tree(tree, output, slug, run_id=run)

    convert_and_publish("team-b", "Team B", _space_b(work / "b1-extract", republished=False), "b1",
                        base_url=DOCMOST)
    # Converted without a Docmost base URL (as the offline CLI does): D's site-relative link has no fallback URL.
    convert_and_publish("team-a", "Team A", _space_a(work / "a1-extract"), "a1")
    convert_and_publish("team-b", "Team B", _space_b(work / "b2-extract", republished=True), "b2",
                        base_url=DOCMOST)

    monkeypatch.setenv("SITE_BASE_URL", SITE_BASE)
    result = sitebuild.build_site(output, out_dir=tmp_path / "build", site_dir=site_ready)
    summary = result.summary()
    print(summary)
    assert result.ok, summary
    assert (result.mdx_errors, result.broken_links, result.broken_markdown_links) == ([], [], []), summary

    build = result.build_dir
    page_a = (build / "docs" / "team-a" / "links" / "index.html").read_text(encoding="utf-8")
    for slug_id in (RENAMED, REMOVED, IN_C, IN_D):
        assert f'href="{SITE_BASE}docmost/p/{slug_id}"' in page_a, slug_id

    def route(slug_id: str) -> str:
        return (build / "docmost" / "p" / slug_id / "index.html").read_text(encoding="utf-8")

    assert _meta_refresh(route(RENAMED)) == f"{SITE_BASE}docs/team-b/home/operations-runbook"
    # docs/site.md: redirect pages stay out of search engines, and the static page keeps the link's #fragment
    assert '<meta data-rh="true" name="robots" content="noindex">' in route(RENAMED)
    assert f'window.location.replace("{SITE_BASE}docs/team-b/home/operations-runbook"+window.location.hash)' \
        in route(RENAMED)  # as minified in the built page
    assert _meta_refresh(route(KEPT)) == f"{SITE_BASE}docs/team-b/home/"
    assert _meta_refresh(route(REMOVED)) == f"{DOCMOST}/s/team-b/p/old-notes-{REMOVED}"
    assert _meta_refresh(route(IN_C)) == f"{DOCMOST}/s/team-c/p/plan-{IN_C}"
    not_published = route(IN_D)
    assert _meta_refresh(not_published) is None
    assert "team-d" in not_published and "not published on this site" in not_published
