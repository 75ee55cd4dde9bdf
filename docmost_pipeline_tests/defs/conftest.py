"""Fixtures of the Dagster-layer tests."""

from __future__ import annotations

import pytest

from docmost_pipeline.defs.resources import close_cached_clients


@pytest.fixture(autouse=True)
def _fresh_clients():
    """Each test logs in anew: a cached Docmost client of an earlier test's server must not be reused."""
    yield
    close_cached_clients()
