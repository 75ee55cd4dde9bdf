"""deploy/ and the Dockerfile, checked without a container engine: deploy/compose.yaml against the Compose
specification's JSON schema, and the Compose file and the Helm values against the project's settings, its Dagster
instance, the image and each other. That the commands they run exist in the image is test_image_install.py's part.
"""

from __future__ import annotations

import ast
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
HELM_VALUES = DEPLOY / "helm" / "values.yaml"
HELM_RESOURCES = DEPLOY / "helm" / "resources.yaml"
DOCKERFILE = REPO / "Dockerfile"
ENTRYPOINT = "/opt/docmost/bin/entrypoint"
IMAGE_ROLES = {"code-server", "webserver", "daemon", "site-builder"}

# Variables the manifests may set that docmost_pipeline/settings.py does not read, each with what reads it.
OTHER_READERS = {
    "DAGSTER_HOME": "Dagster: the instance directory",
    "DAGSTER_DAEMON_HEARTBEAT_TOLERANCE": "Dagster: `dagster-daemon liveness-check`",
    "POSTGRES_USER": "the postgres image",
    "POSTGRES_DB": "the postgres image",
    "POSTGRES_PASSWORD_FILE": "the postgres image (a Compose secret file)",
    "DOCMOST_PASSWORD_FILE": "deploy/image/entrypoint.sh (a Compose secret file into DOCMOST_PASSWORD)",
    "DAGSTER_PG_PASSWORD_FILE": "deploy/image/entrypoint.sh (a Compose secret file into DAGSTER_PG_PASSWORD)",
}
# Values that are secrets: never written in a manifest.
SECRETS = {"DOCMOST_PASSWORD", "DAGSTER_PG_PASSWORD", "DAGSTER_POSTGRES_URL", "ALERT_WEBHOOK_URLS",
           "POSTGRES_PASSWORD"}

