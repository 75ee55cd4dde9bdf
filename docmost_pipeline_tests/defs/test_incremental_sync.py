"""Incremental sync through the Dagster assets and the change sensor, on the Docmost emulator and a real instance.

A second sync of an unchanged space exports, converts and publishes nothing and says so; an edited page is the only
page exported and goes live; a renamed page's linking pages follow; `full: true` exports everything again; the
change sensor requests a run only for a space whose pages changed, once per change; a manifest read that fails
fails the run and leaves the live version alone; a page that vanishes before its export is dropped.
"""

from __future__ import annotations

import os

from dagster import build_sensor_context, instance_for_test

from docmost_pipeline.defs.jobs import sync_job
from docmost_pipeline.defs.partitions import SPACES_PARTITIONS
from docmost_pipeline.defs.sensors import build_change_sensor
from docmost_pipeline.docmost.client import DocmostClient
from docmost_pipeline.export.manifest import read_manifest
from docmost_pipeline_tests.dagster_support import make_resources, make_settings, metadata, sync_assets, sync_space


def pages_of(server, slug: str) -> dict:
    with DocmostClient(server.base_url, server.email, server.password) as client:
        space = next(s for s in client.list_spaces() if s.slug == slug)
        return {e.title: e for e in read_manifest(client, space.id).entries}


def live_files(output, slug: str) -> dict[str, bytes]:
    live = output / slug
    return {p.relative_to(live).as_posix(): p.read_bytes() for p in sorted(live.rglob("*")) if p.is_file()}


def test_unchanged_then_one_edit_then_full(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output)
    resources = make_resources(docmost_server, output)
    assets = sync_assets(settings)
    with instance_for_test() as instance:
        first = sync_space(instance, settings, resources, "engineering", assets=assets)
        assert first.success and metadata(first, "raw_export")["sync_mode"] == "full"
        version = metadata(first, "published_space")["version"]
        before = live_files(output, "engineering")

        docmost_server.clear_requests()
        second = sync_space(instance, settings, resources, "engineering", assets=assets)
        assert second.success
        raw = metadata(second, "raw_export")
        assert (raw["sync_mode"], raw["pages_exported"], raw["live_version"]) == ("unchanged", 0, version)
        assert metadata(second, "postprocessed_tree")["sync_mode"] == "unchanged"
        published = metadata(second, "published_space")
        assert published["unchanged"] is True and published["version"] == version
        assert all(c.passed for c in second.get_asset_check_evaluations())
        # nothing exported: one page list read (and the space list), no export request at all
        assert docmost_server.count("/api/spaces/export") == 0 and docmost_server.count("/api/pages/export") == 0
        assert docmost_server.count("/api/pages/recent") >= 1
        assert live_files(output, "engineering") == before

        glossary = pages_of(docmost_server, "engineering")["Glossary"]
        docmost_server.append_text(glossary.id, "Edited in Docmost: a brand-new sentence.")
        docmost_server.clear_requests()
        third = sync_space(instance, settings, resources, "engineering", assets=assets)
        assert third.success
        raw = metadata(third, "raw_export")
        assert (raw["sync_mode"], raw["pages_exported"], raw["pages_deleted"]) == ("incremental", 1, 0)
        assert raw["pages_reused"] == 99
        assert docmost_server.count("/api/spaces/export") == 0 and docmost_server.count("/api/pages/export") == 1
        tree = metadata(third, "postprocessed_tree")
        assert tree["pages_rendered"] == 1 and tree["pages_reused"] == tree["pages"] - 1
        assert "a brand-new sentence" in (output / "engineering" / "glossary.md").read_text(encoding="utf-8")
        assert metadata(third, "published_space")["version"] != version

        forced = sync_space(instance, settings, resources, "engineering", assets=assets,
                            run_config={"ops": {"raw_export": {"config": {"full": True}}}})
        assert forced.success and metadata(forced, "raw_export")["sync_mode"] == "full"
        # the same Docmost state gives the same tree: the live version stays
        assert metadata(forced, "published_space")["unchanged"] is True


