"""Tests of docmost_pipeline.settings: env parsing, SYNC_INTERVAL -> cron mapping, clear errors, no password leaks."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from croniter import croniter

from docmost_pipeline.settings import (
    SettingsError,
    interval_to_crons,
    load_settings,
    parse_go_duration,
    parse_sync_interval,
    space_selected,
)

BASE = {"DOCMOST_BASE_URL": "http://127.0.0.1:9", "DOCMOST_EMAIL": "a@b.c", "DOCMOST_PASSWORD": "s3cret-pw"}


def fire_times(crons, hours=48):
    """All fire times of a set of crons over `hours` from midnight UTC, merged."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    times = set()
    for cron in crons:
        it = croniter(cron, start)
        while True:
            t = it.get_next(datetime)
            if (t - start).total_seconds() > hours * 3600:
                break
            times.add(t)
    return sorted(times)


@pytest.mark.parametrize(
    "text,seconds",
    [("30s", 30), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("24h", 86400), ("500ms", 0.5), ("1.5h", 5400)],
)
def test_go_durations(text, seconds):
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text,message",
    [("90x", "not a duration: '90x'"), ("5", "not a duration: '5'"), ("m", "not a duration: 'm'"),
     ("1h 30m", "not a duration: '1h 30m'"), ("-5m", "not a duration: '-5m'"), ("", "empty duration")],
)
def test_bad_durations(text, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_go_duration(text)


@pytest.mark.parametrize(
    "text,crons",
    [
        ("5m", ("*/5 * * * *",)),
        ("1m", ("* * * * *",)),
        ("30s", ("* * * * *",)),
        ("1h", ("0 * * * *",)),
        ("6h", ("0 */6 * * *",)),
        ("24h", ("0 0 * * *",)),
        ("48h", ("0 0 */2 * *",)),
    ],
)
def test_sync_interval_simple_crons(text, crons):
    interval = parse_sync_interval(text)
    assert interval.crons == crons
    for cron in interval.crons:
        assert croniter.is_valid(cron)


def test_sync_interval_1h30m_is_exact_every_90_minutes():
    interval = parse_sync_interval("1h30m")
    times = fire_times(interval.crons)
    gaps = {(b - a).total_seconds() for a, b in zip(times, times[1:])}
    assert gaps == {5400.0}
    assert interval.note == "exact"


def test_sync_interval_not_dividing_a_day_restarts_at_midnight():
    crons, note = interval_to_crons(7 * 60)
    times = fire_times(crons, hours=24)
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert max(gaps) == 420 and "midnight" in note


def test_sync_interval_cron_expression_accepted():
    interval = parse_sync_interval("15 3 * * 1-5")
    assert interval.crons == ("15 3 * * 1-5",)
    assert interval.seconds >= 86400


@pytest.mark.parametrize("text", ["90x", "500ms", "61 * * * *", "1h 30"])
def test_invalid_sync_interval_one_clear_line(text):
    with pytest.raises(SettingsError) as info:
        load_settings({**BASE, "SYNC_INTERVAL": text})
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"SYNC_INTERVAL={text!r}: expected a duration like 30s, 5m, 1h30m or a cron expression")


def test_exact_message_from_issue():
    with pytest.raises(SettingsError) as info:
        load_settings({"SYNC_INTERVAL": "90x"})
    assert str(info.value) == "SYNC_INTERVAL='90x': expected a duration like 30s, 5m, 1h30m or a cron expression"


def test_defaults_without_docmost():
    settings = load_settings({})
    assert not settings.docmost_configured
    assert settings.sync_interval is None
    assert settings.discovery_interval_seconds == 300
    assert settings.max_concurrent_exports == 2
    assert settings.publish_keep == 3
    assert str(settings.output_dir) == "output"
    assert settings.log_format == "text"
    assert settings.page_documents is True and settings.document_fetch_concurrency == 4


