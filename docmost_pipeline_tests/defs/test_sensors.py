"""Discovery and alert sensors against the Docmost test server, a real Dagster instance and a local webhook receiver."""

from __future__ import annotations

import json
from pathlib import Path

from dagster import (
    AddDynamicPartitionsRequest,
    DagsterEventType,
    build_run_status_sensor_context,
    build_sensor_context,
    instance_for_test,
)

from docmost_pipeline.defs.partitions import SPACES_PARTITIONS
from docmost_pipeline.defs.jobs import sync_job
from docmost_pipeline.defs.resources import AlertResource
from docmost_pipeline.defs.sensors import build_alert_sensors, build_discovery_sensor, plan_discovery
from docmost_pipeline.settings import load_settings
from docmost_pipeline_tests.dagster_support import (
    RECORDED_SPACES,
    WebhookReceiver,
    make_resources,
    make_settings,
    sync_space,
)


def evaluate(sensor_def, instance, resources, cursor=None):
    context = build_sensor_context(instance=instance, resources=resources, cursor=cursor)
    return sensor_def(context)


def apply_partition_requests(instance, result) -> None:
    for request in result.dynamic_partitions_requests or []:
        if isinstance(request, AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)


def test_discovery_adds_new_spaces_requests_first_runs_and_reports_gone(tmp_path, docmost_server, caplog):
    output = tmp_path / "output"
    sensor_def = build_discovery_sensor(make_settings(docmost_server, output), sync_job)
    resources = make_resources(docmost_server, output)
    with instance_for_test() as instance:
        first = evaluate(sensor_def, instance, resources)
        assert sorted(r.partition_key for r in first.run_requests) == sorted(RECORDED_SPACES)
        assert len({r.run_key for r in first.run_requests}) == len(RECORDED_SPACES)
        apply_partition_requests(instance, first)
        assert sorted(instance.get_dynamic_partitions(SPACES_PARTITIONS.name)) == sorted(RECORDED_SPACES)

        quiet = evaluate(sensor_def, instance, resources, cursor=first.cursor)
        assert quiet.run_requests == [] and "no new spaces" in quiet.skip_reason.skip_message

        docmost_server.add_space("extra-space", "Extra Space")
        added = evaluate(sensor_def, instance, resources, cursor=quiet.cursor)
        assert [r.partition_key for r in added.run_requests] == ["extra-space"]
        apply_partition_requests(instance, added)

        docmost_server.remove_space("extra-space")
        gone = evaluate(sensor_def, instance, resources, cursor=added.cursor)
        assert gone.run_requests == []
        assert "gone: extra-space" in gone.skip_reason.skip_message
        assert not gone.dynamic_partitions_requests  # reported, not pruned
        assert json.loads(gone.cursor)["reported_gone"] == ["extra-space"]
        assert "extra-space" in instance.get_dynamic_partitions(SPACES_PARTITIONS.name)


def test_discovery_prunes_gone_spaces_only_with_the_flag(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output, PRUNE_DELETED_SPACES="1")
    resources = make_resources(docmost_server, output)
    sensor_def = build_discovery_sensor(settings, sync_job)
    with instance_for_test() as instance:
        published = sync_space(instance, settings, resources, "collisions")
        assert published.success and (output / "collisions").exists()
        apply_partition_requests(instance, evaluate(sensor_def, instance, resources))
        docmost_server.remove_space("collisions")
        pruned = evaluate(sensor_def, instance, resources)
        [delete] = pruned.dynamic_partitions_requests
        assert list(delete.partition_keys) == ["collisions"]
        assert not (output / "collisions").exists()  # unpublished


def test_discovery_include_exclude_globs(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output, DOCMOST_SPACES_INCLUDE="eng*,한글*,Content*",
                             DOCMOST_SPACES_EXCLUDE="content-gallery")
    with instance_for_test() as instance:
        result = evaluate(build_discovery_sensor(settings, sync_job), instance, make_resources(docmost_server, output))
        assert sorted(r.partition_key for r in result.run_requests) == ["engineering", "hangul-docs"]


def test_plan_discovery_treats_deselected_spaces_as_gone():
    from docmost_pipeline.model import Space

    spaces = [Space("1", "a", "A"), Space("2", "b", "B")]
    plan = plan_discovery(spaces, known={"b", "c"}, include=[], exclude=["b"])
    assert [s.slug for s in plan.new] == ["a"] and plan.gone == ["b", "c"]


def run_event(instance, run_id, event_type):
    [entry] = instance.all_logs(run_id, of_type=event_type)
    return entry.dagster_event