def test_a_renamed_page_moves_and_the_pages_linking_to_it_follow(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output)
    resources = make_resources(docmost_server, output)
    linking = output / "engineering" / "getting-started" / "index.md"
    with instance_for_test() as instance:
        assert sync_space(instance, settings, resources, "engineering").success
        assert "[Release Process](../release-process.md)" in linking.read_text(encoding="utf-8")
        page = pages_of(docmost_server, "engineering")["Release Process"]
        docmost_server.rename_page(page.id, "Shipping Releases")
        result = sync_space(instance, settings, resources, "engineering")
        assert result.success
        raw = metadata(result, "raw_export")
        # the renamed page and the page linking to it (Docmost writes the new path and title into it)
        assert (raw["sync_mode"], raw["pages_exported"]) == ("incremental", 2)
        assert not (output / "engineering" / "release-process.md").exists()
        assert (output / "engineering" / "shipping-releases.md").is_file()
        assert "(../shipping-releases.md)" in linking.read_text(encoding="utf-8")


def test_a_change_touching_many_pages_exports_the_whole_space(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output)
    resources = make_resources(docmost_server, output)
    with instance_for_test() as instance:
        assert sync_space(instance, settings, resources, "engineering").success
        # 27 of the 100 pages link to the Glossary: renaming it touches more than INCREMENTAL_MAX_CHANGED (20%)
        docmost_server.rename_page(pages_of(docmost_server, "engineering")["Glossary"].id, "Terms")
        result = sync_space(instance, settings, resources, "engineering")
        raw = metadata(result, "raw_export")
        assert result.success and raw["sync_mode"] == "full" and "exceed 20%" in raw["reason"]
        assert (output / "engineering" / "terms.md").is_file()


def test_a_failing_page_list_fails_the_run_and_keeps_the_live_version(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output, DOCMOST_RETRIES="0")
    resources = make_resources(docmost_server, output, retries=0)
    with instance_for_test() as instance:
        assert sync_space(instance, settings, resources, "collisions").success
        before = live_files(output, "collisions")
        docmost_server.faults.fail("/api/pages/recent", times=100, status=503)
        failed = sync_space(instance, settings, resources, "collisions")
        assert not failed.success
        assert not failed.asset_materializations_for_node("published_space")
        assert live_files(output, "collisions") == before


def test_a_page_deleted_before_its_export_is_dropped(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output)
    resources = make_resources(docmost_server, output)
    with instance_for_test() as instance:
        assert sync_space(instance, settings, resources, "hangul-docs").success
        assert (output / "hangul-docs" / "teseuteu-hangeul.md").is_file()
        page = pages_of(docmost_server, "hangul-docs")["테스트 한글"]
        docmost_server.append_text(page.id, "한 줄 더.")
        # Docmost answers the page's export with 404, as for a page deleted after the list was read
        docmost_server.faults.fail("/api/pages/export", times=1, status=404)
        result = sync_space(instance, settings, resources, "hangul-docs")
        assert result.success
        raw = metadata(result, "raw_export")
        assert (raw["sync_mode"], raw["pages_exported"], raw["pages_deleted"]) == ("incremental", 0, 1)
        assert not (output / "hangul-docs" / "teseuteu-hangeul.md").exists()


def test_change_sensor_requests_a_run_once_per_change_and_only_for_changed_spaces(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output)
    resources = make_resources(docmost_server, output)
    sensor = build_change_sensor(settings, sync_job)
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(SPACES_PARTITIONS.name, ["collisions", "hangul-docs"])
        never = sensor(build_sensor_context(instance=instance, resources=resources))
        assert sorted(r.partition_key for r in never.run_requests) == ["collisions", "hangul-docs"]
        for slug in ("collisions", "hangul-docs"):
            assert sync_space(instance, settings, resources, slug).success
        quiet = sensor(build_sensor_context(instance=instance, resources=resources))
        assert "no space changed (2 unchanged" in quiet.skip_message

        page = next(iter(pages_of(docmost_server, "hangul-docs").values()))
        docmost_server.append_text(page.id, "수정된 문단.")
        changed = sensor(build_sensor_context(instance=instance, resources=resources))
        [request] = changed.run_requests
        assert request.partition_key == "hangul-docs"
        assert request.tags["docmost/trigger"] == "change"
        assert request.tags["docmost/change"] == "1 updated, 0 added, 0 deleted"
        again = sensor(build_sensor_context(instance=instance, resources=resources))
        assert [r.run_key for r in again.run_requests] == [request.run_key]  # the same change, the same key


