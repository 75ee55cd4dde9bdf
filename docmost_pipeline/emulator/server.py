"""The project's Docmost test server: a real HTTP server on 127.0.0.1 speaking Docmost 0.95's API.

Owns the server's state and its switches. Serves the recorded spaces (Engineering, 한글 문서, Content Gallery,
Collisions and the empty General space) from a page model per space (:mod:`~docmost_pipeline.emulator.model`,
filled from the package's recordings by :mod:`~docmost_pipeline.emulator.seed`), with Docmost's response shapes:
login with the ``authToken`` cookie and the auth rate limit (10 requests per window, 429 + ``retry-after-auth``),
cursor pagination of spaces, sidebar pages and ``recent`` pages (base64url cursors, ``meta`` exactly as recorded;
optionally the legacy page-number form), ``/api/pages/info`` (every page, also generated and changed ones, with an optional latency and a count of the
requests in flight), space and single-page exports (the recorded bytes while a
space is unchanged, else generated from the model by :mod:`~docmost_pipeline.emulator.exporter`), file downloads and
the recorded error bodies. The model changes through the page mutations (:meth:`DocmostTestServer.create_page`,
``edit_page``, ``rename_page``, ``move_page``, ``trash_page``…), each setting ``updatedAt`` like Docmost. Faults are
injected through :class:`~docmost_pipeline.emulator.faults.Faults` (``server.faults``); every switch and mutation is
also reachable as ``POST /__control__/faults {"op": <name>, ...}``. Request handling is
:mod:`~docmost_pipeline.emulator.handler`.

Loopback only: :class:`DocmostTestServer` refuses any other bind address.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import math
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from urllib.parse import quote

from docmost_pipeline.emulator import docmark, recordings, seed
from docmost_pipeline.emulator.exporter import Exporter
from docmost_pipeline.emulator.faults import HTTP_OPERATIONS, Faults
from docmost_pipeline.emulator.generated import generated_space_model
from docmost_pipeline.emulator.handler import looks_like_uuid, make_handler
from docmost_pipeline.emulator.large_export import large_export_stream
from docmost_pipeline.emulator.model import Attachment, Page, SpaceModel, Wiki
from docmost_pipeline.emulator.recordings import SpaceData

DEFAULT_EMAIL = "admin@example.com"
DEFAULT_PASSWORD = "fixture-password"
AUTH_LIMIT = 10


@dataclass(frozen=True)
class ExportLatency:
    base_seconds: float
    per_page_seconds: float


#: How long Docmost 0.95 takes to export, fitted to the recordings' "Export timings" (``api/export-timings.json``:
#: three runs each of Engineering, 100 pages, 3.39/3.13/3.61 s; 한글 문서, 34 pages, 1.11/1.10/0.99 s; Content
#: Gallery, 20 pages, 1.22/0.83/0.75 s; loopback, 2 CPU cores). A least-squares line through the nine runs,
#: ``seconds = 0.154 + 0.0319 × pages``, predicts 3.34 s, 1.24 s and 0.79 s (the runs' means: 3.37, 1.07, 0.93;
#: Content Gallery's 11 attachments make it slower per page than 한글 문서's plain text). Rounded: 0.15 s per export
#: plus 32 ms per page, so a 2,000-page space takes about 64 s. Off by default (:meth:`DocmostTestServer.
#: set_export_latency`).
DOCMOST_095_EXPORT_LATENCY = ExportLatency(base_seconds=0.15, per_page_seconds=0.032)

#: How long Docmost 0.95 takes to answer ``POST /api/pages/info``: the 154 recorded requests (``elapsed_ms`` in
#: ``api/index.json``, each on a new connection, loopback) took 8.9 ms at the median (5.3 to 79.9 ms), so about 8 ms
#: of server time. Off by default (:meth:`DocmostTestServer.set_info_latency`).
DOCMOST_095_INFO_LATENCY = 0.008


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


class DocmostTestServer:
    """A Docmost 0.95 stand-in on ``127.0.0.1``. Use as a context manager or call :meth:`start`/:meth:`stop`.

    Attributes tests rely on: ``base_url``, ``email``, ``password``, ``faults`` (:class:`Faults`), ``requests``
    (list of :class:`RequestRecord`, method/path/status of every answered request, in order), ``wiki`` (the page
    model of every space) and ``exporter``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, email: str = DEFAULT_EMAIL,
                 password: str = DEFAULT_PASSWORD, auth_window_seconds: float = 60.0,
                 auth_limit: int = AUTH_LIMIT, app_url: str | None = docmark.APP_URL) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the Docmost test server binds to loopback only, not {host!r}")
        self.app_url = app_url
        self.email = email
        self.password = password
        self.auth_window_seconds = auth_window_seconds
        self.auth_limit = auth_limit
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self.export_latency = ExportLatency(0.0, 0.0)
        self._export_seconds = 0.0
        self.info_latency = 0.0
        self._info_in_flight = 0
        self._info_max_in_flight = 0
        self._lock = threading.RLock()
        self._sessions: set[str] = set()
        self._rate: dict[str, _RateWindow] = {}
        spaces = recordings.load_recorded_spaces()
        models = seed.load_models(spaces)
        self.wiki = Wiki()
        self.exporter = Exporter(self.wiki)
        for space in spaces:
            space.model = models[space.id]
            self.wiki.add_space(space.model)
        self._spaces: dict[str, SpaceData] = {s.id: s for s in spaces}
        self._hidden: set[str] = set()
        self._httpd = ThreadingHTTPServer((host, port), make_handler(self))
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

    def set_app_url(self, app_url: str | None = docmark.APP_URL) -> None:
        """The public address ``GET /`` publishes as ``window.CONFIG.APP_URL`` (Docmost's ``APP_URL``); ``None``
        serves the page without ``window.CONFIG``. Page content and exports keep the recordings'
        ``http://localhost:3000`` whatever is set here."""
        self.app_url = app_url

    def set_auth_rate_limit(self, window_seconds: float = 60.0, limit: int = AUTH_LIMIT) -> None:
        with self._lock:
            self.auth_window_seconds = window_seconds
            self.auth_limit = limit
            self._rate.clear()

    def set_export_latency(self, base_seconds: float = DOCMOST_095_EXPORT_LATENCY.base_seconds,
                           per_page_seconds: float = DOCMOST_095_EXPORT_LATENCY.per_page_seconds) -> dict:
        """Make exports take as long as a real server's: a space export waits ``base + per_page × pages`` before
        answering, a page export ``base + per_page`` (per exported page with ``includeChildren``). Without
        arguments: :data:`DOCMOST_095_EXPORT_LATENCY`; ``(0, 0)`` turns it off (the default)."""
        self.export_latency = ExportLatency(float(base_seconds), float(per_page_seconds))
        return {"base_seconds": self.export_latency.base_seconds,
                "per_page_seconds": self.export_latency.per_page_seconds}

    def export_pause(self, pages: int) -> None:
        seconds = self.export_latency.base_seconds + self.export_latency.per_page_seconds * pages
        if seconds > 0:
            with self._lock:
                self._export_seconds += seconds
            time.sleep(seconds)

    def export_seconds(self) -> dict:
        """The export time served so far (the latency model's waits added up): what a client waited on Docmost."""
        with self._lock:
            return {"seconds": round(self._export_seconds, 3)}

    def set_info_latency(self, seconds: float = DOCMOST_095_INFO_LATENCY) -> dict:
        """Make each ``POST /api/pages/info`` wait ``seconds`` before answering, as a real server takes (without
        arguments :data:`DOCMOST_095_INFO_LATENCY`; ``0`` turns it off, the default)."""
        self.info_latency = max(0.0, float(seconds))
        return {"seconds": self.info_latency}

    @contextlib.contextmanager
    def info_request(self) -> Iterator[None]:
        """Counts one ``info`` request in flight while it is answered (latency included), for
        :meth:`info_concurrency`."""
        with self._lock:
            self._info_in_flight += 1
            self._info_max_in_flight = max(self._info_max_in_flight, self._info_in_flight)
        try:
            if self.info_latency > 0:
                time.sleep(self.info_latency)
            yield
        finally:
            with self._lock:
                self._info_in_flight -= 1

    def info_concurrency(self, reset: bool = False) -> dict:
        """The most ``info`` requests answered at the same time so far (``reset``: start counting again)."""
        with self._lock:
            result = {"in_flight": self._info_in_flight, "max_in_flight": self._info_max_in_flight}
            if reset:
                self._info_max_in_flight = self._info_in_flight
            return result

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

    def _register(self, space: SpaceData) -> None:
        with self._lock:
            self._spaces[space.id] = space
            self.wiki.add_space(space.model)

    def add_space(self, slug: str = "extra-space", name: str = "Extra Space", clone_of: str = "collisions") -> dict:
        """Add a space cloned from ``clone_of`` with new ids (an extra space appearing between calls)."""
        source = self.space_by_slug(clone_of)
        with self.wiki.lock:
            id_map = {pid: recordings.derived_id(slug, pid) for pid in source.model.pages}
            slug_map = {p.slug_id: recordings.derived_slug_id(slug, p.slug_id) for p in source.model.pages.values()}
            clone = recordings.clone_space(source, name=name, slug=slug, id_map=id_map, slug_map=slug_map)
            clone.model = source.model.clone({"id": clone.id, "name": name, "slug": slug}, id_map, slug_map)
        self._register(clone)
        return {"id": clone.id, "slug": slug, "name": name}

    def remove_space(self, slug: str) -> None:
        with self._lock:
            space = self.space_by_slug(slug)
            del self._spaces[space.id]
            self.wiki.remove_space(space.id)

    def clone_spaces(self, count: int = 30,
                     sources: tuple[str, ...] | list[str] = ("collisions", "content-gallery", "hangul-docs")) -> list[dict]:
        """Add ``count`` spaces cloned round-robin from the small recorded spaces (slug ``<source>-copy-NN``)."""
        added = []
        for index in range(count):
            source = self.space_by_slug(sources[index % len(sources)])
            added.append(self.add_space(f"{source.slug}-copy-{index + 1:02d}", f"{source.name} copy {index + 1:02d}",
                                        source.slug))
        return added

    def _new_space_item(self, slug: str, name: str, description: str) -> dict:
        item = copy.deepcopy(self.space_by_slug("engineering").item)
        item.update(id=recordings.derived_id("space", slug), name=name, slug=slug, description=description)
        return item

    def add_large_space(self, size_bytes: int, slug: str = "large-export", name: str = "Large Export") -> dict:
        """Add a one-page space whose export is a generated ZIP of about ``size_bytes``, streamed from a generator
        (while its page is unchanged; after a change the export is generated from the model, without the blob)."""
        item = self._new_space_item(slug, name, "Generated large export")
        model = SpaceModel({"id": item["id"], "name": name, "slug": slug})
        page = Page(id=recordings.derived_id(slug, "page"), slug_id=recordings.derived_slug_id(slug, "page"),
                    title="Big Export", icon=None, position="a0", parent_id=None, space_id=item["id"],
                    created_at="2026-11-21T23:29:40.729Z", updated_at="2026-11-21T23:29:40.729Z",
                    content="A generated page whose attachment makes the export large.", read_rank=(0, 0))
        model.pages[page.id] = page
        attachment_id = recordings.derived_id(slug, "attachment")
        space = SpaceData(item=item, model=model)
        space.export_headers = [["access-control-allow-origin", "*"], ["content-type", "application/zip"],
                                ["content-disposition", f'attachment; filename="{quote(name)}-space-export.zip"'],
                                ["x-frame-options", "SAMEORIGIN"], ["Transfer-Encoding", "chunked"]]
        page_item = {"id": page.id, "slugId": page.slug_id, "title": page.title, "position": page.position}
        space.export_stream = lambda: large_export_stream(size_bytes, page=page_item, attachment_id=attachment_id)
        self._register(space)
        return {"id": item["id"], "slug": slug, "name": name}

    def add_generated_space(self, slug: str = "generated", pages: int = 2000, seed: int = 0,
                            name: str | None = None) -> dict:
        """Add a space of ``pages`` generated pages (:mod:`~docmost_pipeline.emulator.generated`): bodies from the
        recorded pages, a tree a few levels deep, links, mentions and attachments between them; its exports,
        ``recent`` and sidebar come from the model like every other space's."""
        name = name or f"Generated {pages}"
        item = self._new_space_item(slug, name, f"{pages} generated pages (seed {seed})")
        with self.wiki.lock:
            sources = [self.space_by_slug(s).model for s in ("engineering", "hangul-docs", "content-gallery")]
            model = generated_space_model({"id": item["id"], "name": name, "slug": slug}, pages, seed, sources)
        self._register(SpaceData(item=item, model=model))
        return {"id": item["id"], "slug": slug, "name": name, "pages": len(model.pages)}

    def drop_from_export(self, page_id: str) -> None:
        """From now on the space export omits page ``page_id`` (its ``.md``, its metadata entry and the attachments
        only it refers to), the way Docmost 0.95 silently drops a page; the API tree still lists it, and its
        single-page export still works. Generated exports of the space leave it out too."""
        found = self.find_page(page_id)
        if found is None:
            raise KeyError(f"no page {page_id!r}")
        space, _ = found
        with self._lock:
            if space.export_zip is not None:
                space.export_zip = recordings.drop_page_from_export(space.export_zip, page_id)
            space.model.omitted.add(page_id)

    # --- page mutations (see model.Wiki) --------------------------------------------------------------------
    def create_page(self, space: str, title: str | None, parent_id: str | None = None, after_id: str | None = None,
                    content: str = "", icon: str | None = None, first: bool = False) -> dict:
        """A new page in ``space`` (slug or id); returns its ``recent`` item. See :meth:`Wiki.create_page`."""
        return self.wiki.create_page(space, title, parent_id, after_id, content, icon, first)

    def edit_page(self, page_id: str, content: str) -> dict:
        return self.wiki.edit_page(page_id, content)

    def append_text(self, page_id: str, text: str) -> dict:
        return self.wiki.append_text(page_id, text)

    def rename_page(self, page_id: str, title: str | None) -> dict:
        return self.wiki.rename_page(page_id, title)

    def set_icon(self, page_id: str, icon: str | None) -> dict:
        return self.wiki.set_icon(page_id, icon)

    def move_page(self, page_id: str, parent_id: str | None, after_id: str | None = None,
                  first: bool = False) -> dict:
        return self.wiki.move_page(page_id, parent_id, after_id, first)

    def trash_page(self, page_id: str) -> dict:
        return self.wiki.trash_page(page_id)

    def restore_page(self, page_id: str) -> dict:
        return self.wiki.restore_page(page_id)

    def add_attachment(self, page_id: str, name: str, data: bytes | str = b"", data_base64: str | None = None) -> dict:
        """Attach a file (``data``, or ``data_base64`` over HTTP) to the page; see :meth:`Wiki.add_attachment`."""
        return self.wiki.add_attachment(page_id, name, base64.b64decode(data_base64) if data_base64 else data)

    def link_page(self, page_id: str, target_id: str, mention: bool = False) -> dict:
        return self.wiki.link_page(page_id, target_id, mention)

    def link_attachment(self, page_id: str, attachment_id: str, alt: str | None = None) -> dict:
        """Show an existing attachment (also one of another space) on the page; see :meth:`Wiki.link_attachment`."""
        return self.wiki.link_attachment(page_id, attachment_id, alt)

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

    def find_page(self, page_id: str) -> tuple[SpaceData, Page] | None:
        """The page (trashed ones too) with its space, when the space is visible."""
        found = self.wiki.find(page_id) if looks_like_uuid(page_id) else None
        if found is None:
            return None
        space = self.find_space(found[0].id)
        return None if space is None else (space, found[1])

    def find_page_by_slug_id(self, slug_id: str) -> tuple[SpaceData, Page] | None:
        found = self.wiki.find_by_slug_id(slug_id)
        space = self.find_space(found[0].id) if found else None
        return None if space is None else (space, found[1])

    def find_attachment(self, attachment_id: str) -> Attachment | None:
        with self.wiki.lock:
            for model in self.wiki.spaces.values():
                if attachment_id in model.attachments:
                    return model.attachments[attachment_id]
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
