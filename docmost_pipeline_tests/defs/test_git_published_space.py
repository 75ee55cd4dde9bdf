"""The ``git_published_space`` asset: the sync of a Docmost test server space, materialized in a real Dagster
instance, committed to a real git server on 127.0.0.1 (git daemon; git http-backend with a token for the failure
and its alert)."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, DagsterEventType, build_run_status_sensor_context, instance_for_test

from docmost_pipeline import publish
from docmost_pipeline.defs.assets import ASSET_NAMES, GIT_ASSET_NAME
from docmost_pipeline.defs.definitions import build_definitions
from docmost_pipeline.defs.jobs import sync_job
from docmost_pipeline.defs.resources import AlertResource, git_publish_resource
from docmost_pipeline.defs.sensors import build_alert_sensors
from docmost_pipeline.publish.copying import tree_digest
from docmost_pipeline_tests.dagster_support import WebhookReceiver, make_resources, make_settings, sync_space
from docmost_pipeline_tests.git_servers import GitHttpServer, bare_repo, branch_head, files_at, git

TOKEN = "glpat-Docs-Bot-Token-4242"


def git_setup(server, output: Path, **env: str):
    """(settings, resources, the sync's assets with the git target) for GIT_PUBLISH_* ``env``."""
    settings = make_settings(server, output, **env)
    resources = {**make_resources(server, output), "git": git_publish_resource(settings, env_vars=False)}
    definitions = build_definitions(settings, resources)
    assets = [definitions.get_assets_def(name) for name in (*ASSET_NAMES, GIT_ASSET_NAME)]
    return settings, resources, assets


def run_sync_job(server, output: Path, instance, slug: str, **env: str):
    """The ``sync_space`` job of the definitions built for ``env``, executed in-process for one space."""
    settings = make_settings(server, output, **env)
    resources = {**make_resources(server, output), "git": git_publish_resource(settings, env_vars=False)}
    instance.add_dynamic_partitions("docmost_spaces", [slug])
    job = build_definitions(settings, resources).resolve_job_def(sync_job.name)
    return job.execute_in_process(instance=instance, partition_key=slug)


def git_metadata(result) -> dict:
    [materialization] = result.asset_materializations_for_node(GIT_ASSET_NAME)
    return {key: value.value for key, value in materialization.metadata.items()}


def live_files(output: Path, space: str) -> dict[str, bytes]:
    live = output / space
    return {str(p.relative_to(live)): p.read_bytes() for p in live.rglob("*")
            if p.is_file() and p.name != publish.STAMP_NAME}


def test_the_asset_exists_only_with_a_repository_and_runs_in_the_sync_job(tmp_path, docmost_server):
    plain = build_definitions(make_settings(docmost_server, tmp_path))
    assert not plain.resolve_asset_graph().has(AssetKey(GIT_ASSET_NAME)) and "git" not in plain.resources
    settings = make_settings(docmost_server, tmp_path, GIT_PUBLISH_REPO=str(tmp_path / "docs.git"))
    definitions = build_definitions(settings)
    node = definitions.resolve_asset_graph().get(AssetKey(GIT_ASSET_NAME))
    assert node.parent_keys == {AssetKey("published_space")} and node.kinds == {"git"}
    job = definitions.resolve_job_def(sync_job.name)
    assert AssetKey(GIT_ASSET_NAME) in job.asset_layer.executable_asset_keys


def test_a_sync_commits_the_published_space_and_an_unchanged_sync_makes_no_commit(tmp_path, docmost_server,
                                                                                  git_daemon):
    bare = bare_repo(git_daemon.base / "docs.git")
    output = tmp_path / "output"
    env = {"GIT_PUBLISH_REPO": git_daemon.url("docs.git"), "GIT_PUBLISH_PATH": "website/docs",
           "GIT_PUBLISH_AUTHOR_NAME": "Docs Bot"}
    _, resources, assets = git_setup(docmost_server, output, **env)
    with instance_for_test() as instance:
        first = run_sync_job(docmost_server, output, instance, "collisions", **env)
        assert first.success
        meta = git_metadata(first)
        published = first.asset_materializations_for_node("published_space")[0].metadata
        pages_live = published["pages_live"].value
        assert meta["pushed"] is True and meta["skipped"] is False and meta["attempts"] == 1
        assert meta["commit"] == branch_head(bare) and meta["folder"] == "website/docs/collisions"
        assert (meta["pages_added"], meta["pages_changed"], meta["pages_removed"]) == (pages_live, 0, 0)
        assert meta["version"] == published["version"].value and meta["repo"] == git_daemon.url("docs.git")
        assert files_at(bare, "website/docs/collisions") == live_files(output, "collisions")
        log = git("log", "-1", "--format=%an%n%B", "main", cwd=bare)
        assert log.startswith(f"Docs Bot\ndocs(collisions): sync from Docmost (pages: {pages_live} added, 0 changed")
        assert f"Docmost: {docmost_server.base_url}" in log and "Space: Collisions (collisions)" in log

        again = sync_space(instance, None, resources, "collisions", assets=assets)
        assert again.success
        assert again.asset_materializations_for_node("published_space")[0].metadata["sync_mode"].value == "unchanged"
        meta = git_metadata(again)
        assert meta["skipped"] is True and meta["pushed"] is False and meta["commit"] == ""
        assert len(git("rev-list", "main", cwd=bare).split()) == 2  # the README's commit and ours


def test_a_failed_git_publish_fails_the_run_keeps_what_is_live_alerts_and_the_next_sync_catches_up(
        tmp_path, docmost_server):
    server_root = tmp_path / "http-server"
    bare = bare_repo(server_root / "docs.git")
    output = tmp_path / "output"
    with GitHttpServer(server_root, "docs-bot", TOKEN) as http, WebhookReceiver() as hook, \
            instance_for_test() as instance:
        env = {"GIT_PUBLISH_REPO": http.url("docs.git"), "GIT_PUBLISH_USERNAME": "docs-bot"}
        settings, resources, assets = git_setup(docmost_server, output, GIT_PUBLISH_TOKEN="wrong-Token-777", **env)
        failed = sync_space(instance, None, resources, "collisions", assets=assets)
        assert not failed.success
        [failure] = [e for e in failed.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
        assert failure.step_key == GIT_ASSET_NAME
        # published_space succeeded before: its version is live, whole, and untouched by the failure
        version = failed.asset_materializations_for_node("published_space")[0].metadata["version"].value
        [status] = publish.status(output, "collisions")
        assert status.live_version == version
        assert tree_digest(output / "collisions") == status.stamp["tree_sha256"]
        assert git("ls-tree", "--name-only", "main", cwd=bare).split() == ["README.md"]

        failure_sensor, recovery_sensor = build_alert_sensors(settings)
        alerts = AlertResource(webhook_urls=f"{hook.url}/hook", webserver_url="http://127.0.0.1:3030")
        run = instance.get_run_by_id(failed.run_id)
        [event] = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
        failure_sensor(build_run_status_sensor_context(
            sensor_name="docmost_failure_alerts", dagster_event=event.dagster_event, dagster_instance=instance,
            dagster_run=run, resources={"alerts": alerts}).for_run_failure())
        [(_, body)] = hook.posts
        assert "`collisions`" in body["text"] and f"Failed step: {GIT_ASSET_NAME}" in body["text"]
        assert "Authentication failed" in body["text"] and "GIT_PUBLISH_TOKEN" in body["text"]
        logged = "\n".join(str(record.message) + repr(record.dagster_event)
                           for record in instance.all_logs(run.run_id))
        assert "wrong-Token-777" not in body["text"] + logged

        # the token fixed: the next sync (nothing changed in Docmost) pushes the live version after all
        _, resources, assets = git_setup(docmost_server, output, GIT_PUBLISH_TOKEN=TOKEN, **env)
        fixed = sync_space(instance, None, resources, "collisions", assets=assets)
        assert fixed.success
        meta = git_metadata(fixed)
        assert meta["pushed"] is True and meta["version"] == version
        assert files_at(bare, "docs/collisions") == live_files(output, "collisions")
        [event] = instance.all_logs(fixed.run_id, of_type=DagsterEventType.RUN_SUCCESS)
        recovery_sensor(build_run_status_sensor_context(
            sensor_name="docmost_recovery_alerts", dagster_event=event.dagster_event, dagster_instance=instance,
            dagster_run=instance.get_run_by_id(fixed.run_id), resources={"alerts": alerts}))
        assert len(hook.posts) == 2 and "recovered" in hook.posts[1][1]["text"]
        everything = "\n".join(str(record.message) + repr(record.dagster_event)
                               for record in instance.all_logs(fixed.run_id))
        assert TOKEN not in everything and TOKEN not in repr(resources["git"])
