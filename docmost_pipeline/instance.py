"""``DAGSTER_HOME``'s files, written from the project's settings at every start (``make run``, ``docmost-pipeline
serve``): ``dagster.yaml`` (the Dagster instance) and, for the production processes, ``workspace.yaml`` (the code
server to load).

``dagster.yaml`` is the repository's ``dagster.yaml`` (``docmost_pipeline/dagster.yaml``, package data, linked from
the repository's root; one file for every way of running: run queue, run monitoring, run retries) with the run queue
limit written as a number and, when DAGSTER_POSTGRES_URL or DAGSTER_PG_HOST is set, a ``storage:`` block for Postgres
(:mod:`docmost_pipeline.defs.storage`) whose URL, or parts, are ``{env: ...}`` references: no secret is written to
disk. Without them the instance stays on SQLite under DAGSTER_HOME. Pure Python (no Dagster import).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from docmost_pipeline.settings import Settings

# package data (the repository's dagster.yaml links here), so an installed wheel has it too
TEMPLATE = Path(__file__).resolve().parent / "dagster.yaml"
LOCATION_NAME = "docmost_pipeline"
_RUN_QUEUE_LIMIT = re.compile(r"max_concurrent_runs:\s*\n\s*env:\s*MAX_CONCURRENT_EXPORTS\s*\n")
_STORAGE_CLASS = ("docmost_pipeline.defs.storage", "PostgresStorage")


def postgres_storage_yaml(environ: dict[str, str] | None, settings: Settings) -> str:
    """The ``storage:`` block for Postgres ('' for SQLite): the variables the operator set, as env references."""
    if settings.postgres_url is None:
        return ""
    module, cls = _STORAGE_CLASS
    head = (f"\n# Postgres storage (runs, event logs, schedules), from the environment of each process that loads\n"
            f"# this instance: see docs/deploy.md, \"Postgres\".\nstorage:\n  custom:\n    module: {module}\n"
            f"    class: {cls}\n    config:\n")
    env = environ or {}
    if env.get("DAGSTER_POSTGRES_URL", "").strip():
        return head + "      postgres_url:\n        env: DAGSTER_POSTGRES_URL\n"
    lines = ["      postgres_db:",
             "        hostname:\n          env: DAGSTER_PG_HOST",
             f"        port: {urlsplit(settings.postgres_url).port or 5432}",
             "        username:\n          env: DAGSTER_PG_USER",
             "        db_name:\n          env: DAGSTER_PG_DB"]
    if env.get("DAGSTER_PG_PASSWORD"):
        lines.append("        password:\n          env: DAGSTER_PG_PASSWORD")
    return head + "\n".join(lines) + "\n"


def render_instance_settings(settings: Settings, environ: dict[str, str] | None, writer: str) -> str:
    """The text of ``DAGSTER_HOME/dagster.yaml`` (``writer``: the command that writes it, for its header)."""
    text = TEMPLATE.read_text(encoding="utf-8")
    rendered, count = _RUN_QUEUE_LIMIT.subn(f"max_concurrent_runs: {settings.max_concurrent_exports}\n", text)
    if count != 1:
        raise RuntimeError(f"{TEMPLATE}: no `max_concurrent_runs: {{env: MAX_CONCURRENT_EXPORTS}}`")
    storage = "Postgres" if settings.postgres_url else "SQLite"
    header = (f"# Written by `{writer}` from {TEMPLATE} with MAX_CONCURRENT_EXPORTS={settings.max_concurrent_exports}"
              f" and {storage} storage; rewritten at every start (edit that file, not this one).\n")
    return header + rendered + postgres_storage_yaml(environ, settings)


def write_instance_settings(dagster_home: Path, settings: Settings, environ: dict[str, str] | None,
                            writer: str = "make run") -> Path:
    """Write ``DAGSTER_HOME/dagster.yaml`` (see the module docstring); returns its path.

    Every process that loads the instance reads it, the Dagster CLI in another terminal too (``dagster job
    backfill`` loads it to queue runs): with ``{env: MAX_CONCURRENT_EXPORTS}`` each of them would need the variable
    set. Rewritten at every start, so a changed setting takes effect with the next start."""
    return _write_atomically(dagster_home / "dagster.yaml", render_instance_settings(settings, environ, writer))


def _write_atomically(path: Path, text: str) -> Path:
    # the processes of `serve all` write the same file as they start: a reader never sees half of it
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path


def write_grpc_workspace(dagster_home: Path, host: str, port: int) -> Path:
    """``DAGSTER_HOME/workspace.yaml``: the project's code location served by ``docmost-pipeline serve
    code-server`` on ``host:port`` (gRPC), for the webserver and the daemon."""
    text = (f"# Written by `docmost-pipeline serve` at every start: the code server to load.\n"
            f"load_from:\n  - grpc_server:\n      host: {host}\n      port: {port}\n"
            f"      location_name: {LOCATION_NAME}\n")
    return _write_atomically(dagster_home / "workspace.yaml", text)
