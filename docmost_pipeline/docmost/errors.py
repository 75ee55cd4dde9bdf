"""Errors raised by the Docmost API client.

Owns the error vocabulary of the client layer. Every error names the endpoint, the HTTP status (``None`` when no
response arrived) and Docmost's own ``message`` (a string, or the list of validation messages joined). No error
ever carries a secret: messages are built from the endpoint, status and Docmost's answer only, never from the
request body or cookies.
"""

from __future__ import annotations


def format_docmost_message(message: object) -> str | None:
    """Docmost's ``message`` is a string or (validation errors) a list of strings."""
    if message is None:
        return None
    if isinstance(message, list):
        return "; ".join(str(m) for m in message)
    return str(message)


class DocmostError(Exception):
    """A Docmost API call failed. ``endpoint`` like ``POST /api/spaces/export``; ``status`` may be None."""

    def __init__(self, endpoint: str, status: int | None, docmost_message: object = None,
                 detail: str | None = None) -> None:
        self.endpoint = endpoint
        self.status = status
        self.docmost_message = format_docmost_message(docmost_message)
        self.detail = detail
        super().__init__(self._describe())

    def _describe(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        text = f"{self.endpoint} failed ({status})"
        if self.docmost_message:
            text += f": Docmost says {self.docmost_message!r}"
        if self.detail:
            text += f" ({self.detail})"
        return text


class DocmostAuthError(DocmostError):
    """Login refused (wrong email/password) or the session was rejected again after a fresh login. Never retried."""


class DocmostForbidden(DocmostError):
    """403 on a non-login call: the user may not see that space or page (or it does not exist). Not retried."""


class DocmostNotFound(DocmostError):
    """404: no such space/page. Not retried."""


class DocmostExportTooLarge(DocmostError):
    """The export exceeded the configured maximum size; the partial file was removed."""


class DocmostEmptySpace(DocmostError):
    """``POST /api/spaces/export`` answered 400 "No accessible pages to export": the space has no pages."""


class DocmostBadExport(DocmostError):
    """The export body arrived complete by HTTP but is not a readable ZIP (truncated or garbage), after retries."""


class DocmostUnavailable(DocmostError):
    """Retries exhausted on connection errors, timeouts, 429 or 5xx."""
