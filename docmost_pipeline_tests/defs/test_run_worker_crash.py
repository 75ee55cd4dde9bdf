"""A run worker that dies mid-step, under a real daemon (README, "Alerts"; docs/run-cost.md).

With the in-process executor the steps run in the run worker's own process, so a step that kills its process (the
out-of-memory killer, a segfault in a library) kills the run worker, where the multiprocess executor lost only a
step worker and reported a step failure. The code server that started the worker notices it is gone and fails the
run; the failure sensor then alerts as for any failed run, naming the step that was running.

A real ``dagster-daemon run`` over the project's ``workspace.yaml`` (temporary DAGSTER_HOME with the project's
``dagster.yaml``) launches one ``sync_space`` run for Collisions, queued with ``dagster job launch``; the publisher's
fault switch ``DOCMOST_PUBLISH_KILL_AT=after_copy`` makes ``published_space`` SIGKILL its process halfway through the
publish. ALERT_WEBHOOK_URLS points at a local receiver.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from docmost_pipeline.defs.partitions import SPACES_PARTITIONS
from docmost_pipeline_tests.dagster_support import WebhookReceiver, stop_daemon

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUN_ID = "00000000-0000-4000-8000-00000000dead"


def test_a_run_worker_killed_mid_step_fails_its_run_and_is_alerted_with_the_step(tmp_path, docmost_server,
                                                                                   monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    monkeypatch.setenv("MAX_CONCURRENT_EXPORTS", "2")
    with WebhookReceiver() as receiver:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DOCMOST_", "SYNC_INTERVAL", "DOCUSAURUS_CHECK", "ALERT_", "PRUNE_", "PUBLISH_"))}
        env.update(
            DAGSTER_HOME=str(home), OUTPUT_DIR=str(tmp_path / "output"), MAX_CONCURRENT_EXPORTS="2",
            DOCMOST_BASE_URL=docmost_server.base_url, DOCMOST_EMAIL=docmost_server.email,
            DOCMOST_PASSWORD=docmost_server.password, DOCMOST_SPACES_EXCLUDE="*", PYTHONUNBUFFERED="1",
            ALERT_WEBHOOK_URLS=f"{receiver.url}/hook", DAGSTER_WEBSERVER_URL="http://127.0.0.1:3030",
            DOCMOST_PUBLISH_KILL_AT="after_copy",
        )
        with DagsterInstance.from_config(str(home)) as instance:
            instance.add_dynamic_partitions(SPACES_PARTITIONS.name, ["collisions"])
            launched = subprocess.run(
                [str(BIN / "dagster"), "job", "launch", "-w", str(REPO / "workspace.yaml"), "-j", "sync_space",
                 "--run-id", RUN_ID,
                 # no run retry (dagster.yaml retries a crashed sync twice, each retry crashing here too)
                 "--tags", json.dumps({"dagster/partition": "collisions", "dagster/max_retries": "0"})],
                cwd=home, env=env, capture_output=True, text=True, timeout=180)
            assert launched.returncode == 0, launched.stdout[-2000:] + launched.stderr[-2000:]

            log = (tmp_path / "daemon.log").open("w+")
            daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")],
                                      cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
            try:
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline:
                    assert daemon.poll() is None, "dagster-daemon exited early"
                    run = instance.get_run_by_id(RUN_ID)
                    if run.is_finished and receiver.posts:
                        break
                    time.sleep(0.5)
                else:
                    log.seek(0)
                    raise AssertionError(f"run {run.status.value}, {len(receiver.posts)} alert(s) after 180 s\n"
                                         + "\n".join(log.read().splitlines()[-30:]))
            finally:
                stop_daemon(daemon)

            assert run.status == DagsterRunStatus.FAILURE
            entries = [e for e in instance.all_logs(RUN_ID) if e.is_dagster_event]
            assert any("Run execution process for" in (e.message or "") for e in entries), "no crash report"
            started = [e.dagster_event.step_key for e in entries
                       if e.dagster_event.event_type == DagsterEventType.STEP_START]
            assert started == ["raw_export", "extracted_markdown", "postprocessed_tree", "published_space"]
            ended = {e.dagster_event.step_key for e in entries
                     if e.dagster_event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)}
            assert "published_space" not in ended  # the worker died inside the step

    [(path, body)] = receiver.posts
    text = body["text"]
    assert path == "/hook" and "`collisions`" in text and f"http://127.0.0.1:3030/runs/{RUN_ID}" in text
    assert "Failed step: published_space" in text, text  # the step that was running when the worker died
    assert "signal 9 (SIGKILL)" in text, text  # Dagster's report of the worker's death
    assert docmost_server.password not in text
    assert not (tmp_path / "output" / "collisions").exists()  # nothing went live