@pytest.mark.parametrize(
    "name,value,fragment",
    [
        ("MAX_CONCURRENT_EXPORTS", "zero", "MAX_CONCURRENT_EXPORTS='zero': expected a whole number >= 1"),
        ("PUBLISH_MODE", "copy", "PUBLISH_MODE='copy': expected one of symlink, exchange"),
        ("PRUNE_DELETED_SPACES", "maybe", "PRUNE_DELETED_SPACES='maybe': expected 1/0"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT='xml': expected one of text, json"),
        ("DISCOVERY_INTERVAL", "soon", "DISCOVERY_INTERVAL='soon': expected a duration"),
        ("DOCMOST_READ_TIMEOUT", "-1", "DOCMOST_READ_TIMEOUT='-1'"),
        ("DOCMOST_MAX_EXPORT_BYTES", "2 parsecs", "DOCMOST_MAX_EXPORT_BYTES='2 parsecs'"),
        ("DOCMOST_BASE_URL", "docmost:3000", "DOCMOST_BASE_URL='docmost:3000': expected an http(s) URL"),
        ("DOCMOST_PUBLIC_URL", "wiki.example.com",
         "DOCMOST_PUBLIC_URL='wiki.example.com': expected an http(s) URL like https://wiki.example.com"),
        ("DOCMOST_PUBLIC_URL", "https://wiki example.com", "DOCMOST_PUBLIC_URL='https://wiki example.com'"),
        ("PAGE_DOCUMENTS", "sometimes", "PAGE_DOCUMENTS='sometimes': expected 1/0, true/false, yes/no or on/off"),
        ("DOCUMENT_FETCH_CONCURRENCY", "0", "DOCUMENT_FETCH_CONCURRENCY='0': expected a whole number >= 1"),
        ("DOCUMENT_FETCH_CONCURRENCY", "64", "DOCUMENT_FETCH_CONCURRENCY='64': expected a whole number from 1 to 16"),
    ],
)
def test_invalid_values_name_the_variable(name, value, fragment):
    with pytest.raises(SettingsError) as info:
        load_settings({**BASE, name: value})
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_page_documents_settings_reach_the_output_resource():
    from docmost_pipeline.defs.resources import build_resources

    settings = load_settings({**BASE, "PAGE_DOCUMENTS": "off", "DOCUMENT_FETCH_CONCURRENCY": "2"})
    output = build_resources(settings)["output"]
    assert (output.page_documents, output.document_fetch_concurrency) == (False, 2)


def test_public_url_is_optional_and_normalised():
    assert load_settings(BASE).docmost_public_url is None
    assert load_settings({**BASE, "DOCMOST_PUBLIC_URL": " "}).docmost_public_url is None
    settings = load_settings({**BASE, "DOCMOST_PUBLIC_URL": " https://wiki.example.com/ "})
    assert settings.docmost_public_url == "https://wiki.example.com"
    assert settings.docmost_base_url == "http://127.0.0.1:9"


def test_missing_credentials_named_without_password_value():
    with pytest.raises(SettingsError) as info:
        load_settings({"DOCMOST_BASE_URL": "http://x", "DOCMOST_EMAIL": "a@b.c"})
    assert "DOCMOST_PASSWORD" in str(info.value)


def test_password_never_in_repr_or_errors():
    settings = load_settings({**BASE, "SYNC_INTERVAL": "5m", "ALERT_WEBHOOK_URLS": "http://127.0.0.1:1/hook/T0KEN"})
    assert "s3cret-pw" not in repr(settings)
    assert "T0KEN" not in repr(settings)
    assert settings.docmost_password == "s3cret-pw"
    with pytest.raises(SettingsError) as info:
        load_settings({**BASE, "ALERT_WEBHOOK_URLS": "http://127.0.0.1/ok, ftp://host/S3CRETPATH"})
    assert "S3CRETPATH" not in str(info.value) and "ALERT_WEBHOOK_URLS" in str(info.value)


def test_sizes_globs_urls():
    settings = load_settings(
        {
            **BASE,
            "DOCMOST_MAX_EXPORT_BYTES": "500MB",
            "DOCMOST_SPACES_INCLUDE": "eng*, 한글*",
            "DOCMOST_SPACES_EXCLUDE": "general",
            "ALERT_WEBHOOK_URLS": "http://127.0.0.1:1/a,http://127.0.0.1:2/b",
            "PRUNE_DELETED_SPACES": "1",
        }
    )
    assert settings.max_export_bytes == 500 * 1024**2
    assert settings.spaces_include == ("eng*", "한글*")
    assert settings.alert_webhook_urls == ("http://127.0.0.1:1/a", "http://127.0.0.1:2/b")
    assert settings.prune_deleted_spaces


def test_space_selection_globs_on_slug_or_name():
    assert space_selected("engineering", "Engineering", ["eng*"], [])
    assert space_selected("hangul-docs", "한글 문서", ["한글*"], [])
    assert not space_selected("general", "General", [], ["General"])
    assert not space_selected("general", "General", ["eng*"], [])
    assert not space_selected("engineering", "Engineering", ["*"], ["engineering"])
    assert space_selected("anything", "Anything", [], [])


def test_dotenv_loaded_without_overriding(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SYNC_INTERVAL=10m\nOUTPUT_DIR=/from/dotenv\n")
    monkeypatch.setenv("OUTPUT_DIR", "/from/env")
    monkeypatch.delenv("SYNC_INTERVAL", raising=False)
    settings = load_settings(dotenv_path=dotenv)
    assert settings.sync_interval.crons == ("*/10 * * * *",)
    assert str(settings.output_dir) == "/from/env"


def test_env_example_is_valid_and_documents_every_variable():
    from pathlib import Path

    from dotenv import dotenv_values

    example = Path(__file__).resolve().parent.parent / ".env.example"
    values = dict(dotenv_values(example))
    settings = load_settings(values)
    assert settings.docmost_configured and settings.max_concurrent_exports == 2
    source = (Path(__file__).resolve().parent.parent / "docmost_pipeline" / "settings.py").read_text()
    import re

    read = set(re.findall(r'"([A-Z][A-Z_]+)"', source))
    assert read <= set(values), sorted(read - set(values))


def test_site_dir_is_the_checkouts_site_unless_site_dir_names_another(tmp_path):
    from pathlib import Path

    from docmost_pipeline.settings import site_source_dir_setting

    checkout_site = Path(__file__).resolve().parents[1] / "site"
    assert site_source_dir_setting({}) == checkout_site and (checkout_site / "package.json").is_file()
    assert site_source_dir_setting({"SITE_SOURCE_DIR": f" {tmp_path} "}) == tmp_path


def test_dagster_port_sets_make_run_port_and_default_run_links():
    settings = load_settings({"DAGSTER_PORT": "3031"})
    assert settings.dagster_port == 3031 and settings.dagster_webserver_url == "http://127.0.0.1:3031"
    assert load_settings({}).dagster_port == 3030
    for bad in ("http", "0", "70000"):
        with pytest.raises(SettingsError, match="DAGSTER_PORT"):
            load_settings({"DAGSTER_PORT": bad})


def test_git_publish_settings_defaults_and_validation(tmp_path, monkeypatch):
    assert load_settings(BASE).git_publish_repo is None
    settings = load_settings({**BASE, "GIT_PUBLISH_REPO": "https://git.example.com/team/docs.git",
                              "GIT_PUBLISH_TOKEN": "ghp-Secret-Token-1"})
    assert (settings.git_publish_branch, settings.git_publish_path, settings.git_publish_push_attempts) == (
        None, "docs", 5)
    assert (settings.git_publish_username, settings.git_publish_author_name) == ("x-access-token", "Docmost pipeline")
    assert "ghp-Secret-Token-1" not in repr(settings) and "ghp-Secret-Token-1" in settings.secrets()
    monkeypatch.chdir(tmp_path)
    local = load_settings({**BASE, "GIT_PUBLISH_REPO": "repos/docs.git", "GIT_PUBLISH_PATH": "./website//docs/",
                           "GIT_PUBLISH_BRANCH": "site/published"})
    assert local.git_publish_repo == str(tmp_path / "repos" / "docs.git")
    assert (local.git_publish_path, local.git_publish_branch) == ("website/docs", "site/published")
    assert load_settings({**BASE, "GIT_PUBLISH_REPO": "git@github.com:team/docs.git"}).git_publish_repo == \
        "git@github.com:team/docs.git"
    assert load_settings({**BASE, "GIT_PUBLISH_REPO": "x", "GIT_PUBLISH_PATH": "."}).git_publish_path == ""


@pytest.mark.parametrize("env, message", [
    ({"GIT_PUBLISH_REPO": "https://bot:hunter2-Secret@git.example.com/docs.git"},
     "GIT_PUBLISH_REPO: https://…@… carries a password in the URL; put the token in GIT_PUBLISH_TOKEN"),
    ({"GIT_PUBLISH_REPO": "/srv/docs.git", "GIT_PUBLISH_PATH": "../elsewhere"}, "GIT_PUBLISH_PATH='../elsewhere'"),
    ({"GIT_PUBLISH_REPO": "/srv/docs.git", "GIT_PUBLISH_PATH": "/abs"}, "GIT_PUBLISH_PATH='/abs'"),
    ({"GIT_PUBLISH_REPO": "/srv/docs.git", "GIT_PUBLISH_PATH": "a/.git/hooks"}, "GIT_PUBLISH_PATH='a/.git/hooks'"),
    ({"GIT_PUBLISH_REPO": "/srv/docs.git", "GIT_PUBLISH_BRANCH": "-f"}, "GIT_PUBLISH_BRANCH='-f'"),
    ({"GIT_PUBLISH_REPO": "/srv/docs.git", "GIT_PUBLISH_BRANCH": "a..b"}, "GIT_PUBLISH_BRANCH='a..b'"),
    ({"GIT_PUBLISH_REPO": "/srv/docs.git", "GIT_PUBLISH_PUSH_ATTEMPTS": "0"}, "GIT_PUBLISH_PUSH_ATTEMPTS='0'"),
])
def test_git_publish_settings_errors_are_one_line_without_the_secret(env, message):
    with pytest.raises(SettingsError) as failed:
        load_settings({**BASE, **env})
    text = str(failed.value)
    assert message in text and "\n" not in text and "hunter2-Secret" not in text
# --- Dagster's Postgres storage (DAGSTER_POSTGRES_URL or DAGSTER_PG_*) ---------------------------------------------

@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://dagster:pw@db:5432/dagster", "postgresql+psycopg2://dagster:pw@db:5432/dagster"),
    ("postgres://dagster:pw@db/dagster?sslmode=require", "postgresql+psycopg2://dagster:pw@db/dagster?sslmode=require"),
    ("postgresql+psycopg2://dagster@db/dagster", "postgresql+psycopg2://dagster@db/dagster"),
    # an "@" left unencoded in the password is encoded (libpq and SQLAlchemy would read "word@db" as the host)
    ("postgresql://dagster:pass@word@db/dagster", "postgresql+psycopg2://dagster:pass%40word@db/dagster"),
])
def test_a_postgres_url_is_normalised_to_the_psycopg2_driver(given, expected):
    settings = load_settings({"DAGSTER_POSTGRES_URL": given})
    assert settings.postgres_url == expected
    assert "pass" not in repr(settings) and "postgres_url" not in repr(settings)


