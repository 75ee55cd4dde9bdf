"""The sync schedule (one run per space, busy spaces skipped, absent without SYNC_INTERVAL) and the maintenance job."""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timezone

import pytest
from dagster import DagsterRun, DagsterRunStatus, SkipReason, build_schedule_context, instance_for_test

from docmost_pipeline.defs.partitions import SPACES_PARTITIONS
from docmost_pipeline.defs.definitions import build_definitions
from docmost_pipeline import publish
from docmost_pipeline.defs.jobs import maintenance_job, sync_job
from docmost_pipeline.workdir import clean_working_data
from docmost_pipeline.defs.resources import OutputResource, close_cached_clients
from docmost_pipeline.defs.schedules import build_sync_schedule
from docmost_pipeline.settings import SettingsError, load_settings
from docmost_pipeline_tests.dagster_support import make_resources, make_settings, sync_space

TICK = datetime(2026, 11, 22, 6, 0, tzinfo=timezone.utc)


def add_run(instance, partition: str, status: DagsterRunStatus) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(DagsterRun(job_name="sync_space", run_id=run_id, status=status,
                                tags={"dagster/partition": partition}))
    return run_id


def test_one_run_per_space_with_idempotent_run_keys():
    schedule = build_sync_schedule(load_settings({"SYNC_INTERVAL": "1h"}), sync_job)
    assert schedule.cron_schedule == "0 * * * *"
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(SPACES_PARTITIONS.name, ["alpha", "beta", "gamma"])
        requests = schedule(build_schedule_context(instance=instance, scheduled_execution_time=TICK))
        assert [r.partition_key for r in requests] == ["alpha", "beta", "gamma"]
        again = schedule(build_schedule_context(instance=instance, scheduled_execution_time=TICK))
        assert [r.run_key for r in again] == [r.run_key for r in requests]  # same tick -> same keys
        assert len({r.run_key for r in requests}) == 3


def test_space_with_a_run_in_progress_is_skipped():
    schedule = build_sync_schedule(load_settings({"SYNC_INTERVAL": "5m"}), sync_job)
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(SPACES_PARTITIONS.name, ["alpha", "beta", "gamma"])
        add_run(instance, "beta", DagsterRunStatus.STARTED)
        add_run(instance, "gamma", DagsterRunStatus.NOT_STARTED)
        add_run(instance, "alpha", DagsterRunStatus.SUCCESS)  # finished runs do not block
        requests = schedule(build_schedule_context(instance=instance, scheduled_execution_time=TICK))
        assert [r.partition_key for r in requests] == ["alpha"]
        add_run(instance, "alpha", DagsterRunStatus.STARTING)
        skipped = schedule(build_schedule_context(instance=instance, scheduled_execution_time=TICK))
        assert isinstance(skipped, SkipReason)
        assert "alpha, beta, gamma" in skipped.skip_message


def test_1h30m_uses_several_crons_and_runs_by_default():
    schedule = build_sync_schedule(load_settings({"SYNC_INTERVAL": "1h30m"}), sync_job)
    assert list(schedule.cron_schedule) == ["0 0,3,6,9,12,15,18,21 * * *", "30 1,4,7,10,13,16,19,22 * * *"]
    assert schedule.default_status.value == "RUNNING"


def test_no_sync_schedule_without_sync_interval():
    assert build_sync_schedule(load_settings({}), sync_job) is None
    defs = build_definitions(load_settings({}))
    names = {s.name for s in defs.schedules}
    assert names == {"docmost_daily_maintenance"}
    with_interval = build_definitions(load_settings({"SYNC_INTERVAL": "10m"}))
    assert {s.name for s in with_interval.schedules} == {"docmost_daily_maintenance", "docmost_sync_schedule"}


def test_invalid_interval_rejected_at_load():
    with pytest.raises(SettingsError, match=r"^SYNC_INTERVAL='every hour': expected a duration like 30s"):
        build_definitions(load_settings({"SYNC_INTERVAL": "every hour"}))


def make_run_dirs(root, names, start=1_000_000):
    for index, name in enumerate(names):
        path = root / name
        path.mkdir(parents=True)
        (path / "space.zip").write_bytes(b"x")
        os.utime(path, (start + index, start + index))


def test_clean_working_data_keeps_last_three_raw_and_active_runs(tmp_path):
    work = tmp_path / ".pipeline"
    make_run_dirs(work / "raw" / "eng", ["r1", "r2", "r3", "r4", "r5"])
    make_run_dirs(work / "staging" / "eng", ["r4", "r5"])
    make_run_dirs(work / "extract" / "eng", ["r5"])
    report = clean_working_data(work, raw_keep=3, active_run_ids={"r1", "r5"})
    assert sorted(p.name for p in (work / "raw" / "eng").iterdir()) == ["r1", "r3", "r4", "r5"]
    assert sorted(p.name for p in (work / "staging" / "eng").iterdir()) == ["r5"]
    assert (work / "extract" / "eng" / "r5").exists()
    assert sorted(report.removed) == ["raw/eng/r2", "staging/eng/r4"]


def test_maintenance_job_reports_what_it_removed(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output, PUBLISH_KEEP="2")
    with instance_for_test() as instance:
        resources = make_resources(docmost_server, output)
        assert sync_space(instance, settings, resources, "collisions").success

        # an edit in Docmost: an unchanged space would make neither a second raw export nor a second version
        docmost_server.append_text(next(iter(docmost_server.space_by_slug("collisions").pages)), "Edited in Docmost.")
        assert sync_space(instance, settings, resources, "collisions").success
        close_cached_clients()
        make_run_dirs(output / ".pipeline" / "raw" / "collisions", ["old1", "old2", "old3"], start=int(time.time()) - 10_000)
        make_run_dirs(output / ".pipeline" / "staging" / "collisions", ["crashed-run"])
        result = maintenance_job.execute_in_process(
            instance=instance, resources={"output": OutputResource(output_dir=str(output), publish_keep=1)})
        assert result.success
        removed = result.output_for_node("maintenance_op")
        assert "staging/collisions/crashed-run" in removed
        # the last 3 raw exports per space stay: the two real runs and the newest old one
        assert sorted(r for r in removed if r.startswith("raw/")) == ["raw/collisions/old1", "raw/collisions/old2"]
        kept = {p.name for p in (output / ".pipeline" / "raw" / "collisions").iterdir()}
        assert len(kept) == 3 and "old3" in kept
        assert (output / "collisions" / "_category_.json").is_file()  # the live tree is untouched
        # two syncs kept two versions; PUBLISH_KEEP=1 prunes the older one and never the live one
        pruned = [r for r in removed if r.startswith("published version collisions/")]
        assert len(pruned) == 1
        (space_status,) = publish.status(output, "collisions")
        assert space_status.kept_versions == [] and space_status.live_version not in pruned[0]
