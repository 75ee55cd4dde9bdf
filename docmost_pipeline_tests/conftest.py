"""Shared pytest fixtures: the project's Docmost test server (real HTTP on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from docmost_pipeline.emulator import DocmostTestServer


@pytest.fixture
def docmost_server() -> Iterator[DocmostTestServer]:
    """A fresh Docmost 0.95 test server per test: ``.base_url``, ``.email``, ``.password``, ``.faults``, ``.requests``."""
    server = DocmostTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def git_daemon(tmp_path) -> Iterator:
    """``git daemon`` on 127.0.0.1 serving the bare repositories under ``tmp_path / "git-server"`` (pushes on)."""
    from docmost_pipeline_tests.git_servers import GitDaemon

    base = tmp_path / "git-server"
    base.mkdir()
    with GitDaemon(base) as daemon:
        yield daemon
