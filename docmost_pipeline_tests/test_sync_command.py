"""``docmost-pipeline sync [SPACE...]``: in-process sync against the Docmost test server, exit codes, summaries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef

REPO = Path(__file__).resolve().parent.parent


def run_sync(server, tmp_path: Path, *args: str, password: str | None = None, home: bool = False, **env: str):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DOCMOST_", "SYNC_", "DAGSTER_HOME"))}
    environ.update(DOCMOST_BASE_URL=server.base_url, DOCMOST_EMAIL=server.email,
                   DOCMOST_PASSWORD=password or server.password, OUTPUT_DIR=str(tmp_path / "output"), **env)
    if home:
        environ["DAGSTER_HOME"] = str(tmp_path / "home")
        (tmp_path / "home").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "docmost_pipeline.cli", "sync", *args], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=300)


def test_sync_named_spaces_prints_one_line_each_and_records_runs(tmp_path, docmost_server):
    result = run_sync(docmost_server, tmp_path, "collisions", "general", home=True)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("collisions: published 7 pages, version ")
    assert lines[1].startswith("general: published (empty space) 0 pages")
    assert lines[-1] == "2 of 2 space(s) synced"
    assert (tmp_path / "output" / "collisions" / "_category_.json").is_file()
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path / "home"))) as instance:
        assert sorted(instance.get_dynamic_partitions("docmost_spaces")) == ["collisions", "general"]
        assert len(instance.get_runs()) == 2
    assert docmost_server.password not in result.stdout + result.stderr


def test_sync_fails_non_zero_on_wrong_password_without_leaking_it(tmp_path, docmost_server):
    result = run_sync(docmost_server, tmp_path, "collisions", password="Not-The-Pass-77")
    assert result.returncode == 1
    assert "Not-The-Pass-77" not in result.stdout + result.stderr
    assert "cannot list Docmost spaces" in result.stderr


def test_sync_exits_non_zero_when_a_space_fails(tmp_path, docmost_server):
    docmost_server.faults.fail("/api/spaces/export", times=100, status=500)
    result = run_sync(docmost_server, tmp_path, "collisions", DOCMOST_RETRIES="0", RAW_EXPORT_RETRY_DELAY="0.01")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("collisions: FAILED raw_export failed:")
    assert "0 of 1 space(s) synced, 1 failed" in result.stdout


def test_sync_unknown_space_is_a_usage_error(tmp_path, docmost_server):
    result = run_sync(docmost_server, tmp_path, "no-such-space")
    assert result.returncode == 2 and "unknown space(s): no-such-space" in result.stderr


def test_partitions_only_registers_spaces_for_cli_materialize(tmp_path, docmost_server):
    result = run_sync(docmost_server, tmp_path, "--partitions-only", home=True,
                      DOCMOST_SPACES_EXCLUDE="general")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("4 space partition(s) registered (4 new)")
    assert not (tmp_path / "output").exists()
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path / "home"))) as instance:
        assert sorted(instance.get_dynamic_partitions("docmost_spaces")) == [
            "collisions", "content-gallery", "engineering", "hangul-docs"]
        assert instance.get_runs() == []


def test_dagster_asset_materialize_one_space_from_the_cli(tmp_path, docmost_server):
    assert run_sync(docmost_server, tmp_path, "--partitions-only", "collisions", home=True).returncode == 0
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DOCMOST_", "SYNC_", "MAX_CONCURRENT"))}
    environ.update(DAGSTER_HOME=str(tmp_path / "home"), DOCMOST_BASE_URL=docmost_server.base_url,
                   DOCMOST_EMAIL=docmost_server.email, DOCMOST_PASSWORD=docmost_server.password,
                   OUTPUT_DIR=str(tmp_path / "output"))
    (tmp_path / "home" / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    result = subprocess.run([sys.executable, "-m", "dagster", "asset", "materialize", "-m", "docmost_pipeline.definitions",
                             "--select", "raw_export*", "--partition", "collisions"], cwd=tmp_path, env=environ,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "output" / "collisions" / "_category_.json").is_file()
    assert docmost_server.password not in result.stdout + result.stderr


def test_dagster_job_backfill_all_spaces_from_the_cli(tmp_path, docmost_server):
    # The documented backfill command: one queued run per space partition, for the daemon of `make run` to launch,
    # so under the code location name that daemon knows (`-m docmost_pipeline.definitions` queued runs of a location
    # named `docmost_pipeline.definitions`, which the daemon fails; test_docs.py runs them under a real daemon).
    assert run_sync(docmost_server, tmp_path, "--partitions-only", home=True).returncode == 0
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DOCMOST_", "SYNC_"))}
    environ.update(DAGSTER_HOME=str(tmp_path / "home"), DOCMOST_BASE_URL=docmost_server.base_url,
                   DOCMOST_EMAIL=docmost_server.email, DOCMOST_PASSWORD=docmost_server.password,
                   OUTPUT_DIR=str(tmp_path / "output"), MAX_CONCURRENT_EXPORTS="2")
    (tmp_path / "home" / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    result = subprocess.run([sys.executable, "-m", "dagster", "job", "backfill", "-w", str(REPO / "workspace.yaml"),
                             "-j", "sync_space", "--all", "--noprompt"], cwd=tmp_path, env=environ,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert docmost_server.password not in result.stdout + result.stderr
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path / "home"))) as instance:
        (backfill,) = instance.get_backfills()
        assert sorted(backfill.partition_names) == [
            "collisions", "content-gallery", "engineering", "general", "hangul-docs"]
        runs = instance.get_runs()
        assert sorted(r.tags["dagster/partition"] for r in runs) == sorted(backfill.partition_names)
        assert {r.status.value for r in runs} == {"QUEUED"}  # the run queue (dagster.yaml) holds them for the daemon
        assert {r.remote_job_origin.location_name for r in runs} == {"docmost_pipeline"}  # workspace.yaml's name


def test_sync_commits_to_the_git_target_when_set(tmp_path, docmost_server, git_daemon):
    from docmost_pipeline_tests.git_servers import bare_repo, branch_head, git

    bare = bare_repo(git_daemon.base / "docs.git")
    result = run_sync(docmost_server, tmp_path, "collisions", GIT_PUBLISH_REPO=git_daemon.url("docs.git"))
    assert result.returncode == 0, result.stderr[-2000:]
    line = result.stdout.splitlines()[0]
    assert line.startswith("collisions: published 7 pages, version ")
    assert f", git: committed {branch_head(bare)[:12]} to main, " in line
    assert "collisions/_category_.json" in git("ls-tree", "-r", "--name-only", "main", "docs", cwd=bare)
    again = run_sync(docmost_server, tmp_path, "collisions", GIT_PUBLISH_REPO=git_daemon.url("docs.git"))
    assert ", git: docs/collisions on main already up to date, " in again.stdout.splitlines()[0]
