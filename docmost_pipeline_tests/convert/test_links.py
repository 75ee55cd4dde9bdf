import pytest

from docmost_pipeline.convert.attachments import plan_attachments, safe_attachment_name
from docmost_pipeline.convert.links import (
    SITE_LINK_PREFIX,
    LinkResolver,
    LinkTarget,
    plain_heading_ids,
    relative_href,
)
from docmost_pipeline.convert.report import ConversionReport
from docmost_pipeline.convert.tree import build_tree


@pytest.fixture
def space(builder, tmp_path):
    """A small Engineering-like space: depth-3 tree, parentheses and Hangul in names, two attachments."""
    b = builder
    b.page("gs", "Getting Started", slug_id="HGMXE2d4R9", position="a0",
           body="# Getting Started\n\n## Install Steps\n\ntext\n\n```\n# Not a heading\n```\n")
    b.page("lds", "Local Development Setup", parent="gs", slug_id="LDSxxxxxxx", position="a0",
           zip_path="Getting Started/Local Development Setup.md")
    b.page("win", "Windows (WSL2)", parent="lds", slug_id="7QC6rMOrxg", position="a1",
           zip_path="Getting Started/Local Development Setup/Windows (WSL2).md")
    b.page("mac", "macOS", parent="lds", slug_id="MACxxxxxxx", position="a0",
           zip_path="Getting Started/Local Development Setup/macOS.md")
    b.page("glo", "Glossary", slug_id="QovTwZaV2C", position="a1")
    b.page("han", "테스트 한글", slug_id="6uKvMkOKMN", position="a2")
    b.page("u", "", slug_id="EmptyUntit", position="a3", zip_path="untitled.md", body="# untitled\n")
    b.attachment("01a20070-0dfb-73ce-b295-0818dcbbc27b", "architecture-overview.png")
    b.attachment("01a20070-3f52-70ad-bd30-305602fa6fd8", "보고서_2026_(최종)__1.pdf", b"%PDF")
    export = b.build()
    report = ConversionReport("engineering", "Engineering")
    tree = build_tree(export, space_slug="engineering", report=report)

    def make(base_url="http://localhost:3000", public_url=None):
        rep = ConversionReport("engineering", "Engineering")
        resolver = LinkResolver(tree, plan_attachments(export), space_slug="engineering", base_url=base_url,
                                report=rep, public_url=public_url,
                                read_markdown=lambda n: export.page_file(n.page).read_text(encoding="utf-8"))
        return resolver, rep

    nodes = {n.page.page_id: n for n in tree.walk()}
    return make, nodes


def test_relative_md_links_point_to_new_doc_paths(space):
    make, nodes = space
    resolver, report = make()
    mac = nodes["mac"]
    assert resolver.resolve("../Local%20Development%20Setup.md", mac) == LinkTarget("index.md", "doc")
    assert resolver.resolve("../../Getting%20Started.md", mac) == LinkTarget("../index.md", "doc")
    assert resolver.resolve("Windows%20%28WSL2%29.md", mac) == LinkTarget("windows-wsl2.md", "doc")
    assert resolver.resolve("../../Glossary.md", mac) == LinkTarget("../../glossary.md", "doc")
    assert resolver.resolve("%ED%85%8C%EC%8A%A4%ED%8A%B8%20%ED%95%9C%EA%B8%80.md", nodes["glo"]) == \
        LinkTarget("teseuteu-hangeul.md", "doc")
    assert report.warnings == []


def test_docmost_urls_resolve_by_slug_id(space):
    make, nodes = space
    resolver, report = make()
    mac = nodes["mac"]
    assert resolver.resolve("/s/engineering/p/glossary-QovTwZaV2C", mac).href == "../../glossary.md"
    assert resolver.resolve("http://localhost:3000/s/engineering/p/windows-wsl2-7QC6rMOrxg", mac).href == \
        "windows-wsl2.md"
    # Hangul titles slugify to nothing in Docmost: the slug part is empty
    assert resolver.resolve("http://localhost:3000/s/engineering/p/-6uKvMkOKMN", mac).href == \
        "../../teseuteu-hangeul.md"
    assert report.warnings == []