def test_failure_alert_once_then_recovery_once(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output)
    failure_sensor, recovery_sensor = build_alert_sensors(settings)
    with WebhookReceiver() as first, WebhookReceiver() as second, instance_for_test() as instance:
        alerts = AlertResource(webhook_urls=f"{first.url}/hook,{second.url}/hook", webserver_url="http://127.0.0.1:3030")
        docmost_server.faults.fail("/api/spaces/export", times=50, status=503)
        failed = sync_space(instance, settings, make_resources(docmost_server, output, retries=0), "collisions")
        assert not failed.success
        run = instance.get_run_by_id(failed.run_id)
        context = build_run_status_sensor_context(
            sensor_name="docmost_failure_alerts", dagster_event=run_event(instance, run.run_id, DagsterEventType.RUN_FAILURE),
            dagster_instance=instance, dagster_run=run, resources={"alerts": alerts},
        ).for_run_failure()
        failure_sensor(context)
        failure_sensor(context)  # the same run again (daemon restart, re-evaluation): no second alert
        assert len(first.posts) == 1 and len(second.posts) == 1
        path, body = first.posts[0]
        assert path == "/hook" and set(body) == {"text"}
        text = body["text"]
        assert "`collisions`" in text and "raw_export" in text and "4 attempts" in text
        assert "503" in text and f"http://127.0.0.1:3030/runs/{run.run_id}" in text
        assert docmost_server.password not in text

        docmost_server.faults.reset()
        ok = sync_space(instance, settings, make_resources(docmost_server, output), "collisions")
        assert ok.success
        ok_run = instance.get_run_by_id(ok.run_id)
        success_context = build_run_status_sensor_context(
            sensor_name="docmost_recovery_alerts", dagster_event=run_event(instance, ok.run_id, DagsterEventType.RUN_SUCCESS),
            dagster_instance=instance, dagster_run=ok_run, resources={"alerts": alerts},
        )
        recovery_sensor(success_context)
        recovery_sensor(success_context)
        assert len(first.posts) == 2 and len(second.posts) == 2
        assert "recovered" in first.posts[1][1]["text"] and "`collisions`" in first.posts[1][1]["text"]

        again = sync_space(instance, settings, make_resources(docmost_server, output), "collisions")
        recovery_sensor(build_run_status_sensor_context(
            sensor_name="docmost_recovery_alerts", dagster_event=run_event(instance, again.run_id, DagsterEventType.RUN_SUCCESS),
            dagster_instance=instance, dagster_run=instance.get_run_by_id(again.run_id), resources={"alerts": alerts},
        ))
        assert len(first.posts) == 2  # a space that was not failing gets no recovery message


