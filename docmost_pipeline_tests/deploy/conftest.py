"""Fixtures of the deployment tests: one throwaway PostgreSQL cluster for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from docmost_pipeline_tests.dagster_support import free_port
from docmost_pipeline_tests.postgres_support import PostgresCluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL 15 server on a free 127.0.0.1 port, stopped (and its files removed) at the end of the session."""
    cluster = PostgresCluster(free_port()).start()
    try:
        yield cluster
    finally:
        cluster.stop()
