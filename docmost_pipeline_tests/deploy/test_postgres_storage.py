"""The Dagster instance on Postgres (docs/deploy.md, "Postgres"), against a real PostgreSQL 15 server.

``DAGSTER_HOME/dagster.yaml`` is written as ``make run`` and ``docmost-pipeline serve`` write it
(:func:`docmost_pipeline.instance.write_instance_settings`) from a plain ``postgresql://`` URL carrying a password,
the URL form that trips dagster-postgres under SQLAlchemy 2.1.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sqlalchemy
from dagster import DagsterInstance
from dagster_postgres import DagsterPostgresStorage, PostgresRunStorage

from docmost_pipeline.instance import write_instance_settings
from docmost_pipeline.settings import load_settings
from docmost_pipeline_tests.dagster_support import make_resources, make_settings, project_env, sync_space

PASSWORD = "pg-s3cret@word"  # the cluster trusts every login: the password only has to stay out of every output
BIN = Path(sys.executable).parent


def postgres_home(path: Path, url: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    write_instance_settings(path, load_settings({"DAGSTER_POSTGRES_URL": url}), {"DAGSTER_POSTGRES_URL": url})
    return path


def test_a_plain_postgresql_url_picks_psycopg3_which_dagster_postgres_cannot_use(postgres_cluster):
    """The trap, measured: SQLAlchemy 2.1 maps postgresql:// to psycopg 3 (not installed: dagster-postgres fails on
    its first NOTIFY with it), so dagster-postgres given the plain URL fails, and the psycopg2 form works."""
    url = postgres_cluster.create_database("trap")
    assert sqlalchemy.make_url(url).get_dialect().driver == "psycopg"
    with pytest.raises(ModuleNotFoundError, match="psycopg"):
        DagsterPostgresStorage(url)
    storage = DagsterPostgresStorage(url.replace("postgresql://", "postgresql+psycopg2://"))
    assert storage.run_storage.get_runs() == []
    for part in (storage.run_storage, storage.event_log_storage, storage.schedule_storage):
        part.dispose()


def test_the_code_location_runs_a_sync_on_postgres_storage(tmp_path, postgres_cluster, docmost_server, monkeypatch):
    url = postgres_cluster.create_database("materialize").replace("postgres@", f"postgres:{PASSWORD}@")
    home = postgres_home(tmp_path / "home", url)
    instance_yaml = (home / "dagster.yaml").read_text()
    assert "env: DAGSTER_POSTGRES_URL" in instance_yaml and PASSWORD not in instance_yaml
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", url)
    settings = make_settings(docmost_server, tmp_path / "output")
    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        result = sync_space(instance, settings, make_resources(docmost_server, tmp_path / "output"), "collisions")
        assert result.success
        assert "run_storage: PostgresRunStorage" in instance.info_str() and PASSWORD not in instance.info_str()
    [(status, partition)] = postgres_cluster.query(
        "materialize", "SELECT status, partition FROM runs WHERE run_id = %s", result.run_id)
    assert (status, partition) == ("SUCCESS", "collisions")
    [(materializations,)] = postgres_cluster.query(
        "materialize", "SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = "
        "'ASSET_MATERIALIZATION'", result.run_id)
    assert materializations == 4
    assert not list(home.rglob("*.db"))  # nothing went to SQLite
    assert (tmp_path / "output" / "collisions" / "_category_.json").is_file()


def test_docmost_pipeline_sync_records_its_runs_in_postgres(tmp_path, postgres_cluster, docmost_server):
    """Without DAGSTER_HOME (a temporary one over the Postgres), then with the DAGSTER_HOME the serve commands write."""
    url = postgres_cluster.create_database("cli").replace("postgres@", f"postgres:{PASSWORD}@")
    home = postgres_home(tmp_path / "home", url)
    env = project_env(home, tmp_path / "output", docmost_server, DAGSTER_POSTGRES_URL=url)
    without_home = {k: v for k, v in env.items() if k != "DAGSTER_HOME"}
    lines = []
    for run_env in (without_home, env):
        synced = subprocess.run([str(BIN / "docmost-pipeline"), "sync", "collisions"], cwd=tmp_path, env=run_env,
                                capture_output=True, text=True, timeout=300)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert PASSWORD not in synced.stdout + synced.stderr
        lines.append(synced.stdout.splitlines()[0])
    assert lines[0].startswith("collisions: published") and lines[1].startswith("collisions: unchanged"), lines
    statuses = postgres_cluster.query("cli", "SELECT status FROM runs WHERE partition = 'collisions'")
    assert statuses == [("SUCCESS",), ("SUCCESS",)]
    assert not list(Path(tempfile.gettempdir()).glob("docmost-sync-home-*"))


def test_docmost_pipeline_sync_refuses_an_instance_that_is_not_on_the_configured_postgres(tmp_path,
                                                                                          postgres_cluster,
                                                                                          docmost_server):
    """Runs recorded in a SQLite instance beside a Postgres deployment would be invisible to it: one line, no run."""
    url = postgres_cluster.url("cli", password=PASSWORD)
    home = tmp_path / "home"
    home.mkdir()
    write_instance_settings(home, load_settings({}), {})  # SQLite
    env = project_env(home, tmp_path / "output", docmost_server, DAGSTER_POSTGRES_URL=url)
    synced = subprocess.run([str(BIN / "docmost-pipeline"), "sync", "collisions"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert synced.returncode == 2
    [line] = synced.stderr.splitlines()
    assert line == (f"configuration error: DAGSTER_POSTGRES_URL/DAGSTER_PG_HOST is set but DAGSTER_HOME={home} stores "
                    "runs in SQLite: point DAGSTER_HOME at the instance `docmost-pipeline serve` (or `make run`) "
                    "writes for Postgres, or unset it")
    assert PASSWORD not in synced.stdout + synced.stderr
    assert not (tmp_path / "output" / "collisions").exists()


def test_a_bad_postgres_url_is_one_line_without_the_password(tmp_path, docmost_server):
    env = project_env(tmp_path / "home", tmp_path / "output", docmost_server,
                      DAGSTER_POSTGRES_URL=f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1/db")
    synced = subprocess.run([str(BIN / "docmost-pipeline"), "sync"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert synced.returncode == 2
    assert synced.stderr.splitlines() == [
        "configuration error: DAGSTER_POSTGRES_URL='postgresql+asyncpg://postgres:***@127.0.0.1/db': expected a URL "
        "like postgresql://user:password@host:5432/dbname (driver: postgresql or postgresql+psycopg2 only)"]


def test_the_postgres_parts_reach_the_same_storage(tmp_path, postgres_cluster, monkeypatch):
    postgres_cluster.create_database("parts")
    env = {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(postgres_cluster.port), "DAGSTER_PG_USER": "postgres",
           "DAGSTER_PG_PASSWORD": PASSWORD, "DAGSTER_PG_DB": "parts"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "home"
    home.mkdir()
    write_instance_settings(home, load_settings(env), env)
    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        instance.add_dynamic_partitions("docmost_spaces", ["collisions"])
    assert postgres_cluster.query("parts", "SELECT partition FROM dynamic_partitions") == [("collisions",)]
