"""``docmost_pipeline.website`` without a build: what a build is made of and the clean-up of abandoned builds (the
builds themselves are tested in ``site/test_website.py``)."""

from __future__ import annotations

import os
import time

from docmost_pipeline.publish import publish_tree, rollback
from docmost_pipeline.website import remove_abandoned_builds, site_code_digest, site_inputs


def test_inputs_follow_the_live_versions_and_the_site_code(tmp_path):
    output, site = tmp_path / "output", tmp_path / "site"
    (site / "src").mkdir(parents=True)
    (site / "docusaurus.config.mjs").write_text("export default {};\n", encoding="utf-8")
    (site / "node_modules" / "pkg").mkdir(parents=True)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "page.md").write_text("# One\n", encoding="utf-8")
    first = publish_tree(tree, output, "alpha")
    before = site_inputs(output, site)
    assert before.spaces == {"alpha": first.version}
    assert before.trees == {"alpha": output / ".versions" / "alpha" / first.version}

    (site / "node_modules" / "pkg" / "index.js").write_text("changed\n", encoding="utf-8")
    (site / "build").mkdir()
    (site / "build" / "index.html").write_text("built\n", encoding="utf-8")
    assert site_inputs(output, site).fingerprint == before.fingerprint  # installed packages and builds are not code

    (tree / "page.md").write_text("# One, edited\n", encoding="utf-8")
    second = publish_tree(tree, output, "alpha")
    after = site_inputs(output, site)
    assert after.spaces == {"alpha": second.version} and after.fingerprint != before.fingerprint
    assert after.newest_switch >= before.newest_switch
    rollback(output, "alpha")
    assert site_inputs(output, site).fingerprint == before.fingerprint  # the same versions: the same site

    code = site_code_digest(site)
    (site / "src" / "custom.css").write_text("body {}\n", encoding="utf-8")
    assert site_code_digest(site) != code
    assert site_code_digest(site, {"SITE_BASE_URL": "/wiki/"}) != site_code_digest(site, {})


def test_only_builds_older_than_the_timeout_are_removed(tmp_path):
    old, fresh = tmp_path / "old", tmp_path / "fresh"
    for build in (old, fresh):
        (build / "docs").mkdir(parents=True)
    past = time.time() - 4000
    os.utime(old, (past, past))
    assert remove_abandoned_builds(tmp_path, older_than=1800) == ["old"]
    assert not old.exists() and fresh.is_dir()
