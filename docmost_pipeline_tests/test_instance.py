"""Tests of docmost_pipeline.instance: DAGSTER_HOME's dagster.yaml and workspace.yaml as the start commands write them,
and the pins that keep Dagster's packages on one release (dagster-postgres is numbered 0.<minor + 16>.<patch>)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import yaml

from docmost_pipeline.instance import TEMPLATE, write_grpc_workspace, write_instance_settings
from docmost_pipeline.settings import load_settings

SECRET = "pg-top@secret"
REPO_ROOT = Path(__file__).resolve().parents[1]


def written(tmp_path: Path, env: dict[str, str]) -> tuple[str, dict]:
    path = write_instance_settings(tmp_path, load_settings(env), env, writer="docmost-pipeline serve daemon")
    text = path.read_text()
    return text, yaml.safe_load(text)


def test_without_postgres_the_instance_stays_on_sqlite_with_the_shared_settings(tmp_path):
    text, config = written(tmp_path, {"MAX_CONCURRENT_EXPORTS": "3"})
    assert "storage" not in config
    assert config["run_coordinator"]["config"]["max_concurrent_runs"] == 3
    assert config["run_monitoring"]["enabled"] and config["run_retries"]["enabled"]
    assert config["run_retries"]["retry_on_asset_or_op_failure"] is False
    assert text.startswith("# Written by `docmost-pipeline serve daemon` from ") and "SQLite storage" in text


def test_a_postgres_url_is_referenced_by_name_never_written(tmp_path):
    text, config = written(tmp_path, {"DAGSTER_POSTGRES_URL": f"postgresql://dagster:{SECRET}@db:5432/dagster"})
    assert config["storage"] == {"custom": {
        "module": "docmost_pipeline.defs.storage", "class": "PostgresStorage",
        "config": {"postgres_url": {"env": "DAGSTER_POSTGRES_URL"}}}}
    assert "secret" not in text and "Postgres storage" in text


def test_postgres_parts_are_referenced_by_name_and_the_port_written(tmp_path):
    env = {"DAGSTER_PG_HOST": "db", "DAGSTER_PG_PORT": "6543", "DAGSTER_PG_USER": "dagster", "DAGSTER_PG_DB": "runs",
           "DAGSTER_PG_PASSWORD": SECRET}
    text, config = written(tmp_path, env)
    assert config["storage"]["custom"]["config"] == {"postgres_db": {
        "hostname": {"env": "DAGSTER_PG_HOST"}, "port": 6543, "username": {"env": "DAGSTER_PG_USER"},
        "db_name": {"env": "DAGSTER_PG_DB"}, "password": {"env": "DAGSTER_PG_PASSWORD"}}}
    assert "secret" not in text
    del env["DAGSTER_PG_PASSWORD"], env["DAGSTER_PG_PORT"]
    _, config = written(tmp_path, env)
    assert "password" not in config["storage"]["custom"]["config"]["postgres_db"]  # {env: ...} of an unset variable
    assert config["storage"]["custom"]["config"]["postgres_db"]["port"] == 5432


def test_the_grpc_workspace_names_the_code_server_and_the_location(tmp_path):
    config = yaml.safe_load(write_grpc_workspace(tmp_path, "127.0.0.1", 4001).read_text())
    assert config == {"load_from": [{"grpc_server": {"host": "127.0.0.1", "port": 4001,
                                                     "location_name": "docmost_pipeline"}}]}


def test_dagster_packages_are_pinned_to_one_release_and_installed_so():
    """dagster-postgres 0.29.27 requires dagster 1.13.27 exactly: a dagster pin without it, or out of step with it,
    lets pip move dagster away from dagster-webserver's release."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = dict(re.fullmatch(r"(dagster[a-z-]*)==([\d.]+)", r).groups() for r in requirements
                if r.startswith("dagster"))
    assert set(pins) == {"dagster", "dagster-webserver", "dagster-postgres", "dagster-dg-cli"}, requirements
    major, minor, patch = pins["dagster"].split(".")
    assert major == "1"
    library = f"0.{int(minor) + 16}.{patch}"
    assert pins == {"dagster": pins["dagster"], "dagster-webserver": pins["dagster"], "dagster-dg-cli": pins["dagster"],
                    "dagster-postgres": library}
    for name, pinned in pins.items():
        assert version(name) == pinned, f"{name} {version(name)} installed, {pinned} pinned: run make install"


def test_the_repository_dagster_yaml_is_the_packaged_template():
    assert (REPO_ROOT / "dagster.yaml").resolve() == TEMPLATE
