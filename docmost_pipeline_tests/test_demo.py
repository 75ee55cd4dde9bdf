"""The demo Docmost of ``make run``, used by the commands run beside it (docmost_pipeline.demo).

`make run` without DOCMOST_BASE_URL serves a demo Docmost and records where in OUTPUT_DIR/.pipeline. The README's
commands in another terminal (no DOCMOST_* set) must reach that same server: the Dagster CLI crashed with a 100-line
traceback (`environment variable "DOCMOST_BASE_URL" is not set`) and `docmost-pipeline sync` stopped with a
configuration error. Here the test process plays `make run`: it hosts the Docmost test server and writes the record
with its own pid, as devrun does (devrun itself is followed end to end in test_devrun.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import DagsterInstance

from docmost_pipeline.defs.partitions import SPACES_PARTITIONS
from docmost_pipeline.demo import clear_demo, record_demo, record_path, running_demo, use_running_demo
from docmost_pipeline_tests.dagster_support import dagster_home, free_port, project_env

BIN = Path(sys.executable).parent


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_record_is_used_only_while_its_make_run_and_server_live(tmp_path, docmost_server):
    output = tmp_path / "output"
    assert running_demo(output) is None
    record_demo(output, docmost_server.base_url, os.getpid())
    assert record_path(output) == output / ".pipeline" / "demo-docmost.json"
    assert running_demo(output).base_url == docmost_server.base_url

    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    record_demo(output, docmost_server.base_url, finished.pid)  # `make run` gone (killed: its record stayed)
    assert running_demo(output) is None
    record_demo(output, f"http://127.0.0.1:{free_port()}", os.getpid())  # its server no longer answers
    assert running_demo(output) is None
    record_demo(output, "http://docmost.example.com:80", os.getpid())  # never anything but loopback
    assert running_demo(output) is None

    record_demo(output, docmost_server.base_url, os.getpid())
    environ = {"OUTPUT_DIR": str(output)}
    assert use_running_demo(environ).base_url == docmost_server.base_url
    assert environ["DOCMOST_BASE_URL"] == docmost_server.base_url
    assert (environ["DOCMOST_EMAIL"], environ["DOCMOST_PASSWORD"]) == (docmost_server.email, docmost_server.password)
    configured = {"OUTPUT_DIR": str(output), "DOCMOST_BASE_URL": "https://docmost.example.com"}
    assert use_running_demo(configured) is None and configured["DOCMOST_BASE_URL"] == "https://docmost.example.com"

    clear_demo(output, os.getpid() + 1)  # another run's record stays
    assert record_path(output).exists()
    clear_demo(output, os.getpid())
    assert not record_path(output).exists()


def test_cli_examples_in_demo_mode_use_the_demo_docmost(tmp_path, docmost_server):
    """No DOCMOST_* in the environment, as in a second terminal beside `make run`'s demo."""
    output = tmp_path / "output"
    home = dagster_home(tmp_path / "home")
    env = project_env(home, output)
    record_demo(output, docmost_server.base_url, os.getpid())

    synced = run([str(BIN / "docmost-pipeline"), "sync", "general"], env, tmp_path)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert f"using the demo Docmost of `make run` at {docmost_server.base_url}" in synced.stderr
    assert synced.stdout.startswith("general: published (empty space)")

    with DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions(SPACES_PARTITIONS.name, ["collisions"])
    materialized = run([str(BIN / "dagster"), "asset", "materialize", "-m", "docmost_pipeline.definitions",
                        "--select", "raw_export*", "--partition", "collisions"], env, tmp_path)
    output_text = materialized.stdout + materialized.stderr
    assert materialized.returncode == 0, output_text[-3000:]
    assert "Traceback" not in output_text and 'environment variable "DOCMOST_BASE_URL"' not in output_text
    assert (output / "collisions" / "_category_.json").is_file()
    assert docmost_server.count("/api/spaces/export", 200) == 1  # collisions, from the demo (general has no pages)


def test_without_docmost_or_demo_sync_says_what_to_set_in_one_line(tmp_path):
    env = project_env(dagster_home(tmp_path / "home"), tmp_path / "output")
    result = run([str(BIN / "docmost-pipeline"), "sync"], env, tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("configuration error: DOCMOST_BASE_URL is not set and no `make run` demo is running")
    assert "DOCMOST_EMAIL and DOCMOST_PASSWORD" in line and str(tmp_path / "output") in line
