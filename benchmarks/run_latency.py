"""Benchmark: what a daemon-launched run costs next to the same sync in-process, and how long an edit takes to go live.

    .venv/bin/python benchmarks/run_latency.py [--repeat 3] [--timeout 180]

Starts what ``make run`` starts, against the Docmost test server: the emulator (``python -m
docmost_pipeline.emulator --port 0``) and ``python -m docmost_pipeline.devrun`` (``dagster dev -w workspace.yaml``:
webserver, daemon, code server) on a free 127.0.0.1 port, with a temporary DAGSTER_HOME holding the project's
``dagster.yaml``, a temporary OUTPUT_DIR, MAX_CONCURRENT_EXPORTS=2 and the sensors at their defaults (discovery
every 5m, changes every 1m). The discovery sensor's first tick syncs every space (the first syncs); then:

1. in-process: ``docmost-pipeline sync --full <space>`` in a child process, timed from the call, after the imports
   (as incremental.py times it), for Collisions (7 pages) and Content Gallery (20 pages);
2. a daemon-launched run of ``sync_space`` for Collisions with the same work (config ``full: true``), launched
   through the webserver's GraphQL API (as the UI launches it), alone: run created -> success from the run record
   (``create_timestamp`` -> ``end_time``), split into its phases from the run's event log;
3. the same for Collisions and Content Gallery launched together (one ``launchMultipleRuns`` request), so
   MAX_CONCURRENT_EXPORTS = 2 runs execute at once. Runs this short only overlap when the daemon dequeues both in
   the same pass; a pair that did not run side by side is shown but not counted (up to 3 tries per pair);
4. edit to live: a unique sentence appended to a Collisions page on the test server (``append_text``) just after a
   tick of the change sensor (so the edit waits the longest for the next one: the worst case), then the published
   tree (OUTPUT_DIR/collisions/**/*.md) is read until the sentence is in it; the change sensor runs at its default
   interval (1m).

Also prints what loading the code location costs in a fresh process (``import dagster``, then
``import docmost_pipeline.definitions`` and ``defs()``): the part of the run worker's start-up in this project's
hands is the second. See docs/run-cost.md for what the phases mean.

Targets (issue 14): a daemon-launched run of a small space <= its in-process time + 4 s (alone and with two at
once); edit to live <= the change poll interval + 10 s. MISSED marks a missed target; exit code 1 then. Every wait
is bounded (``--timeout``); every process started here is stopped on exit (its process group: SIGTERM, then
SIGKILL).

The emulator runs with a 1 s login window (``--auth-window 1``): each run worker logs in once, and the benchmark
starts more than Docmost's 10 logins per minute; it measures run start-up, not the login limiter.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EMAIL, PASSWORD = "admin@example.com", "fixture-password"
SMALL, SECOND = "collisions", "content-gallery"
RECORDED_SPACES = ("collisions", "content-gallery", "engineering", "general", "hangul-docs")
CONCURRENT = 2  # MAX_CONCURRENT_EXPORTS of the benchmark (make run's default)
RUN_MARGIN_SECONDS = 4.0
EDIT_MARGIN_SECONDS = 10.0
POLL_INTERVAL_SECONDS = 60.0  # CHANGE_POLL_INTERVAL's default, left unset here
FULL_CONFIG = {"ops": {"raw_export": {"config": {"full": True}}}}

LAUNCH_MUTATION = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}
"""
LAUNCH_MANY_MUTATION = """
mutation LaunchMany($list: [ExecutionParams!]!) {
  launchMultipleRuns(executionParamsList: $list) {
    __typename
    ... on LaunchMultipleRunsResult { launchMultipleRunsResult {
        __typename
        ... on LaunchRunSuccess { run { runId } }
        ... on PythonError { message }
        ... on RunConfigValidationInvalid { errors { message } } } }
    ... on PythonError { message }
  }
}
"""
LOCATION_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on RepositoryLocation { repositories { name } }
                                     ... on PythonError { message } } } } } }
