"""Fault-injection switches of the Docmost test server.

Owns the mutable "what should go wrong next" state. Every switch is a method of :class:`Faults`, so tests in the
same process call them directly (``server.faults.fail("/api/spaces/", times=2)``) and a server in another process
is steered over HTTP with ``POST /__control__/faults`` ``{"op": "fail", "path": "/api/spaces/", "times": 2}``
(see :data:`HTTP_OPERATIONS`). Space-level switches (extra/hidden/cloned/large/generated spaces, password changes,
export latency) and the page mutations (create, edit, rename, move, trash, …) live on the server object and are
reachable over HTTP the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class CannedFailure:
    status: int
    remaining: int
    retry_after: float | None = None


@dataclass
class StreamFault:
    after_bytes: int
    remaining: int


@dataclass
class DeclaredLength:
    """Send an export body with ``Content-Length`` instead of chunked (see :meth:`Faults.declare_length`)."""

    length: int | None
    send_bytes: int | None
    hold_seconds: float
    remaining: int


@dataclass(frozen=True)
class DeclaredLengthResponse:
    """What the server did for one ``declare_length`` response: ``declared`` in the header, ``sent`` body bytes
    really written to the socket, and whether the client closed the connection before the server did (and how
    many seconds after the headers went out it was seen closed)."""

    path: str
    declared: int
    sent: int
    client_closed: bool
    closed_after_seconds: float | None


class Faults:
    """Per-endpoint failures consumed by the request handler. All counters are decremented as they fire."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: Every response sent under :meth:`declare_length`, in order (kept across :meth:`reset`).
        self.declared_length_responses: list[DeclaredLengthResponse] = []
        self.reset()

    def reset(self) -> None:
        """Clear every switch."""
        with self._lock:
            self._failures: dict[str, list[CannedFailure]] = {}
            self._delays: dict[str, list[float | int | None]] = {}
            self._resets: dict[str, StreamFault] = {}
            self._truncations: dict[str, StreamFault] = {}
            self._declared_lengths: dict[str, DeclaredLength] = {}
            self._expire_after: int | None = None
            self._page_info_failures: dict[str, int] = {}
            self.legacy_pagination = False

    # --- switches -------------------------------------------------------------------------------------------
    def fail(self, path: str, times: int = 1, status: int = 503) -> None:
        """Answer the next ``times`` requests to ``path`` with ``status`` (a 5xx, or 401 for a rejected session), then behave normally."""
        with self._lock:
            self._failures.setdefault(path, []).append(CannedFailure(status, times))

    def rate_limit(self, path: str, times: int = 1, retry_after: float = 1.0) -> None:
        """Answer the next ``times`` requests to ``path`` with 429 and ``Retry-After: <retry_after>``."""
        with self._lock:
            self._failures.setdefault(path, []).append(CannedFailure(429, times, retry_after))

    def delay(self, path: str, seconds: float, times: int | None = None) -> None:
        """Wait ``seconds`` before answering requests to ``path`` (``times`` of them; ``None`` = until reset)."""
        with self._lock:
            self._delays[path] = [seconds, times]

    def reset_connection(self, path: str = "/api/spaces/export", after_bytes: int = 1024, times: int = 1) -> None:
        """Reset the TCP connection (RST) after ``after_bytes`` of the next ``times`` export bodies to ``path``."""
        with self._lock:
            self._resets[path] = StreamFault(after_bytes, times)

    def truncate_export(self, path: str = "/api/spaces/export", to_bytes: int = 1024, times: int = 1) -> None:
        """Send only the first ``to_bytes`` of the next ``times`` export bodies, ending the response cleanly."""
        with self._lock:
            self._truncations[path] = StreamFault(to_bytes, times)

    def declare_length(self, path: str = "/api/spaces/export", length: int | None = None,
                       send_bytes: int | None = None, hold_seconds: float = 0.0, times: int = 1) -> None:
        """Send the next ``times`` export bodies of ``path`` with a ``Content-Length`` header instead of chunked.

        ``length`` is the declared size (default: the real size); ``send_bytes`` caps the body bytes written
        (default: all). When fewer bytes than declared went out, the server keeps the connection open for up to
        ``hold_seconds`` (returning as soon as the client closes it), then closes it: a body shorter than its
        header, or a huge declared length the client should refuse before reading. Each such response is
        logged in :attr:`declared_length_responses`.
        """
        with self._lock:
            self._declared_lengths[path] = DeclaredLength(length, send_bytes, float(hold_seconds), times)

    def fail_page_info(self, page_id: str, status: int = 500) -> None:
        """Answer every ``POST /api/pages/info`` for ``page_id`` with ``status`` (a 5xx) until :meth:`reset`: a page
        whose document Docmost cannot give, whatever the retries (the other pages answer normally)."""
        if not 500 <= int(status) <= 599:
            raise ValueError(f"fail_page_info needs a 5xx status, got {status}")
        with self._lock:
            self._page_info_failures[page_id] = int(status)

    def expire_sessions_after(self, requests: int) -> None:
        """After ``requests`` more authenticated requests, invalidate every session once (the next call gets 401)."""
        with self._lock:
            self._expire_after = requests

    def set_legacy_pagination(self, enabled: bool = True) -> None:
        """Paginate lists with ``page`` numbers and ``meta.page`` (Docmost < 0.80) instead of cursors."""
        with self._lock:
            self.legacy_pagination = bool(enabled)

    # --- consumed by the handler ----------------------------------------------------------------------------
    def take_failure(self, path: str) -> CannedFailure | None:
        with self._lock:
            queue = self._failures.get(path)
            while queue:
                head = queue[0]
                if head.remaining > 0:
                    head.remaining -= 1
                    return head
                queue.pop(0)
            return None

    def page_info_failure(self, page_id: object) -> int | None:
        with self._lock:
            return self._page_info_failures.get(page_id) if isinstance(page_id, str) else None

    def take_delay(self, path: str) -> float:
        with self._lock:
            entry = self._delays.get(path)
            if not entry:
                return 0.0
            seconds, times = entry
            if times is not None:
                if times <= 0:
                    return 0.0
                entry[1] = times - 1
            return float(seconds)

    def _take_stream(self, table: dict[str, StreamFault], path: str) -> int | None:
        with self._lock:
            fault = table.get(path)
            if fault is None or fault.remaining <= 0:
                return None
            fault.remaining -= 1
            return fault.after_bytes

    def take_reset(self, path: str) -> int | None:
        return self._take_stream(self._resets, path)

    def take_truncation(self, path: str) -> int | None:
        return self._take_stream(self._truncations, path)

    def take_declared_length(self, path: str) -> DeclaredLength | None:
        with self._lock:
            fault = self._declared_lengths.get(path)
            if fault is None or fault.remaining <= 0:
                return None
            fault.remaining -= 1
            return fault

    def log_declared_length_response(self, response: DeclaredLengthResponse) -> None:
        with self._lock:
            self.declared_length_responses.append(response)

    def count_authenticated_request(self) -> bool:
        """Return True when this request is the one at which the sessions expire."""
        with self._lock:
            if self._expire_after is None:
                return False
            if self._expire_after <= 0:
                self._expire_after = None
                return True
            self._expire_after -= 1
            return False


