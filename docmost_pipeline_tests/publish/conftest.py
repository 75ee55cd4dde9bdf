"""Fixtures for the publish tests: run helper processes with the repo's interpreter and fault-injection env."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FAULT_VARIABLES = ("DOCMOST_PUBLISH_KILL_AT", "DOCMOST_PUBLISH_ENOSPC_AT_FILE", "DOCMOST_PUBLISH_EXCHANGE_ERRNO",
                   "OUTPUT_DIR", "PUBLISH_MODE", "PUBLISH_KEEP")


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in FAULT_VARIABLES}
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def run_module(module: str, *args: object, env: dict[str, str] | None = None,
               timeout: float = 60, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True,
                          env=env or child_env(), timeout=timeout, cwd=cwd)


def run_cli(*args: object, cwd: Path = REPO_ROOT, **extra_env: str) -> subprocess.CompletedProcess:
    return run_module("docmost_pipeline.cli", *args, env=child_env(**extra_env), cwd=cwd)


@pytest.fixture(autouse=True)
def _no_fault_variables(monkeypatch):
    # In-process publishes in these tests must never inherit fault injection from the developer's shell.
    for name in FAULT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
