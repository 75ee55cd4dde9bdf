"""The run queue with a real daemon (docs/operations.md, "Concurrency"): never two runs for the same space, at most
MAX_CONCURRENT_EXPORTS runs at once.

A real ``dagster-daemon run`` over the project's ``workspace.yaml``, with a temporary DAGSTER_HOME holding the
project's ``dagster.yaml`` (MAX_CONCURRENT_EXPORTS=2), launches ``sync_space`` runs queued with ``dagster job
launch`` (as an operator would): two for Collisions, one each for Content Gallery and General, all queued before the
daemon starts, Collisions first. The Docmost test server answers every space export after a delay, so each run lasts
long enough to overlap any run the queue lets start beside it. The run records' start and end times then show
which runs overlapped. Each run executes its steps in its run worker's own process (the in-process executor).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from docmost_pipeline.defs.partitions import SPACES_PARTITIONS
from docmost_pipeline_tests.dagster_support import most_at_once, stop_daemon

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXPORT_DELAY_SECONDS = 6
MAX_CONCURRENT_EXPORTS = 2
# (run id, space), in queue order: the second Collisions run is next in line when the first one starts.
RUNS = [
    ("00000000-0000-4000-8000-000000000001", "collisions"),
    ("00000000-0000-4000-8000-000000000002", "collisions"),
    ("00000000-0000-4000-8000-000000000003", "content-gallery"),
    ("00000000-0000-4000-8000-000000000004", "general"),
]
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def test_daemon_runs_one_run_per_space_and_at_most_max_concurrent_exports(tmp_path, docmost_server, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DOCMOST_", "SYNC_INTERVAL", "DOCUSAURUS_CHECK", "ALERT_", "PRUNE_", "PUBLISH_"))}
    env.update(
        DAGSTER_HOME=str(home), OUTPUT_DIR=str(tmp_path / "output"), MAX_CONCURRENT_EXPORTS=str(MAX_CONCURRENT_EXPORTS),
        DOCMOST_BASE_URL=docmost_server.base_url, DOCMOST_EMAIL=docmost_server.email,
        DOCMOST_PASSWORD=docmost_server.password,
        # the discovery sensor (running by default) selects no space, so every run here is one this test queued
        DOCMOST_SPACES_EXCLUDE="*", PYTHONUNBUFFERED="1",
    )
    monkeypatch.setenv("MAX_CONCURRENT_EXPORTS", str(MAX_CONCURRENT_EXPORTS))
    docmost_server.faults.delay("/api/spaces/export", EXPORT_DELAY_SECONDS)

    with DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions(SPACES_PARTITIONS.name, sorted({space for _, space in RUNS}))
        for run_id, space in RUNS:
            launched = subprocess.run(
                [str(BIN / "dagster"), "job", "launch", "-w", str(REPO / "workspace.yaml"), "-j", "sync_space",
                 "--run-id", run_id, "--tags", json.dumps({"dagster/partition": space})],
                cwd=home, env=env, capture_output=True, text=True, timeout=180)
            assert launched.returncode == 0, launched.stdout[-2000:] + launched.stderr[-2000:]
        queued = {r.dagster_run.run_id: r.dagster_run.status for r in instance.get_run_records()}
        assert queued == {run_id: DagsterRunStatus.QUEUED for run_id, _ in RUNS}

        log = (tmp_path / "daemon.log").open("w+")
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")],
                                  cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                assert daemon.poll() is None, "dagster-daemon exited early"
                records = instance.get_run_records(RunsFilter(run_ids=[run_id for run_id, _ in RUNS]))
                if len(records) == len(RUNS) and all(r.dagster_run.status in FINISHED for r in records):
                    break
                time.sleep(1)
            else:
                log.seek(0)
                raise AssertionError("runs did not finish within 300 s: "
                                     + str({r.dagster_run.run_id[-1]: r.dagster_run.status.value for r in records})
                                     + "\n" + "\n".join(log.read().splitlines()[-30:]))
        finally:
            stop_daemon(daemon)

        by_id = {r.dagster_run.run_id: r for r in records}
        spans = {run_id: (by_id[run_id].start_time, by_id[run_id].end_time) for run_id, _ in RUNS}
        assert all(start and end for start, end in spans.values()), spans
        (first, second) = [spans[run_id] for run_id, space in RUNS if space == "collisions"]
        assert first[1] <= second[0] or second[1] <= first[0], f"the two Collisions runs overlapped: {first} {second}"
        # the queue holds the limit, and really runs that many at once (the limit is not met by running one at a time)
        assert most_at_once(list(spans.values())) == MAX_CONCURRENT_EXPORTS, spans
        failures = {run_id: [e.message for e in instance.all_logs(run_id) if e.is_dagster_event
                             and e.dagster_event.is_step_failure]
                    for run_id, _ in RUNS if by_id[run_id].dagster_run.status != DagsterRunStatus.SUCCESS}
        assert not failures, failures
        # each run executed its steps in its run worker's process (in-process executor): no step worker processes
        for run_id, _ in RUNS:
            entries = [e for e in instance.all_logs(run_id) if e.is_dagster_event]
            [started] = [e for e in entries if e.dagster_event.event_type == DagsterEventType.RUN_START]
            steps = [e for e in entries if e.dagster_event.is_step_event]
            assert steps and {e.dagster_event.pid for e in steps} == {started.dagster_event.pid}, run_id
            assert not [e for e in entries if e.dagster_event.event_type == DagsterEventType.STEP_WORKER_STARTING]
        # the second Collisions run found Collisions as the first one published it (incremental sync): no export
        [second_raw_export] = [e.asset_materialization for e in instance.all_logs(RUNS[1][0])
                               if e.asset_materialization is not None
                               and e.asset_materialization.asset_key == AssetKey("raw_export")]
        assert second_raw_export.metadata["sync_mode"].value == "unchanged"
    assert (tmp_path / "output" / "collisions" / "_category_.json").is_file()
    assert docmost_server.count("/api/spaces/export") == len({space for _, space in RUNS})