def test_the_postgres_parts_make_the_same_url_with_the_default_port_and_the_password_encoded():
    settings = load_settings({"DAGSTER_PG_HOST": "db", "DAGSTER_PG_USER": "dagster", "DAGSTER_PG_DB": "runs",
                              "DAGSTER_PG_PASSWORD": "a@b/c:d"})
    assert settings.postgres_url == "postgresql+psycopg2://dagster:a%40b%2Fc%3Ad@db:5432/runs"
    assert {"a@b/c:d", "a%40b%2Fc%3Ad"} <= set(settings.secrets())
    assert load_settings({}).postgres_url is None  # SQLite under DAGSTER_HOME


@pytest.mark.parametrize(("env", "message"), [
    ({"DAGSTER_POSTGRES_URL": "mysql://u:topsecret@db/x"},
     "DAGSTER_POSTGRES_URL='mysql://u:***@db/x': expected a URL like postgresql://user:password@host:5432/dbname "
     "(driver: postgresql or postgresql+psycopg2 only)"),
    ({"DAGSTER_POSTGRES_URL": "postgresql+psycopg://u:topsecret@db/x"},
     "DAGSTER_POSTGRES_URL='postgresql+psycopg://u:***@db/x': expected a URL like "
     "postgresql://user:password@host:5432/dbname (driver: postgresql or postgresql+psycopg2 only)"),
    ({"DAGSTER_POSTGRES_URL": "postgresql://u:top@secret@db"},
     "DAGSTER_POSTGRES_URL='postgresql://u:***@db': expected a URL like postgresql://user:password@host:5432/dbname "
     "(host and database name required)"),
    ({"DAGSTER_POSTGRES_URL": "postgresql://u:topsecret@db:port/x"},
     "DAGSTER_POSTGRES_URL='postgresql://u:***@db:port/x': expected a URL like "
     "postgresql://user:password@host:5432/dbname (invalid port)"),
    ({"DAGSTER_PG_HOST": "db", "DAGSTER_PG_PASSWORD": "topsecret"},
     "DAGSTER_PG_USER and DAGSTER_PG_DB: required when DAGSTER_PG_HOST is set (Postgres storage)"),
    ({"DAGSTER_PG_HOST": "db", "DAGSTER_PG_USER": "u", "DAGSTER_PG_DB": "x", "DAGSTER_PG_PORT": "70000"},
     "DAGSTER_PG_PORT=70000: expected a TCP port from 1 to 65535"),
    ({"DAGSTER_PG_HOST": "db", "DAGSTER_POSTGRES_URL": "postgresql://u:topsecret@db/x"},
     "DAGSTER_POSTGRES_URL and DAGSTER_PG_HOST: set one of them (the URL, or the DAGSTER_PG_* parts), not both"),
])
def test_a_bad_postgres_setting_is_one_line_naming_it_without_the_password(env, message):
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert str(raised.value) == message
    assert "secret" not in str(raised.value)
