"""Dagster resources: the Docmost connection, the output/publish location, the website, the alert targets and the
git target.

Configuration arrives through ``EnvVar`` for credentials (the UI shows the variable's name, never its value) and as
validated values from :mod:`docmost_pipeline.settings` for the rest. ``DocmostResource`` hands out one
``DocmostClient`` per process and configuration, so a process logs in once and reuses the session (Docmost
allows 10 logins per minute), and Docmost's public address (DOCMOST_PUBLIC_URL, else learned from Docmost once per
process, :mod:`docmost_pipeline.docmost.publicurl`).
"""


import hashlib
import logging
import re
import threading
from pathlib import Path

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from docmost_pipeline.docmost.client import DocmostClient
from docmost_pipeline.docmost.publicurl import PublicUrl, resolve_public_url
from docmost_pipeline.gitpublish import GitTarget
from docmost_pipeline.settings import Settings
from docmost_pipeline.workdir import WorkDirs

_CLIENTS: dict[tuple, object] = {}
_PUBLIC_URLS: dict[tuple, PublicUrl] = {}
_PUBLIC_URLS_LOCK = threading.Lock()
_CLIENTS_LOCK = threading.Lock()


class DocmostResource(ConfigurableResource):
    """Docmost server and login. ``password`` comes from ``EnvVar("DOCMOST_PASSWORD")`` and is never logged."""

    base_url: str
    email: str
    password: str = Field(repr=False, description="Docmost password (set through the DOCMOST_PASSWORD env var)")
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    retries: int = 3
    backoff_base: float = 0.5
    max_export_bytes: int = 2 * 1024**3
    public_url: str | None = Field(
        default=None, description="Docmost's public address (DOCMOST_PUBLIC_URL); unset: learned from Docmost's "
                                  "page (window.CONFIG.APP_URL), else the base URL")

    def __repr__(self) -> str:
        return (f"DocmostResource(base_url={self.base_url!r}, public_url={self.public_url!r}, email={self.email!r}, "
                "password=***)")

    __str__ = __repr__

    def _key(self) -> tuple:
        digest = hashlib.sha256(self.password.encode("utf-8")).hexdigest()
        return (self.base_url.rstrip("/"), self.email, digest, self.connect_timeout, self.read_timeout,
                self.retries, self.backoff_base, self.max_export_bytes)

    def get_client(self) -> DocmostClient:
        """The process-wide ``DocmostClient`` for this configuration (created on first use, then reused)."""
        key = self._key()
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                client = DocmostClient(
                    self.base_url.rstrip("/"),
                    self.email,
                    self.password,
                    connect_timeout=self.connect_timeout,
                    read_timeout=self.read_timeout,
                    retries=self.retries,
                    backoff_base=self.backoff_base,
                    max_export_bytes=self.max_export_bytes,
                    logger=logging.getLogger("docmost_pipeline.docmost"),
                )
                _CLIENTS[key] = client
            return client

    def get_public_url(self) -> PublicUrl:
        """Docmost's public address: ``public_url`` when set, else learned from Docmost (``GET /``) on first use in
        this process and then reused, like the client (a fallback to the base URL is logged once). Raises the
        client's ``DocmostError`` (not cached) when Docmost cannot be reached or publishes a malformed address."""
        key = (*self._key(), self.public_url)
        with _PUBLIC_URLS_LOCK:  # one resolution (and at most one fallback log line) per process
            found = _PUBLIC_URLS.get(key)
            if found is None:
                found = resolve_public_url(self.get_client(), self.public_url,
                                           logger=logging.getLogger("docmost_pipeline.docmost"))
                _PUBLIC_URLS[key] = found
        return found

    def secrets(self) -> list[str]:
        return [self.password] if self.password else []


def close_cached_clients() -> None:
    """Close and forget every cached client and public address (tests, shutdown)."""
    with _PUBLIC_URLS_LOCK:
        _PUBLIC_URLS.clear()
    with _CLIENTS_LOCK:
        for client in _CLIENTS.values():
            try:
                client.close()
            except Exception:  # closing is best effort; a broken connection must not mask the caller's result
                pass
        _CLIENTS.clear()


class OutputResource(ConfigurableResource):
    """Where spaces are published (OUTPUT_DIR) and how: publish mode, versions kept, raw exports kept, and what the
    raw export holds (full or incremental, page documents).

    Pipeline working data (raw exports, extraction, staging) lives under ``OUTPUT_DIR/.pipeline/``
    (:class:`~docmost_pipeline.workdir.WorkDirs`).
    """

    output_dir: str
    publish_mode: str = "symlink"
    publish_keep: int = 3
    raw_keep: int = 3
    base_url: str | None = None
    # when a sync exports the whole space instead of what changed (FULL_SYNC_EVERY, INCREMENTAL_MAX_CHANGED)
    full_sync_every: float = 24 * 3600.0
    incremental_max_changed: float = 0.2
    # each page's own document stored with the raw export (PAGE_DOCUMENTS), this many requests at once
    # (DOCUMENT_FETCH_CONCURRENCY)
    page_documents: bool = True
    document_fetch_concurrency: int = 4

    @property
    def root(self) -> Path:
        return Path(self.output_dir).resolve()

    @property
    def work_dirs(self) -> WorkDirs:
        return WorkDirs(self.root)


