"""The website (``docmost_pipeline.website``): a real Docusaurus build over the spaces live in OUTPUT_DIR, switched
live into SITE_DIR/live by the space publisher's machinery.

One real build (about 15 s with the faster bundler), then the switch 20 times: the reader test is about the swap,
not about Docusaurus, and 20 builds would take minutes. Each of the 20 versions is the real build with its own
marker written into its ``index.html`` and into a marker file, so a reader can tell a whole version from a mix.
"""

from __future__ import annotations

import os
import shutil
import threading

from docmost_pipeline.publish import rollback
from docmost_pipeline.website import SITE_NAME, html_pages, live_site, publish_site, site_inputs, update_site
from docmost_pipeline_tests.site.conftest import publish_space


def test_built_once_then_unchanged_then_rebuilt_after_a_publish(site_ready, tmp_path):
    output, site = tmp_path / "output", tmp_path / "site"
    publish_space(output, "alpha", "Alpha", {"intro": "Alpha intro, see [more](./more.md).\n",
                                             "more": "More about alpha.\n"}, tmp_path)
    publish_space(output, "beta", "Beta", {"start": "Beta starts here.\n"}, tmp_path)

    first = update_site(output, site, keep=2)
    assert first.build is not None and first.build.clean, first.build.summary()
    live = site / SITE_NAME
    assert live.is_symlink() and os.readlink(live) == f".versions/{SITE_NAME}/{first.live_version}"
    assert (live / "docs" / "alpha" / "intro" / "index.html").is_file()
    assert (live / "docs" / "beta" / "start" / "index.html").is_file()
    assert first.pages == html_pages(live) > 3 and first.bytes > 0 and first.errors == 0
    assert live_site(site).source_sha256 == site_inputs(output).fingerprint
    assert not any((site / ".build").iterdir())  # the build folder is gone once the site is live

    second = update_site(output, site, keep=2)
    assert second.unchanged and second.build is None
    assert second.live_version == first.live_version

    publish_space(output, "beta", "Beta", {"start": "Beta starts here, edited.\n", "next": "A new page.\n"}, tmp_path)
    third = update_site(output, site, keep=2)
    assert third.build is not None and third.build.ok and third.live_version != first.live_version
    assert third.previous_version == first.live_version
    assert (live / "docs" / "beta" / "next" / "index.html").is_file()

    # rollback is the publisher's: the previous site is live again in one switch
    rolled = rollback(site, SITE_NAME)
    assert rolled.version == first.live_version
    assert not (live / "docs" / "beta" / "next" / "index.html").exists()


def test_a_failed_build_keeps_the_live_site(site_ready, tmp_path):
    output, site = tmp_path / "output", tmp_path / "site"
    publish_space(output, "alpha", "Alpha", {"intro": "Alpha intro.\n"}, tmp_path)
    good = update_site(output, site)
    assert good.build.ok, good.build.summary()
    index_before = (site / SITE_NAME / "index.html").read_bytes()

    publish_space(output, "alpha", "Alpha", {"intro": "Alpha intro.\n", "broken": "A link to [nowhere](./gone.md)\n"},
                  tmp_path)
    failed = update_site(output, site)
    assert failed.failed and failed.errors >= 1
    assert [link.url for link in failed.build.broken_markdown_links] == ["./gone.md"], failed.build.summary()
    assert failed.live_version == good.live_version
    assert os.readlink(site / SITE_NAME) == f".versions/{SITE_NAME}/{good.live_version}"
    assert (site / SITE_NAME / "index.html").read_bytes() == index_before
    assert not any((site / ".build").iterdir())


def test_a_reader_never_sees_a_missing_or_mixed_site_over_20_switches(site_ready, tmp_path):
    output, site = tmp_path / "output", tmp_path / "site"
    publish_space(output, "alpha", "Alpha", {"intro": "Alpha intro.\n"}, tmp_path)
    built = update_site(output, site, keep=3)
    assert built.build.ok, built.build.summary()
    template = tmp_path / "template"
    shutil.copytree(site / SITE_NAME, template)
    (template / "_publish.json").unlink()

    def switch_to(number: int) -> None:
        version = tmp_path / f"build-{number}"
        shutil.copytree(template, version)  # new files: the published versions are never edited in place
        (version / "marker.txt").write_text(str(number), encoding="utf-8")
        index = version / "index.html"
        index.write_text(index.read_text(encoding="utf-8").replace("<head>", f"<head><!-- build {number} -->", 1),
                         encoding="utf-8")
        publish_site(version, site, f"inputs-{number}", pages=html_pages(version), keep=3)
        shutil.rmtree(version)

    problems: list[str] = []
    reads = 0
    done = threading.Event()

    def reader() -> None:
        nonlocal reads
        live = site / SITE_NAME
        while not done.is_set():
            if not (live / "index.html").is_file():
                problems.append("SITE_DIR/live/index.html is missing")
            try:
                # what a web server does: resolve the path once per request, then read from the resolved folder
                version_dir = live.parent / os.readlink(live)
                index = (version_dir / "index.html").read_text(encoding="utf-8")
                marker = (version_dir / "marker.txt").read_text(encoding="utf-8")
            except OSError as error:
                problems.append(f"read failed: {error}")
                continue
            if f"<!-- build {marker} -->" not in index or not index.rstrip().endswith("</html>"):
                problems.append(f"index.html does not belong to build {marker!r} or is cut short")
            reads += 1

    switch_to(0)  # the first version with a marker, before the reader starts
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for number in range(1, 21):
            switch_to(number)
    finally:
        done.set()
        thread.join()
    assert not problems, problems[:5]
    assert reads > 20
    assert (site / SITE_NAME / "marker.txt").read_text(encoding="utf-8") == "20"
    assert len(list((site / ".versions" / SITE_NAME).iterdir())) == 3  # SITE_KEEP versions, the live one counted
