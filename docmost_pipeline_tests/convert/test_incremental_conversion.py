"""Conversion pieces incremental sync relies on: link labels written alike by both export forms, relative links
resolved in the ZIP each page came from, and the page cache giving the same output as a fresh conversion."""

from __future__ import annotations

import json

from docmost_pipeline.convert.space import convert_space


def doc(tree, path: str) -> str:
    return (tree / path).read_text(encoding="utf-8")


def test_a_link_whose_text_was_its_url_shows_the_page_title_in_both_export_forms(builder, tmp_path):
    b = builder
    b.page("ci", "CI/CD Pipeline", slug_id="CICDxxxxxx", zip_path="CICD Pipeline.md")
    # space export form: the exporter replaced the text by the target's file name
    b.page("a", "From space export", slug_id="Aaaaaaaaaa", body="# A\n\nSee [CICD Pipeline](CICD%20Pipeline.md).\n")
    # single-page export form: the text stays the Docmost URL, the href gets the public address
    b.page("b", "From page export", slug_id="Bbbbbbbbbb",
           body="# B\n\nSee [/s/eng/p/cicd-pipeline-CICDxxxxxx](http://localhost:3000/s/eng/p/cicd-pipeline-CICDxxxxxx).\n")
    # a label chosen by a person stays as written
    b.page("c", "Own label", slug_id="Cccccccccc", body="# C\n\nSee [the pipeline](CICD%20Pipeline.md).\n")
    out = tmp_path / "out"
    convert_space(b.build(), out, space_slug="eng", space_name="Eng", base_url="http://localhost:3000")
    assert "See [CI/CD Pipeline](cicd-pipeline.md)." in doc(out, "from-space-export.md")
    assert "See [CI/CD Pipeline](cicd-pipeline.md)." in doc(out, "from-page-export.md")
    assert "See [the pipeline](cicd-pipeline.md)." in doc(out, "own-label.md")


def test_relative_links_resolve_in_the_zip_the_page_came_from(builder, tmp_path):
    b = builder
    # "Old.md" in the space export is page t, renamed since; page n now has the virtual path "Old.md"
    b.page("t", "Target", slug_id="Tttttttttt", zip_path="Target.md", body="# Target\n")
    n = b.page("n", "Old", slug_id="Nnnnnnnnnn", zip_path="Old.md", body="# Old\n\nMyself: [me](Old.md)\n")
    n.link_namespace, n.link_path = "page:n", "Old.md"
    b.page("l", "Linker", slug_id="Llllllllll", body="# L\n\n[to target](Old.md)\n")
    export = b.build()
    export.link_paths = {"": {"Old.md": "t", "Linker.md": "l"}, "page:n": {"Old.md": "n"}}
    out = tmp_path / "out"
    convert_space(export, out, space_slug="s", space_name="S")
    assert "[to target](target.md)" in doc(out, "linker.md")
    assert "Myself: [me](old.md)" in doc(out, "old.md")


def test_the_page_cache_reuses_unchanged_pages_and_gives_the_same_output(builder, tmp_path):
    b = builder
    b.page("x", "X", slug_id="Xxxxxxxxxx", body="# X\n\n## Part One\n\ntext\n")
    b.page("y", "Y", slug_id="Yyyyyyyyyy", body="# Y\n\n[x part](X.md#part-one) and [x](X.md)\n")
    b.page("z", "Z", slug_id="Zzzzzzzzzz", body="# Z\n\nplain\n")
    cache = tmp_path / "cache" / "pages.json"

    def convert(name: str):
        out = tmp_path / name
        report = convert_space(b.build(), out, space_slug="s", space_name="S", cache_path=cache)
        plain = convert_space(b.build(), tmp_path / f"{name}-plain", space_slug="s", space_name="S")
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        fresh = {p.relative_to(tmp_path / f"{name}-plain").as_posix(): p.read_bytes()
                 for p in (tmp_path / f"{name}-plain").rglob("*") if p.is_file()}
        assert files == fresh and report.warning_counts() == plain.warning_counts()
        return report

    first = convert("first")
    assert (first.pages_rendered, first.pages_reused) == (3, 0)
    second = convert("second")
    assert (second.pages_rendered, second.pages_reused) == (0, 3)
    # X's heading changes: Y's fragment link no longer resolves to it, so Y is rendered again with X
    (b.root / "pages" / "x.md").write_text("# X\n\n## Part Two\n\ntext\n", encoding="utf-8")
    third = convert("third")
    assert (third.pages_rendered, third.pages_reused) == (2, 1)
    assert "dropped_fragment" in third.warning_counts()
    # the cache holds exactly the pages of the last conversion; an unreadable cache is ignored
    assert sorted(json.loads(cache.read_text())["pages"]) == ["x", "y", "z"]
    cache.write_text("{not json")
    assert convert("fourth").pages_rendered == 3
