"""HTTP side of the Docmost test server: one request handler class answering like Docmost 0.95.

Owns the wire: status lines, headers, JSON bodies wrapped like Docmost's, chunked or ``Content-Length`` export bodies
with the stream faults (:class:`~docmost_pipeline.emulator.faults.Faults`), and the routes. What to answer comes
from the server object (:class:`~docmost_pipeline.emulator.server.DocmostTestServer`: sessions, spaces, the page
model and its exporter); response shapes from :mod:`~docmost_pipeline.emulator.views`.

Exports: while a space's model is unchanged, its space export is the recorded ZIP (or the generated stream of a
large space) and a recorded page export the recorded body, byte for byte; anything else is generated from the model
(:mod:`~docmost_pipeline.emulator.exporter`). Both honour the export latency set on the server.
"""

from __future__ import annotations

import json
import math
import mimetypes
import select
import socket
import struct
import time
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import unquote

from docmost_pipeline.emulator import docmark, recordings
from docmost_pipeline.emulator.faults import DeclaredLength, DeclaredLengthResponse
from docmost_pipeline.emulator.recordings import dumps, recorded_error
from docmost_pipeline.emulator.views import info_body, paginate, recent_items, sidebar_item

if TYPE_CHECKING:
    from docmost_pipeline.emulator.server import DocmostTestServer

EXPORT_CHUNK = 64 * 1024
BASE_HEADERS = [["access-control-allow-origin", "*"]]
JSON_TYPE = "application/json; charset=utf-8"
UUID_LENGTH = 36


def looks_like_uuid(value: object) -> bool:
    if not isinstance(value, str) or len(value) != UUID_LENGTH:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def download_name(title: str | None, extension: str) -> str:
    """The ``filename`` of an export's ``content-disposition``: ``encodeURIComponent(sanitizeFileName(...))``."""
    return docmark.encode_component(docmark.sanitize_file_name(title or "untitled") + extension)


class _ClientGone(Exception):
    """The connection was reset on purpose (fault) or by the client; stop writing."""


