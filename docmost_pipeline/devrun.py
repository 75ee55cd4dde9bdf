"""``make run``: start ``dagster dev`` (webserver + daemon) on 127.0.0.1 for this project.

``python -m docmost_pipeline.devrun --port 3030``: loads ``.env``, validates the configuration (one clear line on
error), and when DOCMOST_BASE_URL is unset starts the project's Docmost test server
(``python -m docmost_pipeline.emulator``) as a subprocess on a free 127.0.0.1 port with demo credentials, points
DOCMOST_* at it and says so loudly, so a newcomer sees a full run without a Docmost. The demo server is stopped
when dagster exits (or on Ctrl-C / SIGTERM).

The website: with SITE_DIR set (the demo sets it to ``OUTPUT_DIR/.pipeline/site``), the live site
``SITE_DIR/live`` is served on ``127.0.0.1:SITE_PORT`` (default 3040) by a plain static server
(:mod:`docmost_pipeline.siteserver`), and the banner prints its address next to the Dagster UI's.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from docmost_pipeline.demo import DEMO_EMAIL, DEMO_PASSWORD, clear_demo, record_demo
from docmost_pipeline.instance import write_instance_settings
from docmost_pipeline.settings import SettingsError, load_settings
from docmost_pipeline.siteserver import start_site_server
from docmost_pipeline.website import SITE_NAME
from docmost_pipeline.workdir import WORK_DIR_NAME

REPO_ROOT = Path(__file__).resolve().parent.parent


def banner(lines: list[str]) -> str:
    width = max(len(line) for line in lines) + 4
    edge = "#" * width
    return "\n".join([edge, *(f"# {line.ljust(width - 4)} #" for line in lines), edge])


def _default_interrupts() -> None:
    # A shell starting us in the background ignores SIGINT, and children inherit that; dagster dev maps SIGTERM to
    # its SIGINT handler, so it would then ignore both. Give children the default handlers back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start_demo_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """Start the Docmost test server (``docmost_pipeline.emulator``, part of the installed package with its
    recordings) on a free 127.0.0.1 port; returns (process, base URL)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "docmost_pipeline.emulator", "--port", "0",
         "--email", DEMO_EMAIL, "--password", DEMO_PASSWORD],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_default_interrupts,
    )
    base_url = (process.stdout.readline() if process.stdout else "").strip()
    if not base_url.startswith("http://127.0.0.1:"):
        process.kill()
        raise RuntimeError("the demo Docmost test server did not start (no base URL printed)")
    return process, base_url


def demo_site_dir(output_dir: Path) -> Path:
    """Where the demo's website goes: the working data beside the published spaces (gitignored with them)."""
    return output_dir / WORK_DIR_NAME / "site"


def start_website(site_dir: Path | None, host: str, port: int):
    """The static server of SITE_DIR/live, or None without SITE_DIR; exits with a clear line when the port is
    taken."""
    if site_dir is None:
        return None
    try:
        return start_site_server(site_dir / SITE_NAME, host, port)
    except OSError as exc:
        print(f"configuration error: SITE_PORT={port}: cannot serve the website on {host}:{port} ({exc.strerror}); "
              "set SITE_PORT to a free port", file=sys.stderr)
        raise SystemExit(2) from None


def stop(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docmost_pipeline.devrun",
                                     description="Start dagster dev (webserver + daemon) for docmost_pipeline.")
    parser.add_argument("--port", type=int, default=None,
                        help="webserver port (default: DAGSTER_PORT from the environment or .env, else 3030)")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    os.chdir(REPO_ROOT)
    try:
        settings = load_settings()  # also loads .env into os.environ (never overriding what is set)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.port is None:
        args.port = settings.dagster_port

    env = dict(os.environ)
    env.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster_home"))
    env.setdefault("MAX_CONCURRENT_EXPORTS", str(settings.max_concurrent_exports))
    env.setdefault("DAGSTER_WEBSERVER_URL", f"http://{args.host}:{args.port}")
    # dagster dev runs in DAGSTER_HOME (below), so a relative OUTPUT_DIR is made absolute against the repo here.
    output_dir = (REPO_ROOT / settings.output_dir).resolve()
    env["OUTPUT_DIR"] = str(output_dir)
    dagster_home = Path(env["DAGSTER_HOME"]).resolve()
    env["DAGSTER_HOME"] = str(dagster_home)
    dagster_home.mkdir(parents=True, exist_ok=True)
    write_instance_settings(dagster_home, settings, env)

    site_dir = settings.site_dir
    if site_dir is None and not settings.docmost_configured:
        site_dir = demo_site_dir(output_dir)
    if site_dir is not None:
        site_dir = (REPO_ROOT / site_dir).resolve()
        env["SITE_DIR"] = str(site_dir)
        # the site's absolute URLs (canonical links, sitemap) name where it is served, unless set otherwise
        env.setdefault("SITE_URL", f"http://{args.host}:{settings.site_port}")
    website = start_website(site_dir, args.host, settings.site_port)

    demo: subprocess.Popen | None = None
    if not settings.docmost_configured:
        demo, base_url = start_demo_server(env)
        env.update(DOCMOST_BASE_URL=base_url, DOCMOST_EMAIL=DEMO_EMAIL, DOCMOST_PASSWORD=DEMO_PASSWORD)
        # for `docmost-pipeline sync` and the Dagster CLI in another terminal (docmost_pipeline.demo)
        record_demo(output_dir, base_url, os.getpid())

        print(banner([
            "DEMO MODE: DOCMOST_BASE_URL is not set.",
            f"Serving the bundled demo export (recorded Docmost 0.95 spaces) at {base_url}",
            "through the project's Docmost TEST SERVER. Nothing here comes from a real Docmost.",
            f"Published trees go to {env['OUTPUT_DIR']}.",
            "Commands run from this folder in another terminal (docmost-pipeline, dagster) use it too.",
            "Set DOCMOST_BASE_URL, DOCMOST_EMAIL, DOCMOST_PASSWORD (e.g. in .env) to use a real Docmost.",
        ]), flush=True)

    command = [sys.executable, "-m", "dagster", "dev", "-h", args.host, "-p", str(args.port),
               "-w", str(REPO_ROOT / "workspace.yaml")]
    addresses = [f"Dagster UI: http://{args.host}:{args.port}/  (DAGSTER_HOME={dagster_home})"]
    if website is not None:
        addresses.append(f"Website:    http://{args.host}:{settings.site_port}/  (serving {site_dir / SITE_NAME}, "
                         "built after spaces publish)")
    print(banner(addresses), flush=True)
    # cwd = DAGSTER_HOME: dagster dev warns about a dagster.yaml in the current folder that is not DAGSTER_HOME's.
    dagster = subprocess.Popen(command, cwd=str(dagster_home), env=env, preexec_fn=_default_interrupts)

    def forward(signum, _frame):
        # dagster dev shuts down cleanly on SIGINT (its Ctrl-C path); use it for SIGTERM too.
        if dagster.poll() is None:
            dagster.send_signal(signal.SIGINT)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        return dagster.wait()
    finally:
        if dagster.poll() is None:
            stop(dagster, timeout=30)
        if demo is not None:
            clear_demo(output_dir, os.getpid())
        stop(demo)
        if website is not None:
            website.shutdown()


if __name__ == "__main__":
    sys.exit(main())
