"""The Dagster instance's Postgres storage: dagster-postgres, with the URL normalised to the psycopg2 driver.

``DAGSTER_HOME/dagster.yaml`` (written by :mod:`docmost_pipeline.instance`) names this class when
DAGSTER_POSTGRES_URL or DAGSTER_PG_HOST is set, with the URL or its parts as ``{env: ...}`` references, so the
password is never written to disk nor shown on the UI's instance page. Every process that loads the instance (the
webserver, the daemon, the code server, run workers, the Dagster CLI in another terminal) resolves those variables
itself and gets here, where a plain ``postgresql://`` URL (which SQLAlchemy 2.1 maps to psycopg 3, with which
dagster-postgres fails) becomes ``postgresql+psycopg2://``, as :func:`docmost_pipeline.settings.postgres_url_setting`
validates it.
"""

from __future__ import annotations

from dagster._core.storage.config import pg_config
from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

from docmost_pipeline.settings import normalise_postgres_url


class PostgresStorage(DagsterPostgresStorage):
    """dagster-postgres's storage (runs, event logs, schedules) over a psycopg2 URL; same config as its own."""

    @classmethod
    def config_type(cls):
        return pg_config()

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value) -> "PostgresStorage":
        return cls(
            inst_data=inst_data,
            postgres_url=normalise_postgres_url(pg_url_from_config(config_value)),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )

