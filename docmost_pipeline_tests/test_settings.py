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


def test_dagster_port_sets_make_run_port_and_default_run_links():
    settings = load_settings({"DAGSTER_PORT": "3031"})
    assert settings.dagster_port == 3031 and settings.dagster_webserver_url == "http://127.0.0.1:3031"
    assert load_settings({}).dagster_port == 3030
    for bad in ("http", "0", "70000"):
        with pytest.raises(SettingsError, match="DAGSTER_PORT"):
            load_settings({"DAGSTER_PORT": bad})
