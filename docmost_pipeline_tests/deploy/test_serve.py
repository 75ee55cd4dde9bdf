"""The production processes on Postgres (docs/deploy.md, "Single machine"): ``docmost-pipeline serve code-server``,
``serve webserver`` and ``serve daemon`` started for real, each in its own session, over one DAGSTER_HOME whose
instance stores everything in a real PostgreSQL 15 database (a plain ``postgresql://`` URL with a password).

The tests share the three processes and run in file order: health probes, a sync of every space of the Docmost test
server launched through the webserver's GraphQL API (``launchRun``: one run per space, and a second one for one
space) under the queue limits, a run worker SIGKILLed mid-export and retried, a daemon restarted mid-run, then SIGTERM
to each process (clean exit, nothing left behind) and each probe failing once its process is down. The Docmost test
server answers space exports after a delay, so runs last long enough to overlap, to be killed, or to outlive a daemon
restart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from docmost_pipeline import publish
from docmost_pipeline.emulator import DocmostTestServer
from docmost_pipeline_tests.dagster_support import (RECORDED_SPACES, WebhookReceiver, free_port, most_at_once,
                                                    project_env, wait_for)

BIN = Path(sys.executable).parent
PASSWORD = "pg-s3cret@word"
EXPORT = "/api/spaces/export"
LOCATION = {"repositoryLocationName": "docmost_pipeline", "repositoryName": "__repository__"}
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } } }"""
SENSOR_TICKS = """
query Ticks($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) {
  __typename ... on Sensor { sensorState { ticks(limit: 1) { status } } } } }"""


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Deployment:
    home: Path
    output: Path
    env: dict[str, str]
    docmost: DocmostTestServer
    alerts: WebhookReceiver
    instance: DagsterInstance
    web_port: int
    code_port: int
    logs: Path
    processes: dict[str, Process] = field(default_factory=dict)
    liveness_before_start: subprocess.CompletedProcess | None = None

    def serve(self, name: str, *args: str) -> Process:
        log = self.logs / f"{name}-{len(list(self.logs.glob(name + '*')))}.log"
        popen = subprocess.Popen([str(BIN / "docmost-pipeline"), "serve", name, *args], cwd=self.logs,
                                 env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                 start_new_session=True)
        self.processes[name] = Process(name, popen, log)
        return self.processes[name]

    def start_daemon(self) -> Process:
        return self.serve("daemon", "--code-server-port", str(self.code_port))

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        response = httpx.post(f"http://127.0.0.1:{self.web_port}/graphql", json={"query": query,
                              "variables": variables or {}}, timeout=60)
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def launch(self, space: str, *, full: bool = False) -> str:
        params = {"selector": {**LOCATION, "jobName": "sync_space"},
                  "executionMetadata": {"tags": [{"key": "dagster/partition", "value": space}]}}
        if full:
            params["runConfigData"] = {"ops": {"raw_export": {"config": {"full": True}}}}
        result = self.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return result["run"]["runId"]

    def runs(self, space: str) -> list:
        return [r.dagster_run for r in self.instance.get_run_records(RunsFilter(tags={"dagster/partition": space}))]

    def wait_for_status(self, run_id: str, statuses, timeout: float = 180.0):
        daemon = self.processes["daemon"]
        return wait_for(lambda: (run := self.instance.get_run_by_id(run_id)).status in statuses and run, timeout,
                        f"run {run_id} {sorted(s.value for s in statuses)}\n{daemon.tail()}", interval=0.3)


def webserver_health(port: int) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=10).status_code
    except httpx.TransportError:
        return None


def code_server_health(port: int) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "dagster"), "api", "grpc-health-check", "--host", "127.0.0.1", "--port",
                           str(port)], capture_output=True, text=True, timeout=60)


def daemon_liveness(env: dict[str, str], tolerance: int | None = None) -> subprocess.CompletedProcess:
    extra = {"DAGSTER_DAEMON_HEARTBEAT_TOLERANCE": str(tolerance)} if tolerance is not None else {}
    return subprocess.run([str(BIN / "dagster-daemon"), "liveness-check"], cwd=env["DAGSTER_HOME"],
                          env={**env, **extra}, capture_output=True, text=True, timeout=60)


def stop_gracefully(process: Process, timeout: float = 60) -> int:
    process.popen.send_signal(signal.SIGTERM)
    try:
        return process.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait()
        raise AssertionError(f"{process.name} did not stop within {timeout} s of SIGTERM\n{process.tail()}")


