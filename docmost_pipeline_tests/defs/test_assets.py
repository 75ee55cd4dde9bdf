"""The four assets against the Docmost test server on 127.0.0.1 and a real temporary Dagster instance.

Full materialization of every recorded space (metadata present and numeric, the empty space published empty),
asset retries on 5xx, no retry on a wrong password, a failed blocking check keeping the live tree, no secret in
any event, one login per process.
"""

from __future__ import annotations

import json
import re
import os
from pathlib import Path

import pytest
from dagster import DagsterEventType, instance_for_test

from docmost_pipeline.emulator import DocmostTestServer
from docmost_pipeline.emulator.recordings import RECORDINGS_DIR
from docmost_pipeline.defs.assets import ASSET_NAMES
from docmost_pipeline.defs.resources import close_cached_clients
from docmost_pipeline_tests.dagster_support import (
    RECORDED_SPACES,
    after_convert,
    make_resources,
    make_settings,
    sync_assets,
    sync_space,
)

# Pages in Docmost's page tree per recorded space (recordings README) and the number the converter drops on purpose
# (untitled pages without content or children) is reported in the metadata; everything else must be live.
API_PAGES = {"collisions": 7, "content-gallery": 20, "engineering": 100, "general": 0, "hangul-docs": 34}


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """Every recorded space synced once into one output dir (shared by the read-only tests below)."""
    output = tmp_path_factory.mktemp("synced") / "output"
    with DocmostTestServer() as server, instance_for_test() as instance:
        settings = make_settings(server, output)
        resources = make_resources(server, output)
        definitions = sync_assets(settings)
        results = {slug: sync_space(instance, settings, resources, slug, assets=definitions)
                   for slug in RECORDED_SPACES}
        logins = server.count("/api/auth/login")
        yield {"server": server, "instance": instance, "output": output, "results": results, "logins": logins}
    close_cached_clients()


def failed_checks(result) -> list[str]:
    return [f"{c.check_name}: {c.metadata['summary'].value}" for c in result.get_asset_check_evaluations()
            if not c.passed]


def test_every_recorded_space_is_published(synced):
    for slug, result in synced["results"].items():
        assert result.success, (slug, failed_checks(result))
        live = synced["output"] / slug
        assert live.is_dir() and (live / "_category_.json").is_file()
    assert sorted(p.name for p in synced["output"].iterdir() if not p.name.startswith(".")) == sorted(RECORDED_SPACES)


def test_pages_live_match_docmost_tree(synced):
    for slug, result in synced["results"].items():
        tree_meta = result.asset_materializations_for_node("postprocessed_tree")[0].metadata
        published = result.asset_materializations_for_node("published_space")[0].metadata
        dropped = tree_meta["pages_dropped"].value
        assert published["pages_live"].value + dropped == API_PAGES[slug], slug
        docs = [p for p in (synced["output"] / slug).rglob("*.md") if "_attachments" not in p.parts]
        assert len(docs) == published["pages_live"].value


