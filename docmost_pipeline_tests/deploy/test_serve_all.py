"""``docmost-pipeline serve all`` (``make serve``): the three production processes as children of one command, here
on SQLite (no Postgres setting), stopped together by one SIGTERM; and the one-line error without DAGSTER_HOME."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from docmost_pipeline_tests.dagster_support import free_port, project_env, wait_for
from docmost_pipeline_tests.deploy.test_serve import code_server_health, webserver_health

BIN = Path(sys.executable).parent


def test_serve_all_starts_the_three_processes_and_sigterm_stops_them_all(tmp_path, docmost_server):
    web_port, code_port = free_port(), free_port()
    env = project_env(tmp_path / "home", tmp_path / "output", docmost_server, DOCMOST_SPACES_EXCLUDE="*")
    log = (tmp_path / "serve.log").open("w+")
    serve = subprocess.Popen([str(BIN / "docmost-pipeline"), "serve", "all", "--port", str(web_port),
                              "--code-server-port", str(code_port)], cwd=tmp_path, env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: serve.poll() is not None or webserver_health(web_port) == 200, 180, "the webserver",
                 interval=1)
        assert serve.poll() is None
        assert code_server_health(code_port).returncode == 0
        wait_for(lambda: (tmp_path / "home" / "history").is_dir(), 60, "the daemon's SQLite run storage")
        config = yaml.safe_load((tmp_path / "home" / "dagster.yaml").read_text())
        assert "storage" not in config  # SQLite under DAGSTER_HOME
        workspace = yaml.safe_load((tmp_path / "home" / "workspace.yaml").read_text())
        assert workspace["load_from"][0]["grpc_server"]["port"] == code_port
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=90) == 0
        wait_for(lambda: not _group_alive(serve.pid), 30, "every process of serve all to end", interval=0.5)
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
        log.seek(0)
        output = log.read()
    assert "Traceback" not in output, output[-3000:]
    assert webserver_health(web_port) is None and code_server_health(code_port).returncode != 0


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_without_dagster_home_is_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    result = subprocess.run([str(BIN / "docmost-pipeline"), "serve", "daemon"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "configuration error: DAGSTER_HOME is not set: set it to the folder of the Dagster instance (every process "
        "of the deployment uses the same one), e.g. DAGSTER_HOME=/srv/dagster"]
    assert not list(tmp_path.iterdir())