#: Operations accepted by ``POST /__control__/faults`` ({"op": <name>, **arguments}); "faults." ones go to
#: :class:`Faults`, the others to the server object.
HTTP_OPERATIONS = {
    "reset": "faults.reset",
    "fail": "faults.fail",
    "rate_limit": "faults.rate_limit",
    "delay": "faults.delay",
    "reset_connection": "faults.reset_connection",
    "truncate_export": "faults.truncate_export",
    "declare_length": "faults.declare_length",
    "expire_sessions_after": "faults.expire_sessions_after",
    "set_legacy_pagination": "faults.set_legacy_pagination",
    "fail_page_info": "faults.fail_page_info",
    "set_password": "server.set_password",
    "add_space": "server.add_space",
    "remove_space": "server.remove_space",
    "hide_space": "server.hide_space",
    "show_space": "server.show_space",
    "clone_spaces": "server.clone_spaces",
    "add_large_space": "server.add_large_space",
    "drop_from_export": "server.drop_from_export",
    "set_auth_rate_limit": "server.set_auth_rate_limit",
    "clear_requests": "server.clear_requests",
    "set_export_latency": "server.set_export_latency",
    "export_seconds": "server.export_seconds",
    "set_info_latency": "server.set_info_latency",
    "info_concurrency": "server.info_concurrency",
    "add_generated_space": "server.add_generated_space",
    # page mutations: each sets updatedAt like Docmost (model.Wiki)
    "create_page": "server.create_page",
    "edit_page": "server.edit_page",
    "append_text": "server.append_text",
    "rename_page": "server.rename_page",
    "set_icon": "server.set_icon",
    "move_page": "server.move_page",
    "trash_page": "server.trash_page",
    "restore_page": "server.restore_page",
    "add_attachment": "server.add_attachment",
    "link_page": "server.link_page",
    "link_attachment": "server.link_attachment",
    "set_app_url": "server.set_app_url",
}