def test_fragments_kept_only_when_they_map_to_a_heading(space):
    make, nodes = space
    resolver, report = make()
    glo = nodes["glo"]
    kept = resolver.resolve("/s/engineering/p/getting-started-HGMXE2d4R9#install-steps", glo)
    assert kept == LinkTarget("getting-started/index.md#install-steps", "doc")
    dropped = resolver.resolve("/s/engineering/p/getting-started-HGMXE2d4R9#wxxzrvutdicm", glo)
    assert dropped == LinkTarget("getting-started/index.md", "doc")
    assert [w.kind for w in report.warnings] == ["dropped_fragment"]
    assert "wxxzrvutdicm" in report.warnings[0].message


def test_missing_and_dropped_pages_become_plain_text_with_a_warning(space):
    make, nodes = space
    resolver, report = make()
    glo = nodes["glo"]
    trashed = "http://localhost:3000/s/engineering/p/legacy-deploy-guide-deprecated-nBXWN8W8Hb"
    assert resolver.resolve(trashed, glo) == LinkTarget(None, "unresolved")
    assert resolver.resolve("Nope.md", glo) == LinkTarget(None, "unresolved")
    assert resolver.resolve("untitled.md", glo) == LinkTarget(None, "unresolved")  # the dropped empty page
    assert resolver.resolve("/s/engineering/p/-EmptyUntit", glo) == LinkTarget(None, "unresolved")
    assert [w.kind for w in report.warnings] == ["unresolved_link"] * 4
    assert all(w.page == "glossary.md" for w in report.warnings)


def test_other_spaces_become_site_links_with_their_docmost_fallback(space):
    make, nodes = space
    mac, glo = nodes["mac"], nodes["glo"]
    resolver, report = make()
    # slugIds are unique across a Docmost instance: a page found here is linked here whatever space the URL names
    assert resolver.resolve("http://localhost:3000/s/renamed-space/p/glossary-QovTwZaV2C", mac).href == \
        "../../glossary.md"
    assert resolver.cross_space_links(mac) == {}
    # another space, base URL known: a site link, the Docmost URL on the base URL as fallback; the fragment is
    # dropped (the target's heading ids are unknown here)
    resolver2, report2 = make(base_url="https://docs.example.com")
    assert resolver2.resolve("/s/other/p/x-NotHere123#frag", mac) == LinkTarget("/docmost/p/NotHere123", "doc")
    assert resolver2.resolve("https://docs.example.com/s/third/p/-ThirdPage1", mac) == \
        LinkTarget(SITE_LINK_PREFIX + "ThirdPage1", "doc")
    assert resolver2.cross_space_links(mac) == {
        "NotHere123": {"space": "other", "url": "https://docs.example.com/s/other/p/x-NotHere123"},
        "ThirdPage1": {"space": "third", "url": "https://docs.example.com/s/third/p/-ThirdPage1"},
    }
    assert [(w.kind, w.page) for w in report2.warnings] == [("dropped_fragment", mac.doc_path)]
    # recorded per linking page
    assert resolver2.cross_space_links(glo) == {}
    # an absolute URL on another host than the base URL is not this Docmost: left alone
    assert resolver2.resolve("http://localhost:3000/s/other/p/x-NotHere123", glo) == \
        LinkTarget("http://localhost:3000/s/other/p/x-NotHere123", "external")
    assert resolver2.cross_space_links(glo) == {}
    # no base URL: an absolute link is its own fallback; a site-relative one has none (the site then says the
    # page is not published)
    resolver3, report3 = make(base_url=None)
    assert resolver3.resolve("http://localhost:3000/s/other/p/x-NotHere123#h", mac) == \
        LinkTarget("/docmost/p/NotHere123", "doc")
    assert resolver3.resolve("/s/fourth/p/y-FourthPg01", mac) == LinkTarget("/docmost/p/FourthPg01", "doc")
    assert resolver3.cross_space_links(mac) == {
        "FourthPg01": {"space": "fourth"},
        "NotHere123": {"space": "other", "url": "http://localhost:3000/s/other/p/x-NotHere123"},
    }
    assert [w.kind for w in report3.warnings] == ["dropped_fragment"]


