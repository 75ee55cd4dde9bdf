"""The blocking tree checks on hand-made and real converted trees (each check must fail on its own defect)."""

from __future__ import annotations

import json

import pytest

from docmost_pipeline.checks import (
    check_docusaurus_build,
    check_front_matter,
    check_links_resolve,
    check_pages_exactly_once,
    check_slug_names,
    name_follows_slug_rules,
)
from docmost_pipeline.convert.space import convert_space
from docmost_pipeline.emulator.recordings import RECORDINGS_DIR
from docmost_pipeline.export.extract import extract_zip
from docmost_pipeline_tests.convert.conftest import ExportBuilder

FIXTURES = RECORDINGS_DIR


@pytest.fixture
def converted(tmp_path):
    export = extract_zip(FIXTURES / "content-gallery.zip", tmp_path / "extract")
    tree = tmp_path / "out" / "content-gallery"
    convert_space(export, tree, space_slug="content-gallery", space_name="Content Gallery")
    return tree, tmp_path / "extract"


def test_real_converted_tree_passes_every_check(converted):
    tree, extract = converted
    for check in (check_pages_exactly_once(tree, extract, None), check_links_resolve(tree),
                  check_front_matter(tree), check_slug_names(tree)):
        assert check.passed, (check.name, check.problems)
    assert check_links_resolve(tree).counts["relative_links"] > 0


def test_missing_and_duplicated_pages_fail(converted):
    tree, extract = converted
    pages = json.loads((tree / "_docmost-pages.json").read_text())
    first_key = sorted(pages)[0]
    duplicated = dict(pages)
    duplicated["copy"] = pages[first_key]
    (tree / "_docmost-pages.json").write_text(json.dumps(duplicated))
    result = check_pages_exactly_once(tree, extract, None)
    assert not result.passed and "appears 2 times" in result.summary
    del pages[first_key]
    (tree / "_docmost-pages.json").write_text(json.dumps(pages))
    result = check_pages_exactly_once(tree, extract, None)
    assert not result.passed and "missing from the tree" in result.summary


def test_broken_link_image_and_escape_fail(tmp_path):
    tree = tmp_path / "space"
    (tree / "a").mkdir(parents=True)
    (tree / "b.md").write_text("---\ntitle: B\n---\n\n# B\n")
    (tree / "a" / "doc.md").write_text(
        "[ok](../b.md#part) [web](https://example.com) [anchor](#x)\n\n"
        "![img](../_attachments/x/missing.png)\n\n[out](../../elsewhere/secret.md)\n\n"
        "```\n[in code](nope.md)\n```\n\n<img src=\"./gone.svg\" />\n"
    )
    result = check_links_resolve(tree)
    assert not result.passed
    text = "\n".join(result.problems)
    assert "missing.png" in text and "gone.svg" in text and "points outside the tree" in text
    assert "nope.md" not in text and "b.md" not in text
    assert result.counts == {"relative_links": 4, "cross_space_links": 0, "other_links": 2}


def test_cross_space_links_must_be_declared_site_links(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "page.md").write_text("x")
    tree = tmp_path / "space"
    tree.mkdir()
    (tree / "doc.md").write_text(
        "---\ntitle: 'Doc'\ndocmost:\n  slug_id: 'Doc0000001'\n  links:\n"
        "    'Declared01':\n      space: 'other'\n      url: 'https://docmost.example/s/other/p/x-Declared01'\n"
        "    'NoSpace001':\n      url: 'https://docmost.example/s/other/p/x-NoSpace001'\n---\n\n"
        "[declared](/docmost/p/Declared01) [undeclared](/docmost/p/Undeclared) [no space](/docmost/p/NoSpace001)\n\n"
        # a relative link into another space's published tree breaks the site once that space is republished
        "[old form](../other/page.md)\n"
    )
    (tree / "plain.md").write_text("[no front matter](/docmost/p/Declared01)\n")
    result = check_links_resolve(tree)
    assert not result.passed
    assert [p.split(": ", 1)[1] for p in result.problems] == [
        "link '/docmost/p/Undeclared' is not declared in the doc's docmost.links front matter",
        "link '/docmost/p/NoSpace001' is not declared in the doc's docmost.links front matter",
        "link '../other/page.md' points outside the tree",
        "link '/docmost/p/Declared01' is not declared in the doc's docmost.links front matter",
    ]
    assert [p.split(": ", 1)[0] for p in result.problems] == ["doc.md"] * 3 + ["plain.md"]
    assert result.counts == {"relative_links": 1, "cross_space_links": 4, "other_links": 0}