def make_handler(server: DocmostTestServer) -> type[BaseHTTPRequestHandler]:
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
        path = self.path.split("?", 1)[0]
        try:
            if path == "/__control__/requests":
                with self.docmost._lock:
                    log = [r.__dict__ for r in self.docmost.requests]
                self.send_json(200, dumps(log))
            elif self._faulted(path):
                pass
            elif path == "/":
                self.web_index()
            elif path.startswith("/api/files/"):
                self.file_download(path)
            else:
                self.send_message(404, f"Cannot GET {self.path}", "Not Found")
        except (_ClientGone, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if not self._status:
                self.docmost.record("GET", path, 0)

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
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            self.send_json(400, dumps({"ok": False, "error": message}))
            return
        self.send_json(200, dumps({"ok": True, "result": result}))

    def _faulted(self, path: str) -> bool:
        """Apply the ``delay`` and ``fail``/``rate_limit`` switches for ``path``; True when a failure was answered."""
        faults = self.docmost.faults
        delay = faults.take_delay(path)
        if delay:
            time.sleep(delay)
        failure = faults.take_failure(path)
        if failure is None:
            return False
        extra = [["retry-after", f"{failure.retry_after:g}"]] if failure.retry_after is not None else []
        message = "Too many requests" if failure.status == 429 else "Internal server error"
        self.send_json(failure.status, dumps({"statusCode": failure.status, "message": message}), extra)
        return True

    def _api(self, path: str, raw: bytes) -> None:
        if self._faulted(path):
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
        if path != "/api/auth/login" and not self._authenticated():
            self.send_error_case("no-cookie.spaces-list")
            return
        handler(self, body)

    def _authenticated(self) -> bool:
        if self.docmost.faults.count_authenticated_request():
            self.docmost.expire_sessions()
        return self.docmost.session_valid(self._cookie_token())

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
            space, parent = found
            parent_id = parent.id
        elif space_id:
            space = self.docmost.find_space(space_id)
            if space is None:
                self.send_message(403, "Forbidden", None)
                return
            parent_id = None
        else:
            self.send_error_case("sidebar.no-space-no-page")
            return
        with self.docmost.wiki.lock:
            items = [sidebar_item(space.model, page) for page in space.model.children(parent_id)]
        self.send_data(paginate(items, body, ("position", "id"), self.docmost.faults.legacy_pagination))

    def recent_pages(self, body: dict) -> None:
        """``POST /api/pages/recent``: the space's (or every visible space's) pages outside the trash, newest first."""
        if not self._limit_ok(body):
            return
        space_id = body.get("spaceId")
        with self.docmost.wiki.lock:
            if space_id is not None:
                if not looks_like_uuid(space_id):
                    self.send_message(400, ["spaceId must be a UUID"], "Bad Request")
                    return
                space = self.docmost.find_space(space_id)
                if space is None:
                    self.send_message(403, "Forbidden", None)
                    return
                items = recent_items(space.model)
            else:
                items = sorted((item for s in self.docmost.spaces() for item in recent_items(s.model)),
                               key=lambda item: (item["updatedAt"], item["id"]), reverse=True)
        self.send_data(paginate(items, body, ("updatedAt", "id"), self.docmost.faults.legacy_pagination,
                                descending=True))

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
        model = space.model
        headers = space.export_headers or BASE_HEADERS + [
            ["content-type", "application/zip"],
            ["content-disposition", f'attachment; filename="{download_name(space.name + "-space-export", ".zip")}"'],
            ["x-frame-options", "SAMEORIGIN"]]
        if not model.changed and space.export_stream is not None:
            self.docmost.export_pause(1)
            self.send_stream(headers, space.export_stream(), path="/api/spaces/export")
        elif not model.changed and space.export_zip is not None:
            self.docmost.export_pause(len(model.live_pages()))
            self.send_stream(headers, [space.export_zip], path="/api/spaces/export")
        elif not model.live_pages():
            self.send_message(400, "No accessible pages to export", "Bad Request")
        else:
            data, pages = self.docmost.exporter.space_zip(model, bool(body.get("includeAttachments")))
            self.docmost.export_pause(pages)
            self.send_stream(headers, [data], path="/api/spaces/export")

    def page_export(self, body: dict) -> None:
        page_id = body.get("pageId")
        if not looks_like_uuid(page_id):
            self.send_message(500, "Internal server error", None) if page_id else \
                self.send_message(400, ["pageId must be a UUID"], "Bad Request")
            return
        if not self._format_ok(body):
            return
        found = self.docmost.find_page(page_id)
        if found is None or found[1].trashed:
            # ExportController: `if (!page || page.deletedAt) throw new NotFoundException('Page not found')`, the
            # body the info endpoint was recorded answering for an unknown page.
            self.send_error_case("page-info.unknown")
            return
        space, page = found
        attachments, children = bool(body.get("includeAttachments")), bool(body.get("includeChildren"))
        recording = recordings.recorded_page_exports().get((page_id, attachments, children))
        if recording is not None and not space.model.changed:
            self.docmost.export_pause(1 + (len(space.model.descendants(page_id, live_only=True)) if children else 0))
            if any(k.lower() == "transfer-encoding" for k, _ in recording.headers):
                self.send_stream(recording.headers, [recording.body], path="/api/pages/export")
            else:
                self._start(recording.status, recording.headers)
                self.send_header("content-length", str(len(recording.body)))
                self.end_headers()
                self.wfile.write(recording.body)
            return
        export = self.docmost.exporter.page_export(space.model, page, attachments, children)
        self.docmost.export_pause(export.pages)
        if export.kind == "file":
            self._start(200, BASE_HEADERS + [["content-type", "application/octet-stream"],
                                             ["content-disposition",
                                              f'attachment; filename="{download_name(page.title, ".md")}"'],
                                             ["x-frame-options", "SAMEORIGIN"]])
            self.send_header("content-length", str(len(export.data)))
            self.end_headers()
            self.wfile.write(export.data)
            return
        disposition = f'attachment; filename="{download_name(page.title, ".zip")}"'
        headers = BASE_HEADERS + [["content-type", "application/zip"], ["content-disposition", disposition],
                                  ["x-frame-options", "SAMEORIGIN"]]
        self.send_stream(headers, [export.data], path="/api/pages/export")

    def page_info(self, body: dict) -> None:
        """``POST /api/pages/info``: trashed pages too (with ``deletedAt``); a ``pageId`` that is not a UUID is
        looked up as a slugId, as Docmost does."""
        page_id = body.get("pageId")
        with self.docmost.info_request():
            self._page_info(page_id)

    def _page_info(self, page_id: object) -> None:
        status = self.docmost.faults.page_info_failure(page_id)
        if status is not None:
            self.send_json(status, dumps({"statusCode": status, "message": "Internal server error"}))
            return
        found = None
        if isinstance(page_id, str):
            found = self.docmost.find_page(page_id) if looks_like_uuid(page_id) else \
                self.docmost.find_page_by_slug_id(page_id)
        if found is None:
            self.send_error_case("page-info.unknown")
            return
        space, page = found
        with self.docmost.wiki.lock:
            data = info_body(space.model, page)
        self.send_data(data)

    def web_index(self) -> None:
        """``GET /``: the web app's HTML as recorded, carrying the server's public address in ``window.CONFIG``
        (``APP_URL``; the page has no ``window.CONFIG`` when the server's ``app_url`` is None). No session needed."""
        status, headers, body = recordings.web_index(self.docmost.app_url)
        self._start(status, headers)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def file_download(self, path: str) -> None:
        """``GET /api/files/<attachmentId>/<fileName>``: the recorded 401 without a session, else the file's bytes
        (any attachment of any space, as for a user who may read them all); 404 for an unknown id or name."""
        if not self._authenticated():
            self.send_error_case("files.no-cookie")
            return
        parts = path.split("/")
        attachment = self.docmost.find_attachment(parts[3]) if len(parts) == 5 else None
        if attachment is None or attachment.file_name != unquote(parts[4]):
            self.send_message(404, "File not found", "Not Found")
            return
        content_type = mimetypes.guess_type(attachment.file_name)[0] or "application/octet-stream"
        self._start(200, recordings.file_download_headers(content_type))
        self.send_header("content-length", str(len(attachment.data)))
        self.end_headers()
        self.wfile.write(attachment.data)


ROUTES = {
    "/api/auth/login": _DocmostHandler.login,
    "/api/spaces/": _DocmostHandler.spaces_list,
    "/api/spaces": _DocmostHandler.spaces_list,
    "/api/pages/sidebar-pages": _DocmostHandler.sidebar_pages,
    "/api/pages/recent": _DocmostHandler.recent_pages,
    "/api/spaces/export": _DocmostHandler.space_export,
    "/api/pages/export": _DocmostHandler.page_export,
    "/api/pages/info": _DocmostHandler.page_info,
}