def test_sync_command_runs_spaces_at_once_and_says_unchanged(tmp_path, docmost_server):
    import subprocess
    import sys

    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCMOST_", "DAGSTER_HOME"))}
    env.update(DOCMOST_BASE_URL=docmost_server.base_url, DOCMOST_EMAIL=docmost_server.email,
               DOCMOST_PASSWORD=docmost_server.password, OUTPUT_DIR=str(tmp_path / "output"),
               DAGSTER_HOME=str(tmp_path / "home"), MAX_CONCURRENT_EXPORTS="2")
    (tmp_path / "home").mkdir()
    docmost_server.faults.delay("/api/spaces/export", 2.0)

    def sync(*args):
        done = subprocess.run([sys.executable, "-m", "docmost_pipeline.cli", "sync", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.splitlines()

    lines = sync("collisions", "hangul-docs")
    assert lines[0].startswith("collisions: published 7 pages, version ") and "(full export)" in lines[0]
    assert lines[1].startswith("hangul-docs: published ")
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path / "home"))) as instance:
        runs = [instance.get_run_record_by_id(r.run_id) for r in instance.get_runs()]
    # the two runs (each waiting 2 s on its export) overlapped: they ran at once, not one after the other
    (a, b) = sorted(runs, key=lambda r: r.start_time)
    assert b.start_time < a.end_time
    again = sync("collisions")
    assert again[0].startswith("collisions: unchanged, 7 pages live, version ")


def test_a_changed_public_url_converts_again_and_the_change_sensor_sees_it(tmp_path, docmost_server):
    import yaml

    output = tmp_path / "output"
    settings = make_settings(docmost_server, output)
    discovered = make_resources(docmost_server, output)
    configured = make_resources(docmost_server, output, public_url="https://wiki.example.com")
    sensor = build_change_sensor(settings, sync_job)

    def edit_url() -> str:
        text = (output / "hangul-docs" / "teseuteu-hangeul.md").read_text(encoding="utf-8")
        return yaml.safe_load(text.split("---\n")[1])["custom_edit_url"]

    with instance_for_test() as instance:
        assert sync_space(instance, settings, discovered, "hangul-docs").success
        assert edit_url().startswith("http://localhost:3000/s/hangul-docs/p/")
        unchanged = sync_space(instance, settings, discovered, "hangul-docs")
        assert metadata(unchanged, "raw_export")["sync_mode"] == "unchanged"
        quiet = sensor(build_sensor_context(instance=instance, resources=discovered))
        assert quiet.skip_message.startswith("no space changed (1 unchanged")

        # the operator sets DOCMOST_PUBLIC_URL: Docmost did not change, the published tree must
        [request] = sensor(build_sensor_context(instance=instance, resources=configured)).run_requests
        assert (request.partition_key, request.tags["docmost/change"]) == \
            ("hangul-docs", "pipeline or settings changed")
        docmost_server.clear_requests()
        again = sync_space(instance, settings, configured, "hangul-docs")
        raw = metadata(again, "raw_export")
        assert (raw["sync_mode"], raw["pages_exported"], raw["public_url"]) == \
            ("incremental", 0, "https://wiki.example.com")
        assert metadata(again, "published_space")["unchanged"] is False
        assert edit_url().startswith("https://wiki.example.com/s/hangul-docs/p/")
        assert docmost_server.count("/api/spaces/export") == docmost_server.count("/api/pages/export") == 0
