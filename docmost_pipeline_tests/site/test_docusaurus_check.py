"""``DOCUSAURUS_CHECK=1``: the site build is a blocking check of ``postprocessed_tree`` (docs/operations.md, "The Dagster UI").

A space is synced through the four assets against the Docmost test server with real Docusaurus builds (node_modules
from the session's ``site_ready``). A tree that passes every other check but does not compile must stop the run
before ``published_space``, with the previous version still live, byte for byte. Two builds in all (about a minute
each on 2 cores), over the smallest recorded space.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import instance_for_test

from docmost_pipeline.defs.resources import close_cached_clients
from docmost_pipeline_tests.dagster_support import after_convert, make_resources, make_settings, sync_space

# An unclosed JSX element: valid Markdown (an HTML block), no link, no front matter change, but MDX cannot compile it.
UNCLOSED_DIV = "\n<div>\n\nThis block is never closed.\n"


def live_files(live: Path) -> dict[str, bytes]:
    return {p.relative_to(live).as_posix(): p.read_bytes() for p in sorted(live.rglob("*")) if p.is_file()}


def test_a_tree_that_does_not_build_is_not_published(site_ready, tmp_path, docmost_server, monkeypatch):
    output = tmp_path / "output"
    with instance_for_test() as instance:
        settings = make_settings(docmost_server, output, DOCUSAURUS_CHECK="1")
        assert settings.docusaurus_check is True
        resources = make_resources(docmost_server, output)

        first = sync_space(instance, settings, resources, "collisions")
        first_checks = {c.check_name: c for c in first.get_asset_check_evaluations()}
        assert first.success, {name: c.metadata["summary"].value for name, c in first_checks.items()}
        assert first_checks["docusaurus_build"].passed is True
        assert first.asset_materializations_for_node("published_space")
        live = output / "collisions"
        target_before = os.readlink(live)
        files_before = live_files(live)
        assert any(name.endswith(".md") for name in files_before)

        broken: list[str] = []

        def unclosed_div(slug: str, tree_dir: Path) -> None:
            doc = sorted(p for p in tree_dir.rglob("*.md") if not p.name.startswith("_"))[0]
            doc.write_text(doc.read_text(encoding="utf-8") + UNCLOSED_DIV, encoding="utf-8")
            broken.append(doc.relative_to(tree_dir).as_posix())

        after_convert(monkeypatch, unclosed_div)
        # an edit in Docmost, so the second sync converts the space again (an unchanged space is not converted)
        docmost_server.create_page("collisions", "Added later", content="A page added after the first publish.\n")
        second = sync_space(instance, settings, resources, "collisions")
        assert broken, "the converted tree was not edited"
        assert not second.success
        checks = {c.check_name: c for c in second.get_asset_check_evaluations()}
        assert {name: c.passed for name, c in checks.items()} == {
            "pages_exactly_once": True, "links_resolve": True, "front_matter_parses": True, "slug_names": True,
            "docusaurus_build": False,
        }
        build = checks["docusaurus_build"]
        assert build.metadata["mdx_errors"].value == 1, build.metadata["summary"].value
        assert broken[0].rsplit("/", 1)[-1] in build.metadata["problem_list"].value
        assert second.asset_materializations_for_node("postprocessed_tree")
        assert not second.asset_materializations_for_node("published_space")
        # the previous version stays live, untouched
        assert os.readlink(live) == target_before
        assert live_files(live) == files_before
    close_cached_clients()
