"""The Dagster surface of the project, compared with a reviewed snapshot (``fixtures/definitions-snapshot.json``).

What operators see in the UI and what docs/operations.md documents: asset keys with group, kinds, deps, partitions, retry
policy, freshness and description; the blocking checks; the jobs and what they select; schedules (cron, timezone,
default status); sensors (interval, default status, target job); resource keys. Built from fixed settings, twice:
``scheduled_with_docusaurus_check`` (SYNC_INTERVAL=1h30m, DOCUSAURUS_CHECK=1, and SITE_DIR: the website) and
``defaults`` (none of them), both with a (placeholder) Docmost configured; and ``git_publish`` (defaults plus
GIT_PUBLISH_REPO: the git target's asset and resource). Any change to that surface fails the test with a readable
diff, so it is made on
purpose and reviewed with the snapshot file in the same commit.

To accept a change, rewrite the snapshot and review its diff::

    UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest docmost_pipeline_tests/defs/test_definitions_snapshot.py
    git diff docmost_pipeline_tests/fixtures/definitions-snapshot.json

The second test runs the ``dg`` command line on the repository as an operator would (``dg check defs``,
``dg list defs --json``).
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey, Definitions

from docmost_pipeline.defs.definitions import build_definitions
from docmost_pipeline.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = REPO / "docmost_pipeline_tests" / "fixtures" / "definitions-snapshot.json"
PLACEHOLDER_DOCMOST = {
    "DOCMOST_BASE_URL": "http://127.0.0.1:9",
    "DOCMOST_EMAIL": "placeholder@example.com",
    "DOCMOST_PASSWORD": "placeholder-Secret-42",
    "OUTPUT_DIR": "/nonexistent/output",
}
SETTINGS = {
    "scheduled_with_docusaurus_check": {**PLACEHOLDER_DOCMOST, "SYNC_INTERVAL": "1h30m", "DOCUSAURUS_CHECK": "1",
                                        "SITE_DIR": "/nonexistent/site"},
    "defaults": dict(PLACEHOLDER_DOCMOST),
    "git_publish": {**PLACEHOLDER_DOCMOST, "GIT_PUBLISH_REPO": "git://127.0.0.1:9/docs.git"},
}
ASSETS = ["extracted_markdown", "postprocessed_tree", "published_space", "raw_export"]


def _enum(value) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def lines(text: str | None) -> list[str] | None:
    """A description as its lines: a changed line shows as one line of the diff."""
    return None if text is None else text.splitlines()


def _key(key: AssetKey) -> str:
    return key.to_user_string()


def surface(defs: Definitions) -> dict:
    """The operator-visible Dagster surface of ``defs`` as plain, sorted JSON data."""
    graph = defs.resolve_asset_graph()
    assets, checks = {}, {}
    for node in sorted(graph.asset_nodes, key=lambda n: _key(n.key)):
        assets_def = defs.get_assets_def(node.key)
        retry = assets_def.op.retry_policy
        freshness = node.freshness_policy
        assets[_key(node.key)] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "deps": sorted(_key(k) for k in node.parent_keys),
            "partitions_def": node.partitions_def.name if node.partitions_def is not None else None,
            "retry_policy": None if retry is None else {
                "max_retries": retry.max_retries, "delay": retry.delay, "backoff": _enum(retry.backoff),
                "jitter": _enum(retry.jitter)},
            "freshness": None if freshness is None else {
                "type": type(freshness).__name__,
                "fail_window_seconds": freshness.fail_window.to_timedelta().total_seconds(),
                "warn_window_seconds": (freshness.warn_window.to_timedelta().total_seconds()
                                        if freshness.warn_window is not None else None)},
            "description": lines(node.description),
        }
        for spec in assets_def.check_specs:
            checks[f"{_key(spec.asset_key)}:{spec.name}"] = {"blocking": spec.blocking,
                                                              "description": lines(spec.description)}
    jobs = {}
    unresolved = {job.name: job for job in defs.jobs or []}
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        if job.name.startswith("__"):
            continue  # Dagster's implicit asset job
        selection = getattr(unresolved.get(job.name), "selection", None)
        asset_keys = job.asset_layer.executable_asset_keys if job.asset_layer else set()
        jobs[job.name] = {
            "selection": str(selection) if selection is not None else None,
            "assets": sorted(_key(k) for k in asset_keys),
            "ops": sorted(job.graph.node_names()) if not asset_keys else [],
            "partitions_def": job.partitions_def.name if job.partitions_def is not None else None,
            "description": lines(job.description),
        }
    schedules = {
        schedule.name: {
            "cron": schedule.cron_schedule,
            "timezone": schedule.execution_timezone,
            "default_status": _enum(schedule.default_status),
            "job": schedule.job_name,
            "description": lines(schedule.description),
        }
        for schedule in sorted(defs.schedules or [], key=lambda s: s.name)
    }
    sensors = {
        sensor.name: {
            "type": type(sensor).__name__,
            "minimum_interval_seconds": sensor.minimum_interval_seconds,
            "default_status": _enum(sensor.default_status),
            "jobs": sorted(target.job_name for target in sensor.targets),
            "description": lines(sensor.description),
        }
        for sensor in sorted(defs.sensors or [], key=lambda s: s.name)
    }
    resources = {name: type(resource).__name__ for name, resource in sorted((defs.resources or {}).items())}
    return {"assets": assets, "asset_checks": checks, "jobs": jobs, "schedules": schedules, "sensors": sensors,
            "resources": resources}


def live_snapshot() -> dict:
    return {name: surface(build_definitions(load_settings(env))) for name, env in SETTINGS.items()}


def render(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_definitions_match_the_snapshot():
    """The live Dagster surface equals the snapshot. On purpose changes: UPDATE_SNAPSHOT=1 rewrites the file."""
    live = render(live_snapshot())
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(live, encoding="utf-8")
    recorded = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    if live != recorded:
        diff = "".join(difflib.unified_diff(recorded.splitlines(keepends=True), live.splitlines(keepends=True),
                                            fromfile=f"{SNAPSHOT.name} (recorded)", tofile="live definitions"))
        raise AssertionError(
            "the Dagster definitions differ from the reviewed snapshot:\n" + diff
            + f"\nIf the change is intended: UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest {Path(__file__).relative_to(REPO)}"
            f" and commit {SNAPSHOT.relative_to(REPO)} with it."
        )


def test_dg_check_and_list_defs_from_the_repository():
    """``dg check defs`` and ``dg list defs --json`` work from the repository (docs/development.md: the code location)."""
    venv = Path(sys.executable).parent.parent
    dg = venv / "bin" / "dg"
    assert dg.is_file(), f"{dg} missing: dagster-dg-cli is a test dependency (pip install -e '.[test]')"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DOCMOST_", "SYNC_INTERVAL", "DOCUSAURUS_CHECK", "ALERT_")) and k != "DAGSTER_HOME"}
    env.update(PLACEHOLDER_DOCMOST, VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               NO_COLOR="1")
    check = subprocess.run([str(dg), "check", "defs"], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=300)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert "All definitions loaded successfully" in check.stdout + check.stderr, check.stdout + check.stderr
    assert "placeholder-Secret-42" not in check.stdout + check.stderr
    # with VIRTUAL_ENV naming the project's venv dg has nothing to warn about (e.g. a venv mismatch)
    assert not [line for line in (check.stdout + check.stderr).splitlines() if "warning" in line.lower()], check.stderr
    listed = subprocess.run([str(dg), "list", "defs", "--json"], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=300)
    assert listed.returncode == 0, listed.stdout[-3000:] + listed.stderr[-3000:]
    data = json.loads(listed.stdout)
    assert sorted(asset["asset_key"] for asset in data["assets"]) == ASSETS, data["assets"]
    assert {asset["group_name"] for asset in data["assets"]} == {"docmost_sync"}
    assert "placeholder-Secret-42" not in listed.stdout + listed.stderr
