"""Runs of ``sync_space`` executed as the run worker executes them: the job loaded from the code location
(``docmost_pipeline.definitions``, settings from the environment) and run with Dagster's ``execute_run`` on a run
created in the instance, so the job's own executor runs the steps (``materialize`` and ``execute_in_process`` always
use an in-process executor of their own, whatever the job says).

The job's executor is the in-process one: every step runs in the run worker's process (here: this test's), one after
another. What the multiprocess executor gave stays: the asset's retries with exponential backoff on a 5xx, a start
and a success event per step, the blocking checks of ``postprocessed_tree``, the failure alert naming the step and
its attempts, and the publish lock (a step waits for a lock held elsewhere, then publishes). Daemon-launched runs
(a real ``dagster-daemon``) are checked in test_run_queue.py.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from dagster import (
    DagsterEventType,
    DagsterRunStatus,
    build_run_status_sensor_context,
    in_process_executor,
    instance_for_test,
)
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository
from dagster._core.execution.api import execute_run

from docmost_pipeline.defs.assets import ASSET_NAMES
from docmost_pipeline.defs.checks import tree_check_specs
from docmost_pipeline.defs.jobs import SYNC_JOB_NAME
from docmost_pipeline.defs.partitions import PARTITION_TAG, SPACES_PARTITIONS
from docmost_pipeline.defs.resources import AlertResource, close_cached_clients
from docmost_pipeline.defs.sensors import build_alert_sensors
from docmost_pipeline.publish.lock import SpaceLock
from docmost_pipeline.publish.space import Layout
from docmost_pipeline.settings import load_settings
from docmost_pipeline_tests.dagster_support import WebhookReceiver

REPO = Path(__file__).resolve().parents[2]
RETRY_DELAY = 0.2  # RAW_EXPORT_RETRY_DELAY: the first retry waits 0..2x this, the second 2..4x (exponential, +-jitter)
STEP_EVENTS = (DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
               DagsterEventType.STEP_UP_FOR_RETRY, DagsterEventType.STEP_RESTARTED)


@pytest.fixture
def location(tmp_path, docmost_server, monkeypatch):
    """The code location as a run worker loads it, configured through the environment for the test server."""
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    for name in list(os.environ):
        if name.startswith(("DOCMOST_", "SYNC_INTERVAL", "DOCUSAURUS_CHECK", "ALERT_", "PUBLISH_", "RAW_EXPORT_",
                            "FULL_SYNC", "INCREMENTAL_", "LOG_FORMAT")):
            monkeypatch.delenv(name)
    env = {"DOCMOST_BASE_URL": docmost_server.base_url, "DOCMOST_EMAIL": docmost_server.email,
           "DOCMOST_PASSWORD": docmost_server.password, "OUTPUT_DIR": str(tmp_path / "output"),
           # no client retries: every 503 reaches Dagster, and the asset's RetryPolicy does the retrying
           "DOCMOST_RETRIES": "0", "RAW_EXPORT_RETRY_DELAY": str(RETRY_DELAY), "MAX_CONCURRENT_EXPORTS": "2"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    repository = ReconstructableRepository.for_module("docmost_pipeline.definitions", "defs",
                                                      working_directory=str(REPO))
    # Dagster keeps the last job definition loaded per process (lru_cache); this test's settings must be read
    ReconstructableJob.get_definition.cache_clear()
    ReconstructableJob.get_repository_definition.cache_clear()
    yield repository.get_reconstructable_job(SYNC_JOB_NAME), tmp_path / "output"
    ReconstructableJob.get_definition.cache_clear()
    ReconstructableJob.get_repository_definition.cache_clear()
    close_cached_clients()


def create_run(instance, recon_job, slug: str):
    """The run in the instance, as the webserver or a sensor creates it."""
    if slug not in instance.get_dynamic_partitions(SPACES_PARTITIONS.name):
        instance.add_dynamic_partitions(SPACES_PARTITIONS.name, [slug])
    return instance.create_run_for_job(job_def=recon_job.get_definition(), run_config={}, tags={PARTITION_TAG: slug},
                                       job_code_origin=recon_job.get_python_origin())


def launch(instance, recon_job, slug: str):
    """Create the run and execute it as the run worker does; (result, the run's Dagster events)."""
    run = create_run(instance, recon_job, slug)
    result = execute_run(recon_job, run, instance)
    return result, [entry for entry in instance.all_logs(run.run_id) if entry.dagster_event is not None]


def of_type(entries, event_type, step_key: str | None = None):
    return [e for e in entries if e.dagster_event.event_type == event_type
            and (step_key is None or e.dagster_event.step_key == step_key)]


def test_the_sync_job_and_asset_materializations_use_the_in_process_executor(location):
    recon_job, _ = location
    assert recon_job.get_definition().executor_def is in_process_executor
    # materializations launched from the asset graph (the implicit asset job) get the Definitions' default
    repository = recon_job.repository.get_definition()
    assert repository.get_implicit_global_asset_job_def().executor_def is in_process_executor


def test_a_run_retries_raw_export_on_5xx_with_backoff_and_reports_every_step_and_check(location, docmost_server):
    recon_job, output = location
    docmost_server.faults.fail("/api/spaces/export", times=2, status=503)
    with instance_for_test() as instance:
        result, entries = launch(instance, recon_job, "collisions")
        assert result.success, [e.message for e in of_type(entries, DagsterEventType.STEP_FAILURE)]

    # retried twice by the RetryPolicy, each wait in its exponential band, and really waited before the restart
    retries = of_type(entries, DagsterEventType.STEP_UP_FOR_RETRY)
    restarts = of_type(entries, DagsterEventType.STEP_RESTARTED)
    assert [e.step_key for e in retries] == ["raw_export", "raw_export"]
    assert [e.step_key for e in restarts] == ["raw_export", "raw_export"]
    for attempt, (retry, restart) in enumerate(zip(retries, restarts), start=1):
        wait = retry.dagster_event.step_retry_data.seconds_to_wait
        nominal = (2**attempt - 1) * RETRY_DELAY
        assert nominal - RETRY_DELAY <= wait <= nominal + RETRY_DELAY, (attempt, wait)
        assert restart.timestamp - retry.timestamp >= wait - 0.05, (attempt, wait)
    assert docmost_server.count("/api/spaces/export", 503) == 2

    # a start and a success per step, in lineage order (a retried step restarts: STEP_RESTARTED above)
    assert [e.step_key for e in of_type(entries, DagsterEventType.STEP_START)] == list(ASSET_NAMES)
    assert [e.step_key for e in of_type(entries, DagsterEventType.STEP_SUCCESS)] == list(ASSET_NAMES)
    materializations = of_type(entries, DagsterEventType.ASSET_MATERIALIZATION)
    assert [e.dagster_event.asset_key.path[-1] for e in materializations] == list(ASSET_NAMES)
    assert {e.dagster_event.partition for e in materializations} == {"collisions"}

    # the blocking checks ran on postprocessed_tree and passed
    evaluations = [e.dagster_event.event_specific_data
                   for e in of_type(entries, DagsterEventType.ASSET_CHECK_EVALUATION)]
    assert sorted(c.check_name for c in evaluations) == sorted(spec.name for spec in tree_check_specs(False))
    assert all(c.passed and c.asset_key.path == ["postprocessed_tree"] for c in evaluations)

    # in-process: every step event comes from the run worker's own process, and no step worker was started
    assert {e.dagster_event.pid for e in entries if e.dagster_event.event_type in STEP_EVENTS} == {os.getpid()}
    assert not of_type(entries, DagsterEventType.STEP_WORKER_STARTING)
    assert (output / "collisions" / "_category_.json").is_file()


def test_a_failed_run_is_alerted_with_its_step_and_attempts(location, docmost_server):
    recon_job, _ = location
    docmost_server.faults.fail("/api/spaces/export", times=50, status=503)
    settings = load_settings()
    failure_sensor, _ = build_alert_sensors(settings)
    with WebhookReceiver() as receiver, instance_for_test() as instance:
        result, entries = launch(instance, recon_job, "collisions")
        assert not result.success
        assert len(of_type(entries, DagsterEventType.STEP_UP_FOR_RETRY, "raw_export")) == 3
        assert not of_type(entries, DagsterEventType.STEP_START, "published_space")
        run = instance.get_run_by_id(result.run_id)
        assert run.status == DagsterRunStatus.FAILURE
        [failure] = of_type(entries, DagsterEventType.RUN_FAILURE)
        alerts = AlertResource(webhook_urls=f"{receiver.url}/hook", webserver_url="http://127.0.0.1:3030")
        failure_sensor(build_run_status_sensor_context(
            sensor_name="docmost_failure_alerts", dagster_event=failure.dagster_event, dagster_instance=instance,
            dagster_run=run, resources={"alerts": alerts}).for_run_failure())
    [(_, body)] = receiver.posts
    assert "`collisions`" in body["text"] and "raw_export" in body["text"] and "4 attempts" in body["text"]
    assert "503" in body["text"] and docmost_server.password not in body["text"]


def test_the_publish_step_waits_for_the_space_lock_then_publishes(location):
    recon_job, output = location
    lock = SpaceLock(Layout(output, "collisions").lock_path, timeout=5, operation="test holder").acquire()
    released = []

    def release_once_publishing(instance, run_id):
        # another holder keeps the lock until published_space has started (and a little longer), then lets go
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(
                e.dagster_event and e.dagster_event.event_type == DagsterEventType.STEP_START
                and e.dagster_event.step_key == "published_space" for e in instance.all_logs(run_id)):
            time.sleep(0.05)
        time.sleep(0.5)
        released.append(time.time())
        lock.release()

    with instance_for_test() as instance:
        run = create_run(instance, recon_job, "collisions")
        releaser = threading.Thread(target=release_once_publishing, args=(instance, run.run_id))
        releaser.start()
        try:
            result = execute_run(recon_job, run, instance)
        finally:
            releaser.join()
        entries = [e for e in instance.all_logs(run.run_id) if e.dagster_event is not None]
    assert result.success
    [start] = of_type(entries, DagsterEventType.STEP_START, "published_space")
    [done] = of_type(entries, DagsterEventType.STEP_SUCCESS, "published_space")
    # the step began while the other holder had the lock, and published only after it let go
    assert start.timestamp < released[0] <= done.timestamp
    assert (output / "collisions" / "_category_.json").is_file()
