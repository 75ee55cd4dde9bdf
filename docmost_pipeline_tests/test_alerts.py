"""Tests of docmost_pipeline.alerts: message content, redaction, posting to a real local receiver, failures reported."""

from __future__ import annotations

import logging

from docmost_pipeline.alerts import (
    FailureAlert,
    describe_target,
    failure_text,
    post_alert,
    recovery_text,
    redact,
    slack_payload,
    summarize_error,
)
from docmost_pipeline_tests.dagster_support import WebhookReceiver, free_port


def test_redact_removes_secrets_cookies_and_password_fields():
    text = 'login failed for pw hunter2; cookie authToken=abc.def; body {"password": "hunter2"}; Bearer xyz123'
    cleaned = redact(text, ["hunter2"])
    assert "hunter2" not in cleaned and "abc.def" not in cleaned and "xyz123" not in cleaned
    assert "authToken=***" in cleaned


def test_summarize_error_is_short_and_redacted():
    message = "POST /api/spaces/export failed (HTTP 503)\n" + "x" * 2000 + "\nsecret-pass"
    summary = summarize_error(message, ["secret-pass"], limit=100)
    assert summary.startswith("POST /api/spaces/export failed (HTTP 503)")
    assert len(summary) <= 100 and "secret-pass" not in summary
    assert summarize_error(None) == "(no error message)"


def test_failure_text_names_space_step_error_attempts_and_link():
    text = failure_text(FailureAlert(space="engineering", job_name="sync_space", run_id="r1",
                                     failed_step="raw_export", error_summary="HTTP 503", attempts=4,
                                     link="http://127.0.0.1:3030/runs/r1"))
    for fragment in ("`engineering`", "raw_export", "HTTP 503", "4 attempts", "http://127.0.0.1:3030/runs/r1"):
        assert fragment in text
    assert "Retrying" not in text
    retried = failure_text(FailureAlert(space="engineering", job_name="sync_space", run_id="r1", failed_step=None,
                                        error_summary="worker killed", attempts=1, link="http://x/runs/r1",
                                        will_retry=True))
    assert retried.splitlines()[-2:] == [
        "Retrying: Dagster launches the run again", "Run: http://x/runs/r1"]
    assert "recovered" in recovery_text("engineering", "sync_space", "http://x/runs/r2")
    assert slack_payload("hi") == {"text": "hi"}


def test_post_alert_to_every_url_and_failures_reported_not_raised(caplog):
    with WebhookReceiver() as ok, WebhookReceiver(status=500) as broken:
        dead = f"http://127.0.0.1:{free_port()}/hooks/T0KEN"
        with caplog.at_level(logging.WARNING):
            outcomes = post_alert([ok.url + "/a", broken.url + "/b", dead], {"text": "hello"}, timeout=2)
        assert [o.ok for o in outcomes] == [True, False, False]
        assert ok.posts == [("/a", {"text": "hello"})]
        assert broken.posts == [("/b", {"text": "hello"})]
        assert "HTTP 500" in outcomes[1].detail
    assert "T0KEN" not in caplog.text and "T0KEN" not in outcomes[2].target
    assert describe_target("https://hooks.slack.com/services/T/B/X") == "https://hooks.slack.com/…"