def test_converted_cross_space_links_pass(tmp_path):
    builder = ExportBuilder(root=tmp_path / "extracted")
    builder.page("a", "Alpha", slug_id="AAAAAAAAAA",
                 body="# Alpha\n\n[b](http://localhost:3000/s/other/p/b-BBBBBBBBBB) [c](/s/third/p/-CCCCCCCCCC)\n")
    tree = tmp_path / "space"
    convert_space(builder.build(), tree, space_slug="space", space_name="Space")
    result = check_links_resolve(tree)
    assert result.passed, result.problems
    assert result.counts["cross_space_links"] == 2


def test_bad_front_matter_fails(tmp_path):
    (tmp_path / "ok.md").write_text("---\ntitle: fine\n---\nbody\n")
    (tmp_path / "bad.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    (tmp_path / "list.md").write_text("---\n- a\n- b\n---\n")
    (tmp_path / "open.md").write_text("---\ntitle: never closed\n")
    result = check_front_matter(tmp_path)
    assert not result.passed and len(result.problems) == 3
    assert result.counts["docs_with_front_matter"] == 1


def test_slug_rules():
    for good in ("getting-started.md", "index.md", "_category_.json", "_attachments", "diagram.drawio.svg",
                 "01a20070-4022-7598-b47e-f9efaae03228", "notes.md.txt"):
        assert name_follows_slug_rules(good), good
    for bad in ("Getting Started.md", "한글.md", "a--b.md", "UPPER.md", "x.MD", "-lead.md", "_other"):
        assert not name_follows_slug_rules(bad), bad


def test_slug_check_names_offending_files(tmp_path):
    (tmp_path / "good.md").write_text("x")
    (tmp_path / "Bad Name.md").write_text("x")
    result = check_slug_names(tmp_path)
    assert not result.passed and result.problems == ["Bad Name.md: name 'Bad Name.md' is outside the slug rules"]


def test_docusaurus_build_check_catches_an_mdx_error(converted, tmp_path):
    # One real build (slow): the site engineer's tests prove clean trees build; this proves the check runs the
    # build and fails on what the compiler rejects.
    tree, _ = converted
    doc = sorted(tree.rglob("*.md"))[0]
    doc.write_text(doc.read_text() + "\n\n<div>{unclosed</div>\n")
    broken = check_docusaurus_build(tree, "content-gallery")
    assert not broken.passed and broken.counts["mdx_errors"] >= 1


def test_doc_facts_are_read_once_per_content_and_kept_for_the_next_run(tmp_path, monkeypatch):
    from docmost_pipeline import checks

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.md").write_text("---\ntitle: 'A'\n---\n[b](b.md)\n", encoding="utf-8")
    (tree / "b.md").write_text("---\ntitle: 'B'\n---\n[gone](c.md)\n", encoding="utf-8")
    read = []
    real = checks.doc_facts
    monkeypatch.setattr(checks, "doc_facts", lambda text: read.append(text) or real(text))
    store = tmp_path / "facts.json"

    def run():
        facts = checks.DocFacts(store)
        results = (checks.check_links_resolve(tree, facts), checks.check_front_matter(tree, facts))
        facts.save()
        return results

    links, front = run()
    assert len(read) == 2 and front.passed and not links.passed  # each doc read once for both checks
    assert "b.md: link 'c.md' does not resolve" in links.problems
    read.clear()
    (tree / "c.md").write_text("---\ntitle: 'C'\n---\n", encoding="utf-8")
    links, front = run()
    # only the new doc is read; the kept facts of b.md see that c.md now exists
    assert len(read) == 1 and links.passed and front.passed
    (tree / "a.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    links, front = run()
    assert not front.passed and front.problems[0].startswith("a.md: ")
