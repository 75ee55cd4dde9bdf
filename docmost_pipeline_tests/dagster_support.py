"""Helpers for the Dagster-layer tests: settings, resources and materialization against the Docmost test server."""

from __future__ import annotations

import json
from pathlib import Path

from dagster import DagsterInstance, materialize

from docmost_pipeline.defs.assets import ASSET_NAMES
from docmost_pipeline.defs.definitions import build_definitions
from docmost_pipeline.defs.partitions import SPACES_PARTITIONS
from docmost_pipeline.defs.resources import AlertResource, DocmostResource, OutputResource
from docmost_pipeline.settings import Settings, load_settings

RECORDED_SPACES = ("collisions", "content-gallery", "engineering", "general", "hangul-docs")


def make_settings(server, output_dir: Path, **env: str) -> Settings:
    values = {
        "DOCMOST_BASE_URL": server.base_url,
        "DOCMOST_EMAIL": server.email,
        "DOCMOST_PASSWORD": server.password,
        "OUTPUT_DIR": str(output_dir),
        "RAW_EXPORT_RETRY_DELAY": "0.05",
    }
    values.update(env)
    return load_settings(values)


def make_resources(server, output_dir: Path, *, password: str | None = None, retries: int = 3,
                   webhook_urls: str = "", webserver_url: str = "http://127.0.0.1:3030",
                   public_url: str | None = None) -> dict:
    return {
        "docmost": DocmostResource(
            base_url=server.base_url,
            email=server.email,
            password=password if password is not None else server.password,
            retries=retries,
            backoff_base=0.01,
            connect_timeout=5.0,
            read_timeout=30.0,
            public_url=public_url,
        ),
        "output": OutputResource(output_dir=str(output_dir), base_url=server.base_url),
        "alerts": AlertResource(webhook_urls=webhook_urls, webserver_url=webserver_url),
    }


def sync_assets(settings: Settings) -> list:
    """The four assets of the sync, taken from the project's definitions."""
    definitions = build_definitions(settings)
    return [definitions.get_assets_def(name) for name in ASSET_NAMES]


def after_convert(monkeypatch, hook) -> None:
    """Run ``hook(space_slug, tree_dir)`` on every tree ``postprocessed_tree`` converts (before its checks), by
    wrapping the converter the asset calls: how tests inject a broken link or an edit into a converted tree."""
    from docmost_pipeline.defs import assets

    convert = assets.convert_space

    def convert_then_hook(export, out_dir, *, space_slug, **kwargs):
        report = convert(export, out_dir, space_slug=space_slug, **kwargs)
        hook(space_slug, Path(out_dir))
        return report

    monkeypatch.setattr(assets, "convert_space", convert_then_hook)


def sync_space(instance: DagsterInstance, settings: Settings, resources: dict, slug: str, *, assets=None,
               raise_on_error: bool = False, tags: dict | None = None, run_config: dict | None = None):
    """Materialize the four assets of one space partition in-process, as the sync job would."""
    if slug not in instance.get_dynamic_partitions(SPACES_PARTITIONS.name):
        instance.add_dynamic_partitions(SPACES_PARTITIONS.name, [slug])
    return materialize(
        assets if assets is not None else sync_assets(settings),
        instance=instance,
        resources=resources,
        partition_key=slug,
        raise_on_error=raise_on_error,
        tags=tags,
        run_config=run_config,
    )


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 recording every POST (path, JSON body); answers ``status`` (default 200)."""

    def __init__(self, status: int = 200) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self
        self.status = status
        self.posts: list[tuple[str, dict]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                receiver.posts.append((self.path, json.loads(body or b"null")))
                self.send_response(receiver.status)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