def test_absolute_links_on_the_public_and_the_base_host_are_both_docmosts_own(space):
    # The pipeline reaches Docmost at http://docmost:3000; Docmost writes its APP_URL http://localhost:3000 into
    # content (pasted page URLs, mentions and links to other spaces). Both hosts are Docmost's own.
    make, nodes = space
    mac, glo = nodes["mac"], nodes["glo"]
    resolver, report = make(base_url="http://docmost:3000", public_url="http://localhost:3000")
    for host in ("http://localhost:3000", "http://docmost:3000"):
        # a page of this space: rewritten like the relative link to it
        assert resolver.resolve(f"{host}/s/engineering/p/glossary-QovTwZaV2C", mac) == \
            resolver.resolve("../../Glossary.md", mac) == LinkTarget("../../glossary.md", "doc")
        # a page of another space: a site link, its fallback on the public URL (what readers can open)
        assert resolver.resolve(f"{host}/s/hangul-docs/p/-PXoE0PxDNd", glo) == \
            resolver.resolve("/s/hangul-docs/p/-PXoE0PxDNd", glo) == LinkTarget("/docmost/p/PXoE0PxDNd", "doc")
    assert resolver.cross_space_links(glo) == \
        {"PXoE0PxDNd": {"space": "hangul-docs", "url": "http://localhost:3000/s/hangul-docs/p/-PXoE0PxDNd"}}
    # a trashed page of this space on the public host: plain text with a warning, like its relative link
    assert resolver.resolve("http://localhost:3000/s/engineering/p/legacy-deploy-guide-deprecated-nBXWN8W8Hb",
                            glo) == LinkTarget(None, "unresolved")
    assert [w.kind for w in report.warnings] == ["unresolved_link"]
    # another Docmost (another host) stays as it is
    other = "https://other-wiki.example.org/s/hangul-docs/p/-PXoE0PxDNd"
    assert resolver.resolve(other, mac) == LinkTarget(other, "external")
    assert resolver.cross_space_links(mac) == {}


def test_without_a_public_url_the_base_url_is_the_public_one(space):
    make, nodes = space
    resolver, _ = make(base_url="https://docs.example.com")
    assert resolver.public_url == "https://docs.example.com" and resolver.docmost_hosts == {"docs.example.com"}
    resolver2, _ = make(base_url="http://docmost:3000/", public_url="https://wiki.example.com/")
    assert resolver2.public_url == "https://wiki.example.com"
    assert resolver2.docmost_hosts == {"docmost:3000", "wiki.example.com"}


def test_a_page_linked_twice_keeps_its_first_fallback(space):
    make, nodes = space
    resolver, _ = make(base_url=None)
    glo = nodes["glo"]
    assert resolver.resolve("/s/old-name/p/x-MovedPage1", glo).href == "/docmost/p/MovedPage1"
    assert resolver.resolve("http://localhost:3000/s/new-name/p/x-MovedPage1", glo).href == "/docmost/p/MovedPage1"
    assert resolver.cross_space_links(glo) == {"MovedPage1": {"space": "old-name"}}


def test_other_space_links_without_a_docmost_slug_id_are_not_site_links(space):
    make, nodes = space
    glo = nodes["glo"]
    resolver, report = make(base_url="https://docs.example.com")
    # `ab_c` is no Docmost slugId (nanoids are [0-9A-Za-z]): no site route could exist, the Docmost URL stays
    assert resolver.resolve("/s/other/p/x-ab_c#h", glo) == \
        LinkTarget("https://docs.example.com/s/other/p/x-ab_c#h", "external")
    assert resolver.resolve("/s/other/p/x-AbC%0A", glo) == \
        LinkTarget("https://docs.example.com/s/other/p/x-AbC%0A", "external")
    resolver2, report2 = make(base_url=None)
    assert resolver2.resolve("/s/other/p/x-ab_c", glo) == LinkTarget(None, "unresolved")
    assert resolver.cross_space_links(glo) == resolver2.cross_space_links(glo) == {}
    assert report.warnings == [] and [w.kind for w in report2.warnings] == ["unresolved_link"]


def test_hangul_page_of_another_space_with_an_empty_slug(builder):
    """The recorded cross-space mention form (Hangul title: empty slug before the slugId)."""
    builder.page("a", "Alpha", slug_id="AAAAAAAAAA", position="a0")
    builder.page("b", "Beta", parent="a", slug_id="BBBBBBBBBB", position="a0", zip_path="Alpha/Beta.md")
    export = builder.build()
    report = ConversionReport("engineering", "Engineering")
    tree = build_tree(export, space_slug="engineering", report=report)
    resolver = LinkResolver(tree, plan_attachments(export), space_slug="engineering", base_url=None, report=report)
    beta = tree.roots[0].children[0]
    assert resolver.resolve("http://localhost:3000/s/hangul-docs/p/-6uKvMkOKMN", beta) == \
        LinkTarget("/docmost/p/6uKvMkOKMN", "doc")
    assert resolver.cross_space_links(beta) == \
        {"6uKvMkOKMN": {"space": "hangul-docs", "url": "http://localhost:3000/s/hangul-docs/p/-6uKvMkOKMN"}}
    # a page of THIS space that no longer exists is still plain text, never a site link
    assert resolver.resolve("http://localhost:3000/s/engineering/p/-Missing000", beta) == LinkTarget(None, "unresolved")


