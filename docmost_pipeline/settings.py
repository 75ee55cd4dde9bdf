"""Environment configuration of the pipeline: reading, validating and normalising every env var.

This module owns the names, defaults and accepted forms of the configuration (DOCMOST_*, OUTPUT_DIR, SYNC_INTERVAL,
...). It is pure Python (no Dagster) so the CLI, the dev runner and the Dagster definitions share one loader.
Invalid values raise :class:`SettingsError` whose message is one line naming the variable and the accepted forms.
The Docmost password is kept out of every message and repr.
"""

from __future__ import annotations

import fnmatch
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from croniter import croniter

_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_SYNC_FORMS = "expected a duration like 30s, 5m, 1h30m or a cron expression"
_TRUE = {"1", "true", "yes", "on"}
# more page documents fetched at once than this is no longer polite to Docmost (each one is a database read)
MAX_DOCUMENT_FETCH_CONCURRENCY = 16
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A configuration value is invalid; the message is a single line naming the variable."""


def parse_go_duration(text: str) -> float:
    """Parse Go's ``time.ParseDuration`` syntax (``30s``, ``1h30m``, ``1.5h``, ``500ms``) into seconds.

    Raises ValueError for anything else (no unit, unknown unit, negative, empty).
    """
    value = text.strip()
    if not value:
        raise ValueError("empty duration")
    if value == "0":
        return 0.0
    position = 0
    total = 0.0
    for match in _DURATION_RE.finditer(value):
        if match.start() != position:
            raise ValueError(f"not a duration: {text!r}")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
    if position != len(value) or position == 0:
        raise ValueError(f"not a duration: {text!r}")
    return total


def _hours_list(hours: Iterable[int]) -> str:
    return ",".join(str(h) for h in sorted(hours))


def interval_to_crons(seconds: float) -> tuple[tuple[str, ...], str]:
    """Map an interval to cron expressions for a schedule, with a note saying how exact the mapping is.

    Cron cannot express every interval, so:
    - under a minute: every minute (cron's finest step), noted as rounded up;
    - whole minutes dividing an hour: ``*/m * * * *``; whole hours dividing a day: ``0 */h * * *``; 24h: daily;
    - other whole-minute intervals dividing a day (1h30m, 40m, 16h): exact, as one cron per minute-of-hour listing
      the hours (Dagster schedules accept several cron strings), e.g. 1h30m -> ``0 0,3,...,21 * * *`` and
      ``30 1,4,...,22 * * *``;
    - intervals that do not divide a day (7m, 1h45m...) restart at midnight: the fire times k*interval within each
      day, so the last gap of the day is shorter (noted);
    - whole days above 24h: every n-th day of the month at 00:00 (restarts each month, noted).
    Seconds that are not whole minutes are rounded to the nearest minute.
    """
    if seconds < 1:
        raise ValueError("sub-second interval")
    if seconds < 60:
        return ("* * * * *",), f"{seconds:g}s is finer than cron allows: runs every minute"
    minutes = int(round(seconds / 60.0))
    note = "" if math.isclose(minutes * 60, seconds) else f"rounded to {minutes} minutes"
    day = 24 * 60
    if minutes < 60 and 60 % minutes == 0:
        cron = "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
        return (cron,), note or "exact"
    if minutes % 60 == 0 and minutes <= day and 24 % (minutes // 60) == 0:
        hours = minutes // 60
        cron = "0 0 * * *" if hours == 24 else ("0 * * * *" if hours == 1 else f"0 */{hours} * * *")
        return (cron,), note or "exact"
    if minutes > day:
        if minutes % day:
            raise ValueError("intervals above 24h must be whole days")
        days = minutes // day
        return (f"0 0 */{days} * *",), f"every {days} days from the 1st of each month"
    by_minute: dict[int, list[int]] = {}
    for start in range(0, day, minutes):
        by_minute.setdefault(start % 60, []).append(start // 60)
    crons = tuple(f"{m} {_hours_list(hours)} * * *" for m, hours in sorted(by_minute.items()))
    if day % minutes:
        note = (note + "; " if note else "") + "restarts at midnight (the last gap of the day is shorter)"
    return crons, note or "exact"


@dataclass(frozen=True)
class SyncInterval:
    """SYNC_INTERVAL normalised: the text as given, cron strings for the schedule, the nominal period in seconds."""

    raw: str
    crons: tuple[str, ...]
    seconds: float
    note: str


def parse_sync_interval(text: str) -> SyncInterval:
    """Parse SYNC_INTERVAL (Go duration or 5-field cron); raise SettingsError naming the variable when invalid."""
    raw = text.strip()
    fields = raw.split()
    if len(fields) == 5:
        if not croniter.is_valid(raw):
            raise SettingsError(f"SYNC_INTERVAL={text!r}: {_SYNC_FORMS} (invalid cron expression)")
        return SyncInterval(raw=raw, crons=(raw,), seconds=_cron_longest_gap(raw), note="cron")
    try:
        seconds = parse_go_duration(raw)
    except ValueError:
        raise SettingsError(f"SYNC_INTERVAL={text!r}: {_SYNC_FORMS}") from None
    if seconds < 1:
        raise SettingsError(f"SYNC_INTERVAL={text!r}: {_SYNC_FORMS} (at least 1s; sub-second syncs make no sense)")
    try:
        crons, note = interval_to_crons(seconds)
    except ValueError as exc:
        raise SettingsError(f"SYNC_INTERVAL={text!r}: {_SYNC_FORMS} ({exc})") from None
    return SyncInterval(raw=raw, crons=crons, seconds=seconds, note=note)


def _cron_longest_gap(cron: str) -> float:
    # A cron's nominal period (freshness flags a space after 2 x this) is its longest gap between ticks.
    iterator = croniter(cron, 0.0)
    ticks = [iterator.get_next(float) for _ in range(200)]
    return max(b - a for a, b in zip(ticks, ticks[1:]))


def _bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(f"{name}={value!r}: expected 1/0, true/false, yes/no or on/off")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    value = env.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise SettingsError(f"{name}={value!r}: expected a whole number >= {minimum}") from None
    if number < minimum:
        raise SettingsError(f"{name}={value!r}: expected a whole number >= {minimum}")
    return number


def _bounded_int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    number = _int(env, name, default, minimum)
    if number > maximum:
        raise SettingsError(f"{name}={env.get(name)!r}: expected a whole number from {minimum} to {maximum}")
    return number


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if value is None or not value.strip():
        return default
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parse_go_duration(text)
        except ValueError:
            raise SettingsError(f"{name}={value!r}: expected seconds (e.g. 30) or a duration like 30s, 2m") from None
    if seconds <= 0:
        raise SettingsError(f"{name}={value!r}: expected a positive number of seconds or a duration like 30s, 2m")
    return seconds


_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
               "g": 1024**3, "gb": 1024**3, "gib": 1024**3}


def _size(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if value is None or not value.strip():
        return default
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", value)
    if not match or match.group(2).lower() not in _SIZE_UNITS or int(match.group(1)) <= 0:
        raise SettingsError(f"{name}={value!r}: expected a positive size in bytes or with a unit like 500MB, 2GiB")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]


def _duration(env: Mapping[str, str], name: str, default: str, *, minimum: float = 1.0) -> float:
    text = env.get(name, "").strip() or default
    try:
        seconds = parse_go_duration(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r}: expected a duration like 30s, 5m, 1h") from None
    if seconds < minimum:
        raise SettingsError(f"{name}={text!r}: expected a duration of at least {minimum:g}s like 30s, 5m")
    return seconds


def _share(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if value is None or not value.strip():
        return default
    text = value.strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise SettingsError(f"{name}={value!r}: expected a share like 20% or 0.2 (from 0 to 100%)")
    return share


def _globs(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


def _urls(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    from docmost_pipeline.alerts import describe_target  # webhook URLs carry their secret in the path

    urls = tuple(part.strip() for part in re.split(r"[,\s]+", env.get(name, "")) if part.strip())
    for url in urls:
        if not re.match(r"https?://[^/\s]+", url):
            raise SettingsError(f"{name}: {describe_target(url)!r} is not an http(s) URL; "
                                "expected comma-separated http(s) URLs")
    return urls


def _http_url(env: Mapping[str, str], name: str, example: str) -> str | None:
    """An http(s) URL without its trailing ``/``, or None when unset or empty."""
    value = env.get(name, "").strip() or None
    if value is not None:
        if not re.fullmatch(r"https?://[^/\s?#]+[^\s]*", value):
            raise SettingsError(f"{name}={value!r}: expected an http(s) URL like {example}")
        value = value.rstrip("/")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name)
    if value is None or not value.strip():
        return default
    lowered = value.strip().lower()
    if lowered not in choices:
        raise SettingsError(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return lowered


_PG_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg2"}
_PG_URL_FORM = "expected a URL like postgresql://user:password@host:5432/dbname"
_PG_PARTS = ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB")


def redact_url_password(url: str) -> str:
    """``url`` with the password of its user part replaced by ``***`` (for messages); the user part ends at the
    last ``@`` before the host, as in :func:`urllib.parse.urlsplit`, so a password holding ``@`` is hidden whole."""
    scheme, sep, rest = url.partition("//")
    if not sep:
        return url
    authority, slash, tail = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}//{userinfo.split(':', 1)[0]}:***@{host}{slash}{tail}"


def normalise_postgres_url(url: str) -> str:
    """A Postgres URL for dagster-postgres: ``postgresql://`` and ``postgres://`` become ``postgresql+psycopg2://``.

    SQLAlchemy 2.1 maps a plain ``postgresql://`` to the psycopg 3 driver, which is not installed (and with which
    dagster-postgres fails on its first ``NOTIFY``); psycopg2 is the driver dagster-postgres is built and tested on.
    Any other driver is refused. Raises SettingsError naming DAGSTER_POSTGRES_URL, password redacted."""
    text = url.strip()
    shown = redact_url_password(text)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise SettingsError(f"DAGSTER_POSTGRES_URL={shown!r}: {_PG_URL_FORM} (invalid port)") from None
    if parts.scheme.lower() not in _PG_SCHEMES:
        raise SettingsError(f"DAGSTER_POSTGRES_URL={shown!r}: {_PG_URL_FORM} (driver: postgresql or "
                            "postgresql+psycopg2 only)")
    if not parts.hostname or not parts.path.strip("/"):
        raise SettingsError(f"DAGSTER_POSTGRES_URL={shown!r}: {_PG_URL_FORM} (host and database name required)")
    netloc = parts.netloc
    if parts.password is not None:
        # an "@" (or ":") left unencoded in the password: urlsplit reads it right, libpq and SQLAlchemy do not
        password = quote(parts.password, safe="%!$&'()*+,;=~")
        netloc = f"{parts.username}:{password}@{netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(scheme="postgresql+psycopg2", netloc=netloc))


def _postgres_from_parts(env: Mapping[str, str]) -> str:
    missing = [name for name in ("DAGSTER_PG_USER", "DAGSTER_PG_DB") if not env.get(name, "").strip()]
    if missing:
        raise SettingsError(f"{' and '.join(missing)}: required when DAGSTER_PG_HOST is set (Postgres storage)")
    port = _int(env, "DAGSTER_PG_PORT", 5432, 1)
    if port > 65535:
        raise SettingsError(f"DAGSTER_PG_PORT={port}: expected a TCP port from 1 to 65535")
    user = quote(env["DAGSTER_PG_USER"].strip(), safe="")
    password = env.get("DAGSTER_PG_PASSWORD") or ""
    userinfo = f"{user}:{quote(password, safe='')}" if password else user
    return (f"postgresql+psycopg2://{userinfo}@{env['DAGSTER_PG_HOST'].strip()}:{port}/"
            f"{quote(env['DAGSTER_PG_DB'].strip(), safe='')}")


def postgres_url_setting(env: Mapping[str, str]) -> str | None:
    """The Dagster instance's Postgres URL (psycopg2 driver) from DAGSTER_POSTGRES_URL or DAGSTER_PG_HOST/PORT/USER/
    PASSWORD/DB; None (SQLite storage under DAGSTER_HOME) when neither is set. Setting both is an error."""
    url = env.get("DAGSTER_POSTGRES_URL", "").strip()
    host = env.get("DAGSTER_PG_HOST", "").strip()
    if url and host:
        raise SettingsError("DAGSTER_POSTGRES_URL and DAGSTER_PG_HOST: set one of them (the URL, or the "
                            "DAGSTER_PG_* parts), not both")
    if url:
        return normalise_postgres_url(url)
    return _postgres_from_parts(env) if host else None


def postgres_password(url: str | None) -> str | None:
    """The password in a Postgres URL (decoded), for redaction."""
    if not url:
        return None
    password = urlsplit(url).password
    return unquote(password) if password else None


@dataclass(frozen=True)
class Settings:
    """Every setting of the pipeline, validated. ``docmost_password`` is excluded from repr."""

    docmost_base_url: str | None = None
    # Docmost's public address (its APP_URL) when it differs from what it publishes; None: learned from Docmost
    docmost_public_url: str | None = None
    docmost_email: str | None = None
    docmost_password: str | None = field(default=None, repr=False)
    output_dir: Path = Path("output")
    sync_interval: SyncInterval | None = None
    discovery_interval_seconds: int = 300
    publish_mode: str = "symlink"
    publish_keep: int = 3
    raw_keep: int = 3
    spaces_include: tuple[str, ...] = ()
    spaces_exclude: tuple[str, ...] = ()
    prune_deleted_spaces: bool = False
    alert_webhook_urls: tuple[str, ...] = field(default=(), repr=False)
    dagster_port: int = 3030
    dagster_webserver_url: str = "http://127.0.0.1:3030"
    log_format: str = "text"
    docusaurus_check: bool = False
    max_concurrent_exports: int = 2
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    retries: int = 3
    max_export_bytes: int = 2 * 1024**3
    raw_export_retry_delay: float = 5.0
    change_poll_interval_seconds: int = 60
    full_sync_every_seconds: float = 24 * 3600.0
    incremental_max_changed: float = 0.2
    # the git target (docmost_pipeline.gitpublish): GIT_PUBLISH_REPO unset means no git publishing
    git_publish_repo: str | None = None
    git_publish_branch: str | None = None  # None: the remote's default branch, else main
    git_publish_path: str = "docs"
    git_publish_author_name: str = "Docmost pipeline"
    git_publish_author_email: str = "docmost-pipeline@localhost"
    git_publish_username: str = "x-access-token"
    git_publish_token: str | None = field(default=None, repr=False)
    git_publish_push_attempts: int = 5
    # the Dagster instance's storage: a postgresql+psycopg2:// URL (carries the password), None for SQLite
    postgres_url: str | None = field(default=None, repr=False)
    # The website (docs/site.md): built over OUTPUT_DIR and switched live into SITE_DIR/live when SITE_DIR is set.
    site_dir: Path | None = None
    site_port: int = 3040
    site_keep: int = 3
    site_quiet_period_seconds: int = 30
    # each page's own document (POST /api/pages/info) stored with the raw export, this many requests at once
    page_documents: bool = True
    document_fetch_concurrency: int = 4

    @property
    def docmost_configured(self) -> bool:
        return bool(self.docmost_base_url)

    def secrets(self) -> list[str]:
        """Values that must never appear in any output (for redaction)."""
        pg_password = postgres_password(self.postgres_url)
        pg = [pg_password, quote(pg_password, safe="")] if pg_password else []
        return [s for s in (self.docmost_password, *self.alert_webhook_urls, self.git_publish_token, *pg) if s]


def read_environment(dotenv_path: Path | str | None = ".env") -> Mapping[str, str]:
    """``os.environ`` after loading ``.env`` (when present) into it; a variable already set is never overridden."""
    if dotenv_path is not None and Path(dotenv_path).is_file():
        from dotenv import load_dotenv

        load_dotenv(dotenv_path, override=False)
    return os.environ


def output_dir_setting(env: Mapping[str, str]) -> Path:
    return Path(env.get("OUTPUT_DIR", "").strip() or "output").expanduser()


def site_source_dir_setting(env: Mapping[str, str]) -> Path:
    """SITE_SOURCE_DIR: the Docusaurus site directory to build with (default: ``site/`` beside the package, i.e. of the
    checkout). An installed package (the container image) has no checkout around it, so it names its own copy."""
    value = env.get("SITE_SOURCE_DIR", "").strip()
    return Path(value).expanduser() if value else Path(__file__).resolve().parent.parent / "site"


def publish_mode_setting(env: Mapping[str, str]) -> str:
    return _choice(env, "PUBLISH_MODE", "symlink", ("symlink", "exchange"))


def publish_keep_setting(env: Mapping[str, str]) -> int:
    return _int(env, "PUBLISH_KEEP", 3, 1)


# Docmost's usual port: a Docmost running beside the site must stay reachable (and readers must not confuse them).
DOCMOST_USUAL_PORT = 3000


def site_dir_setting(env: Mapping[str, str], output_dir: Path) -> Path | None:
    """SITE_DIR, or None when unset. It holds the built site's versions, so it must stay apart from OUTPUT_DIR: not
    OUTPUT_DIR itself, not a folder holding it, and inside it only under a dot-folder (which the site never reads)."""
    text = env.get("SITE_DIR", "").strip()
    if not text:
        return None
    site_dir = Path(text).expanduser()
    site, output = site_dir.resolve(), output_dir.resolve()
    if site == output or site in output.parents:
        raise SettingsError(f"SITE_DIR={text!r}: must not be OUTPUT_DIR or a folder holding it ({output})")
    if output in site.parents and site.relative_to(output).parts[0][0] != ".":
        raise SettingsError(f"SITE_DIR={text!r}: inside OUTPUT_DIR it must be under a dot-folder "
                            f"(e.g. {output / '.site'}), or the site would render it as a space")
    return site_dir


def site_port_setting(env: Mapping[str, str]) -> int:
    port = _int(env, "SITE_PORT", 3040, 1)
    if port > 65535:
        raise SettingsError(f"SITE_PORT={port}: expected a TCP port from 1 to 65535")
    if port == DOCMOST_USUAL_PORT:
        raise SettingsError(f"SITE_PORT={port}: {DOCMOST_USUAL_PORT} is Docmost's usual port; pick another "
                            "(default 3040)")
    return port


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv_path: Path | str | None = ".env") -> Settings:
    """Read the configuration from ``environ`` (default: ``os.environ`` after loading ``.env``).

    ``.env`` is loaded only when reading ``os.environ`` and never overrides a variable already set.
    """
    env = dict(environ) if environ is not None else dict(read_environment(dotenv_path))

    base_url = _http_url(env, "DOCMOST_BASE_URL", "http://docmost.example.com")
    public_url = _http_url(env, "DOCMOST_PUBLIC_URL", "https://wiki.example.com")
    email = env.get("DOCMOST_EMAIL", "").strip() or None
    password = env.get("DOCMOST_PASSWORD") or None
    if base_url and not (email and password):
        missing = " and ".join(n for n, v in (("DOCMOST_EMAIL", email), ("DOCMOST_PASSWORD", password)) if not v)
        raise SettingsError(f"{missing}: required when DOCMOST_BASE_URL is set (Docmost login credentials)")

    output_dir = output_dir_setting(env)

    sync_text = env.get("SYNC_INTERVAL", "").strip()
    sync_interval = parse_sync_interval(sync_text) if sync_text else None

    discovery = _duration(env, "DISCOVERY_INTERVAL", "5m")

    dagster_port = _int(env, "DAGSTER_PORT", 3030, 1)
    if dagster_port > 65535:
        raise SettingsError(f"DAGSTER_PORT={dagster_port}: expected a TCP port from 1 to 65535")
    dagster_url = (env.get("DAGSTER_WEBSERVER_URL", "").strip() or f"http://127.0.0.1:{dagster_port}").rstrip("/")
    if not re.match(r"https?://[^/\s]+", dagster_url):
        raise SettingsError(f"DAGSTER_WEBSERVER_URL={dagster_url!r}: expected an http(s) URL like http://127.0.0.1:3030")

    return Settings(
        docmost_base_url=base_url,
        docmost_public_url=public_url,
        docmost_email=email,
        docmost_password=password,
        output_dir=output_dir,
        sync_interval=sync_interval,
        discovery_interval_seconds=max(1, int(round(discovery))),
        publish_mode=publish_mode_setting(env),
        publish_keep=publish_keep_setting(env),
        raw_keep=_int(env, "RAW_EXPORT_KEEP", 3, 1),
        spaces_include=_globs(env, "DOCMOST_SPACES_INCLUDE"),
        spaces_exclude=_globs(env, "DOCMOST_SPACES_EXCLUDE"),
        prune_deleted_spaces=_bool(env, "PRUNE_DELETED_SPACES"),
        alert_webhook_urls=_urls(env, "ALERT_WEBHOOK_URLS"),
        dagster_port=dagster_port,
        dagster_webserver_url=dagster_url,
        log_format=_choice(env, "LOG_FORMAT", "text", ("text", "json")),
        docusaurus_check=_bool(env, "DOCUSAURUS_CHECK"),
        max_concurrent_exports=_int(env, "MAX_CONCURRENT_EXPORTS", 2, 1),
        connect_timeout=_seconds(env, "DOCMOST_CONNECT_TIMEOUT", 10.0),
        read_timeout=_seconds(env, "DOCMOST_READ_TIMEOUT", 120.0),
        retries=_int(env, "DOCMOST_RETRIES", 3, 0),
        max_export_bytes=_size(env, "DOCMOST_MAX_EXPORT_BYTES", 2 * 1024**3),
        raw_export_retry_delay=_seconds(env, "RAW_EXPORT_RETRY_DELAY", 5.0),
        change_poll_interval_seconds=max(1, int(round(_duration(env, "CHANGE_POLL_INTERVAL", "1m")))),
        full_sync_every_seconds=_duration(env, "FULL_SYNC_EVERY", "24h"),
        incremental_max_changed=_share(env, "INCREMENTAL_MAX_CHANGED", 0.2),
        **git_publish_settings(env),
        postgres_url=postgres_url_setting(env),
        site_dir=site_dir_setting(env, output_dir),
        site_port=site_port_setting(env),
        site_keep=_int(env, "SITE_KEEP", 3, 1),
        site_quiet_period_seconds=int(round(_duration(env, "SITE_QUIET_PERIOD", "30s", minimum=0.0))),
        page_documents=_bool(env, "PAGE_DOCUMENTS", True),
        document_fetch_concurrency=_bounded_int(env, "DOCUMENT_FETCH_CONCURRENCY", 4, 1,
                                                MAX_DOCUMENT_FETCH_CONCURRENCY),
    )


_SCP_LIKE_RE = re.compile(r"[^/\s@:]+@[^/\s:]+:\S+")  # git's scp-like syntax: git@github.com:team/docs.git
_BRANCH_RE = re.compile(r"[A-Za-z0-9._/-]+")


def git_publish_settings(env: Mapping[str, str]) -> dict:
    """The GIT_PUBLISH_* settings as Settings fields (empty when GIT_PUBLISH_REPO is unset)."""
    repo = env.get("GIT_PUBLISH_REPO", "").strip()
    if not repo:
        return {}
    return {
        "git_publish_repo": _git_repo(repo),
        "git_publish_branch": _git_branch(env.get("GIT_PUBLISH_BRANCH", "").strip()),
        "git_publish_path": _git_path(env.get("GIT_PUBLISH_PATH", "").strip() or "docs"),
        "git_publish_author_name": env.get("GIT_PUBLISH_AUTHOR_NAME", "").strip() or "Docmost pipeline",
        "git_publish_author_email": env.get("GIT_PUBLISH_AUTHOR_EMAIL", "").strip() or "docmost-pipeline@localhost",
        "git_publish_username": env.get("GIT_PUBLISH_USERNAME", "").strip() or "x-access-token",
        "git_publish_token": env.get("GIT_PUBLISH_TOKEN") or None,
        "git_publish_push_attempts": _int(env, "GIT_PUBLISH_PUSH_ATTEMPTS", 5, 1),
    }


def _git_repo(value: str) -> str:
    """A URL as given (never with a password in it: that belongs in GIT_PUBLISH_TOKEN), or a path made absolute."""
    match = re.match(r"([a-z][a-z0-9+.-]*)://([^/@\s]*@)?", value, re.IGNORECASE)
    if match:
        if match.group(2) and ":" in match.group(2):
            scheme = match.group(1)
            raise SettingsError(f"GIT_PUBLISH_REPO: {scheme}://…@… carries a password in the URL; put the token in "
                                "GIT_PUBLISH_TOKEN (and the user name in GIT_PUBLISH_USERNAME)")
        return value
    if _SCP_LIKE_RE.fullmatch(value):
        return value
    return str(Path(value).expanduser().resolve())


def _git_branch(value: str) -> str | None:
    if value and (not _BRANCH_RE.fullmatch(value) or value.startswith(("-", "/")) or ".." in value
                  or value.endswith(("/", ".lock"))):
        raise SettingsError(f"GIT_PUBLISH_BRANCH={value!r}: expected a branch name like main or docs/published")
    return value or None


def _git_path(value: str) -> str:
    parts = [part for part in value.replace("\\", "/").split("/") if part not in ("", ".")]
    if value.startswith("/") or ".." in parts or any(part == ".git" for part in parts):
        raise SettingsError(f"GIT_PUBLISH_PATH={value!r}: expected a folder inside the repository like docs or "
                            "website/docs (relative, no '..', not .git)")
    return "/".join(parts)


def space_selected(slug: str, name: str, include: Iterable[str], exclude: Iterable[str]) -> bool:
    """True when a space passes DOCMOST_SPACES_INCLUDE/EXCLUDE (globs matched on slug or name, case-insensitive).

    No include globs means every space is included; exclude wins over include.
    """

    def matches(patterns: Iterable[str]) -> bool:
        return any(
            fnmatch.fnmatchcase(slug.lower(), p.lower()) or fnmatch.fnmatchcase(name.lower(), p.lower())
            for p in patterns
        )

    include = list(include)
    if include and not matches(include):
        return False
    return not matches(exclude)
