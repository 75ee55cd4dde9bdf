"""``docmost-pipeline serve code-server|webserver|daemon|all``: Dagster's production processes for this project.

Each of the first three reads the settings (``.env`` too), writes ``DAGSTER_HOME/dagster.yaml`` (and the gRPC
``workspace.yaml`` for the webserver and the daemon, see :mod:`docmost_pipeline.instance`), then replaces itself
(exec) with the Dagster process, so a SIGTERM reaches Dagster, which shuts down cleanly on it:

- ``code-server``: ``dagster api grpc`` serving ``docmost_pipeline.definitions`` (default 127.0.0.1:4000); it also
  starts the run workers (the default run launcher);
- ``webserver``: ``dagster-webserver`` (default 127.0.0.1:3030) loading that code server;
- ``daemon``: ``dagster-daemon run`` (run queue, sensors, schedules, run monitoring, run retries) over it.

``all`` (``make serve``) starts the three as child processes, the code server first, and stops them all, in reverse
order with SIGTERM, when it is stopped or when one of them exits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CODE_SERVER = ("127.0.0.1", 4000)
WEBSERVER = ("127.0.0.1", 3030)
STOP_TIMEOUT_SECONDS = 60


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve", help="run Dagster's production processes (code server, webserver, daemon) for this project",
        description="Write DAGSTER_HOME/dagster.yaml from the settings, then run one Dagster process (or all three).")
    processes = parser.add_subparsers(dest="process", required=True, metavar="PROCESS")

    code = processes.add_parser("code-server", help="the gRPC code server of docmost_pipeline.definitions")
    _address(code, "", CODE_SERVER)

    web = processes.add_parser("webserver", help="dagster-webserver (UI, GraphQL) over the code server")
    _address(web, "", (WEBSERVER[0], None))
    _address(web, "code-server-", CODE_SERVER)

    daemon = processes.add_parser("daemon", help="dagster-daemon run (queue, sensors, schedules, monitoring, retries)")
    _address(daemon, "code-server-", CODE_SERVER)

    every = processes.add_parser("all", help="the three above as child processes (make serve); Ctrl-C stops them")
    _address(every, "", (WEBSERVER[0], None))
    _address(every, "code-server-", CODE_SERVER)
    parser.set_defaults(func=run)


def _address(parser, prefix: str, default: tuple[str, int | None]) -> None:
    name = prefix.rstrip("-").replace("-", " ") or "this server"
    port = default[1] if default[1] is not None else "DAGSTER_PORT, else 3030"
    parser.add_argument(f"--{prefix}host", default=default[0], help=f"host of {name} (default {default[0]})")
    parser.add_argument(f"--{prefix}port", type=int, default=default[1], help=f"port of {name} (default {port})")


def dagster_command(args, dagster_home: Path) -> list[str]:
    """The Dagster command line of one process (its executables beside this Python's)."""
    from docmost_pipeline.instance import LOCATION_NAME

    bin_dir = Path(sys.executable).parent
    workspace = str(dagster_home / "workspace.yaml")
    if args.process == "code-server":
        return [str(bin_dir / "dagster"), "api", "grpc", "--module-name", "docmost_pipeline.definitions",
                "--host", args.host, "--port", str(args.port), "--location-name", LOCATION_NAME]
    if args.process == "webserver":
        return [str(bin_dir / "dagster-webserver"), "--host", args.host, "--port", str(args.port), "-w", workspace]
    return [str(bin_dir / "dagster-daemon"), "run", "-w", workspace]


def prepare(args) -> tuple[Path, dict[str, str]] | str:
    """Validate the settings and write DAGSTER_HOME's files; (DAGSTER_HOME, environment) or a one-line error."""
    from docmost_pipeline.instance import write_grpc_workspace, write_instance_settings
    from docmost_pipeline.settings import SettingsError, load_settings

    try:
        settings = load_settings()  # also loads .env into os.environ (never overriding what is set)
    except SettingsError as exc:
        return f"configuration error: {exc}"
    home = os.environ.get("DAGSTER_HOME", "").strip()
    if not home:
        return ("configuration error: DAGSTER_HOME is not set: set it to the folder of the Dagster instance "
                "(every process of the deployment uses the same one), e.g. DAGSTER_HOME=/srv/dagster")
    dagster_home = Path(home).expanduser().resolve()
    dagster_home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(dagster_home)
    # the processes run in DAGSTER_HOME (below): a relative OUTPUT_DIR is taken from where the command was started
    env["OUTPUT_DIR"] = str(settings.output_dir.resolve())
    env.setdefault("MAX_CONCURRENT_EXPORTS", str(settings.max_concurrent_exports))
    if getattr(args, "port", 0) is None:
        args.port = settings.dagster_port  # the webserver's
    write_instance_settings(dagster_home, settings, env, writer=f"docmost-pipeline serve {args.process}")
    if args.process in ("webserver", "daemon", "all"):
        write_grpc_workspace(dagster_home, args.code_server_host, args.code_server_port)
    return dagster_home, env


def run(args) -> int:
    prepared = prepare(args)
    if isinstance(prepared, str):
        print(prepared, file=sys.stderr)
        return 2
    dagster_home, env = prepared
    if args.process == "all":
        return serve_all(args, env)
    command = dagster_command(args, dagster_home)
    print(f"docmost-pipeline serve {args.process}: {' '.join(command[1:])} (DAGSTER_HOME={dagster_home})",
          file=sys.stderr, flush=True)
    # A shell starting us in the background ignores SIGINT, which exec keeps, and Dagster maps SIGTERM to its
    # SIGINT handler: with SIGINT ignored it would ignore SIGTERM too.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # cwd = DAGSTER_HOME: Dagster warns about a dagster.yaml in the current folder that is not DAGSTER_HOME's
    os.chdir(dagster_home)
    os.execve(command[0], command, env)
    return 0  # not reached


def _child(process: str, extra: list[str], env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "docmost_pipeline.cli", "serve", process, *extra]
    return subprocess.Popen(command, env=env)


def wait_for_code_server(host: str, port: int, child: subprocess.Popen, timeout: float = 180.0) -> bool:
    """Poll Dagster's gRPC health check until the code server answers (False: it exited or the time is up)."""
    check = [str(Path(sys.executable).parent / "dagster"), "api", "grpc-health-check", "--host", host,
             "--port", str(port)]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        if subprocess.run(check, capture_output=True, timeout=60).returncode == 0:
            return True
        time.sleep(1)
    return False


def serve_all(args, env: dict[str, str]) -> int:
    """The code server, then the webserver and the daemon, as children; SIGTERM/SIGINT stops all three."""
    code_address = ["--code-server-host", args.code_server_host, "--code-server-port", str(args.code_server_port)]
    children: list[subprocess.Popen] = []
    stopping = False

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        children.append(_child("code-server", ["--host", args.code_server_host,
                                               "--port", str(args.code_server_port)], env))
        if not wait_for_code_server(args.code_server_host, args.code_server_port, children[0]):
            print("docmost-pipeline serve all: the code server did not come up", file=sys.stderr)
            return 1
        children.append(_child("webserver", ["--host", args.host, "--port", str(args.port), *code_address], env))
        children.append(_child("daemon", code_address, env))
        print(f"docmost-pipeline serve all: UI on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        exited = [child.returncode for child in children if child.poll() is not None]
        return 0 if stopping else (exited[0] or 1)
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in reversed(children):
            try:
                child.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