def test_metadata_is_present_and_numeric(synced):
    numeric = {
        "raw_export": {"bytes": int, "download_seconds": float, "recovered_pages": int},
        "extracted_markdown": {"pages": int, "attachments": int, "total_bytes": int, "recovered_pages": int},
        "postprocessed_tree": {"pages": int, "attachments": int, "warnings": int, "bytes": int,
                               "conversion_seconds": float, "pages_dropped": int},
        "published_space": {"pages_live": int, "publish_seconds": float, "files": int, "bytes": int},
    }
    result = synced["results"]["engineering"]
    for name in ASSET_NAMES:
        [materialization] = result.asset_materializations_for_node(name)
        assert materialization.partition == "engineering"
        for key, kind in numeric[name].items():
            value = materialization.metadata[key].value
            assert type(value) is kind, (name, key, value)
    raw = result.asset_materializations_for_node("raw_export")[0].metadata
    assert raw["bytes"].value == (RECORDINGS_DIR / "engineering.zip").stat().st_size
    assert len(raw["sha256"].value) == 64
    assert raw["docmost_version"].value == "0.95.0"
    # the test server's page publishes the recordings' APP_URL; no file of another space is shown
    assert (raw["public_url"].value, raw["public_url_source"].value) == ("http://localhost:3000",
                                                                         "window.CONFIG.APP_URL")
    assert (raw["other_space_files_fetched"].value, raw["other_space_files_missing"].value) == (0, 0)
    extracted = result.asset_materializations_for_node("extracted_markdown")[0].metadata
    assert extracted["pages"].value == 100
    assert "| page" in extracted["page_tree"].value  # a pandas-built markdown table
    tree = result.asset_materializations_for_node("postprocessed_tree")[0].metadata
    # Engineering's two links to a heading of another page whose Docmost anchor cannot be mapped (the links keep
    # their page, lose the fragment), and its three absolute links (on Docmost's public address) to the page in
    # the trash, plain text like a relative link to it: each warning counted and listed in one row.
    assert tree["warnings"].value == 5
    assert tree["warning_counts"].value == {"dropped_fragment": 2, "unresolved_link": 3}
    rows = tree["warnings_table"].value.splitlines()[2:]
    assert [[cell.strip() for cell in row.split("|")[1:3]] for row in rows] == [
        ["getting-started/index.md", "dropped_fragment"], ["getting-started/index.md", "unresolved_link"],
        ["getting-started/index.md", "unresolved_link"], ["architecture-overview/index.md", "dropped_fragment"],
        ["release-process.md", "unresolved_link"]]
    published = result.asset_materializations_for_node("published_space")[0].metadata
    assert published["version"].value and published["previous_version"].value == ""
    assert Path(published["live_path"].value) == synced["output"] / "engineering"
    collisions = synced["results"]["collisions"].asset_materializations_for_node("raw_export")[0].metadata
    assert collisions["recovered_pages"].value == 3


def test_empty_space_is_published_empty(synced):
    result = synced["results"]["general"]
    raw = result.asset_materializations_for_node("raw_export")[0].metadata
    assert raw["empty_space"].value is True
    published = result.asset_materializations_for_node("published_space")[0].metadata
    assert published["empty_space"].value is True and published["pages_live"].value == 0
    live = synced["output"] / "general"
    assert json.loads((live / "_category_.json").read_text())["label"] == "General"
    assert not list(live.rglob("*.md"))


def test_checks_ran_and_passed(synced):
    for slug, result in synced["results"].items():
        names = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
        assert names == {"pages_exactly_once": True, "links_resolve": True, "front_matter_parses": True,
                         "slug_names": True}, slug


def test_one_summary_line_per_space_sync(synced):
    instance = synced["instance"]
    summaries = {}
    for slug, result in synced["results"].items():
        lines = [e.user_message for e in instance.all_logs(result.run_id)
                 if (e.user_message or "").startswith("sync summary: ")]
        assert len(lines) == 1, (slug, lines)
        summaries[slug] = json.loads(lines[0].removeprefix("sync summary: "))
    assert summaries["general"]["result"] == "published empty space" and summaries["general"]["pages"] == 0
    for slug in ("collisions", "content-gallery", "engineering", "hangul-docs"):
        summary = summaries[slug]
        assert summary["space"] == slug and summary["result"] == "published"
        assert summary["pages"] == len(list((synced["output"] / slug).rglob("*.md")))
        assert isinstance(summary["duration_seconds"], float | int) and summary["version"]


def test_one_login_for_the_whole_sync(synced):
    # One client per process: five spaces (and the collisions page recoveries) cost a single login.
    assert synced["logins"] == 1


def test_no_secret_in_any_event(synced):
    password = synced["server"].password
    assert synced["instance"].get_runs()
    for run in synced["instance"].get_runs():
        for entry in synced["instance"].all_logs(run.run_id):
            assert password not in (entry.user_message or "")
            assert password not in str(entry.dagster_event)
            assert "authToken=" not in str(entry.dagster_event)