# Keys of the Dagster chart 1.13.x that these values use below runLauncher.config.k8sRunLauncher and in a user-code
# deployment, as the chart's values.schema.json allows them (K8sRunLauncherConfig and UserDeployment, both
# additionalProperties: false): a key outside them makes `helm upgrade` fail. Read from the chart's schema sources
# (helm/dagster/schema in dagster-io/dagster); update with the chart.
CHART_K8S_RUN_LAUNCHER_KEYS = {
    "envConfigMaps", "envSecrets", "envVars", "failPodOnRunFailure", "image", "imagePullPolicy", "jobNamespace",
    "kubeconfigFile", "labels", "loadInclusterConfig", "resources", "runK8sConfig", "schedulerName",
    "securityContext", "volumeMounts", "volumes",
}
CHART_USER_DEPLOYMENT_KEYS = {
    "name", "image", "port", "dagsterApiGrpcArgs", "codeServerArgs", "includeConfigInLaunchedRuns", "env",
    "envConfigMaps", "envSecrets", "annotations", "nodeSelector", "affinity", "tolerations", "podSecurityContext",
    "securityContext", "resources", "livenessProbe", "readinessProbe", "startupProbe", "labels", "volumeMounts",
    "volumes", "schedulerName", "initContainers", "sidecarContainers", "deploymentStrategy", "service",
}
CHART_QUEUED_RUN_COORDINATOR_KEYS = {
    "maxConcurrentRuns", "tagConcurrencyLimits", "dequeueIntervalSeconds", "dequeueNumWorkers", "dequeueUseThreads",
}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def settings_variables() -> set[str]:
    """Every environment variable name docmost_pipeline/settings.py names (as a string literal)."""
    tree = ast.parse((REPO / "docmost_pipeline" / "settings.py").read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", node.value)}


def assert_read_by_someone(names, where: str) -> None:
    unknown = sorted(set(names) - settings_variables() - set(OTHER_READERS))
    assert not unknown, f"{where} sets variables nothing reads (not in settings.py nor OTHER_READERS): {unknown}"


# --- Docker Compose -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict:
    return load(COMPOSE)


def image_services(compose: dict) -> dict[str, dict]:
    return {name: service for name, service in compose["services"].items() if "build" in service}


def validate_compose(path: Path) -> subprocess.CompletedProcess:
    checker = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run([str(checker), "--builtin-schema", "vendor.compose-spec", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_compose_file_follows_the_compose_specification(tmp_path):
    result = validate_compose(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    # The same check rejects a misspelt healthcheck key: it is a real validation.
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text(encoding="utf-8").replace("start_period:", "start_periode:", 1))
    result = validate_compose(broken)
    assert result.returncode == 1 and "start_periode" in result.stdout + result.stderr


def test_every_compose_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"service {name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_image_services_run_entrypoint_roles_and_probe_themselves(compose):
    services = image_services(compose)
    assert set(services) == IMAGE_ROLES
    for name, service in services.items():
        assert service["command"][0] == name, f"{name} runs {service['command']}, not its entrypoint role"
        probe = service["healthcheck"]["test"]
        assert probe[:4] == ["CMD", ENTRYPOINT, "probe", name], f"{name}'s healthcheck is {probe}"


def test_code_server_webserver_and_daemon_meet_on_the_code_server_port(compose):
    services = compose["services"]
    code_server = services["code-server"]["command"]
    port = code_server[code_server.index("--port") + 1]
    webserver = services["webserver"]["command"]
    assert webserver[webserver.index("--code-server-host") + 1] == "code-server"
    assert webserver[webserver.index("--code-server-port") + 1] == port
    assert services["code-server"]["healthcheck"]["test"][-1] == port
    daemon = services["daemon"]["command"]
    assert daemon[daemon.index("--code-server-host") + 1] == "code-server"
    assert daemon[daemon.index("--code-server-port") + 1] == port


def test_compose_sets_only_variables_something_reads(compose):
    for name, service in compose["services"].items():
        assert_read_by_someone(service.get("environment") or {}, f"compose service {name}")


def test_compose_never_holds_a_secret_value(compose):
    declared = compose["secrets"]
    for name, service in compose["services"].items():
        environment = service.get("environment") or {}
        for variable, value in environment.items():
            if variable in SECRETS:
                assert re.fullmatch(r"\$\{%s(:-)?\}" % variable, str(value)), \
                    f"{name}: {variable} must come from deploy/.env or a secret file, not {value!r}"
            if variable.endswith("_FILE"):
                secret = str(value).removeprefix("/run/secrets/")
                assert secret in declared and secret in service.get("secrets", []), f"{name}: {variable}={value}"
    for secret in declared.values():
        path = (DEPLOY / secret["file"]).resolve()
        assert path.parent == DEPLOY / "secrets"
        ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=REPO, check=False)
        assert ignored.returncode == 0, f"{path} (a password file) must be ignored by git"


def test_output_dir_is_one_volume_shared_at_the_images_path(compose):
    output_dir = dockerfile_env()["OUTPUT_DIR"]
    for name in ("code-server", "daemon", "site-builder"):
        service = compose["services"][name]
        assert service["environment"]["OUTPUT_DIR"] == output_dir
        mounts = [volume.split(":") for volume in service["volumes"]]
        assert ["output", output_dir] in [mount[:2] for mount in mounts], f"{name} lacks the output volume"
    # The run workers publish from the code server: it mounts OUTPUT_DIR read-write.
    assert "output:/data/output" in compose["services"]["code-server"]["volumes"]


def test_compose_publishes_ports_on_loopback_and_pins_third_party_images(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond the host's loopback"
        if "build" not in service:
            assert re.search(r"@sha256:[0-9a-f]{64}$", service["image"]), f"{name}: {service['image']} not pinned"


# --- The image ------------------------------------------------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, rest in dockerfile_instructions():
        if instruction == "ENV":
            env.update(part.split("=", 1) for part in shlex.split(rest))
    return env


def test_dockerfile_installs_and_starts_with_the_tested_scripts():
    instructions = dockerfile_instructions()
    runs = [rest for instruction, rest in instructions if instruction == "RUN"]
    assert any(rest.startswith("deploy/image/install.sh /src /opt/docmost") for rest in runs)
    entrypoint = [yaml.safe_load(rest) for instruction, rest in instructions if instruction == "ENTRYPOINT"]
    assert entrypoint == [["/usr/bin/tini", "--", ENTRYPOINT]]
    froms = [rest for instruction, rest in instructions if instruction == "FROM"]
    assert len(froms) >= 3, "multi-stage: node, build and runtime stages"
    args = dict(rest.split("=", 1) for instruction, rest in instructions if instruction == "ARG" and "=" in rest)
    assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", args["PYTHON_IMAGE"])
    assert re.fullmatch(r"node:20\.\d+\.\d+-bookworm-slim", args["NODE_IMAGE"])
    users = [rest for instruction, rest in instructions if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert dockerfile_env()["DAGSTER_HOME"] and "/data/output" in "".join(
        rest for instruction, rest in instructions if instruction == "VOLUME")


def test_dockerignore_keeps_local_state_out_of_the_build_context():
    ignored = set((REPO / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".venv", "site/node_modules", "output", ".dagster_home", ".env"} <= ignored


# --- Helm -----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def helm() -> dict:
    return load(HELM_VALUES)


@pytest.fixture(scope="module")
def deployment(helm) -> dict:
    deployments = helm["dagster-user-deployments"]["deployments"]
    assert len(deployments) == 1
    return deployments[0]


def test_helm_user_code_deployment_is_this_project(helm, deployment):
    assert helm["dagster-user-deployments"]["enabled"] is True
    assert set(deployment) <= CHART_USER_DEPLOYMENT_KEYS, set(deployment) - CHART_USER_DEPLOYMENT_KEYS
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    module = re.search(r'^module_name = "([^"]+)"', pyproject, re.M).group(1)
    assert deployment["dagsterApiGrpcArgs"] == ["-m", module]
    assert "dagster" not in deployment["image"]["repository"].split("/")[0]
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}


def test_helm_runs_on_kubernetes_jobs(helm):
    assert helm["runLauncher"]["type"] == "K8sRunLauncher"
    launcher = helm["runLauncher"]["config"]["k8sRunLauncher"]
    assert set(launcher) <= CHART_K8S_RUN_LAUNCHER_KEYS, set(launcher) - CHART_K8S_RUN_LAUNCHER_KEYS


def test_helm_postgres_url_uses_the_psycopg2_driver(helm):
    # The chart builds its own storage URL from postgresqlScheme; the default "postgresql" picks psycopg 3 under
    # SQLAlchemy 2.1, which the image does not install (see settings.postgres_url_setting for the same trap).
    assert helm["postgresql"]["postgresqlScheme"] == "postgresql+psycopg2"


def test_helm_sets_only_variables_something_reads_and_no_secret(helm, deployment):
    names = [variable["name"] for variable in deployment["env"]]
    assert_read_by_someone(names, "the Helm user-code deployment")
    assert not set(names) & SECRETS, "secrets come from envSecrets, never from env"
    assert deployment["envSecrets"] and all(set(secret) == {"name"} for secret in deployment["envSecrets"])
    assert helm["generatePostgresqlPasswordSecret"] is False and helm["global"]["postgresqlSecretName"]
    flat = yaml.safe_dump(helm)
    assert "postgresqlPassword" not in flat and not re.search(r"(?i)password\s*:\s*\S", flat)


def test_helm_output_dir_is_the_read_write_many_volume(deployment):
    output_dir = next(v["value"] for v in deployment["env"] if v["name"] == "OUTPUT_DIR")
    mount = next(m for m in deployment["volumeMounts"] if m["mountPath"] == output_dir)
    volume = next(v for v in deployment["volumes"] if v["name"] == mount["name"])
    claim = volume["persistentVolumeClaim"]["claimName"]
    documents = list(yaml.safe_load_all(HELM_RESOURCES.read_text(encoding="utf-8")))
    pvc = next(d for d in documents if d["kind"] == "PersistentVolumeClaim" and d["metadata"]["name"] == claim)
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert deployment["podSecurityContext"]["runAsNonRoot"] is True


def test_helm_run_queue_is_the_projects_run_queue(helm, deployment):
    """The chart writes its own dagster.yaml: its queue must keep the project's limits (dagster.yaml)."""
    coordinator = helm["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] is True and coordinator["type"] == "QueuedRunCoordinator"
    queue = coordinator["config"]["queuedRunCoordinator"]
    assert set(queue) <= CHART_QUEUED_RUN_COORDINATOR_KEYS
    project = load(REPO / "dagster.yaml")["run_coordinator"]["config"]
    assert queue["tagConcurrencyLimits"] == project["tag_concurrency_limits"]
    assert queue["dequeueIntervalSeconds"] == project["dequeue_interval_seconds"]
    assert queue["dequeueUseThreads"] == project["dequeue_use_threads"]
    exports = next(v["value"] for v in deployment["env"] if v["name"] == "MAX_CONCURRENT_EXPORTS")
    assert queue["maxConcurrentRuns"] == int(exports)


def test_helm_monitors_and_retries_runs_as_the_project_does(helm):
    """Run monitoring and retries as in the project's dagster.yaml (the `pgrun` branch of issue 11 adds them)."""
    daemon = helm["dagsterDaemon"]
    project = load(REPO / "dagster.yaml")
    monitoring, retries = project["run_monitoring"], project["run_retries"]
    assert daemon["runMonitoring"]["enabled"] is monitoring["enabled"] is True
    assert daemon["runMonitoring"]["maxResumeRunAttempts"] == monitoring["max_resume_run_attempts"]
    assert daemon["runMonitoring"]["startTimeoutSeconds"] >= monitoring["start_timeout_seconds"]
    assert daemon["runRetries"]["enabled"] is retries["enabled"] is True
    assert daemon["runRetries"]["maxRetries"] == retries["max_retries"]
    assert daemon["runRetries"]["retryOnAssetOrOpFailure"] == retries["retry_on_asset_or_op_failure"]


def test_helm_probes_are_the_processes_own_health_checks(helm, deployment):
    for probe in ("readinessProbe", "livenessProbe"):
        assert helm["dagsterWebserver"][probe]["httpGet"]["path"] == "/server_info"
    # No exec: the chart's default, `dagster api grpc-health-check -p <port>`.
    assert deployment["readinessProbe"]["enabled"] is True and "exec" not in deployment["readinessProbe"]
    assert deployment["livenessProbe"] and "exec" not in deployment["livenessProbe"]
    assert helm["dagsterDaemon"]["livenessProbe"]["exec"]["command"] == ["dagster-daemon", "liveness-check"]
    assert helm["dagsterDaemon"]["startupProbe"]["enabled"] is True
    assert helm["dagsterDaemon"]["heartbeatTolerance"] <= 300


def test_helm_site_runs_the_image_site_builder_and_the_compose_nginx_configuration():
    documents = {d["kind"]: d for d in yaml.safe_load_all(HELM_RESOURCES.read_text(encoding="utf-8"))}
    containers = {c["name"]: c for c in documents["Deployment"]["spec"]["template"]["spec"]["containers"]}
    builder = containers["site-builder"]
    assert builder["args"][0] == "site-builder"
    assert builder["livenessProbe"]["exec"]["command"][:3] == [ENTRYPOINT, "probe", "site-builder"]
    assert_read_by_someone([v["name"] for v in builder["env"]], "the site Deployment")

    def directives(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]

    compose_conf = (DEPLOY / "nginx" / "site.conf").read_text(encoding="utf-8")
    assert directives(documents["ConfigMap"]["data"]["default.conf"]) == directives(compose_conf)
