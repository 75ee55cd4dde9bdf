"""Alert messages for failed and recovered space syncs, and posting them to webhooks.

Pure message building (no Dagster) plus one posting function over httpx. Messages are Slack-compatible
``{"text": ...}`` JSON, which Slack incoming webhooks, Discord's ``/slack`` webhook endpoint, Mattermost, Rocket.Chat
and any generic receiver accept. Every text goes through :func:`redact` so no secret (password, session cookie,
webhook token) can leave the process; a failed POST is logged and reported, never raised.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import httpx

MAX_ERROR_CHARS = 600

_COOKIE_RE = re.compile(r"(authToken=)[^;\s\"']+", re.IGNORECASE)
_PASSWORD_FIELD_RE = re.compile(r"(\"?password\"?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,}]+)", re.IGNORECASE)
_BEARER_RE = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove known secret values and anything shaped like a session cookie, password field or bearer token."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _COOKIE_RE.sub(r"\1***", text)
    text = _PASSWORD_FIELD_RE.sub(r"\1***", text)
    return _BEARER_RE.sub(r"\1***", text)


def summarize_error(message: str | None, secrets: Iterable[str] = (), limit: int = MAX_ERROR_CHARS) -> str:
    """The error's first meaningful lines, redacted and shortened to ``limit`` characters."""
    if not message:
        return "(no error message)"
    lines = [line.rstrip() for line in redact(message, secrets).strip().splitlines() if line.strip()]
    text = " / ".join(lines[:3])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def innermost_error(error):
    """The innermost cause of a Dagster ``SerializableErrorInfo`` (Dagster wraps user errors; the innermost cause
    names what really went wrong); None stays None."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error


def run_url(webserver_url: str, run_id: str) -> str:
    return f"{webserver_url.rstrip('/')}/runs/{run_id}"


@dataclass(frozen=True)
class FailureAlert:
    """What a failure alert says about one failed run."""

    space: str | None
    job_name: str
    run_id: str
    failed_step: str | None
    error_summary: str
    attempts: int
    link: str
    will_retry: bool = False  # the daemon's run retries (dagster.yaml) launch the run again


def failure_text(alert: FailureAlert) -> str:
    subject = f"space `{alert.space}`" if alert.space else f"job `{alert.job_name}`"
    attempts = f"{alert.attempts} attempt" + ("s" if alert.attempts != 1 else "")
    return (
        f":red_circle: Docmost sync failed for {subject}\n"
        f"Failed step: {alert.failed_step or 'unknown'} ({attempts})\n"
        f"Error: {alert.error_summary}\n"
        + ("Retrying: Dagster launches the run again\n" if alert.will_retry else "")
        + f"Run: {alert.link}"
    )


def recovery_text(space: str | None, job_name: str, link: str) -> str:
    subject = f"space `{space}`" if space else f"job `{job_name}`"
    return f":large_green_circle: Docmost sync recovered for {subject}: the last run succeeded.\nRun: {link}"


def slack_payload(text: str) -> dict[str, str]:
    return {"text": text}


@dataclass(frozen=True)
class PostOutcome:
    """Result of posting to one webhook; ``target`` is the URL with its secret path hidden."""

    target: str
    ok: bool
    detail: str


def describe_target(url: str) -> str:
    # Slack/Discord webhook URLs carry their token in the path: only scheme, host and port are safe to log.
    match = re.match(r"(https?://[^/\s?#]+)", url)
    return (match.group(1) + "/…") if match else "<invalid URL>"


def post_alert(
    urls: Sequence[str],
    payload: dict,
    *,
    timeout: float = 10.0,
    logger: logging.Logger | None = None,
) -> list[PostOutcome]:
    """POST ``payload`` as JSON to every URL; never raises. Failures are logged (URL secret hidden) and returned."""
    log = logger or logging.getLogger(__name__)
    outcomes: list[PostOutcome] = []
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for url in urls:
            target = describe_target(url)
            try:
                response = client.post(url, json=payload)
            except Exception as exc:  # any transport problem is reported, never propagated into the sensor
                detail = f"{type(exc).__name__}: {redact(str(exc), [url])}"
                log.warning("alert webhook %s failed: %s", target, detail)
                outcomes.append(PostOutcome(target, False, detail))
                continue
            if response.is_success:
                outcomes.append(PostOutcome(target, True, f"HTTP {response.status_code}"))
            else:
                detail = f"HTTP {response.status_code}: {redact(response.text[:200], [url])}"
                log.warning("alert webhook %s answered %s", target, detail)
                outcomes.append(PostOutcome(target, False, detail))
    return outcomes
