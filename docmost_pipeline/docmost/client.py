"""Synchronous Docmost HTTP API client (httpx): login, spaces, page tree, space and page exports.

Owns every conversation with Docmost. Behaviour the rest of the pipeline relies on:

* One login per client (``POST /api/auth/login``); the ``authToken`` cookie is reused for every call, so a sync of
  many spaces stays far below Docmost's 10-auth-requests-per-minute limit. A 401 on a later call means the
  session expired: log in again once and retry that call. ``login_count`` counts the login requests made.
* Lists follow pagination to the end: cursor form (``meta.nextCursor``, Docmost >= 0.80) or page-number form
  (``meta.page``), ``limit=100``. The page tree asks ``/api/pages/sidebar-pages`` for the space root and then
  for every page with ``hasChildren``, so no page after the 20th is ever dropped.
* Exports are streamed to a ``.part`` file next to the destination (never held in memory), hashed while
  written, size-capped (``max_export_bytes``), checked to be a readable ZIP and renamed into place.
* Connection errors, timeouts, 429 (honouring ``Retry-After`` / ``retry-after-auth``), 5xx, interrupted or
  unreadable export bodies are retried with exponential backoff and jitter (``retries`` times). Wrong
  credentials are :class:`DocmostAuthError` and never retried.
* Files (``GET /api/files/<attachmentId>/<fileName>``, :meth:`DocmostClient.download_file`) are streamed, capped and
  retried like exports, without the ZIP check.
* A page's own document (``POST /api/pages/info``, :meth:`DocmostClient.page_info`): the page with its content as
  ProseMirror JSON, retried like the lists; an unknown page is :class:`DocmostNotFound` (Docmost answers 404).
* Docmost's public address (its ``APP_URL``, which it writes into page content whatever address a client uses) is
  read from ``window.CONFIG`` of the web app's page ``GET /`` (:meth:`DocmostClient.public_url`; no session).
* Secrets (the password, the session cookie) never reach a log line, an error message or ``repr``.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.cookiejar
import json
import logging
import os
import random
import re
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from docmost_pipeline.docmost.errors import (
    DocmostAuthError,
    DocmostBadExport,
    DocmostEmptySpace,
    DocmostError,
    DocmostExportTooLarge,
    DocmostForbidden,
    DocmostNotFound,
    DocmostUnavailable,
    format_docmost_message,
)
from docmost_pipeline.model import SidebarPage, Space

LOGIN_PATH = "/api/auth/login"
SPACES_PATH = "/api/spaces/"
SIDEBAR_PATH = "/api/pages/sidebar-pages"
SPACE_EXPORT_PATH = "/api/spaces/export"
PAGE_EXPORT_PATH = "/api/pages/export"
PAGE_SIZE = 100
RECENT_PATH = "/api/pages/recent"
PAGE_INFO_PATH = "/api/pages/info"
FILES_PATH = "/api/files"
WEB_INDEX_PATH = "/"
WEB_INDEX_LIMIT = 1024 * 1024  # the web app's page is ~1.6 KB; anything past 1 MiB is not read
# <script>window.CONFIG={...};</script> in Docmost's web app page (api/web-index.html of the recordings)
_WEB_CONFIG = re.compile(r"window\.CONFIG\s*=\s*(\{.*?\})\s*;?\s*</script>", re.DOTALL)
_HTTP_URL = re.compile(r"https?://[^/\s?#]+[^\s]*")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
EMPTY_SPACE_MESSAGE = "No accessible pages to export"
MAX_RETRY_WAIT = 600.0  # a server asking for more than 10 minutes is treated as asking for 10 minutes
ERROR_BODY_LIMIT = 64 * 1024
DOWNLOAD_CHUNK = 256 * 1024
MAX_LIST_REQUESTS = 10_000  # guards against a server whose pagination never ends

T = TypeVar("T")


@dataclass(frozen=True)
class ExportDownload:
    """A finished export download: the file, its size in bytes, its SHA-256 and the wall time it took."""

    path: Path
    bytes: int
    sha256: str
    seconds: float


class _Retryable(Exception):
    """An attempt failed in a way worth retrying. ``wait`` is the server's requested delay, if any."""

    def __init__(self, status: int | None, detail: str, *, wait: float | None = None,
                 docmost_message: object = None, bad_export: bool = False) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.wait = wait
        self.docmost_message = docmost_message
        self.bad_export = bad_export