# The website (SITE_DIR, SITE_PORT, SITE_KEEP, SITE_QUIET_PERIOD)

def test_the_website_is_off_without_site_dir_and_its_defaults(tmp_path):
    off = load_settings({})
    assert off.site_dir is None and off.site_port == 3040 and off.site_keep == 3
    assert off.site_quiet_period_seconds == 30
    on = load_settings({"OUTPUT_DIR": str(tmp_path / "out"), "SITE_DIR": str(tmp_path / "site"), "SITE_PORT": "8080",
                        "SITE_KEEP": "5", "SITE_QUIET_PERIOD": "2m"})
    assert (on.site_dir, on.site_port, on.site_keep, on.site_quiet_period_seconds) == (tmp_path / "site", 8080, 5, 120)
    inside = load_settings({"OUTPUT_DIR": str(tmp_path / "out"), "SITE_DIR": str(tmp_path / "out" / ".site")})
    assert inside.site_dir == tmp_path / "out" / ".site"  # a dot-folder of OUTPUT_DIR: never read as a space


@pytest.mark.parametrize(("env", "fragment"), [
    ({"SITE_DIR": "{out}"}, "SITE_DIR='{out}': must not be OUTPUT_DIR or a folder holding it"),
    ({"SITE_DIR": "{tmp}"}, "must not be OUTPUT_DIR or a folder holding it"),
    ({"SITE_DIR": "{out}/site"}, "inside OUTPUT_DIR it must be under a dot-folder"),
    ({"SITE_PORT": "3000"}, "SITE_PORT=3000: 3000 is Docmost's usual port"),
    ({"SITE_PORT": "70000"}, "SITE_PORT=70000: expected a TCP port"),
    ({"SITE_KEEP": "0"}, "SITE_KEEP='0': expected a whole number >= 1"),
    ({"SITE_QUIET_PERIOD": "soon"}, "SITE_QUIET_PERIOD='soon': expected a duration"),
])
def test_bad_website_settings_name_the_variable(tmp_path, env, fragment):
    out = tmp_path / "out"
    values = {"OUTPUT_DIR": str(out), **{k: v.format(out=out, tmp=tmp_path) for k, v in env.items()}}
    with pytest.raises(SettingsError) as error:
        load_settings(values)
    message = str(error.value)
    assert fragment.format(out=out, tmp=tmp_path) in message and "\n" not in message
