"""``make run``'s runner: dagster dev (webserver + daemon) on 127.0.0.1 with the demo Docmost when none is configured.

One long test starts it as ``make run`` does and follows the README's demo promise to the end: the discovery sensor
finds the demo spaces, the daemon runs their first syncs and every space is published into OUTPUT_DIR.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from docmost_pipeline.devrun import banner
from docmost_pipeline_tests.dagster_support import RECORDED_SPACES, free_port

REPO = Path(__file__).resolve().parent.parent
WORKSPACE_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""
ASSETS_QUERY = "{ assetNodes { assetKey { path } groupName isPartitioned } }"
# How long the demo may take to publish every space once dagster dev answers: the discovery sensor's first tick,
# then five queued runs, at most MAX_CONCURRENT_EXPORTS (2) at a time, each a fresh process (about a minute in
# all on 2 idle cores; the bound leaves room for a loaded CI machine).
PUBLISH_DEADLINE_SECONDS = 300
# How long the demo's first site build may take once every space is published: the site sensor's next tick (every
# 15 s; SITE_QUIET_PERIOD=1s here), a queued run, then a Docusaurus build of the five spaces (about 30 s on 2 idle
# cores with the faster bundler).
SITE_DEADLINE_SECONDS = 240


def published_demo_spaces(output: Path) -> dict[str, list[str]]:
    """Demo spaces live in OUTPUT_DIR (their ``_category_.json`` there) -> the pages (.md) of their live tree."""
    published = {}
    for slug in RECORDED_SPACES:
        live = output / slug
        if (live / "_category_.json").is_file() and (live / "_publish.json").is_file():
            published[slug] = sorted(p.relative_to(live).as_posix() for p in live.rglob("*.md"))
    return published


def wait_for_demo_publish(output: Path, process: subprocess.Popen, log) -> dict[str, list[str]]:
    deadline = time.monotonic() + PUBLISH_DEADLINE_SECONDS
    published: dict[str, list[str]] = {}
    while time.monotonic() < deadline:
        assert process.poll() is None, "devrun exited before the demo spaces were published"
        published = published_demo_spaces(output)
        if set(published) == set(RECORDED_SPACES):
            return published
        time.sleep(2)
    log.seek(0)
    tail = "\n".join(log.read().splitlines()[-40:])
    raise AssertionError(f"after {PUBLISH_DEADLINE_SECONDS} s only {sorted(published)} of {list(RECORDED_SPACES)} "
                         f"were published into {output}; last log lines:\n{tail}")


def wait_for(url: str, deadline: float, process: subprocess.Popen) -> httpx.Response:
    while time.monotonic() < deadline:
        assert process.poll() is None, "devrun exited early"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in time")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_banner_is_loud():
    text = banner(["DEMO MODE", "longer line here"])
    assert text.splitlines()[0] == "#" * len(text.splitlines()[1])


def test_the_demo_server_publishes_the_recordings_app_url_like_a_real_docmost():
    # The recordings were made with APP_URL=http://localhost:3000 (every absolute link in them says so); the demo
    # Docmost is reached on another address, like a real deployment behind an internal one.
    from docmost_pipeline.devrun import DEMO_EMAIL, DEMO_PASSWORD, start_demo_server, stop
    from docmost_pipeline.docmost import DocmostClient

    process, base_url = start_demo_server(dict(os.environ))
    try:
        with DocmostClient(base_url, DEMO_EMAIL, DEMO_PASSWORD) as client:
            assert client.public_url() == "http://localhost:3000" != base_url
    finally:
        stop(process)


def test_devrun_serves_the_project_and_publishes_the_demo_spaces(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCMOST_", "SYNC_INTERVAL", "ALERT_"))}
    env = {k: v for k, v in env.items() if not k.startswith("SITE_")}
    site_port = free_port()
    env.update(DAGSTER_HOME=str(tmp_path / "home"), OUTPUT_DIR=str(tmp_path / "output"), PYTHONUNBUFFERED="1",
               DISCOVERY_INTERVAL="1h", DAGSTER_PORT=str(port), SITE_PORT=str(site_port), SITE_QUIET_PERIOD="1s")
    log = (tmp_path / "devrun.log").open("w+")
    # Started the way a non-interactive shell starts a background job (SIGINT ignored), which dagster dev would
    # inherit and then also ignore SIGTERM: devrun must still shut everything down on SIGTERM.
    # No --port: `make run` passes none unless DAGSTER_PORT is given to make, so devrun reads DAGSTER_PORT itself.
    process = subprocess.Popen([sys.executable, "-m", "docmost_pipeline.devrun"], cwd=REPO,
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    stopped_cleanly = False
    demo_port = None
    try:
        deadline = time.monotonic() + 150
        info = wait_for(f"http://127.0.0.1:{port}/server_info", deadline, process).json()
        assert "dagster_webserver_version" in info
        workspace = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": WORKSPACE_QUERY}, timeout=30).json()
        [entry] = workspace["data"]["workspaceOrError"]["locationEntries"]
        assert entry["loadStatus"] == "LOADED"
        assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
        nodes = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": ASSETS_QUERY}, timeout=30).json()
        keys = {"/".join(n["assetKey"]["path"]) for n in nodes["data"]["assetNodes"]}
        assert {"raw_export", "extracted_markdown", "postprocessed_tree", "published_space"} <= keys
        log.seek(0)
        text = log.read()
        assert "DEMO MODE" in text and "TEST SERVER" in text
        # the banner: the website's address next to the Dagster UI's; nothing is built yet
        assert re.search(rf"# Dagster UI: http://127\.0\.0\.1:{port}/ ", text), text
        site_url = f"http://127.0.0.1:{site_port}/"
        assert re.search(rf"# Website: +{re.escape(site_url)} ", text), text
        assert httpx.get(site_url, timeout=5).status_code == 503
        demo_port = int(re.search(r"at http://127\.0\.0\.1:(\d+)", text).group(1))
        assert port_open(demo_port)
        # the instance settings with the run queue limit as a number: the Dagster CLI in another terminal loads
        # them without MAX_CONCURRENT_EXPORTS set (`{env: MAX_CONCURRENT_EXPORTS}` failed there with a traceback)
        instance_settings = (tmp_path / "home" / "dagster.yaml").read_text(encoding="utf-8")
        assert "max_concurrent_runs: 2\n" in instance_settings and "env: MAX_CONCURRENT_EXPORTS" not in instance_settings
        # where the demo Docmost is, for the commands run beside `make run`
        record = json.loads((tmp_path / "output" / ".pipeline" / "demo-docmost.json").read_text(encoding="utf-8"))
        assert record == {"base_url": f"http://127.0.0.1:{demo_port}", "pid": process.pid}
        # "The discovery sensor finds those spaces and requests their first runs; watch them publish into
        # ./output": nothing but the running sensor and daemon starts these runs (DISCOVERY_INTERVAL=1h: one tick).
        published = wait_for_demo_publish(tmp_path / "output", process, log)
        # the website: built once every space is published, served by `make run`'s static server
        home = wait_for(site_url, time.monotonic() + SITE_DEADLINE_SECONDS, process)
        assert "Docmost docs" in home.text and "한글 문서" in home.text
        page = httpx.get(f"{site_url}docs/engineering/getting-started", timeout=5, follow_redirects=True)
        assert page.status_code == 200 and "Getting Started" in page.text
        missing = httpx.get(f"{site_url}docs/no-such-page/", timeout=5)
        assert missing.status_code == 404 and "Page Not Found" in missing.text  # the site's own 404 page
        assert httpx.get(f"{site_url}_publish.json", timeout=5).status_code == 404
        live = tmp_path / "output" / ".pipeline" / "site" / "live"
        assert live.is_symlink() and (live / "docs" / "hangul-docs").is_dir()
        # a second terminal, nothing configured: the README's sync reaches the demo Docmost (the daemon published
        # this space already, from the same server: nothing changed)
        cli_env = {k: v for k, v in env.items() if k not in ("DAGSTER_PORT", "DISCOVERY_INTERVAL")}
        synced = subprocess.run([str(Path(sys.executable).parent / "docmost-pipeline"), "sync", "collisions"],
                                cwd=REPO, capture_output=True, text=True, timeout=300,
                                env=cli_env)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert synced.stdout.startswith("collisions: unchanged"), synced.stdout
        assert f"using the demo Docmost of `make run` at http://127.0.0.1:{demo_port}" in synced.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
            stopped_cleanly = True
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert stopped_cleanly, "devrun did not stop within 60 s of SIGTERM"
    log.seek(0)
    text = log.read()
    assert "Dagster services shut down" in text
    assert "dagster.yaml) in the current folder" not in text
    bad = [line for line in text.splitlines()
           if re.search(r"Warning|Error loading|Traceback", line) and "docmost_pipeline" in line]
    assert not bad, bad
    if demo_port is not None:
        assert not port_open(demo_port)  # the demo server stops with dagster
    assert not port_open(site_port)  # so does the website's server
    assert not (tmp_path / "output" / ".pipeline" / "demo-docmost.json").exists()
    output = tmp_path / "output"
    for slug, pages in published.items():
        live = output / slug
        # published by the pipeline: the live path is the publisher's symlink to a stamped version
        assert live.is_symlink() and os.readlink(live).startswith(f".versions/{slug}/"), slug
        index_file = live / "_docmost-pages.json"
        index = json.loads(index_file.read_text(encoding="utf-8")) if index_file.exists() else {}
        assert len(pages) == len(index), (slug, len(pages), len(index))  # every indexed page is there
        stamp = json.loads((live / "_publish.json").read_text(encoding="utf-8"))
        assert stamp["space"] == slug and stamp["page_count"] == len(pages)
    getting_started = (output / "engineering" / "getting-started" / "index.md").read_text(encoding="utf-8")
    # edit links on the address the demo Docmost publishes (the recordings' APP_URL), not the test server's port
    assert "custom_edit_url: 'http://localhost:3000/s/engineering/p/HGMXE2d4R9'" in getting_started
    assert published["general"] == []  # the empty space: only its _category_.json
    assert all(published[slug] for slug in RECORDED_SPACES if slug != "general")