"""


class Children:
    """Processes started here, each in its own session; stopped (whole process group) on exit."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen] = []

    def start(self, args: list[str], **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(args, start_new_session=True, **kwargs)
        self.processes.append(process)
        return process

    def stop_all(self, grace: float = 30.0) -> None:
        """SIGTERM to each leader (devrun stops dagster dev cleanly), then SIGKILL to whatever is left of its
        group (dagster dev's webserver, daemon, code server and run workers are in devrun's group)."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + grace
        for process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process, signal.SIGKILL)
            if process.poll() is None:
                process.wait(timeout=10)
        self.processes.clear()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post_json(url: str, body: dict, timeout: float = 30.0) -> object:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def control(base_url: str, **operation) -> object:
    return post_json(f"{base_url}/__control__/faults", operation)


def wait_until(what: str, check, timeout: float, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


# -- in-process ---------------------------------------------------------------------------------------------------

def child(slugs: list[str]) -> None:
    """``docmost-pipeline sync --full SLUG``, timed after the imports (a long-running worker has them)."""
    from docmost_pipeline.cli import main

    import dagster  # noqa: F401

    started = time.monotonic()
    code = main(["sync", "--full", *slugs])
    print(json.dumps({"seconds": time.monotonic() - started, "exit": code}))
    sys.exit(code)


def in_process_sync(env: dict, slug: str, timeout: float) -> float:
    result = subprocess.run([sys.executable, __file__, "--child", slug], env=env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise SystemExit(f"in-process sync of {slug} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return float(json.loads(result.stdout.strip().splitlines()[-1])["seconds"])


def code_location_load(env: dict) -> tuple[float, float]:
    """(seconds to import and build the code location, of which importing dagster) in a fresh process."""
    script = ("import time; t0 = time.perf_counter(); import dagster; t1 = time.perf_counter();"
              "import docmost_pipeline.definitions as d; d.defs(); t2 = time.perf_counter();"
              "print(t2 - t0, t1 - t0)")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                         check=True).stdout.split()
    return float(out[0]), float(out[1])


# -- dagster dev ---------------------------------------------------------------------------------------------------

class Dagster:
    def __init__(self, port: int, home: Path, timeout: float) -> None:
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.timeout = timeout
        from dagster import DagsterInstance

        self.instance = DagsterInstance.from_config(str(home))
        self.location = self.repository = None

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        answer = post_json(self.url, {"query": query, "variables": variables or {}})
        if answer.get("errors"):
            raise SystemExit(f"GraphQL error: {answer['errors']}")
        return answer["data"]

    def wait_loaded(self, devrun: subprocess.Popen) -> None:
        def loaded():
            if devrun.poll() is not None:
                raise SystemExit("make run's dagster dev exited early")
            try:
                workspace = self.graphql(LOCATION_QUERY)["workspaceOrError"]
            except OSError:
                return None
            for entry in workspace.get("locationEntries") or []:
                location = entry.get("locationOrLoadError") or {}
                if entry["loadStatus"] == "LOADED" and location.get("__typename") == "RepositoryLocation":
                    self.location, self.repository = entry["name"], location["repositories"][0]["name"]
                    return True
                if location.get("__typename") == "PythonError":
                    raise SystemExit(f"the code location failed to load: {location['message']}")
            return None

        wait_until("the webserver and its code location", loaded, self.timeout, interval=0.5)

    def params(self, slug: str) -> dict:
        return {
            "selector": {"repositoryLocationName": self.location, "repositoryName": self.repository,
                         "jobName": "sync_space"},
            "runConfigData": FULL_CONFIG,
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": slug},
                                           {"key": "docmost/trigger", "value": "benchmark"}]},
        }

    def launch(self, slug: str) -> str:
        """One run of sync_space for ``slug`` (full export), as the launchpad launches it."""
        answer = self.graphql(LAUNCH_MUTATION, {"params": self.params(slug)})["launchRun"]
        if answer["__typename"] != "LaunchRunSuccess":
            raise SystemExit(f"launching a run of {slug} failed: {answer}")
        return answer["run"]["runId"]

    def launch_together(self, slugs: list[str]) -> list[str]:
        """One run per slug, created in one request (so the daemon finds them queued together)."""
        answer = self.graphql(LAUNCH_MANY_MUTATION, {"list": [self.params(slug) for slug in slugs]})
        results = answer["launchMultipleRuns"].get("launchMultipleRunsResult")
        if not results or any(r["__typename"] != "LaunchRunSuccess" for r in results):
            raise SystemExit(f"launching runs of {', '.join(slugs)} failed: {answer}")
        return [r["run"]["runId"] for r in results]

    def finished(self, run_ids: list[str]) -> list:
        from dagster import DagsterRunStatus, RunsFilter

        records = self.instance.get_run_records(RunsFilter(run_ids=run_ids))
        done = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
        if len(records) == len(run_ids) and all(r.dagster_run.status in done for r in records):
            return records
        return []

    def wait_runs(self, run_ids: list[str]) -> dict:
        records = wait_until(f"run(s) {', '.join(run_ids)}", lambda: self.finished(run_ids), self.timeout)
        failed = [r.dagster_run.run_id for r in records if r.dagster_run.status.value != "SUCCESS"]
        if failed:
            raise SystemExit(f"run(s) failed: {failed} (see the Dagster UI log)")
        return {r.dagster_run.run_id: r for r in records}

    def idle(self) -> bool:
        from dagster import RunsFilter

        from docmost_pipeline.defs.jobs import IN_PROGRESS_STATUSES

        return not self.instance.get_run_records(RunsFilter(statuses=IN_PROGRESS_STATUSES))

    def change_sensor_ticked_since(self, since: float) -> bool:
        """Whether a tick of the change sensor started after ``since`` and is over."""
        from dagster._core.scheduler.instigation import InstigatorType, TickStatus

        for state in self.instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
            if state.instigator_name == "docmost_change_sensor":
                ticks = self.instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
                return bool(ticks) and ticks[0].timestamp > since and ticks[0].status != TickStatus.STARTED
        return False

    def phases(self, record) -> dict[str, float]:
        """Seconds from the run's creation to each milestone of its event log."""
        from dagster import DagsterEventType

        created = record.create_timestamp.timestamp()
        first: dict[str, float] = {}
        last_step_end = None
        for entry in self.instance.all_logs(record.dagster_run.run_id):
            event = entry.dagster_event
            if event is None:
                continue
            kind = event.event_type
            if kind in (DagsterEventType.RUN_STARTING, DagsterEventType.RUN_START,
                        DagsterEventType.STEP_START, DagsterEventType.RUN_SUCCESS):
                first.setdefault(kind.name, entry.timestamp - created)
            if kind == DagsterEventType.ENGINE_EVENT and (entry.message or "").startswith("Started process for run"):
                first.setdefault("WORKER_UP", entry.timestamp - created)
            if kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                last_step_end = entry.timestamp - created
        first["LAST_STEP_END"] = last_step_end if last_step_end is not None else float("nan")
        first["WALL"] = record.end_time - created
        return first


def overlap(pair) -> float:
    """Seconds two runs were executing at the same time (negative: one ended before the other started)."""
    return min(r.end_time for r in pair) - max(r.start_time for r in pair)


def run_wall(record) -> float:
    return record.end_time - record.create_timestamp.timestamp()


def describe_phases(phases: dict[str, float]) -> str:
    points = [("queue", "RUN_STARTING"), ("worker process", "WORKER_UP"),
              ("job load", "RUN_START"),
              ("to 1st step", "STEP_START"), ("steps", "LAST_STEP_END"), ("finish", "WALL")]
    parts, previous = [], 0.0
    for name, key in points:
        at = phases.get(key)
        if at is None:
            continue
        parts.append(f"{name} {at - previous:.2f}")
        previous = at
    return ", ".join(parts)


# -- edit to live --------------------------------------------------------------------------------------------------

def page_to_edit(base_url: str) -> str:
    """A Collisions page the converter publishes (one with a title)."""
    from docmost_pipeline.docmost.client import DocmostClient
    from docmost_pipeline.export.manifest import read_manifest

    with DocmostClient(base_url, EMAIL, PASSWORD) as client:
        space = next(s for s in client.list_spaces() if s.slug == SMALL)
        entries = [e for e in read_manifest(client, space.id).entries if (e.title or "").strip()]
        return sorted(entries, key=lambda e: e.id)[0].id


def published_text_contains(output: Path, slug: str, text: str) -> bool:
    live = output / slug
    if not live.exists():
        return False
    root = live.resolve()
    for path in root.rglob("*.md"):
        try:
            if text in path.read_text(encoding="utf-8"):
                return True
        except OSError:  # a version pruned while being read
            return False
    return False


# -- report --------------------------------------------------------------------------------------------------------

def row(name: str, seconds: float, target: float | None, note: str = "") -> tuple[str, bool]:
    ok = target is None or seconds <= target
    limit = f"<= {target:.2f}" if target is not None else ""
    line = f"{name:<52}{seconds:>9.2f}{limit:>11}" + ("" if ok else "  MISSED") + (f"  {note}" if note else "")
    return line, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="syncs per measure (the median is compared)")
    parser.add_argument("--timeout", type=float, default=180.0, help="bound of every wait, in seconds")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return 0

    children = Children()

    def interrupted(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    with tempfile.TemporaryDirectory(prefix="bench-run-latency-") as work:
        try:
            return measure(args, children, Path(work))
        finally:
            children.stop_all()  # before the folder goes: dagster dev writes into it until it stops


def measure(args, children: Children, work: Path) -> int:
    started = time.monotonic()
    emulator = children.start([sys.executable, "-m", "docmost_pipeline.emulator", "--port", "0",
                               "--auth-window", "1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready, _, _ = select.select([emulator.stdout], [], [], args.timeout)
    base_url = emulator.stdout.readline().strip() if ready else ""
    if not base_url.startswith("http://127.0.0.1:"):
        raise SystemExit("the Docmost test server did not start")

    home, output = work / "home", work / "output"
    home.mkdir()
    (home / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    port = free_port()
    # what make run sets up (devrun.py), with this run's Docmost, home and output; settings left to their defaults
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DOCMOST_", "SYNC_INTERVAL", "DISCOVERY_INTERVAL", "CHANGE_POLL_INTERVAL",
                                "DOCUSAURUS_CHECK", "ALERT_", "PRUNE_", "PUBLISH_", "FULL_SYNC", "INCREMENTAL_",
                                "LOG_FORMAT", "DAGSTER_"))}
    env.update(DOCMOST_BASE_URL=base_url, DOCMOST_EMAIL=EMAIL, DOCMOST_PASSWORD=PASSWORD, OUTPUT_DIR=str(output),
               DAGSTER_HOME=str(home), MAX_CONCURRENT_EXPORTS=str(CONCURRENT), DAGSTER_PORT=str(port),
               PYTHONUNBUFFERED="1")
    os.environ.update(DAGSTER_HOME=str(home), MAX_CONCURRENT_EXPORTS=str(CONCURRENT))  # for the instance read here

    load_seconds, dagster_seconds = statistics.median_low(
        [code_location_load(env) for _ in range(args.repeat)])

    # the instance's storage is created here, before dagster dev's processes start (several processes creating
    # one fresh SQLite storage at once can race on its schema migration)
    dagster = Dagster(port, home, args.timeout)
    log = (work / "dagster-dev.log").open("w")
    devrun = children.start([sys.executable, "-m", "docmost_pipeline.devrun", "--port", str(port)], env=env,
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        dagster.wait_loaded(devrun)
        up = time.monotonic() - started
        # the discovery sensor's first tick requests every space's first sync
        wait_until("the first syncs of every space",
                   lambda: all((output / s / "_publish.json").is_file() for s in RECORDED_SPACES) and dagster.idle(),
                   args.timeout, interval=0.5)
        first_syncs = time.monotonic() - started - up

        in_process = {slug: [in_process_sync(env, slug, args.timeout) for _ in range(args.repeat)]
                      for slug in (SMALL, SECOND)}
        in_proc = {slug: statistics.median(times) for slug, times in in_process.items()}

        alone = []
        for _ in range(args.repeat):
            run_id = dagster.launch(SMALL)
            alone.append(dagster.wait_runs([run_id])[run_id])
        # pairs that really ran side by side: the daemon may still dequeue the second run of a request one
        # iteration later than the first, and a short run can be over by then (those pairs are shown, not counted)
        together, apart = [], []
        for _ in range(3 * max(1, args.repeat - 1)):
            ids = dagster.launch_together([SMALL, SECOND])
            records = dagster.wait_runs(ids)
            pair = (records[ids[0]], records[ids[1]])
            (together if overlap(pair) > 0 else apart).append(pair)
            if len(together) == max(1, args.repeat - 1):
                break
        if not together:
            raise SystemExit("no two runs launched together ran side by side")

        sentence = f"Run latency benchmark edit {uuid.uuid4().hex}."
        wait_until("no run in progress before the edit", dagster.idle, args.timeout)
        page = page_to_edit(base_url)
        # the longest wait: the edit lands just after the change sensor looked
        after = time.time()
        wait_until("a tick of the change sensor", lambda: dagster.change_sensor_ticked_since(after),
                   args.timeout + POLL_INTERVAL_SECONDS, interval=0.1)
        edited = time.time()
        control(base_url, op="append_text", page_id=page, text=sentence)
        wait_until("the edit in the published tree", lambda: published_text_contains(output, SMALL, sentence),
                   args.timeout + POLL_INTERVAL_SECONDS, interval=0.2)
        edit_to_live = time.time() - edited
        change_ids = [r.dagster_run.run_id for r in dagster.instance.get_run_records()
                      if r.dagster_run.tags.get("docmost/trigger") == "change"
                      and r.create_timestamp.timestamp() >= edited - 1]
        change_runs = list(dagster.wait_runs(change_ids).values()) if change_ids else []
    except SystemExit:
        log.flush()
        tail = (work / "dagster-dev.log").read_text(errors="replace").splitlines()[-30:]
        print("last lines of dagster dev's log:\n" + "\n".join(tail), file=sys.stderr)
        raise
    finally:
        log.close()

    lines, ok = [], True

    def add(*a, **kw):
        nonlocal ok
        line, good = row(*a, **kw)
        lines.append(line)
        ok &= good

    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; medians of {args.repeat} (all figures: lists)")
    print(f"code location load (fresh process): {load_seconds:.2f} s, "
          f"of which importing dagster {dagster_seconds:.2f} s")
    print(f"dagster dev up {up:.1f} s after start; first syncs of the {len(RECORDED_SPACES)} spaces "
          f"{first_syncs:.1f} s later\n")
    print(f"{'measure (seconds)':<52}{'value':>9}{'target':>11}")
    for slug in (SMALL, SECOND):
        add(f"in-process sync --full {slug}", in_proc[slug], None,
            note="[" + ", ".join(f"{t:.2f}" for t in in_process[slug]) + "]")
    walls = [run_wall(r) for r in alone]
    add(f"daemon run alone, {SMALL} (created -> success)", statistics.median(walls),
        in_proc[SMALL] + RUN_MARGIN_SECONDS, note="[" + ", ".join(f"{t:.2f}" for t in walls) + "]")
    for index, slug in enumerate((SMALL, SECOND)):
        walls = [run_wall(pair[index]) for pair in together]
        add(f"daemon run, {CONCURRENT} at once: {slug}", statistics.median(walls),
            in_proc[slug] + RUN_MARGIN_SECONDS, note="[" + ", ".join(f"{t:.2f}" for t in walls) + "]")
    note = ""
    if change_runs:
        record = min(change_runs, key=lambda r: r.create_timestamp)
        note = (f"[sensor picked it up after {record.create_timestamp.timestamp() - edited:.1f} s, "
                f"run {run_wall(record):.1f} s]")
    add(f"edit just after a change-sensor tick -> live", edit_to_live,
        POLL_INTERVAL_SECONDS + EDIT_MARGIN_SECONDS, note=note)
    print("\n".join(lines))

    print("\nphases of the daemon runs (seconds; queue: created -> the daemon launches it, worker process: -> its "
          "run worker's process is up, job load: -> RUN_START (code location loaded), to 1st step: -> first "
          "STEP_START, steps: -> last step's end, finish: -> RUN_SUCCESS):")
    for record in alone:
        print(f"  alone {SMALL:<16} {describe_phases(dagster.phases(record))}")
    for pair in together + apart:
        seconds = overlap(pair)
        side_by_side = f"side by side for {seconds:.2f} s" if seconds > 0 else "not side by side, not counted"
        for record in pair:
            print(f"  2 at once {record.dagster_run.tags['dagster/partition']:<12} "
                  f"{describe_phases(dagster.phases(record))}  ({side_by_side})")
    for record in change_runs:
        print(f"  change run {SMALL:<11} {describe_phases(dagster.phases(record))}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