class WebsiteResource(ConfigurableResource):
    """Where the website goes live (SITE_DIR/live, :mod:`docmost_pipeline.website`), how many built versions are
    kept (SITE_KEEP), and how long publishes must be quiet before the sensor requests a build."""

    site_dir: str
    keep: int = 3
    quiet_period_seconds: int = 30

    @property
    def root(self) -> Path:
        return Path(self.site_dir).resolve()


class AlertResource(ConfigurableResource):
    """Webhook targets for failure/recovery alerts and the UI base URL used in run links.

    ``webhook_urls`` is the comma-separated ALERT_WEBHOOK_URLS, passed as an EnvVar because webhook URLs carry
    their secret token in the path.
    """

    webhook_urls: str = Field(default="", repr=False)
    webserver_url: str = "http://127.0.0.1:3030"
    timeout: float = 10.0

    def urls(self) -> list[str]:
        return [u.strip() for u in re.split(r"[,\s]+", self.webhook_urls or "") if u.strip()]

    def __repr__(self) -> str:
        return f"AlertResource({len(self.urls())} webhook(s), webserver_url={self.webserver_url!r})"


class GitPublishResource(ConfigurableResource):
    """The git repository published spaces are committed to (GIT_PUBLISH_*). ``token`` comes from
    ``EnvVar("GIT_PUBLISH_TOKEN")`` and reaches git only through a credential helper in its environment."""

    repo: str
    branch: str | None = None
    path: str = "docs"
    author_name: str = "Docmost pipeline"
    author_email: str = "docmost-pipeline@localhost"
    username: str = "x-access-token"
    token: str | None = Field(default=None, repr=False,
                              description="token for HTTP(S) remotes (set through the GIT_PUBLISH_TOKEN env var)")
    push_attempts: int = 5

    def __repr__(self) -> str:
        return f"GitPublishResource(repo={self.target().display_repo!r}, branch={self.branch!r}, path={self.path!r})"

    __str__ = __repr__

    def target(self) -> GitTarget:
        return GitTarget(repo=self.repo, branch=self.branch, path=self.path, author_name=self.author_name,
                         author_email=self.author_email, username=self.username, token=self.token or None,
                         push_attempts=self.push_attempts)

    def secrets(self) -> list[str]:
        return [self.token] if self.token else []


def git_publish_resource(settings: Settings, *, env_vars: bool = True) -> GitPublishResource:
    token = settings.git_publish_token
    return GitPublishResource(
        repo=settings.git_publish_repo, branch=settings.git_publish_branch, path=settings.git_publish_path,
        author_name=settings.git_publish_author_name, author_email=settings.git_publish_author_email,
        username=settings.git_publish_username, push_attempts=settings.git_publish_push_attempts,
        token=(EnvVar("GIT_PUBLISH_TOKEN") if env_vars else token) if token else None,
    )


def build_resources(settings: Settings, *, env_vars: bool = True) -> dict[str, ConfigurableResource]:
    """Resources from validated settings; credentials and webhook URLs through ``EnvVar`` for the Definitions (the
    UI shows the variable names only). ``env_vars=False`` passes the values themselves, for in-process use outside
    a Dagster run (``docmost-pipeline sync``), where an EnvVar would not be resolved."""
    def secret(name: str, value):
        return EnvVar(name) if env_vars else (value or "")

    webhooks = ",".join(settings.alert_webhook_urls)
    git = {"git": git_publish_resource(settings, env_vars=env_vars)} if settings.git_publish_repo else {}
    website = {}
    if settings.site_dir is not None:
        website["website"] = WebsiteResource(site_dir=str(Path(settings.site_dir).resolve()), keep=settings.site_keep,
                                             quiet_period_seconds=settings.site_quiet_period_seconds)
    return {
        "docmost": DocmostResource(
            base_url=secret("DOCMOST_BASE_URL", settings.docmost_base_url),
            email=secret("DOCMOST_EMAIL", settings.docmost_email),
            password=secret("DOCMOST_PASSWORD", settings.docmost_password),
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            retries=settings.retries,
            max_export_bytes=settings.max_export_bytes,
            public_url=settings.docmost_public_url,
        ),
        "output": OutputResource(
            output_dir=str(Path(settings.output_dir).resolve()),
            publish_mode=settings.publish_mode,
            publish_keep=settings.publish_keep,
            raw_keep=settings.raw_keep,
            base_url=settings.docmost_base_url,
            full_sync_every=settings.full_sync_every_seconds,
            incremental_max_changed=settings.incremental_max_changed,
            page_documents=settings.page_documents,
            document_fetch_concurrency=settings.document_fetch_concurrency,
        ),
        "alerts": AlertResource(
            webhook_urls=secret("ALERT_WEBHOOK_URLS", webhooks) if webhooks else "",
            webserver_url=settings.dagster_webserver_url,
        ),
        **git,
        **website,
    }
