"""The image's install and start steps, run here as the Dockerfile runs them: deploy/image/install.sh installs this
checkout (a wheel, not editable) and the site's node_modules into a fresh directory, once per module; then every
command the Compose file and the Helm values run is run from that directory through its entrypoint, the processes
the probes watch are started for real on 127.0.0.1, and the site builder builds a published space.

The roles `code-server`, `webserver` and `daemon` run `docmost-pipeline serve ...` (the `pgrun` branch of issue 11):
test_compose_roles_answer_help and test_compose_services_run_as_processes_pass_their_healthchecks_and_publish (which
also takes that branch's throwaway PostgreSQL cluster) need that branch merged.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from docmost_pipeline.publish import publish_tree
from docmost_pipeline_tests.deploy.test_manifests import COMPOSE, ENTRYPOINT, HELM_VALUES, IMAGE_ROLES, REPO

pytestmark = pytest.mark.timeout(1500)


# As in the site tests: DOCMOST_SKIP_SITE_TESTS=1 leaves the site out (no npm ci, no Docusaurus build).
WITH_SITE = os.environ.get("DOCMOST_SKIP_SITE_TESTS") != "1"


@pytest.fixture(scope="module")
def prefix(tmp_path_factory) -> Path:
    """A fresh install of this checkout, as `RUN deploy/image/install.sh /src /opt/docmost` does (with the site)."""
    prefix = tmp_path_factory.mktemp("image") / "opt-docmost"
    command = ["bash", str(REPO / "deploy" / "image" / "install.sh"), str(REPO), str(prefix)]
    result = subprocess.run(command + ([] if WITH_SITE else ["--without-site"]), capture_output=True, text=True,
                            timeout=1200, env={**os.environ, "PYTHON": sys.executable})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return prefix


@pytest.fixture
def image_env(tmp_path) -> dict[str, str]:
    """A container's environment: nothing from this checkout or its venv, only what the entrypoint sets itself."""
    (tmp_path / "dagster_home").mkdir()
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
            "DAGSTER_HOME": str(tmp_path / "dagster_home"), "OUTPUT_DIR": str(tmp_path / "output")}