def test_injected_5xx_twice_retried_then_succeeds(tmp_path, docmost_server):
    docmost_server.faults.fail("/api/spaces/export", times=2, status=503)
    output = tmp_path / "output"
    with instance_for_test() as instance:
        # client retries off, so every 503 reaches Dagster and the asset's RetryPolicy does the retrying
        result = sync_space(instance, make_settings(docmost_server, output),
                            make_resources(docmost_server, output, retries=0), "collisions")
        assert result.success
        retries = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY]
        assert [e.step_key for e in retries] == ["raw_export", "raw_export"]
    assert docmost_server.count("/api/spaces/export", 503) == 2
    assert (output / "collisions" / "_category_.json").is_file()
    close_cached_clients()


def test_wrong_password_fails_at_once_without_retries(tmp_path, docmost_server):
    output = tmp_path / "output"
    with instance_for_test() as instance:
        result = sync_space(instance, make_settings(docmost_server, output),
                            make_resources(docmost_server, output, password="not-the-password-123"), "collisions")
        assert not result.success
        assert not [e for e in result.all_events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY]
        [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
        assert failure.step_key == "raw_export"
        text = failure.step_failure_data.error.to_string()
        assert "rejected the login" in text and "not-the-password-123" not in text
        assert not result.asset_materializations_for_node("published_space")
    assert docmost_server.count("/api/auth/login") == 1
    assert not (output / "collisions").exists()
    close_cached_clients()


def test_a_second_sync_of_an_unchanged_space_keeps_its_live_version(tmp_path, docmost_server):
    output = tmp_path / "output"
    with instance_for_test() as instance:
        settings = make_settings(docmost_server, output)
        resources = make_resources(docmost_server, output)
        first = sync_space(instance, settings, resources, "collisions")
        second = sync_space(instance, settings, resources, "collisions")
        assert first.success and second.success
        before = first.asset_materializations_for_node("published_space")[0].metadata
        after = second.asset_materializations_for_node("published_space")[0].metadata
        assert before["unchanged"].value is False and after["unchanged"].value is True
        assert after["version"].value == before["version"].value
        assert after["pages_live"].value == before["pages_live"].value
        assert [p.name for p in (output / ".versions" / "collisions").iterdir()] == [before["version"].value]
        summaries = [e.user_message for e in instance.all_logs(second.run_id) if "sync summary" in (e.user_message or "")]
        assert len(summaries) == 1 and '"result": "unchanged"' in summaries[0]
    close_cached_clients()


def test_failed_blocking_check_keeps_previous_version_live(tmp_path, docmost_server, monkeypatch):
    output = tmp_path / "output"
    with instance_for_test() as instance:
        settings = make_settings(docmost_server, output)
        resources = make_resources(docmost_server, output)
        first = sync_space(instance, settings, resources, "collisions")
        assert first.success
        live = output / "collisions"
        before_target = os.readlink(live)
        before = {p.relative_to(live).as_posix(): p.read_bytes() for p in live.rglob("*") if p.is_file()}

        def inject_broken_link(slug: str, tree_dir: Path) -> None:
            doc = sorted(tree_dir.rglob("*.md"))[0]
            doc.write_text(doc.read_text(encoding="utf-8") + "\n[gone](no-such-page.md)\n", encoding="utf-8")

        after_convert(monkeypatch, inject_broken_link)
        # A change in Docmost, so that the second sync converts again (an unchanged space is not converted).
        docmost_server.append_text(next(iter(docmost_server.space_by_slug("collisions").pages)), "Edited.")
        second = sync_space(instance, settings, resources, "collisions")
        assert not second.success
        checks = {c.check_name: c for c in second.get_asset_check_evaluations()}
        assert checks["links_resolve"].passed is False
        assert "no-such-page.md" in checks["links_resolve"].metadata["summary"].value
        assert second.asset_materializations_for_node("postprocessed_tree")
        assert not second.asset_materializations_for_node("published_space")
        assert os.readlink(live) == before_target
        after = {p.relative_to(live).as_posix(): p.read_bytes() for p in live.rglob("*") if p.is_file()}
        assert after == before
    close_cached_clients()


def test_freshness_policy_is_twice_the_sync_interval(tmp_path, docmost_server):
    settings = make_settings(docmost_server, tmp_path, SYNC_INTERVAL="1h30m")
    published = {a.key.to_user_string(): a for a in sync_assets(settings)}["published_space"]
    policy = published.specs_by_key[published.key].freshness_policy
    assert policy is not None and policy.fail_window.to_timedelta().total_seconds() == 3 * 3600
    unscheduled = {a.key.to_user_string(): a for a in sync_assets(make_settings(docmost_server, tmp_path))}
    spec = unscheduled["published_space"].specs_by_key[unscheduled["published_space"].key]
    assert spec.freshness_policy is None


def test_markdown_table_escapes_cells_and_caps_rows():
    from docmost_pipeline.defs.metadata import MAX_TABLE_ROWS, markdown_table

    text = markdown_table([{"page": "a|b\nc", "kind": "x"}], ["page", "kind"])
    lines = text.splitlines()
    assert len(lines) == 3 and lines[2].startswith(r"| a\|b c ")  # one row, the '|' escaped, no line break
    many = markdown_table([{"page": str(i), "kind": "x"} for i in range(MAX_TABLE_ROWS + 5)], ["page", "kind"])
    assert len(many.splitlines()) == 2 + MAX_TABLE_ROWS + 2 and many.endswith("… and 5 more")
    assert markdown_table([], ["page"]) == "_(none)_"


# --- Docmost's public address and files of other spaces ------------------------------------------------------------
def front_matter(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def raw_metadata(result) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node("raw_export")[0].metadata.items()}


def sync_engineering_once(docmost_server, tmp_path):
    """(output dir, result) of one successful sync of Engineering in a fresh instance."""
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output)
    with instance_for_test() as instance:
        result = sync_space(instance, settings, make_resources(docmost_server, output), "engineering")
    close_cached_clients()
    assert result.success
    return output, result


