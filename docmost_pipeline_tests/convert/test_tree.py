from docmost_pipeline.convert.report import ConversionReport
from docmost_pipeline.convert.tree import UNTITLED, build_tree


def _tree(export, slug="space"):
    report = ConversionReport(slug, "Space")
    return build_tree(export, space_slug=slug, report=report), report


def test_siblings_sorted_by_position_bytewise_and_numbered(builder):
    # Docmost compares positions with C collation: uppercase sorts before lowercase ("ZzVkk" first).
    builder.page("p2", "Getting Started", position="a01WH")
    builder.page("p3", "Glossary", position="a17xW")
    builder.page("p1", "Changelog", position="ZzVkk")
    builder.page("p4", "Zeta", position="a0")
    tree, _ = _tree(builder.build())
    assert [n.title for n in tree.roots] == ["Changelog", "Zeta", "Getting Started", "Glossary"]
    assert [n.sidebar_position for n in tree.roots] == [1, 2, 3, 4]


def test_parent_becomes_folder_with_index_doc_and_leaf_a_file(builder):
    builder.page("r", "Getting Started", position="a0")
    builder.page("c", "Local Development Setup", parent="r", position="a0",
                 zip_path="Getting Started/Local Development Setup.md")
    builder.page("g", "macOS", parent="c", position="a0",
                 zip_path="Getting Started/Local Development Setup/macOS.md")
    tree, _ = _tree(builder.build())
    root = tree.roots[0]
    assert root.is_category and root.doc_path == "getting-started/index.md"
    child = root.children[0]
    assert child.doc_path == "getting-started/local-development-setup/index.md"
    assert child.children[0].doc_path == "getting-started/local-development-setup/macos.md"
    assert child.children[0].dir_path == "getting-started/local-development-setup"


def test_untitled_pages_kept_unless_empty_and_childless(builder):
    builder.page("u1", "", body="# untitled\n\nSome words.\n", position="a0")
    builder.page("u2", "", body="# untitled (1)\n\n", position="a1")
    builder.page("u3", "", body="# untitled (2)\n", position="a2")
    builder.page("kid", "Child", parent="u3", position="a0", zip_path="untitled (2)/Child.md")
    tree, report = _tree(builder.build())
    titles = {n.page.page_id: n.title for n in tree.walk()}
    assert titles == {"u1": UNTITLED, "u3": UNTITLED, "kid": "Child"}
    assert [p.page_id for p in tree.dropped] == ["u2"]
    assert [w.kind for w in report.warnings] == ["dropped_page"]
    assert {n.slug for n in tree.roots} == {"untitled", "untitled-2"}


def test_offline_titles_undo_exporter_suffixes(builder):
    builder.titles_from_api = False
    builder.page("a", "회의록", position="a0", zip_path="회의록.md")
    builder.page("b", "회의록 (1)", position="a1", zip_path="회의록 (1).md")
    builder.page("c", "untitled", position="a2", zip_path="untitled.md", body="# untitled\n\ntext\n")
    builder.page("d", "Release (2)", position="a3", zip_path="Release (2).md")  # no bare sibling: real title
    tree, _ = _tree(builder.build())
    assert [n.title for n in tree.roots] == ["회의록", "회의록", UNTITLED, "Release (2)"]
    assert [n.slug for n in tree.roots] == ["hoeuirok", "hoeuirok-2", "untitled", "release-2"]


def test_names_avoid_docusaurus_category_index_conventions(builder):
    builder.page("p", "Guide", position="a0")
    builder.page("c1", "Guide", parent="p", position="a0", zip_path="Guide/Guide.md")
    builder.page("c2", "README", parent="p", position="a1", zip_path="Guide/README.md")
    builder.page("c3", "Index", parent="p", position="a2", zip_path="Guide/Index.md")
    builder.page("r", "Space", position="a1")
    tree, _ = _tree(builder.build(), slug="space")
    guide = tree.roots[0]
    assert [c.slug for c in guide.children] == ["guide-2", "readme-2", "index-2"]
    assert tree.roots[1].slug == "space-2"


def test_orphans_and_cycles_are_kept_at_the_root(builder):
    builder.page("o", "Orphan", parent="missing", position="a0")
    builder.page("x", "X", parent="y", position="a1")
    builder.page("y", "Y", parent="x", position="a2")
    tree, report = _tree(builder.build())
    assert {n.page.page_id for n in tree.walk()} == {"o", "x", "y"}
    assert sum(w.kind == "orphan_page" for w in report.warnings) == 2  # the orphan, and the cycle once


def test_titles_are_kept_exactly(builder):
    builder.page("a", "인증/인가 가이드", position="a0", zip_path="인증인가 가이드.md", icon="🔐")
    builder.page("b", "회의록", position="a1", zip_path="회의록 (1).md")
    tree, report = _tree(builder.build())
    assert [n.title for n in tree.roots] == ["인증/인가 가이드", "회의록"]
    assert tree.roots[0].slug == "injeunginga-gaideu"
    assert {w.kind for w in report.warnings} == {"transliterated_title"}