def entrypoint(prefix: Path, *args: str, env: dict[str, str], timeout: float = 120,
               cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(prefix / "bin" / "entrypoint"), *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=cwd or env["HOME"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(prefix: Path, role: str, port: int, env: dict[str, str], process: subprocess.Popen,
                       timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{role} exited with {process.returncode}"
        if entrypoint(prefix, "probe", role, str(port), env=env).returncode == 0:
            return
        time.sleep(1)
    pytest.fail(f"{role} on 127.0.0.1:{port} not healthy after {timeout:g}s")


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("SIGTERM did not stop the process within 60 s")


@pytest.fixture
def started(prefix, image_env) -> Iterator[list[subprocess.Popen]]:
    processes: list[subprocess.Popen] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_installed_package_is_a_wheel_install_with_its_data(prefix, image_env):
    result = entrypoint(prefix, "python", "-c",
                        "import docmost_pipeline, pathlib; p = pathlib.Path(docmost_pipeline.__file__).parent; "
                        "print(p); print((p / 'emulator' / 'data').is_dir())", env=image_env)
    location, has_data = result.stdout.split()
    assert Path(location).is_relative_to(prefix / "venv") and has_data == "True", result.stderr
    assert not list((prefix / "venv").rglob("__editable__*")), "installed editable: the image has no checkout"


def test_code_location_loads_from_the_installed_package(prefix, image_env):
    module = yaml.safe_load(HELM_VALUES.read_text())["dagster-user-deployments"]["deployments"][0][
        "dagsterApiGrpcArgs"][1]
    result = entrypoint(prefix, "dagster", "definitions", "validate", "-m", module, env=image_env, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "All code locations passed validation" in result.stdout + result.stderr


def test_helm_code_server_and_a_webserver_answer_their_probes_and_fail_them_when_down(prefix, image_env, started):
    deployment = yaml.safe_load(HELM_VALUES.read_text())["dagster-user-deployments"]["deployments"][0]
    grpc_port, web_port = free_port(), free_port()
    # The chart's container args, on loopback instead of 0.0.0.0.
    code_server = subprocess.Popen(
        [str(prefix / "bin" / "entrypoint"), "dagster", "api", "grpc", "-h", "127.0.0.1", "-p", str(grpc_port),
         *deployment["dagsterApiGrpcArgs"]], env=image_env, cwd=image_env["HOME"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(code_server)
    wait_until_healthy(prefix, "code-server", grpc_port, image_env, code_server)
    webserver = subprocess.Popen(
        [str(prefix / "bin" / "entrypoint"), "dagster-webserver", "-h", "127.0.0.1", "-p", str(web_port),
         "--grpc-host", "127.0.0.1", "--grpc-port", str(grpc_port)], env=image_env, cwd=image_env["HOME"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(webserver)
    wait_until_healthy(prefix, "webserver", web_port, image_env, webserver)

    stop(webserver)
    down = entrypoint(prefix, "probe", "webserver", str(web_port), env=image_env)
    assert down.returncode == 1 and f"127.0.0.1:{web_port}/server_info" in down.stderr
    stop(code_server)
    assert entrypoint(prefix, "probe", "code-server", str(grpc_port), env=image_env).returncode == 1


def test_daemon_and_site_builder_probes_fail_when_nothing_runs(prefix, image_env, tmp_path):
    daemon = entrypoint(prefix, "probe", "daemon", env=image_env)
    assert daemon.returncode == 1 and "not running" in daemon.stdout + daemon.stderr
    site = entrypoint(prefix, "probe", "site-builder", str(tmp_path / "site"), env=image_env)
    assert site.returncode == 1 and site.stdout.startswith("site-builder unhealthy: no ")


def test_every_dagster_command_of_the_manifests_exists_in_the_image(prefix, image_env):
    """What the Helm chart runs in the image (its container args, probes and run pods) and the contract's probes."""
    commands = [
        ["dagster", "api", "grpc"],                  # the user-code deployment's container
        ["dagster", "api", "grpc-health-check"],     # its readiness/liveness/startup probes
        ["dagster", "api", "execute_run"],           # the K8sRunLauncher's run pods
        ["dagster-daemon", "liveness-check"],        # the daemon's probe
        ["dagster-webserver"],
        ["docmost-pipeline", "sync"],
    ]
    for command in commands:
        result = entrypoint(prefix, *command, "--help", env=image_env)
        assert result.returncode == 0 and re.search(r"(?i)usage", result.stdout), f"{command}: {result.stderr[-500:]}"


def test_compose_roles_answer_help(prefix, image_env):
    """Every role the Compose services run (`code-server`, `webserver`, `daemon` need `docmost-pipeline serve`)."""
    roles = {service["command"][0] for service in yaml.safe_load(COMPOSE.read_text())["services"].values()
             if "build" in service}
    assert roles == IMAGE_ROLES
    for role in sorted(roles):
        result = entrypoint(prefix, role, "--help", env=image_env)
        assert result.returncode == 0 and "--" in result.stdout, f"{role}: {result.stderr[-500:]}"


def test_secret_files_become_the_variables_and_never_show(prefix, image_env, tmp_path):
    secret = tmp_path / "docmost_password"
    secret.write_text("s3cret-from-file\n")
    env = {**image_env, "DOCMOST_PASSWORD_FILE": str(secret)}
    shown = entrypoint(prefix, "python", "-c", "import os; print(os.environ['DOCMOST_PASSWORD']); "
                       "print('DOCMOST_PASSWORD_FILE' in os.environ)", env=env)
    assert shown.stdout.split() == ["s3cret-from-file", "False"], shown.stderr
    both = entrypoint(prefix, "python", "-c", "pass", env={**env, "DOCMOST_PASSWORD": "inline"})
    assert both.returncode == 2
    assert both.stderr.strip() == "entrypoint: DOCMOST_PASSWORD and DOCMOST_PASSWORD_FILE are both set: set one of them"
    missing = entrypoint(prefix, "python", "-c", "pass", env={**image_env, "DAGSTER_PG_PASSWORD_FILE": "/nonexistent"})
    assert missing.returncode == 2 and "DAGSTER_PG_PASSWORD_FILE=/nonexistent: not a readable file" in missing.stderr


@pytest.mark.skipif(not WITH_SITE, reason="DOCMOST_SKIP_SITE_TESTS=1")
def test_site_builder_builds_the_published_spaces_and_serves_them_from_current(prefix, image_env, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "_category_.json").write_text('{"label": "Space"}\n', encoding="utf-8")
    (tree / "page.md").write_text("---\ntitle: 'A page'\n---\n\nServed text of the page.\n", encoding="utf-8")
    publish_tree(tree, Path(image_env["OUTPUT_DIR"]), "space")
    into = tmp_path / "site"

    result = entrypoint(prefix, "site-builder", "--into", str(into), "--once", env=image_env, timeout=1200)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (into / "current").is_symlink() and os.readlink(into / "current").startswith("builds/")
    page = into / "current" / "docs" / "space" / "page" / "index.html"
    assert "Served text of the page." in page.read_text(encoding="utf-8")
    assert [p.name for p in (into / "builds").iterdir()] == [Path(os.readlink(into / "current")).name]
    assert entrypoint(prefix, "probe", "site-builder", str(into), env=image_env).returncode == 0


def interpolate(value: object, values: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}` (what compose.yaml uses) from ``values``."""
    def one(match: re.Match) -> str:
        name, operator, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        if values.get(name):
            return values[name]
        assert operator != ":?", f"{name} is required: {rest}"
        return rest
    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", one, str(value))


@dataclass
class ComposeHost:
    """The image services of compose.yaml as processes of the installed image: their commands, environment, secret
    files and healthchecks as written, with every host 127.0.0.1, every port a free one, every path in ``root``."""

    compose: dict
    prefix: Path
    root: Path
    values: dict[str, str]  # deploy/.env
    docker: dict[str, str]  # what Docker gives a container: the volumes' paths, the postgres service's address
    processes: dict[str, tuple[subprocess.Popen, dict[str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mapped = {"4000": str(free_port()), "3030": str(free_port()),
                       ENTRYPOINT: str(self.prefix / "bin" / "entrypoint")}

    def localised(self, args: list[str]) -> list[str]:
        return [("127.0.0.1" if previous in ("--host", "--code-server-host") else self.mapped.get(arg, arg))
                for previous, arg in zip([None, *args], args)]

    def environment(self, name: str) -> dict[str, str]:
        service = self.compose["services"][name]
        env = {key: interpolate(value, self.values) for key, value in service["environment"].items()}
        for key, value in env.items():
            if key.endswith("_FILE"):  # a Compose secret: /run/secrets/<name>
                env[key] = str(self.root / "secrets" / Path(value).name)
        env.update(self.docker, DAGSTER_HOME=str(self.root / name / "dagster_home"), HOME=str(self.root / name),
                   PATH="/usr/local/bin:/usr/bin:/bin", LANG="C.UTF-8")
        Path(env["DAGSTER_HOME"]).mkdir(parents=True)
        return env

    def healthcheck(self, name: str) -> subprocess.CompletedProcess:
        test, env = self.localised(self.compose["services"][name]["healthcheck"]["test"][1:]), self.processes[name][1]
        return subprocess.run(test, capture_output=True, text=True, env=env, cwd=env["HOME"], timeout=120)

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")

    def start_healthy(self, name: str, timeout: float = 180) -> None:
        env = self.environment(name)
        command = [self.mapped[ENTRYPOINT], *self.localised(self.compose["services"][name]["command"])]
        popen = subprocess.Popen(command, env=env, cwd=env["HOME"], stdout=(self.root / f"{name}.log").open("w"),
                                 stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = (popen, env)
        deadline = time.monotonic() + timeout
        while self.healthcheck(name).returncode != 0:
            assert popen.poll() is None and time.monotonic() < deadline, \
                f"{name} never healthy:\n{self.log(name)[-3000:]}"
            time.sleep(2)

    def stop_all(self) -> None:
        for popen, _env in reversed(list(self.processes.values())):
            if popen.poll() is None:
                stop(popen)


def test_compose_services_run_as_processes_pass_their_healthchecks_and_publish(
        prefix, tmp_path, postgres_cluster, docmost_server):
    """Postgres is the tests' throwaway cluster (the `pgrun` branch's fixture), Docmost the Docmost test server."""
    postgres_cluster.create_database("compose_services")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "docmost_password").write_text(docmost_server.password)
    (tmp_path / "secrets" / "postgres_password").write_text("any: the test cluster trusts loopback")
    output = tmp_path / "output"
    host = ComposeHost(
        yaml.safe_load(COMPOSE.read_text()), prefix, tmp_path,
        values={"DOCMOST_BASE_URL": docmost_server.base_url, "DOCMOST_EMAIL": docmost_server.email,
                "DOCMOST_SPACES_INCLUDE": "collisions", "POSTGRES_USER": "postgres",
                "POSTGRES_DB": "compose_services"},
        docker={"OUTPUT_DIR": str(output), "DAGSTER_PG_HOST": "127.0.0.1",
                "DAGSTER_PG_PORT": str(postgres_cluster.port)})
    try:
        for name in ("code-server", "webserver", "daemon"):
            host.start_healthy(name)
        # The daemon's discovery sensor finds the space; its run, launched through the code server, publishes it.
        deadline = time.monotonic() + 300
        while not (output / "collisions").exists():  # the live path appears whole, in one step
            assert time.monotonic() < deadline, host.log("code-server")[-3000:]
            time.sleep(3)
        assert all(docmost_server.password not in host.log(name) for name in host.processes)
    finally:
        host.stop_all()
    # (The daemon's check goes on passing until its last heartbeat is older than DAGSTER_DAEMON_HEARTBEAT_TOLERANCE.)
    for name in ("code-server", "webserver"):
        assert host.healthcheck(name).returncode != 0, f"{name}'s healthcheck passes with the process stopped"