def test_wrong_password_alert_has_no_secret_and_unreachable_webhook_does_not_crash(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = load_settings({"DOCMOST_BASE_URL": docmost_server.base_url, "DOCMOST_EMAIL": docmost_server.email,
                              "DOCMOST_PASSWORD": "Wr0ng-Pa55word", "OUTPUT_DIR": str(output)})
    failure_sensor, _ = build_alert_sensors(settings)
    with WebhookReceiver(status=500) as broken, WebhookReceiver() as good, instance_for_test() as instance:
        failed = sync_space(instance, settings, make_resources(docmost_server, output, password="Wr0ng-Pa55word"),
                            "collisions")
        run = instance.get_run_by_id(failed.run_id)
        alerts = AlertResource(webhook_urls=f"{broken.url}/x,http://127.0.0.1:9/unreachable,{good.url}/y")
        failure_sensor(build_run_status_sensor_context(
            sensor_name="docmost_failure_alerts", dagster_event=run_event(instance, run.run_id, DagsterEventType.RUN_FAILURE),
            dagster_instance=instance, dagster_run=run, resources={"alerts": alerts},
        ).for_run_failure())
        assert len(broken.posts) == 1 and len(good.posts) == 1
        text = good.posts[0][1]["text"]
        assert "1 attempt)" in text and "rejected the login" in text and "Wr0ng-Pa55word" not in text


def test_pipeline_job_names_are_every_job_of_the_definitions(tmp_path, docmost_server):
    from docmost_pipeline.defs.definitions import build_definitions
    from docmost_pipeline.defs.jobs import PIPELINE_JOB_NAMES

    # with SITE_DIR, so the website's job is defined too
    repo = build_definitions(make_settings(docmost_server, tmp_path, SITE_DIR=str(tmp_path / ".site"))).get_repository_def()
    assert {job.name for job in repo.get_all_jobs() if not job.name.startswith("__")} == PIPELINE_JOB_NAMES


def test_a_real_daemon_alerts_failed_runs_whatever_launched_them(tmp_path, docmost_server):
    """Under `make run`'s daemon (location `docmost_pipeline` of workspace.yaml), failed runs launched four ways are
    each alerted once: `docmost-pipeline sync` (in-process, no code location), `dagster asset materialize -m`
    (in-process), `dagster job backfill -m` (location `docmost_pipeline.definitions`, unknown to the daemon, which
    fails the run) and `dagster job backfill -w workspace.yaml` (the daemon's own location). A run status sensor
    sees only runs of its own location unless it monitors all locations: the first three went unalerted."""
    import subprocess
    import sys

    from dagster import DagsterInstance, DagsterRunStatus

    from docmost_pipeline_tests.dagster_support import REPO, Daemon, dagster_home, project_env, wait_for

    bin_dir = Path(sys.executable).parent
    home = dagster_home(tmp_path / "home")
    docmost_server.faults.fail("/api/spaces/export", times=10_000, status=503)
    with WebhookReceiver() as hook:
        env = project_env(home, tmp_path / "output", docmost_server, ALERT_WEBHOOK_URLS=f"{hook.url}/alerts",
                          RAW_EXPORT_RETRY_DELAY="0.05", DOCMOST_RETRIES="0", MAX_CONCURRENT_EXPORTS="2",
                          # only the runs launched here: discovery selects no space, the change sensor waits an hour
                          DOCMOST_SPACES_EXCLUDE="*", CHANGE_POLL_INTERVAL="1h")

        def cli(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=REPO, env=env, capture_output=True,
                                  text=True, timeout=300)

        with DagsterInstance.from_config(str(home)) as instance, Daemon(env, tmp_path / "daemon.log") as daemon:
            def sensor_ready():
                states = instance.all_instigator_state()
                return any(s.name == "docmost_failure_alerts" and s.instigator_data and s.instigator_data.cursor
                           for s in states)

            # the sensor's first tick only sets its cursor: runs failed before it are never alerted
            wait_for(sensor_ready, 120, "the failure sensor's first tick", daemon)

            synced = cli("docmost-pipeline", "sync", "collisions")
            assert synced.returncode == 1 and "collisions: FAILED" in synced.stdout, synced.stdout + synced.stderr
            materialized = cli("dagster", "asset", "materialize", "-m", "docmost_pipeline.definitions",
                               "--select", "raw_export", "--partition", "collisions")
            assert materialized.returncode != 0
            other_location = cli("dagster", "job", "backfill", "-m", "docmost_pipeline.definitions", "-j", "sync_space",
                                 "--partitions", "collisions", "--noprompt")
            assert other_location.returncode == 0, other_location.stdout + other_location.stderr
            instance.add_dynamic_partitions(SPACES_PARTITIONS.name, ["general"])
            own_location = cli("dagster", "job", "backfill", "-w", str(REPO / "workspace.yaml"), "-j", "sync_space",
                               "--partitions", "general", "--noprompt")
            assert own_location.returncode == 0, own_location.stdout + own_location.stderr

            def all_failed():
                runs = [r.dagster_run for r in instance.get_run_records()]
                return runs if len(runs) == 4 and all(r.status == DagsterRunStatus.FAILURE for r in runs) else None

            runs = wait_for(all_failed, 240, "four failed runs", daemon)

            def alerted():
                texts = [body["text"] for _, body in hook.posts]
                counts = {r.run_id: sum(f"/runs/{r.run_id}" in text for text in texts) for r in runs}
                return counts if all(counts.values()) else None

            try:
                counts = wait_for(alerted, 120, "an alert for every failed run", daemon)
            except AssertionError as error:
                launched = {r.run_id: (r.job_name, r.remote_job_origin.location_name if r.remote_job_origin else None)
                            for r in runs}
                raise AssertionError(f"{error}\nruns (job, location): {launched}\nposts: {hook.posts}") from None
        assert set(counts.values()) == {1}, counts
        by_kind = {(r.job_name, r.remote_job_origin.location_name if r.remote_job_origin else None) for r in runs}
        assert by_kind == {("__ephemeral_asset_job__", None), ("__ASSET_JOB", None),
                           ("sync_space", "docmost_pipeline.definitions"), ("sync_space", "docmost_pipeline")}, by_kind
        texts = " ".join(body["text"] for _, body in hook.posts)
        assert "`collisions`" in texts and "`general`" in texts and "503" in texts


def test_failed_runs_of_other_projects_in_the_instance_are_not_alerted(tmp_path, docmost_server):
    from dagster import asset, materialize

    @asset
    def someone_elses_asset():
        raise RuntimeError("not ours")

    failure_sensor, _ = build_alert_sensors(make_settings(docmost_server, tmp_path))
    with WebhookReceiver() as hook, instance_for_test() as instance:
        failed = materialize([someone_elses_asset], instance=instance, raise_on_error=False)
        run = instance.get_run_by_id(failed.run_id)
        failure_sensor(build_run_status_sensor_context(
            sensor_name="docmost_failure_alerts", dagster_event=run_event(instance, run.run_id, DagsterEventType.RUN_FAILURE),
            dagster_instance=instance, dagster_run=run, resources={"alerts": AlertResource(webhook_urls=hook.url)},
        ).for_run_failure())
        assert hook.posts == []