def session_left(process: Process) -> bool:
    """Whether any process of ``process``'s session (its process group) is still alive."""
    try:
        os.killpg(process.popen.pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, postgres_cluster):
    root = tmp_path_factory.mktemp("serve")
    url = postgres_cluster.create_database("serve").replace("postgres@", f"postgres:{PASSWORD}@")
    docmost = DocmostTestServer()
    docmost.start()
    alerts = WebhookReceiver().__enter__()
    home, output, logs = root / "home", root / "output", root / "logs"
    logs.mkdir()
    web_port, code_port = free_port(), free_port()
    env = project_env(home, output, docmost, DAGSTER_POSTGRES_URL=url, MAX_CONCURRENT_EXPORTS="2",
                      # no sensor requests runs of its own: discovery selects no space, the change sensor ticks once
                      DOCMOST_SPACES_EXCLUDE="*", CHANGE_POLL_INTERVAL="1h", DISCOVERY_INTERVAL="1h",
                      DAGSTER_WEBSERVER_URL=f"http://127.0.0.1:{web_port}", ALERT_WEBHOOK_URLS=f"{alerts.url}/hook")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_POSTGRES_URL", url)
        deployment = Deployment(home, output, env, docmost, alerts, None, web_port, code_port, logs)
        try:
            deployment.serve("code-server", "--port", str(code_port))
            wait_for(lambda: code_server_health(code_port).returncode == 0, 120, "the code server's health check",
                     interval=0.5)
            deployment.instance = DagsterInstance.from_config(str(home))
            # before the daemon ever ran, its liveness check fails (no heartbeat at all)
            deployment.liveness_before_start = daemon_liveness(env)
            deployment.serve("webserver", "--port", str(web_port), "--code-server-port", str(code_port))
            deployment.start_daemon()
            wait_for(lambda: webserver_health(web_port) == 200, 120, "the webserver's /server_info", interval=0.5)
            yield deployment
        finally:
            for process in reversed(deployment.processes.values()):
                if process.popen.poll() is None:
                    os.killpg(process.popen.pid, signal.SIGKILL)
                    process.popen.wait()
            if deployment.instance is not None:
                deployment.instance.dispose()
            alerts.__exit__(None, None, None)
            docmost.stop()


def test_each_process_answers_its_health_probe(deployment):
    assert webserver_health(deployment.web_port) == 200
    assert code_server_health(deployment.code_port).returncode == 0
    wait_for(lambda: daemon_liveness(deployment.env).returncode == 0, 90, "dagster-daemon liveness-check",
             interval=2)
    assert deployment.liveness_before_start.returncode == 1
    assert deployment.liveness_before_start.stdout.strip() == "Daemon(s) not running"
    assert "PostgresRunStorage" in deployment.instance.info_str()
    for process in deployment.processes.values():
        assert PASSWORD not in process.log.read_text(errors="replace"), process.name


def test_a_sync_launched_through_graphql_publishes_every_space_within_the_queue_limits(deployment):
    # the change sensor's one tick (CHANGE_POLL_INTERVAL=1h) happens before any space is a partition
    selector = {**LOCATION, "sensorName": "docmost_change_sensor"}
    wait_for(lambda: deployment.graphql(SENSOR_TICKS, {"selector": selector})["sensorOrError"]["sensorState"]
             ["ticks"], 90, "the change sensor's first tick", interval=1)
    deployment.instance.add_dynamic_partitions("docmost_spaces", list(RECORDED_SPACES))
    deployment.docmost.faults.delay(EXPORT, 4)
    # one run per space, as the Jobs -> sync_space launchpad (or a backfill) queues them, and a second for Collisions
    first_runs = [deployment.launch(space) for space in RECORDED_SPACES]
    second_collisions = deployment.launch("collisions")

    def all_finished():
        runs = [run for space in RECORDED_SPACES for run in deployment.runs(space)]
        return len(runs) == len(RECORDED_SPACES) + 1 and all(run.status in FINISHED for run in runs) and runs

    runs = wait_for(all_finished, 300, "a run per space and the second Collisions run",
                    daemon=None, interval=1)
    deployment.docmost.faults.reset()
    assert {run.status for run in runs} == {DagsterRunStatus.SUCCESS}
    assert {run.run_id for run in runs} == {*first_runs, second_collisions}
    records = {r.dagster_run.run_id: r for r in deployment.instance.get_run_records(
        RunsFilter(run_ids=[run.run_id for run in runs]))}
    spans = {run_id: (record.start_time, record.end_time) for run_id, record in records.items()}
    assert most_at_once(list(spans.values())) == 2, spans  # MAX_CONCURRENT_EXPORTS, reached
    first, second = [spans[run.run_id] for run in runs if run.tags["dagster/partition"] == "collisions"]
    assert first[1] <= second[0] or second[1] <= first[0], "two runs of Collisions overlapped"
    for space in RECORDED_SPACES:
        [status] = publish.status(deployment.output, space)
        assert status.live_version and status.kept_versions == [], status  # published once
        assert (deployment.output / space / "_category_.json").is_file()


def watch_live_tree(live: Path, stop: threading.Event, problems: list[str]) -> None:
    """Read the live tree of a space over and over until ``stop``: record any moment it is not whole."""
    while not stop.is_set():
        try:
            (live / "_category_.json").read_bytes()
            (live / "_publish.json").read_bytes()
        except OSError as exc:
            problems.append(repr(exc))
        time.sleep(0.05)