class _SessionRejected(Exception):
    def __init__(self, docmost_message: object) -> None:
        super().__init__("session rejected")
        self.docmost_message = docmost_message


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After``-style header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return min(max(0.0, seconds), MAX_RETRY_WAIT)


def _docmost_message(response: httpx.Response, body: bytes) -> object:
    """Docmost's ``message`` from an error body (``{message, error, statusCode}``), else a short text excerpt."""
    try:
        payload = json.loads(body)
    except ValueError:
        text = body[:200].decode("utf-8", errors="replace").strip()
        return text or response.reason_phrase or None
    if isinstance(payload, dict) and "message" in payload:
        return payload["message"]
    return None


class _RedactSessionCookies(logging.Filter):
    """httpcore logs raw response headers at DEBUG, ``set-cookie: authToken=...`` included: redact the value."""

    PATTERN = re.compile(r"(authToken=)[^;'\"\s,)]+")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken log record is not ours to fix
            return True
        if "authToken=" in message:
            record.msg = self.PATTERN.sub(r"\1REDACTED", message)
            record.args = ()
        return True


_REDACTOR = _RedactSessionCookies()
# Filters on a logger only see records created by that very logger, hence one per httpcore/httpx module logger.
for _name in ("httpx", "httpcore", "httpcore.http11", "httpcore.http2", "httpcore.connection",
              "httpcore.connection_pool", "httpcore.proxy", "httpcore.socks"):
    if _REDACTOR not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_REDACTOR)


