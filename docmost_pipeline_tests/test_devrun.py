"""``make run``'s runner: dagster dev (webserver + daemon) on 127.0.0.1 with the demo Docmost when none is configured."""

from __future__ import annotations

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
from docmost_pipeline_tests.dagster_support import free_port

REPO = Path(__file__).resolve().parent.parent
WORKSPACE_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""
ASSETS_QUERY = "{ assetNodes { assetKey { path } groupName isPartitioned } }"


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


def test_devrun_serves_the_project_with_the_demo_docmost(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCMOST_", "SYNC_INTERVAL", "ALERT_"))}
    env.update(DAGSTER_HOME=str(tmp_path / "home"), OUTPUT_DIR=str(tmp_path / "output"), PYTHONUNBUFFERED="1",
               DISCOVERY_INTERVAL="1h", DAGSTER_PORT=str(port))
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
        demo_port = int(re.search(r"at http://127\.0\.0\.1:(\d+)", text).group(1))
        assert port_open(demo_port)
        assert (tmp_path / "home" / "dagster.yaml").is_file()
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
