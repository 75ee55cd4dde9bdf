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


def metadata(result, asset: str) -> dict:
    """The plain values of the first materialization of ``asset`` in an execution result."""
    return {k: v.value for k, v in result.asset_materializations_for_node(asset)[0].metadata.items()}


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


REPO = Path(__file__).resolve().parents[1]


def project_env(home: Path, output_dir: Path, server=None, **extra: str) -> dict[str, str]:
    """The environment of a process of this project (daemon, CLI) over a temporary DAGSTER_HOME and OUTPUT_DIR: the
    caller's environment without any project setting, then Docmost = ``server`` (when given) and ``extra``."""
    import os

    project = ("DOCMOST_", "SYNC_INTERVAL", "DOCUSAURUS_CHECK", "ALERT_", "PRUNE_", "PUBLISH_", "DAGSTER_",
               "OUTPUT_DIR", "MAX_CONCURRENT_EXPORTS", "CHANGE_POLL_INTERVAL", "DISCOVERY_INTERVAL", "RAW_EXPORT_",
               "FULL_SYNC_EVERY", "INCREMENTAL_MAX_CHANGED", "LOG_FORMAT", "GIT_PUBLISH_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(project)}
    env.update(DAGSTER_HOME=str(home), OUTPUT_DIR=str(output_dir), PYTHONUNBUFFERED="1")
    if server is not None:
        env.update(DOCMOST_BASE_URL=server.base_url, DOCMOST_EMAIL=server.email, DOCMOST_PASSWORD=server.password)
    env.update(extra)
    return env


def dagster_home(path: Path) -> Path:
    """A DAGSTER_HOME holding the project's dagster.yaml, as `make run` prepares .dagster_home."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    return path


class Daemon:
    """A real ``dagster-daemon run -w workspace.yaml`` (the daemon of `make run`) in its own session, its output in
    ``log``; stopped with SIGINT (then SIGKILL after 60 s) on exit."""

    def __init__(self, env: dict[str, str], log: Path, cwd: Path | None = None,
                 workspace: Path = REPO / "workspace.yaml") -> None:
        self.env, self.log_path, self.cwd, self.workspace = env, log, cwd, workspace
        self.process = None

    def __enter__(self) -> "Daemon":
        import subprocess
        import sys

        bin_dir = Path(sys.executable).parent
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen([str(bin_dir / "dagster-daemon"), "run", "-w", str(self.workspace)],
                                        cwd=self.cwd or self.env["DAGSTER_HOME"], env=self.env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __exit__(self, *exc) -> None:
        import os
        import signal
        import subprocess

        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._log.close()


def wait_for(condition, timeout: float, what: str, daemon: Daemon | None = None, interval: float = 1.0):
    """Poll ``condition()`` until it returns something truthy (returned), at most ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if daemon is not None and not daemon.alive():
            raise AssertionError(f"dagster-daemon exited while waiting for {what}:\n{daemon.tail()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s" + (f"\n{daemon.tail()}" if daemon else ""))
        time.sleep(interval)


def stop_daemon(daemon) -> None:
    """Stop a ``dagster-daemon run`` started in its own session: SIGINT (its clean shutdown), then SIGKILL to the
    whole process group after 60 s."""
    import os
    import signal
    import subprocess

    daemon.send_signal(signal.SIGINT)
    try:
        daemon.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait()


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals holding one instant (an end and a start at the same instant do not meet)."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak
