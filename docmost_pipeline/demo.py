"""The demo Docmost of ``make run``, found by the other commands run beside it.

Without DOCMOST_BASE_URL, ``make run`` (:mod:`docmost_pipeline.devrun`) serves the bundled recordings through the
Docmost test server on a free 127.0.0.1 port and records where in ``OUTPUT_DIR/.pipeline/demo-docmost.json``. The
commands a reader runs in another terminal (``docmost-pipeline sync``, the Dagster CLI loading the code location)
read that record when DOCMOST_BASE_URL is unset, and point DOCMOST_BASE_URL, DOCMOST_EMAIL and DOCMOST_PASSWORD at
the same demo server, so they publish what ``make run`` publishes (same base URL, so the same source digests).
The record is used only while the ``make run`` that wrote it is alive and its server accepts connections.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from docmost_pipeline.settings import output_dir_setting
from docmost_pipeline.workdir import WORK_DIR_NAME

DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "fixture-password"
RECORD_NAME = "demo-docmost.json"
NOT_CONFIGURED = ("DOCMOST_BASE_URL is not set and no `make run` demo is running for OUTPUT_DIR={output_dir}: set "
                  "DOCMOST_BASE_URL, DOCMOST_EMAIL and DOCMOST_PASSWORD (e.g. in .env), or keep `make run` running "
                  "in another terminal and run this from the same folder")


@dataclass(frozen=True)
class DemoDocmost:
    base_url: str
    pid: int  # the `make run` process that started the server

    @property
    def email(self) -> str:
        return DEMO_EMAIL

    @property
    def password(self) -> str:
        return DEMO_PASSWORD


def record_path(output_dir: Path | str) -> Path:
    return Path(output_dir) / WORK_DIR_NAME / RECORD_NAME


def record_demo(output_dir: Path | str, base_url: str, pid: int) -> Path:
    """Write the record (atomically: a reader never sees half of it)."""
    path = record_path(output_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{RECORD_NAME}.{os.getpid()}")
    partial.write_text(json.dumps({"base_url": base_url, "pid": pid}) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def clear_demo(output_dir: Path | str, pid: int) -> None:
    """Remove the record when it is the one ``pid`` wrote."""
    path = record_path(output_dir)
    demo = _read(path)
    if demo is not None and demo.pid == pid:
        path.unlink(missing_ok=True)


def _read(path: Path) -> DemoDocmost | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DemoDocmost(base_url=str(data["base_url"]), pid=int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _accepts_connections(base_url: str) -> bool:
    parts = urlsplit(base_url)
    if parts.hostname != "127.0.0.1" or parts.port is None:
        return False  # the demo server only ever listens on loopback
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def running_demo(output_dir: Path | str) -> DemoDocmost | None:
    """The demo Docmost of a live ``make run`` publishing into ``output_dir``, else None."""
    demo = _read(record_path(output_dir))
    if demo is None or not _alive(demo.pid) or not _accepts_connections(demo.base_url):
        return None
    return demo


def use_running_demo(environ: MutableMapping[str, str] = os.environ) -> DemoDocmost | None:
    """When DOCMOST_BASE_URL is unset and a ``make run`` demo serves this OUTPUT_DIR: point DOCMOST_* in ``environ``
    at it (so the Dagster resources' EnvVars and child processes see it too) and return it; else None."""
    if environ.get("DOCMOST_BASE_URL", "").strip():
        return None
    demo = running_demo(output_dir_setting(environ))
    if demo is not None:
        environ.update(DOCMOST_BASE_URL=demo.base_url, DOCMOST_EMAIL=demo.email, DOCMOST_PASSWORD=demo.password)
    return demo


def not_configured_message(environ=os.environ) -> str:
    return NOT_CONFIGURED.format(output_dir=output_dir_setting(environ))