def test_a_run_worker_killed_mid_export_is_retried_to_success_and_publishes_once(deployment):
    [before] = publish.status(deployment.output, "collisions")
    deployment.docmost.faults.delay(EXPORT, 8, times=1)  # the killed attempt waits; its retry does not
    stop, problems = threading.Event(), []
    watcher = threading.Thread(target=watch_live_tree, args=(deployment.output / "collisions", stop, problems))
    watcher.start()
    try:
        run_id = deployment.launch("collisions", full=True)
        deployment.wait_for_status(run_id, {DagsterRunStatus.STARTED})
        wait_for(lambda: deployment.instance.all_logs(run_id, of_type=DagsterEventType.STEP_START), 60,
                 "raw_export to start", interval=0.2)
        time.sleep(2)  # into the export, which the Docmost test server holds for 8 s
        [started] = deployment.instance.all_logs(run_id, of_type=DagsterEventType.RUN_START)
        os.kill(started.dagster_event.pid, signal.SIGKILL)  # the run worker: steps run in its process
        failed = deployment.wait_for_status(run_id, FINISHED)
        assert failed.status == DagsterRunStatus.FAILURE
        retry = wait_for(lambda: [run for run in deployment.runs("collisions")
                                  if run.tags.get("dagster/parent_run_id") == run_id], 120,
                         "the automatic retry of the killed run", interval=0.5)
        [retry] = retry
        assert retry.tags["dagster/retry_number"] == "1"
        assert deployment.wait_for_status(retry.run_id, FINISHED).status == DagsterRunStatus.SUCCESS
    finally:
        stop.set()
        watcher.join()
        deployment.docmost.faults.reset()
    assert not problems, problems[:5]
    messages = [e.message or "" for e in deployment.instance.all_logs(run_id)]
    assert any("Run execution process for" in m for m in messages), "the code server did not report the death"
    # alerted, saying it is retried (a recovery alert may follow: the two sensors tick independently)
    assert deployment.instance.get_run_by_id(run_id).tags.get("dagster/will_retry") == "true"
    texts = wait_for(lambda: [b["text"] for _, b in deployment.alerts.posts if f"/runs/{run_id}" in b["text"]],
                     120, "the failure alert of the killed run", interval=1)
    assert len(texts) == 1 and "Retrying: Dagster launches the run again" in texts[0], texts
    assert "Failed step: raw_export" in texts[0] and PASSWORD not in texts[0], texts
    # the retry exported the whole space again (full) and found the tree identical to the live one: no new version
    [after] = publish.status(deployment.output, "collisions")
    assert (after.live_version, after.kept_versions) == (before.live_version, [])


def test_a_daemon_restarted_mid_run_starts_no_second_run_for_the_space(deployment):
    daemon = deployment.processes["daemon"]
    runs_before = len(deployment.runs("engineering"))
    [before] = publish.status(deployment.output, "engineering")
    deployment.docmost.faults.delay(EXPORT, 15, times=1)  # outlasts a slow daemon stop on a loaded machine
    try:
        run_id = deployment.launch("engineering", full=True)
        deployment.wait_for_status(run_id, {DagsterRunStatus.STARTED})
        assert stop_gracefully(daemon) == 0, daemon.tail()
        assert deployment.instance.get_run_by_id(run_id).status == DagsterRunStatus.STARTED
        deployment.start_daemon()
        finished = deployment.wait_for_status(run_id, FINISHED)
    finally:
        deployment.docmost.faults.reset()
    assert finished.status == DagsterRunStatus.SUCCESS
    time.sleep(3)  # a second run would be queued by now (the queue is polled every second)
    assert len(deployment.runs("engineering")) == runs_before + 1
    [after] = publish.status(deployment.output, "engineering")
    assert (after.live_version, after.kept_versions) == (before.live_version, [])


def test_sigterm_stops_each_process_cleanly_and_its_probe_then_fails(deployment):
    daemon, web, code = (deployment.processes[name] for name in ("daemon", "webserver", "code-server"))
    assert daemon_liveness(deployment.env).returncode == 0
    for process in (daemon, web, code):
        assert stop_gracefully(process) == 0, process.tail()
        wait_for(lambda: not session_left(process), 30, f"the processes of {process.name} to end", interval=0.5)
        assert "Traceback" not in process.log.read_text(errors="replace"), process.tail(60)
    assert webserver_health(deployment.web_port) is None
    assert code_server_health(deployment.code_port).returncode != 0
    # heartbeats come every 30 s; with a tolerance of 1 s the check fails once the last one is over 31 s old
    wait_for(lambda: daemon_liveness(deployment.env, tolerance=1).returncode == 1, 75,
             "dagster-daemon liveness-check to fail", interval=3)