def test_edit_links_use_the_address_docmost_publishes_not_the_base_url(tmp_path, docmost_server):
    # the test server is reached at http://127.0.0.1:<port>; its page says APP_URL http://localhost:3000
    output, result = sync_engineering_once(docmost_server, tmp_path)
    raw = raw_metadata(result)
    assert (raw["public_url"], raw["public_url_source"]) == ("http://localhost:3000", "window.CONFIG.APP_URL")
    getting_started = front_matter(output / "engineering" / "getting-started" / "index.md")
    assert getting_started["custom_edit_url"] == "http://localhost:3000/s/engineering/p/HGMXE2d4R9"
    # the pasted absolute URLs and links to other spaces Docmost wrote with its APP_URL are Docmost's own links
    body = (output / "engineering" / "getting-started" / "index.md").read_text(encoding="utf-8")
    assert "](http://localhost:3000/" not in body
    assert getting_started["docmost"]["links"]["6uKvMkOKMN"] == {
        "space": "hangul-docs", "url": "http://localhost:3000/s/hangul-docs/p/-6uKvMkOKMN"}


def test_docmost_public_url_wins_over_discovery(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output, DOCMOST_PUBLIC_URL="https://wiki.example.com")
    resources = make_resources(docmost_server, output, public_url=settings.docmost_public_url)
    with instance_for_test() as instance:
        result = sync_space(instance, settings, resources, "hangul-docs")
    close_cached_clients()
    assert result.success and docmost_server.count("/") == 0  # nothing discovered
    raw = raw_metadata(result)
    assert (raw["public_url"], raw["public_url_source"]) == ("https://wiki.example.com", "DOCMOST_PUBLIC_URL")
    edit_urls = {front_matter(p).get("custom_edit_url") for p in (output / "hangul-docs").rglob("*.md")}
    assert edit_urls and all(url.startswith("https://wiki.example.com/s/hangul-docs/p/") for url in edit_urls)


