"""The project's Docmost test server: a real HTTP server on 127.0.0.1 speaking Docmost 0.95's API.

Owns request handling. Serves the recorded spaces (Engineering, 한글 문서, Content Gallery, Collisions and the empty
General space) from the package's recordings (``docmost_pipeline/emulator/data/docmost-0.95/``, loaded by
:mod:`~docmost_pipeline.emulator.recordings`) with Docmost's response shapes: login with the ``authToken`` cookie
and the auth rate limit (10 requests per window, 429 + ``retry-after-auth``), cursor pagination of spaces and
sidebar pages (base64url cursors, ``meta`` exactly as recorded; optionally the legacy page-number form), space
exports as the recorded ZIP bytes (chunked), single-page exports (recorded where recorded, synthesised
otherwise), ``/api/pages/info`` and the recorded error bodies. Faults are injected through
:class:`~docmost_pipeline.emulator.faults.Faults` (``server.faults``) or ``POST /__control__/faults``.

Loopback only: :class:`DocmostTestServer` refuses any other bind address.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import secrets
import select
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlencode

from docmost_pipeline.emulator import recordings
from docmost_pipeline.emulator.faults import (
    HTTP_OPERATIONS,
    DeclaredLength,
    DeclaredLengthResponse,
    Faults,
)
from docmost_pipeline.emulator.large_export import large_export_stream
from docmost_pipeline.emulator.recordings import SpaceData, dumps, recorded_error

DEFAULT_EMAIL = "admin@example.com"
DEFAULT_PASSWORD = "fixture-password"
AUTH_LIMIT = 10
EXPORT_CHUNK = 64 * 1024
BASE_HEADERS = [["access-control-allow-origin", "*"]]
JSON_TYPE = "application/json; charset=utf-8"
UUID_LENGTH = 36


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    status: int


class _RateWindow:
    """Nest throttler semantics as recorded: a fixed window per client; the 11th request is blocked for a window."""

    def __init__(self) -> None:
        self.started = 0.0
        self.count = 0
        self.blocked_until = 0.0


def encode_cursor(fields: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(urlencode(fields).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, str]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    return dict(parse_qsl(raw, keep_blank_values=True))


def looks_like_uuid(value: object) -> bool:
    if not isinstance(value, str) or len(value) != UUID_LENGTH:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class DocmostTestServer:
    """A Docmost 0.95 stand-in on ``127.0.0.1``. Use as a context manager or call :meth:`start`/:meth:`stop`.

    Attributes tests rely on: ``base_url``, ``email``, ``password``, ``faults`` (:class:`Faults`), ``requests``
    (list of :class:`RequestRecord`, method/path/status of every answered request, in order).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, email: str = DEFAULT_EMAIL,
                 password: str = DEFAULT_PASSWORD, auth_window_seconds: float = 60.0,
                 auth_limit: int = AUTH_LIMIT) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the Docmost test server binds to loopback only, not {host!r}")
        self.email = email
        self.password = password
        self.auth_window_seconds = auth_window_seconds
        self.auth_limit = auth_limit
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self._lock = threading.RLock()
        self._sessions: set[str] = set()
        self._rate: dict[str, _RateWindow] = {}
        self._spaces: dict[str, SpaceData] = {s.id: s for s in recordings.load_recorded_spaces()}
        self._hidden: set[str] = set()
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DocmostTestServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="docmost-test-server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> DocmostTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"DocmostTestServer(base_url={self.base_url!r}, email={self.email!r})"

    # --- request log ----------------------------------------------------------------------------------------
    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append(RequestRecord(method, path, status))

    def count(self, path: str, status: int | None = None) -> int:
        """How many requests to ``path`` (optionally with ``status``) were answered."""
        with self._lock:
            return sum(1 for r in self.requests if r.path == path and (status is None or r.status == status))

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- switches on the data -------------------------------------------------------------------------------
    def set_password(self, password: str) -> None:
        """Change the accepted password (simulates a password rotated on the Docmost side)."""
        self.password = password

    def set_auth_rate_limit(self, window_seconds: float = 60.0, limit: int = AUTH_LIMIT) -> None:
        with self._lock:
            self.auth_window_seconds = window_seconds
            self.auth_limit = limit
            self._rate.clear()

    def expire_sessions(self) -> None:
        with self._lock:
            self._sessions.clear()

    def spaces(self) -> list[SpaceData]:
        """Visible spaces in Docmost's list order (by name, then id)."""
        with self._lock:
            visible = [s for s in self._spaces.values() if s.id not in self._hidden]
        return sorted(visible, key=lambda s: (s.name, s.id))

    def space_by_slug(self, slug: str) -> SpaceData:
        with self._lock:
            for space in self._spaces.values():
                if space.slug == slug:
                    return space
        raise KeyError(f"no space with slug {slug!r}")

    def hide_space(self, slug: str) -> None:
        """Make a space disappear from every endpoint (it may come back with :meth:`show_space`)."""
        with self._lock:
            self._hidden.add(self.space_by_slug(slug).id)

    def show_space(self, slug: str) -> None:
        with self._lock:
            self._hidden.discard(self.space_by_slug(slug).id)

    def add_space(self, slug: str = "extra-space", name: str = "Extra Space", clone_of: str = "collisions") -> dict:
        """Add a space cloned from ``clone_of`` with new ids (an extra space appearing between calls)."""
        clone = recordings.clone_space(self.space_by_slug(clone_of), name=name, slug=slug)
        with self._lock:
            self._spaces[clone.id] = clone
        return {"id": clone.id, "slug": slug, "name": name}

    def remove_space(self, slug: str) -> None:
        with self._lock:
            space = self.space_by_slug(slug)
            del self._spaces[space.id]

    def clone_spaces(self, count: int = 30,
                     sources: tuple[str, ...] | list[str] = ("collisions", "content-gallery", "hangul-docs")) -> list[dict]:
        """Add ``count`` spaces cloned round-robin from the small recorded spaces (slug ``<source>-copy-NN``)."""
        added = []
        for index in range(count):
            source = self.space_by_slug(sources[index % len(sources)])
            added.append(self.add_space(f"{source.slug}-copy-{index + 1:02d}", f"{source.name} copy {index + 1:02d}",
                                        source.slug))
        return added

    def add_large_space(self, size_bytes: int, slug: str = "large-export", name: str = "Large Export") -> dict:
        """Add a one-page space whose export is a generated ZIP of about ``size_bytes``, streamed from a generator."""
        space_id = recordings.derived_id("space", slug)
        page = recordings.sidebar_item(recordings.derived_id(slug, "page"),
                                       {"slugId": recordings.derived_slug_id(slug, "page"), "icon": None,
                                        "position": "a0"}, "Big Export", None, space_id)
        item = copy.deepcopy(self.space_by_slug("engineering").item)
        item.update(id=space_id, name=name, slug=slug, description="Generated large export")
        attachment_id = recordings.derived_id(slug, "attachment")
        space = SpaceData(item=item, pages={page["id"]: page})
        space.export_headers = [["access-control-allow-origin", "*"], ["content-type", "application/zip"],
                                ["content-disposition", f'attachment; filename="{quote(name)}-space-export.zip"'],
                                ["x-frame-options", "SAMEORIGIN"], ["Transfer-Encoding", "chunked"]]
        space.export_stream = lambda: large_export_stream(size_bytes, page=page, attachment_id=attachment_id)
        with self._lock:
            self._spaces[space.id] = space
        return {"id": space_id, "slug": slug, "name": name}

    def drop_from_export(self, page_id: str) -> None:
        """From now on the space export omits page ``page_id`` (its ``.md``, its metadata entry and the attachments
        only it refers to), the way Docmost 0.95 silently drops a page; the API tree still lists it, and its
        single-page export (synthesised) still works."""
        found = self.find_page(page_id)
        if found is None:
            raise KeyError(f"no page {page_id!r}")
        space, _ = found
        with self._lock:
            space.export_zip = recordings.drop_page_from_export(space.export_zip, page_id)

    def control(self, operation: dict) -> object:
        """Apply one ``POST /__control__/faults`` operation: ``{"op": <name>, **arguments}``."""
        op = operation.get("op")
        target = HTTP_OPERATIONS.get(op)
        if target is None:
            raise ValueError(f"unknown fault operation {op!r}; known: {', '.join(sorted(HTTP_OPERATIONS))}")
        owner, method = target.split(".")
        func = getattr(self.faults if owner == "faults" else self, method)
        arguments = {k: v for k, v in operation.items() if k != "op"}
        return func(**arguments)

    # --- API helpers used by the handler --------------------------------------------------------------------
    def find_space(self, space_id: str) -> SpaceData | None:
        with self._lock:
            space = self._spaces.get(space_id)
            return None if space is None or space.id in self._hidden else space

    def find_page(self, page_id: str) -> tuple[SpaceData, dict] | None:
        for space in self.spaces():
            if page_id in space.pages:
                return space, space.pages[page_id]
        return None

    def new_session(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions.add(token)
        return token

    def session_valid(self, token: str | None) -> bool:
        with self._lock:
            return token is not None and token in self._sessions

    def take_auth_slot(self, client: str) -> tuple[bool, list[list[str]]]:
        """Count one auth request for ``client``; return (allowed, rate-limit headers)."""
        now = time.monotonic()
        with self._lock:
            window = self._rate.setdefault(client, _RateWindow())
            if now < window.blocked_until:
                wait = math.ceil(window.blocked_until - now)
                return False, [["retry-after-auth", str(max(1, wait))]]
            if now - window.started >= self.auth_window_seconds:
                window.started, window.count = now, 0
            window.count += 1
            if window.count > self.auth_limit:
                window.blocked_until = now + self.auth_window_seconds
                window.started, window.count = window.blocked_until, 0
                return False, [["retry-after-auth", str(max(1, math.ceil(self.auth_window_seconds)))]]
            reset = max(0, math.ceil(self.auth_window_seconds - (now - window.started)))
            return True, [["x-ratelimit-limit-auth", str(self.auth_limit)],
                          ["x-ratelimit-remaining-auth", str(self.auth_limit - window.count)],
                          ["x-ratelimit-reset-auth", str(reset)]]


def paginate(items: list[dict], body: dict, cursor_fields: tuple[str, str], legacy: bool) -> dict:
    """Docmost's cursor pagination (or the legacy page-number form) over ``items`` already in list order.

    ``nextCursor`` encodes the last item returned, ``prevCursor`` the first one when a cursor was sent, exactly
    as in the recordings.
    """
    limit = int(body.get("limit") or 20)
    if legacy:
        page = max(1, int(body.get("page") or 1))
        chunk = items[(page - 1) * limit: page * limit]
        return {"items": chunk, "meta": {"limit": limit, "page": page, "hasNextPage": page * limit < len(items),
                                         "hasPrevPage": page > 1}}
    cursor = body.get("cursor")
    start = 0
    if cursor:
        after = decode_cursor(cursor)
        key = tuple(after.get(f, "") for f in cursor_fields)
        start = next((i for i, item in enumerate(items) if tuple(item[f] for f in cursor_fields) > key), len(items))
    chunk = items[start:start + limit]
    has_next = start + limit < len(items)
    has_prev = bool(cursor)

    def cursor_of(item: dict) -> str:
        return encode_cursor({f: item[f] for f in cursor_fields})

    return {"items": chunk, "meta": {
        "limit": limit,
        "hasNextPage": has_next,
        "hasPrevPage": has_prev,
        "nextCursor": cursor_of(chunk[-1]) if has_next and chunk else None,
        "prevCursor": cursor_of(chunk[0]) if has_prev and chunk else None,
    }}


class _ClientGone(Exception):
    """The connection was reset on purpose (fault) or by the client; stop writing."""


def _make_handler(server: DocmostTestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_DocmostHandler):
        docmost = server

    return Handler


class _DocmostHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "DocmostTestServer"
    docmost: DocmostTestServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle + delayed ACK add ~40 ms per request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass  # the request log on the server object replaces stderr noise

    # --- low-level responses --------------------------------------------------------------------------------
    def _start(self, status: int, headers: list[list[str]]) -> None:
        self.send_response_only(status)
        for name, value in headers:
            if name.lower() in ("date", "connection", "content-length", "transfer-encoding"):
                continue
            self.send_header(name, value)
        self.send_header("Date", formatdate(usegmt=True))
        self._status = status
        # Logged before the response leaves, so a client that has its answer always finds it in the log.
        self.docmost.record(self.command, self.path.split("?", 1)[0], status)

    def send_json(self, status: int, body: bytes, extra: list[list[str]] | None = None) -> None:
        self._start(status, BASE_HEADERS + (extra or []) + [["content-type", JSON_TYPE], ["x-frame-options", "SAMEORIGIN"]])
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_error_case(self, case: str, extra: list[list[str]] | None = None) -> None:
        status, body = recorded_error(case)
        self.send_json(status, body, extra)

    def send_message(self, status: int, message: object, error: str | None) -> None:
        payload: dict = {"message": message}
        if error:
            payload["error"] = error
        payload["statusCode"] = status
        self.send_json(status, dumps(payload))

    def send_data(self, data: object) -> None:
        self.send_json(200, dumps({"data": data, "success": True, "status": 200}))

    def send_stream(self, headers: list[list[str]], chunks, *, path: str) -> None:
        """Chunked body; honours the declare-length, reset-connection and truncate-export faults for ``path``."""
        declared = self.docmost.faults.take_declared_length(path)
        if declared is not None:
            self._send_with_length(headers, chunks, path, declared)
            return
        reset_after = self.docmost.faults.take_reset(path)
        truncate_to = self.docmost.faults.take_truncation(path)
        self._start(200, headers)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        cut_at = min(x for x in (reset_after, truncate_to, math.inf) if x is not None)
        for chunk in chunks:
            for offset in range(0, len(chunk), EXPORT_CHUNK):
                piece = chunk[offset:offset + EXPORT_CHUNK][: max(0, cut_at - sent) if cut_at != math.inf else None]
                if piece:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    sent += len(piece)
                if sent >= cut_at:
                    break
            if sent >= cut_at:
                break
        if reset_after is not None and sent >= reset_after:
            self._reset_connection()
        self.wfile.write(b"0\r\n\r\n")

    def _send_with_length(self, headers: list[list[str]], chunks, path: str, fault: DeclaredLength) -> None:
        """The body with a ``Content-Length`` header (as a buffering proxy sends it), possibly lying or cut short."""
        if fault.length is None and not isinstance(chunks, (list, tuple)):
            raise ValueError("declare_length needs an explicit length for a generated export")
        declared = fault.length if fault.length is not None else sum(len(chunk) for chunk in chunks)
        to_send = declared if fault.send_bytes is None else min(fault.send_bytes, declared)
        self._start(200, headers)
        self.send_header("content-length", str(declared))
        self.end_headers()
        headers_sent = time.monotonic()
        sent = 0
        client_closed = False
        closed_after = None
        try:
            for chunk in chunks:
                for offset in range(0, len(chunk), EXPORT_CHUNK):
                    piece = chunk[offset:offset + EXPORT_CHUNK][: to_send - sent]
                    if not piece:
                        break
                    self.wfile.write(piece)
                    sent += len(piece)
                if sent >= to_send:
                    break
            if sent < declared:
                client_closed = self._wait_for_client_close(fault.hold_seconds)
        except (BrokenPipeError, ConnectionResetError):
            client_closed = True
        finally:
            if client_closed:
                closed_after = time.monotonic() - headers_sent
            self.docmost.faults.log_declared_length_response(
                DeclaredLengthResponse(path, declared, sent, client_closed, closed_after))
        if sent < declared:
            self.close_connection = True  # the response is incomplete: the connection cannot carry another one

    def _wait_for_client_close(self, seconds: float) -> bool:
        """Hold the connection up to ``seconds``; True as soon as the client closes (or resets) it."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], remaining)
            if readable:
                try:
                    if not self.connection.recv(64 * 1024):
                        return True
                except ConnectionResetError:
                    return True
        return False

    def _reset_connection(self) -> None:
        # SO_LINGER 0 makes close() send RST: the client sees "connection reset" mid-body, as with a dying proxy.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        raise _ClientGone()

    # --- dispatch -------------------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._status = 0
        try:
            if self.path == "/__control__/requests":
                with self.docmost._lock:
                    log = [r.__dict__ for r in self.docmost.requests]
                self.send_json(200, dumps(log))
            else:
                self.send_message(404, f"Cannot GET {self.path}", "Not Found")
        finally:
            if not self._status:
                self.docmost.record("GET", self.path, 0)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._status = 0
        path = self.path.split("?", 1)[0]
        try:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            if path == "/__control__/faults":
                self._control(raw)
                return
            self._api(path, raw)
        except (_ClientGone, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if not self._status:  # nothing was answered (client gone before the status line)
                self.docmost.record("POST", path, 0)

    def _control(self, raw: bytes) -> None:
        try:
            result = self.docmost.control(json.loads(raw or b"{}"))
        except (ValueError, TypeError, KeyError) as exc:
            self.send_json(400, dumps({"ok": False, "error": str(exc)}))
            return
        self.send_json(200, dumps({"ok": True, "result": result}))

    def _api(self, path: str, raw: bytes) -> None:
        faults = self.docmost.faults
        delay = faults.take_delay(path)
        if delay:
            time.sleep(delay)
        failure = faults.take_failure(path)
        if failure is not None:
            extra = [["retry-after", f"{failure.retry_after:g}"]] if failure.retry_after is not None else []
            message = "Too many requests" if failure.status == 429 else "Internal server error"
            self.send_json(failure.status, dumps({"statusCode": failure.status, "message": message}), extra)
            return
        handler = ROUTES.get(path)
        if handler is None:
            self.send_message(404, f"Cannot POST {path}", "Not Found")
            return
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            self.send_error_case("malformed-json.login" if path == "/api/auth/login" else "malformed-json.sidebar")
            return
        if not isinstance(body, dict):
            body = {}
        if path != "/api/auth/login":
            token = self._cookie_token()
            if faults.count_authenticated_request():
                self.docmost.expire_sessions()
            if not self.docmost.session_valid(token):
                self.send_error_case("no-cookie.spaces-list")
                return
        handler(self, body)

    def _cookie_token(self) -> str | None:
        cookie = SimpleCookie()
        try:
            cookie.load(self.headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a garbled cookie is simply no session
            return None
        morsel = cookie.get("authToken")
        return morsel.value if morsel else None

    # --- endpoints ------------------------------------------------------------------------------------------
    def login(self, body: dict) -> None:
        allowed, rate_headers = self.docmost.take_auth_slot(self.client_address[0])
        if not allowed:
            status, error_body = recorded_error("login.rate-limited")
            self.send_json(status, error_body, rate_headers)
            return
        if body.get("email") != self.docmost.email or body.get("password") != self.docmost.password:
            self.send_error_case("login.wrong-password", rate_headers)
            return
        token = self.docmost.new_session()
        expires = formatdate((datetime.now(timezone.utc) + timedelta(days=30)).timestamp(), usegmt=True)
        cookie = f"authToken={token}; Path=/; Expires={expires}; HttpOnly; SameSite=Lax"
        self.send_json(200, dumps({"success": True, "status": 200}), rate_headers + [["set-cookie", cookie]])

    def _limit_ok(self, body: dict) -> bool:
        limit = body.get("limit")
        if limit is None:
            return True
        if not isinstance(limit, int) or limit > 100:
            self.send_error_case("sidebar.limit-101")
            return False
        if limit < 1:
            self.send_message(400, ["limit must not be less than 1"], "Bad Request")
            return False
        return True

    def spaces_list(self, body: dict) -> None:
        if not self._limit_ok(body):
            return
        items = [s.item for s in self.docmost.spaces()]
        self.send_data(paginate(items, body, ("name", "id"), self.docmost.faults.legacy_pagination))

    def sidebar_pages(self, body: dict) -> None:
        if not self._limit_ok(body):
            return
        page_id, space_id = body.get("pageId"), body.get("spaceId")
        if page_id:
            found = self.docmost.find_page(page_id)
            if found is None:
                self.send_error_case("sidebar.missing-page")
                return
            space, _ = found
            children = [p for p in space.pages.values() if p["parentPageId"] == page_id]
        elif space_id:
            space = self.docmost.find_space(space_id)
            if space is None:
                self.send_message(403, "Forbidden", None)
                return
            children = [p for p in space.pages.values() if p["parentPageId"] is None]
        else:
            self.send_error_case("sidebar.no-space-no-page")
            return
        children.sort(key=lambda p: (p["position"].encode(), p["id"]))
        self.send_data(paginate(children, body, ("position", "id"), self.docmost.faults.legacy_pagination))

    def _format_ok(self, body: dict) -> bool:
        if body.get("format") not in ("html", "markdown"):
            self.send_error_case("export.bad-format")
            return False
        if body.get("format") == "html":
            self.send_message(400, "the Docmost test server only has Markdown exports", "Bad Request")
            return False
        return True

    def space_export(self, body: dict) -> None:
        space_id = body.get("spaceId")
        if not looks_like_uuid(space_id):
            self.send_error_case("export.invalid-uuid")
            return
        if not self._format_ok(body):
            return
        space = self.docmost.find_space(space_id)
        if space is None:
            self.send_error_case("export.missing-space")
            return
        if space.export_stream is not None:
            self.send_stream(space.export_headers, space.export_stream(), path="/api/spaces/export")
        elif space.export_zip is None:
            self.send_message(400, "No accessible pages to export", "Bad Request")
        else:
            self.send_stream(space.export_headers, [space.export_zip], path="/api/spaces/export")

    def page_export(self, body: dict) -> None:
        page_id = body.get("pageId")
        if not looks_like_uuid(page_id):
            self.send_message(500, "Internal server error", None) if page_id else \
                self.send_message(400, ["pageId must be a UUID"], "Bad Request")
            return
        if not self._format_ok(body):
            return
        found = self.docmost.find_page(page_id)
        if found is None:
            self.send_message(404, "Page not found", "Not Found")
            return
        space, page = found
        attachments, children = bool(body.get("includeAttachments")), bool(body.get("includeChildren"))
        recording = recordings.recorded_page_exports().get((page_id, attachments, children))
        if recording is not None:
            if any(k.lower() == "transfer-encoding" for k, _ in recording.headers):
                self.send_stream(recording.headers, [recording.body], path="/api/pages/export")
            else:
                self._start(recording.status, recording.headers)
                self.send_header("content-length", str(len(recording.body)))
                self.end_headers()
                self.wfile.write(recording.body)
            return
        entry, markdown = space.page_markdown.get(page_id, (None, None))
        title = page["title"] or "untitled"
        if not attachments and not children:
            data = (markdown if markdown is not None else f"# {title}\n\n").encode("utf-8")
            name = quote(recordings.sanitize_file_name(page["title"]) + ".md")
            self._start(200, BASE_HEADERS + [["content-type", "application/octet-stream"],
                                             ["content-disposition", f'attachment; filename="{name}"'],
                                             ["x-frame-options", "SAMEORIGIN"]])
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        exported_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"
        files = recordings.page_attachment_files(space, markdown) if attachments else None
        data = recordings.synthesize_page_zip(page, markdown, space.page_metadata.get(page_id), exported_at, files)
        name = quote(recordings.sanitize_file_name(page["title"]) + ".zip")
        headers = BASE_HEADERS + [["content-type", "application/zip"],
                                  ["content-disposition", f'attachment; filename="{name}"'],
                                  ["x-frame-options", "SAMEORIGIN"]]
        self.send_stream(headers, [data], path="/api/pages/export")

    def page_info(self, body: dict) -> None:
        page_id = body.get("pageId")
        found = self.docmost.find_page(page_id) if isinstance(page_id, str) else None
        if found is None:
            self.send_message(404, "Page not found", "Not Found")
            return
        recorded = recordings.load_api_json("page-info.collisions.first.json")["data"]
        if recorded["id"] == page_id:
            self.send_data(recorded)
            return
        space, page = found
        meta = space.page_metadata.get(page_id, {})
        self.send_data({
            "id": page["id"], "slugId": page["slugId"], "title": page["title"], "icon": page["icon"],
            "coverPhoto": None, "position": page["position"], "parentPageId": page["parentPageId"],
            "creatorId": recordings.ADMIN_USER_ID, "spaceId": space.id, "workspaceId": recordings.WORKSPACE_ID,
            "createdAt": meta.get("createdAt"), "updatedAt": meta.get("updatedAt"), "deletedAt": None,
            "content": None,  # the test server has no ProseMirror JSON for this page
            "space": {"id": space.id, "name": space.name, "slug": space.slug},
        })


ROUTES = {
    "/api/auth/login": _DocmostHandler.login,
    "/api/spaces/": _DocmostHandler.spaces_list,
    "/api/spaces": _DocmostHandler.spaces_list,
    "/api/pages/sidebar-pages": _DocmostHandler.sidebar_pages,
    "/api/spaces/export": _DocmostHandler.space_export,
    "/api/pages/export": _DocmostHandler.page_export,
    "/api/pages/info": _DocmostHandler.page_info,
}
