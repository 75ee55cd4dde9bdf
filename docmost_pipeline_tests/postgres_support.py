"""A throwaway PostgreSQL cluster for the tests: Debian's PostgreSQL 15 server binaries, ``initdb`` into a temporary
directory, ``pg_ctl`` on a free 127.0.0.1 port (Unix socket in that directory), trust authentication, no fsync.

``initdb`` refuses to run as root, as the tests do in CI: then the cluster belongs to ``nobody`` (``runuser``), its
directory is made in /tmp (which ``nobody`` can traverse, unlike pytest's private temporary folders) and handed to
it. As any other user the binaries run as that user. One cluster per test session; a database per test or module
(:meth:`PostgresCluster.create_database`) where isolation matters.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"


class PostgresCluster:
    def __init__(self, port: int) -> None:
        self.port = port
        self.root: Path | None = None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _as_owner(self) -> list[str]:
        return ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as_owner(), *command], capture_output=True, text=True, timeout=120)

    def start(self) -> "PostgresCluster":
        if not (PG_BIN / "initdb").is_file():
            raise RuntimeError(f"{PG_BIN / 'initdb'} is missing: `make test` (or `make debian-packages`) installs "
                               "Debian's postgresql-15")
        self.root = Path(tempfile.mkdtemp(prefix="docmost-pg-", dir="/tmp"))
        if os.geteuid() == 0:
            shutil.chown(self.root, user="nobody")
        initdb = self._run(str(PG_BIN / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust",
                           "--no-sync", "--encoding=UTF8", "--locale=C")
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed: {initdb.stdout[-2000:]}{initdb.stderr[-2000:]}")
        options = f"-p {self.port} -k {self.root} -h 127.0.0.1 -F -c max_connections=300"
        started = self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.root / "server.log"),
                            "-w", "-t", "60", "-o", options, "start")
        if started.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"pg_ctl start failed: {started.stdout}{started.stderr}\n{log}")
        return self

    def stop(self) -> None:
        if self.root is None:
            return
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def url(self, database: str, *, password: str | None = None, scheme: str = "postgresql") -> str:
        """A URL of ``database`` (trust authentication: any password is accepted, and must never be shown)."""
        userinfo = f"{SUPERUSER}:{password}" if password else SUPERUSER
        return f"{scheme}://{userinfo}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database ``name``; returns its plain ``postgresql://`` URL."""
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url(name)

    def query(self, database: str, sql: str, *params) -> list[tuple]:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()