def test_a_page_without_window_config_falls_back_to_the_base_url_saying_so_once(tmp_path, docmost_server, caplog):
    import logging

    docmost_server.set_app_url(None)
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output)
    resources = make_resources(docmost_server, output)
    caplog.set_level(logging.INFO, logger="docmost_pipeline.docmost")
    with instance_for_test() as instance:
        results = [sync_space(instance, settings, resources, slug) for slug in ("collisions", "hangul-docs")]
    close_cached_clients()
    assert all(r.success for r in results)
    assert [raw_metadata(r)["public_url_source"] for r in results] == ["base URL", "base URL"]
    fallback = [r for r in caplog.records if "publishes no public address" in r.getMessage()]
    assert len(fallback) == 1 and fallback[0].levelname == "WARNING"  # learned once per process
    assert docmost_server.count("/") == 1
    edit = front_matter(output / "collisions" / "notes.md")["custom_edit_url"]
    assert edit.startswith(f"{docmost_server.base_url}/s/collisions/p/")


def test_a_malformed_published_address_fails_the_export_at_once_naming_the_page(tmp_path, docmost_server):
    docmost_server.set_app_url("wiki.example.com")
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output)
    with instance_for_test() as instance:
        result = sync_space(instance, settings, make_resources(docmost_server, output), "collisions")
        failures = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    close_cached_clients()
    assert not result.success and len(failures) == 1  # not retried
    message = failures[0].step_failure_data.error.message
    assert "cannot learn Docmost's public address" in message and "window.CONFIG.APP_URL of the page at" in message
    assert "'wiki.example.com', not an http(s) URL" in message and "set DOCMOST_PUBLIC_URL" in message
    assert docmost_server.count("/api/spaces/export") == 0


def test_an_image_of_another_space_is_fetched_and_shown_a_gone_file_is_its_alt_text(tmp_path, docmost_server):
    glossary = next(p.id for p in docmost_server.space_by_slug("engineering").model.pages.values()
                    if p.title == "Glossary")
    docmost_server.link_attachment(glossary, "01a20070-3f15-7378-a57d-6332ee89dcc1", alt="Gallery screenshot")
    content = docmost_server.wiki.page(glossary)[1].content
    gone = "files/00000000-0000-7000-8000-000000000000/x.png"
    docmost_server.edit_page(glossary, content + f"\n\n![Gone diagram]({gone})")
    output, result = sync_engineering_once(docmost_server, tmp_path)
    raw = raw_metadata(result)
    assert (raw["other_space_files_fetched"], raw["other_space_files_missing"]) == (1, 1)
    body = (output / "engineering" / "glossary.md").read_text(encoding="utf-8")
    image = "_attachments/01a20070-3f15-7378-a57d-6332ee89dcc1/screenshot-2026-08-01-at-10-15-00.png"
    assert f"![Gallery screenshot]({image})" in body
    assert (output / "engineering" / image).read_bytes() == \
        docmost_server.space_by_slug("content-gallery").model.attachments["01a20070-3f15-7378-a57d-6332ee89dcc1"].data
    assert body.rstrip().endswith("Gone diagram") and "x.png" not in body
    tree = result.asset_materializations_for_node("postprocessed_tree")[0].metadata
    assert tree["warning_counts"].value["missing_attachment"] == 1


def test_no_page_body_links_back_to_the_wiki_when_docmost_is_reached_on_another_address(synced):
    """The demo's situation (Docmost reached on 127.0.0.1, content written with its APP_URL http://localhost:3000):
    links to its own pages, in this space or another, become site links; a link to a trashed page becomes text."""
    wiki_links = []
    for doc in synced["output"].rglob("*.md"):
        text = doc.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        wiki_links += [(doc.name, url) for url in re.findall(r"\]\((https?://(?:localhost|127\.0\.0\.1)[^)]*)\)", body)]
    assert wiki_links == []
    cross_space = (synced["output"] / "hangul-docs" / "teseuteu-hangeul.md").read_text(encoding="utf-8")
    assert "](/docmost/p/" in cross_space
