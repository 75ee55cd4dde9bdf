"""The code location loads cleanly: with placeholder env vars, with no Docmost configured, and fails on bad config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import json_console_logger

from docmost_pipeline.defs.definitions import build_definitions
from docmost_pipeline.defs.resources import DocmostResource, build_resources
from docmost_pipeline.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
PLACEHOLDERS = {
    "DOCMOST_BASE_URL": "http://127.0.0.1:9",
    "DOCMOST_EMAIL": "placeholder@example.com",
    "DOCMOST_PASSWORD": "placeholder-Secret-42",
    "SYNC_INTERVAL": "1h30m",
    "ALERT_WEBHOOK_URLS": "http://127.0.0.1:9/hook",
    "LOG_FORMAT": "json",
}
DOCMOST_VARS = ("DOCMOST_BASE_URL", "DOCMOST_EMAIL", "DOCMOST_PASSWORD", "SYNC_INTERVAL", "ALERT_WEBHOOK_URLS",
                "LOG_FORMAT", "DOCUSAURUS_CHECK", "OUTPUT_DIR")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DOCMOST_VARS and k != "DAGSTER_HOME"}
    env.update(extra)
    return env


def load_in_subprocess(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    # -W error: any warning raised while building the definitions (deprecations, preview features) fails the load.
    code = (
        "import docmost_pipeline.definitions as location\n"
        "defs = location.defs.load_fn()  # what Dagster calls when it loads the @definitions function\n"
        "repo = defs.get_repository_def()\n"
        "print(sorted(j.name for j in defs.resolve_all_job_defs()))\n"
        "print(sorted(s.name for s in defs.schedules))\n"
        "print(sorted(s.name for s in defs.sensors))\n"
    )
    return subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


def test_loads_with_placeholder_env_vars_without_warnings(tmp_path):
    result = load_in_subprocess(clean_env(**PLACEHOLDERS), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "maintenance" in result.stdout and "sync_space" in result.stdout
    assert "publish_status" in result.stdout and "publish_rollback" in result.stdout
    assert "docmost_sync_schedule" in result.stdout
    assert "docmost_space_discovery" in result.stdout and "docmost_failure_alerts" in result.stdout
    assert "placeholder-Secret-42" not in result.stdout + result.stderr


def test_loads_with_no_docmost_configured(tmp_path):
    result = load_in_subprocess(clean_env(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "docmost_sync_schedule" not in result.stdout


def test_invalid_configuration_fails_at_load_with_one_line(tmp_path):
    result = load_in_subprocess(clean_env(SYNC_INTERVAL="90x"), tmp_path)
    assert result.returncode != 0
    assert "SYNC_INTERVAL='90x': expected a duration like 30s, 5m, 1h30m or a cron expression" in result.stderr


def test_dagster_definitions_validate_passes(tmp_path):
    env = clean_env(**PLACEHOLDERS)
    result = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate", "-w",
                             str(REPO / "workspace.yaml")], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "All code locations passed validation" in result.stderr + result.stdout
    assert "placeholder-Secret-42" not in result.stdout + result.stderr


def test_group_kinds_descriptions_and_json_logger():
    settings = load_settings(PLACEHOLDERS)
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw_export", "extracted_markdown", "postprocessed_tree", "published_space"} <= keys
    for node in graph.asset_nodes:
        assert node.group_name == "docmost_sync"
        assert node.description and node.kinds
        assert node.partitions_def.name == "docmost_spaces"
    assert defs.loggers["console"] is json_console_logger
    assert build_definitions(load_settings({})).loggers in (None, {})


def test_resources_never_show_the_password():
    resource = DocmostResource(base_url="http://127.0.0.1:9", email="a@b.c", password="Sup3r-Secret")
    assert "Sup3r-Secret" not in repr(resource) and "Sup3r-Secret" not in str(resource)
    resources = build_resources(load_settings(PLACEHOLDERS))
    assert "placeholder-Secret-42" not in repr(resources)


def test_the_shipped_instance_shows_no_community_pop_up(tmp_path):
    from dagster import DagsterInstance

    (tmp_path / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.nux_enabled is False
        assert instance.telemetry_enabled is False


def test_the_shipped_run_queue_starts_queued_runs_within_a_second_side_by_side(tmp_path, monkeypatch):
    from dagster import DagsterInstance

    monkeypatch.setenv("MAX_CONCURRENT_EXPORTS", "2")
    (tmp_path / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        coordinator = instance.run_coordinator
        assert coordinator.dequeue_interval_seconds == 1 and coordinator.dequeue_use_threads is True
        assert coordinator.get_run_queue_config().max_concurrent_runs == 2
