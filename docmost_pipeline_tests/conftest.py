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
