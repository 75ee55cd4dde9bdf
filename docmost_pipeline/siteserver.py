"""A plain static web server for the live website (``SITE_DIR/live``), as ``make run`` serves it on 127.0.0.1.

Owns serving the built site the way any static web server would: a directory's ``index.html``, a redirect from
``/docs/page`` to ``/docs/page/``, the site's own ``404.html`` with status 404 for anything missing, no directory
listings, and not the publisher's stamp (``_publish.json``: host, pid, paths). Each request resolves the live
path again, so a site switched live (a symlink swap) is served from the next request on, and a request already
being answered finishes from the version it started with (the file was opened there).

Python's ``http.server``: enough for a local preview. Production serves ``SITE_DIR/live`` with any web server.
"""

from __future__ import annotations

import os
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from docmost_pipeline.publish import STAMP_NAME

NOT_BUILT_YET = (b"<!doctype html><meta charset=utf-8><title>Site not built yet</title>"
                 b"<p>The site has not been built yet: it is built once the spaces are published "
                 b"(asset <code>docusaurus_site</code> in the Dagster UI).</p>\n")


class SiteRequestHandler(SimpleHTTPRequestHandler):
    """``SimpleHTTPRequestHandler`` without directory listings, with the site's 404 page and a 503 page before
    the first build."""

    def send_head(self):
        if not os.path.isdir(self.directory):
            self._send_page(HTTPStatus.SERVICE_UNAVAILABLE, NOT_BUILT_YET)
            return None
        if os.path.basename(self.path.split("?", 1)[0].rstrip("/")) == STAMP_NAME:
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        return super().send_head()

    def list_directory(self, path):
        # A folder without index.html is not a page of the site.
        self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code == HTTPStatus.NOT_FOUND and page.is_file():
            self._send_page(HTTPStatus.NOT_FOUND, page.read_bytes())
        else:
            super().send_error(code, message, explain)

    def _send_page(self, status: HTTPStatus, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # one line per asset request would drown dagster dev's log


def start_site_server(live_dir: Path, host: str = "127.0.0.1", port: int = 3040) -> ThreadingHTTPServer:
    """Serve ``live_dir`` (followed at every request) on host:port from a daemon thread; ``shutdown()`` stops it.
    Raises OSError when the port cannot be bound."""
    handler = partial(SiteRequestHandler, directory=str(Path(live_dir).absolute()))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="site-server", daemon=True).start()
    return server
