"""Discovery and alert sensors against the Docmost test server, a real Dagster instance and a local webhook receiver."""

from __future__ import annotations

import json

import pytest
from dagster import (
    AddDynamicPartitionsRequest,
    DagsterEventType,
    build_run_status_sensor_context,
    build_sensor_context,
    instance_for_test,
)

from docmost_pipeline.defs.partitions import SPACES_PARTITIONS
from docmost_pipeline.defs.jobs import sync_job
from docmost_pipeline.defs.resources import AlertResource, close_cached_clients
from docmost_pipeline.defs.sensors import build_alert_sensors, build_discovery_sensor, plan_discovery
from docmost_pipeline.settings import load_settings
from docmost_pipeline_tests.dagster_support import (
    RECORDED_SPACES,
    WebhookReceiver,
    make_resources,
    make_settings,
    sync_space,
)


@pytest.fixture(autouse=True)
def _fresh_clients():
    yield
    close_cached_clients()


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