def test_attachment_references_in_every_exported_form(space):
    make, nodes = space
    resolver, report = make()
    mac = nodes["mac"]
    png = "../../_attachments/01a20070-0dfb-73ce-b295-0818dcbbc27b/architecture-overview.png"
    for raw in [
        "files/01a20070-0dfb-73ce-b295-0818dcbbc27b/architecture-overview.png",
        "/files/01a20070-0dfb-73ce-b295-0818dcbbc27b/architecture-overview.png",
        "files/01a20070-0dfb-73ce-b295-0818dcbbc27b/architecture-overview.png?t=1795303673376",
        "/api/files/01a20070-0dfb-73ce-b295-0818dcbbc27b/architecture-overview.png",
        "<files/01a20070-0dfb-73ce-b295-0818dcbbc27b/architecture-overview.png>",
    ]:
        assert resolver.resolve(raw, mac) == LinkTarget(png, "attachment"), raw
    pdf = resolver.resolve("files/01a20070-3f52-70ad-bd30-305602fa6fd8/보고서_2026_%28최종%29__1.pdf", nodes["glo"])
    assert pdf == LinkTarget("_attachments/01a20070-3f52-70ad-bd30-305602fa6fd8/bogoseo-2026-choejong-1.pdf",
                             "attachment")
    assert resolver.resolve("files/01a20070-0000-0000-0000-000000000000/gone.png", mac) == \
        LinkTarget(None, "unresolved")
    assert [w.kind for w in report.warnings] == ["missing_attachment"]


def test_external_empty_and_anchor_links(space):
    make, nodes = space
    resolver, report = make()
    glo = nodes["glo"]
    for raw in ["https://example.com/a?b=c#d", "mailto:ada@example.com", "#section",
                "https://www.figma.com/file/abc/Design-System?node-id=0:1"]:
        assert resolver.resolve(raw, glo) == LinkTarget(raw, "external")
    assert resolver.resolve("", glo) == LinkTarget(None, "unresolved")
    assert [w.kind for w in report.warnings] == ["empty_link"]


def test_relative_href_encodes_segments():
    assert relative_href("a/b", "a/c d/e(1).md") == "../c%20d/e%281%29.md"
    assert relative_href("", "x.md") == "x.md"


def test_safe_attachment_names_are_ascii_and_keep_extensions():
    assert safe_attachment_name("screenshot_2026-08-01_at_10.15.00.png") == "screenshot-2026-08-01-at-10-15-00.png"
    assert safe_attachment_name("notes_&_todo.txt") == "notes-and-todo.txt"
    assert safe_attachment_name("화면_캡처_(설정).png") == "hwamyeon-kaepcheo-seoljeong.png"
    assert safe_attachment_name("notes.md") == "notes.md.txt"  # a linked .md would be taken for a doc
    assert safe_attachment_name("🚀.png") == "file.png"


def test_plain_heading_ids():
    text = "# Title\n\n## Install Steps\n\n## Install Steps\n\n### With `code`\n\n```\n## fenced\n```\n"
    assert plain_heading_ids(text) == {"install-steps", "install-steps-1"}


def test_links_from_a_category_index_doc_start_in_its_own_folder(space):
    make, nodes = space
    resolver, _ = make()
    gs = nodes["gs"]  # written as getting-started/index.md
    assert gs.doc_path == "getting-started/index.md"
    assert resolver.resolve("Glossary.md", gs) == LinkTarget("../glossary.md", "doc")
    assert resolver.resolve("Getting%20Started/Local%20Development%20Setup.md", gs) == \
        LinkTarget("local-development-setup/index.md", "doc")
    assert resolver.resolve("files/01a20070-0dfb-73ce-b295-0818dcbbc27b/architecture-overview.png", gs).href == \
        "../_attachments/01a20070-0dfb-73ce-b295-0818dcbbc27b/architecture-overview.png"