class _RejectAllCookies(http.cookiejar.DefaultCookiePolicy):
    """The session cookie is kept privately and sent explicitly; httpx's jar must not keep a second copy."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


class DocmostClient:
    """A logged-in session with one Docmost server. Use as a context manager (or call :meth:`close`)."""

    def __init__(self, base_url: str, email: str, password: str, *, connect_timeout: float = 10.0,
                 read_timeout: float = 120.0, retries: int = 3, backoff_base: float = 0.5,
                 max_export_bytes: int = 2 * 1024**3, logger: logging.Logger | None = None) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"Docmost base URL {base_url!r} must start with http:// or https://")
        if not email:
            raise ValueError("Docmost email is empty")
        if not password:
            raise ValueError("Docmost password is empty")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        if max_export_bytes <= 0:
            raise ValueError(f"max_export_bytes must be > 0, got {max_export_bytes}")
        self.base_url = base_url.rstrip("/")
        self.email = email
        self.__password = password
        self.__session_token: str | None = None
        self.retries = retries
        self.backoff_base = backoff_base
        self.max_export_bytes = max_export_bytes
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.login_count = 0
        self.request_count = 0  # every HTTP request made, retries and logins included
        self.log = logger or logging.getLogger(__name__)
        self._login_lock = threading.Lock()
        self._count_lock = threading.Lock()  # documents are fetched from several threads at once
        timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout)
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, follow_redirects=False,
                                  cookies=http.cookiejar.CookieJar(policy=_RejectAllCookies()),
                                  headers={"accept": "application/json"})

    def __repr__(self) -> str:
        return f"DocmostClient(base_url={self.base_url!r}, email={self.email!r}, logged_in={self.logged_in})"

    @property
    def logged_in(self) -> bool:
        return self.__session_token is not None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DocmostClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public API -----------------------------------------------------------------------------------------
    def login(self) -> None:
        """Log in now (otherwise the first call does). Raises :class:`DocmostAuthError` on wrong credentials."""
        with self._login_lock:
            self._login_locked()

    def list_spaces(self) -> list[Space]:
        """Every space visible to the user, in Docmost's order."""
        return [
            Space(id=item["id"], slug=item["slug"], name=item["name"], description=item.get("description"))
            for item in self._list_all(SPACES_PATH, {})
        ]

    def list_pages(self, space_id: str) -> list[SidebarPage]:
        """The whole page tree of a space, depth first in sidebar order (parents before their children)."""
        pages: list[SidebarPage] = []
        seen: set[str] = set()
        # A stack of iterators walks the tree depth first without recursion limits.
        stack: list[Iterator[dict]] = [iter(self._list_all(SIDEBAR_PATH, {"spaceId": space_id}))]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
                continue
            if item["id"] in seen:
                continue  # a page listed twice (moved during the walk) must not appear twice or loop
            seen.add(item["id"])
            page = SidebarPage(
                id=item["id"], slug_id=item["slugId"], title=item.get("title"), icon=item.get("icon"),
                position=item["position"], parent_page_id=item.get("parentPageId"),
                has_children=bool(item.get("hasChildren")), space_id=item.get("spaceId", space_id),
            )
            pages.append(page)
            if page.has_children:
                stack.append(iter(self._list_all(SIDEBAR_PATH, {"pageId": page.id})))
        return pages

    def iter_recent_pages(self, space_id: str) -> Iterator[dict]:
        """The pages of a space that are not in the trash, most recently updated first (``POST /api/pages/recent``:
        ``updatedAt`` then ``id`` descending), as Docmost's item dicts; requests are made as items are consumed,
        so a caller may stop early."""
        return self._iter_all(RECENT_PATH, {"spaceId": space_id})

    def export_space(self, space_id: str, dest: Path) -> ExportDownload:
        """Stream the Markdown export (with attachments) of a space to ``dest``.

        Raises :class:`DocmostEmptySpace` for a space without pages, :class:`DocmostExportTooLarge` past
        ``max_export_bytes``, :class:`DocmostBadExport` when the body is not a readable ZIP after retries.
        """
        body = {"spaceId": space_id, "format": "markdown", "includeAttachments": True}
        return self._download(SPACE_EXPORT_PATH, body, Path(dest))

    def export_page(self, page_id: str, dest: Path) -> ExportDownload:
        """Stream the export ZIP of one page (attachments included, children not) to ``dest``."""
        body = {"pageId": page_id, "format": "markdown", "includeAttachments": True, "includeChildren": False}
        return self._download(PAGE_EXPORT_PATH, body, Path(dest))

    def download_file(self, attachment_id: str, name: str, dest: Path) -> ExportDownload:
        """Stream one attachment (``GET /api/files/<attachmentId>/<fileName>``, any space the user may read) to
        ``dest``: capped at ``max_export_bytes`` and retried like an export. A file Docmost does not serve to this
        user is :class:`DocmostNotFound` (404) or :class:`DocmostForbidden` (403), never retried."""
        if not isinstance(attachment_id, str) or not _UUID.fullmatch(attachment_id):
            raise ValueError(f"attachment id {attachment_id!r} is not a Docmost id (a UUID)")
        if not name:
            raise ValueError(f"attachment {attachment_id}: empty file name")
        path = f"{FILES_PATH}/{attachment_id}/{quote(name, safe='')}"
        return self._download(path, None, Path(dest), method="GET", check_zip=False)

    def page_info(self, page_id: str) -> dict:
        """The ``data`` object of ``POST /api/pages/info`` for one page: its fields and its ``content`` (ProseMirror
        JSON, ``None`` for a page created without content). Trashed pages are answered too (with ``deletedAt``).
        A page Docmost does not have is :class:`DocmostNotFound`; 5xx, 429 and connection errors are retried."""
        if not isinstance(page_id, str) or not _UUID.fullmatch(page_id):
            # Docmost looks a pageId that is not a UUID up as a slugId: refused here, so a slugId is never mistaken
            raise ValueError(f"page id {page_id!r} is not a Docmost id (a UUID)")
        endpoint = f"POST {PAGE_INFO_PATH}"
        payload = self._post_json(PAGE_INFO_PATH, {"pageId": page_id})
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict) or data.get("id") != page_id:
            raise DocmostError(endpoint, 200, None, f"unexpected answer shape for page {page_id} (no data object "
                                                    "with that id)")
        return data

    def public_url(self) -> str | None:
        """Docmost's public address: ``window.CONFIG.APP_URL`` of its web app page (``GET /`` on the base URL, no
        session), without a trailing ``/``. None when the page has none (no ``window.CONFIG``, no ``APP_URL``, or
        ``GET /`` is not the web app: a 3xx or 4xx answer). Connection errors, 429 and 5xx are retried; an
        ``APP_URL`` that is not an http(s) URL, or a ``window.CONFIG`` that is not JSON, is a :class:`DocmostError`
        naming the page."""
        endpoint = f"GET {WEB_INDEX_PATH}"
        attempt = 0
        while True:
            try:
                return self._read_public_url(endpoint)
            except _Retryable as failure:
                attempt = self._wait_or_give_up(endpoint, failure, attempt)

    def _read_public_url(self, endpoint: str) -> str | None:
        self._count_request()
        page = f"{self.base_url}{WEB_INDEX_PATH}"
        try:
            with self._http.stream("GET", WEB_INDEX_PATH, headers={"accept": "text/html"}) as response:
                status = response.status_code
                if status == 429 or status >= 500:
                    raise _Retryable(status, "rate limited" if status == 429 else "server error",
                                     wait=parse_retry_after(response.headers.get("retry-after"))
                                     if status == 429 else None)
                if not 200 <= status < 300:
                    self.log.debug("%s answered HTTP %d: no web app page, so no public address", endpoint, status)
                    return None
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) >= WEB_INDEX_LIMIT:
                        break
        except httpx.TimeoutException as exc:
            raise _Retryable(None, f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _Retryable(None, f"{type(exc).__name__}: {exc}") from None
        match = _WEB_CONFIG.search(body[:WEB_INDEX_LIMIT].decode("utf-8", errors="replace"))
        if match is None:
            self.log.debug("%s: the page at %s has no window.CONFIG", endpoint, page)
            return None
        try:
            config = json.loads(match.group(1))
        except ValueError:
            raise DocmostError(endpoint, status, None, f"window.CONFIG of the page at {page} is not valid JSON") \
                from None
        app_url = config.get("APP_URL") if isinstance(config, dict) else None
        if app_url is None or app_url == "":
            self.log.debug("%s: window.CONFIG of the page at %s has no APP_URL", endpoint, page)
            return None
        if not isinstance(app_url, str) or not _HTTP_URL.fullmatch(app_url.strip()) \
                or not urlsplit(app_url.strip()).hostname:
            raise DocmostError(endpoint, status, None, f"window.CONFIG.APP_URL of the page at {page} is "
                                                       f"{app_url!r}, not an http(s) URL")
        return app_url.strip().rstrip("/")

    def _count_request(self) -> None:
        with self._count_lock:
            self.request_count += 1

    # --- login ----------------------------------------------------------------------------------------------
    def _login_locked(self) -> None:
        endpoint = f"POST {LOGIN_PATH}"
        attempt = 0
        while True:
            self.login_count += 1
            try:
                response = self._http.post(LOGIN_PATH, json={"email": self.email, "password": self.__password})
            except httpx.TransportError as exc:
                failure = _Retryable(None, f"{type(exc).__name__}: {exc}")
            else:
                status = response.status_code
                if status == 200 or status == 201:
                    token = response.cookies.get("authToken")
                    if not token:
                        raise DocmostAuthError(endpoint, status, None, "login succeeded but set no authToken cookie")
                    self.__session_token = token
                    self.log.info("logged in to Docmost at %s", self.base_url)
                    return
                message = _docmost_message(response, response.content[:ERROR_BODY_LIMIT])
                if status in (401, 403):
                    raise DocmostAuthError(endpoint, status, message, "check DOCMOST_EMAIL and DOCMOST_PASSWORD")
                if status == 429:
                    wait = parse_retry_after(response.headers.get("retry-after-auth")
                                             or response.headers.get("retry-after"))
                    failure = _Retryable(status, "auth rate limit", wait=wait, docmost_message=message)
                elif status >= 500:
                    failure = _Retryable(status, "server error", docmost_message=message)
                else:
                    raise DocmostError(endpoint, status, message)
            attempt = self._wait_or_give_up(endpoint, failure, attempt)

    def _session_token(self) -> str:
        if self.__session_token is None:
            with self._login_lock:
                if self.__session_token is None:
                    self._login_locked()
        return self.__session_token

    def _relogin(self, rejected_token: str | None) -> None:
        with self._login_lock:
            # Another thread may already have replaced the rejected session.
            if self.__session_token == rejected_token:
                self.__session_token = None
                self._login_locked()

    # --- the retry loop -------------------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        return self.backoff_base * (2**attempt) + random.uniform(0, self.backoff_base)

    def _wait_or_give_up(self, endpoint: str, failure: _Retryable, attempt: int) -> int:
        if attempt >= self.retries:
            cls = DocmostBadExport if failure.bad_export else DocmostUnavailable
            raise cls(endpoint, failure.status, failure.docmost_message,
                      f"{failure.detail}; gave up after {attempt + 1} attempts")
        wait = failure.wait if failure.wait is not None else self._backoff(attempt)
        self.log.warning("%s: %s (status %s); retry %d/%d in %.2fs", endpoint, failure.detail,
                         failure.status if failure.status is not None else "none", attempt + 1, self.retries, wait)
        time.sleep(wait)
        return attempt + 1

    def _call(self, path: str, body: dict | None, on_success: Callable[[httpx.Response], T], *,
              method: str = "POST") -> T:
        """POST ``body`` to ``path`` (or GET it) with session handling and retries; ``on_success`` reads a 2xx
        response."""
        endpoint = f"{method} {path}"
        attempt = 0
        relogged = False
        while True:
            token = self._session_token()
            try:
                return self._attempt(endpoint, method, path, body, {"cookie": f"authToken={token}"}, on_success)
            except _SessionRejected as rejected:
                if relogged:
                    raise DocmostAuthError(endpoint, 401, rejected.docmost_message,
                                           "session rejected again right after a fresh login") from None
                relogged = True
                self.log.info("%s: session expired (401); logging in again", endpoint)
                self._relogin(token)
            except _Retryable as failure:
                attempt = self._wait_or_give_up(endpoint, failure, attempt)

    def _attempt(self, endpoint: str, method: str, path: str, body: dict | None, headers: dict[str, str],
                 on_success: Callable[[httpx.Response], T]) -> T:
        self._count_request()
        try:
            with self._http.stream(method, path, json=body, headers=headers) as response:
                status = response.status_code
                if 200 <= status < 300:
                    return on_success(response)
                error_body = b""
                for chunk in response.iter_bytes():
                    error_body += chunk
                    if len(error_body) >= ERROR_BODY_LIMIT:
                        break
                message = _docmost_message(response, error_body)
                if status == 401:
                    raise _SessionRejected(message)
                if status == 429:
                    wait = parse_retry_after(response.headers.get("retry-after")
                                             or response.headers.get("retry-after-auth"))
                    raise _Retryable(status, "rate limited", wait=wait, docmost_message=message)
                if status >= 500:
                    raise _Retryable(status, "server error", docmost_message=message)
                if status == 403:
                    raise DocmostForbidden(endpoint, status, message)
                if status == 404:
                    raise DocmostNotFound(endpoint, status, message)
                if status == 400 and format_docmost_message(message) == EMPTY_SPACE_MESSAGE:
                    raise DocmostEmptySpace(endpoint, status, message)
                raise DocmostError(endpoint, status, message)
        except httpx.TimeoutException as exc:
            raise _Retryable(None, f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _Retryable(None, f"{type(exc).__name__}: {exc}") from None

    # --- JSON lists -----------------------------------------------------------------------------------------
    def _post_json(self, path: str, body: dict) -> Any:
        def read_json(response: httpx.Response) -> Any:
            raw = response.read()
            try:
                return json.loads(raw)
            except ValueError:
                raise DocmostError(f"POST {path}", response.status_code, None, "answer is not JSON") from None

        return self._call(path, body, read_json)

    def _list_all(self, path: str, base_body: dict) -> list[dict]:
        """Every item of a paginated list, following cursors or page numbers until ``hasNextPage`` is false."""
        return list(self._iter_all(path, base_body))

    def _iter_all(self, path: str, base_body: dict) -> Iterator[dict]:
        """The items of a paginated list as they arrive (one request per page of results, made when needed)."""
        endpoint = f"POST {path}"
        body = dict(base_body, limit=PAGE_SIZE)
        seen_cursors: set[str] = set()
        for _ in range(MAX_LIST_REQUESTS):
            payload = self._post_json(path, body)
            try:
                data = payload["data"]
                items = list(data["items"])
                meta = data.get("meta") or {}
            except (KeyError, TypeError):
                raise DocmostError(endpoint, 200, None, "unexpected answer shape (no data.items)") from None
            yield from items
            if not meta.get("hasNextPage"):
                return
            cursor = meta.get("nextCursor")
            if cursor:
                if cursor in seen_cursors:
                    raise DocmostError(endpoint, 200, None, "pagination returned the same cursor twice")
                seen_cursors.add(cursor)
                body = dict(base_body, limit=PAGE_SIZE, cursor=cursor)
            elif isinstance(meta.get("page"), int):
                body = dict(base_body, limit=PAGE_SIZE, page=meta["page"] + 1)
            else:
                raise DocmostError(endpoint, 200, None, "hasNextPage is true but meta has neither nextCursor nor page")
        raise DocmostError(endpoint, 200, None, f"pagination did not end after {MAX_LIST_REQUESTS} requests")

    # --- downloads ------------------------------------------------------------------------------------------
    def _download(self, path: str, body: dict | None, dest: Path, *, method: str = "POST",
                  check_zip: bool = True) -> ExportDownload:
        endpoint = f"{method} {path}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        started = time.monotonic()

        def stream_to_file(response: httpx.Response) -> ExportDownload:
            # Refused on the header alone: no body byte is read and no .part file is created. A body shorter
            # than its Content-Length is an interrupted download (httpx raises RemoteProtocolError: retried).
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_export_bytes:
                raise DocmostExportTooLarge(endpoint, response.status_code, None,
                                            f"Content-Length declares {int(declared)} bytes, more than the maximum "
                                            f"of {self.max_export_bytes} bytes; refused before downloading")
            digest = hashlib.sha256()
            size = 0
            try:
                with open(part, "wb") as out:
                    for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                        size += len(chunk)
                        if size > self.max_export_bytes:
                            raise DocmostExportTooLarge(endpoint, response.status_code, None,
                                                        f"more than the maximum of {self.max_export_bytes} bytes")
                        digest.update(chunk)
                        out.write(chunk)
                if check_zip and not zipfile.is_zipfile(part):
                    raise _Retryable(response.status_code, f"body of {size} bytes is not a readable ZIP "
                                     "(truncated or corrupt export)", bad_export=True)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
            os.replace(part, dest)
            return ExportDownload(path=dest, bytes=size, sha256=digest.hexdigest(),
                                  seconds=time.monotonic() - started)

        result = self._call(path, body, stream_to_file, method=method)
        self.log.info("%s: %d bytes in %.2fs to %s", endpoint, result.bytes, result.seconds, dest.name)
        return result
