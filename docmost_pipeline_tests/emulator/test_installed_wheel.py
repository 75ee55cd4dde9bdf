"""The emulator works from an installed wheel, not only from a checkout (the demo Docmost of ``make run``, images).

One test, in order: build a wheel of the project, install it with ``pip install --no-deps --target`` into a temporary
directory, then start ``python -m docmost_pipeline.emulator --port 0`` from that install (``PYTHONPATH`` = the
install, working directory outside the checkout, ``-P`` so neither the working directory nor a script directory is
put on ``sys.path``) and compare its answers with the recordings of the checkout. The project's dependencies come
from the interpreter running the tests (the install is ``--no-deps``).

The wheel is built from a copy of ``pyproject.toml``, ``README.md`` and ``docmost_pipeline/``: an in-tree setuptools
build would leave ``build/`` and ``*.egg-info`` in the checkout. ``--no-build-isolation`` uses the setuptools and
wheel of the test environment (the ``test`` extra) and ``--no-index`` keeps pip off every package index, so the test
needs no network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx

from docmost_pipeline.emulator import DEFAULT_EMAIL, DEFAULT_PASSWORD
from docmost_pipeline.emulator.recordings import API_DIR, RECORDED_EXPORTS, RECORDINGS_DIR

REPO = Path(__file__).resolve().parents[2]
RECORDINGS_IN_WHEEL = "docmost_pipeline/emulator/data/docmost-0.95/"

# Run in the installed environment: where the package and the emulator's recordings come from, and whether the
# checkout (or the tests package that used to hold the server) is reachable at all.
PROBE = """
import importlib.util, json, sys
import docmost_pipeline, docmost_pipeline.emulator
from docmost_pipeline.emulator.recordings import RECORDINGS_DIR
from docmost_pipeline.instance import TEMPLATE
print(json.dumps({"package": docmost_pipeline.__file__, "emulator": docmost_pipeline.emulator.__file__,
                  "recordings": str(RECORDINGS_DIR), "sys_path": sys.path,
                  "instance_template": str(TEMPLATE) if TEMPLATE.is_file() else None,
                  "tests_importable": importlib.util.find_spec("docmost_pipeline_tests") is not None}))
"""


def pip(*args: str, cwd: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", *args, "--no-index", "--disable-pip-version-check"],
                            cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def installed_env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=str(site), PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def is_within(path: str | Path, root: Path) -> bool:
    return Path(path).resolve().is_relative_to(root.resolve())


def test_wheel_install_serves_the_recordings_without_the_checkout(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy2(REPO / "pyproject.toml", source)
    shutil.copy2(REPO / "README.md", source)
    shutil.copytree(REPO / "docmost_pipeline", source / "docmost_pipeline",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path / "dist"
    pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source), cwd=tmp_path)
    [wheel] = dist.glob("docmost_pipeline-*.whl")

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    recorded = {path.relative_to(RECORDINGS_DIR).as_posix() for path in RECORDINGS_DIR.rglob("*") if path.is_file()}
    assert len(recorded) > 100
    assert {name[len(RECORDINGS_IN_WHEEL):] for name in names if name.startswith(RECORDINGS_IN_WHEEL)} == recorded
    assert {f"docmost_pipeline/emulator/{m}.py" for m in
            ("__init__", "__main__", "server", "faults", "recordings", "large_export")} <= names
    assert not [name for name in names if name.startswith("docmost_pipeline_tests")]

    site = tmp_path / "site"
    pip("install", "--no-deps", "--target", str(site), str(wheel), cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"  # the working directory: neither the checkout nor the install
    elsewhere.mkdir()
    env = installed_env(site)

    probe = subprocess.run([sys.executable, "-P", "-c", PROBE], cwd=elsewhere, env=env, capture_output=True,
                           text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert is_within(found["package"], site) and is_within(found["emulator"], site), found
    assert is_within(found["recordings"], site), found
    # the serve commands write DAGSTER_HOME/dagster.yaml from the installed template (the container image)
    assert found["instance_template"] and is_within(found["instance_template"], site), found
    # The checkout is not on sys.path, and the install is the only entry holding a docmost_pipeline package (the
    # test environment's editable install of the checkout is an import hook after sys.path, never consulted here).
    entries = [(elsewhere / entry).resolve() for entry in found["sys_path"]]  # relative entries: the probe's cwd
    assert REPO.resolve() not in entries, found["sys_path"]
    assert [e for e in entries if (e / "docmost_pipeline").is_dir()] == [site.resolve()], found["sys_path"]
    assert found["tests_importable"] is False

    server = subprocess.Popen([sys.executable, "-P", "-m", "docmost_pipeline.emulator", "--port", "0"],
                              cwd=elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:"), (base_url, server.poll() is not None and server.stderr.read())
        assert int(base_url.rsplit(":", 1)[1]) > 0
        banner = server.stderr.readline()
        serving_from = banner.rsplit("; recordings ", 1)[1].strip()
        assert is_within(serving_from, site), banner  # the running server's recordings.py is the installed one

        with httpx.Client(base_url=base_url, timeout=30) as http:
            login = http.post("/api/auth/login", json={"email": DEFAULT_EMAIL, "password": DEFAULT_PASSWORD})
            assert login.status_code == 200
            assert login.content == (API_DIR / "auth-login.ok.json").read_bytes()
            assert login.headers["set-cookie"].startswith("authToken=")

            spaces = {s["slug"]: s["id"] for s in http.post("/api/spaces/", json={}).json()["data"]["items"]}
            assert set(RECORDED_EXPORTS) <= set(spaces)
            for slug, zip_name in RECORDED_EXPORTS.items():
                export = http.post("/api/spaces/export",
                                   json={"spaceId": spaces[slug], "format": "markdown", "includeAttachments": True})
                assert export.status_code == 200, slug
                assert export.content == (RECORDINGS_DIR / zip_name).read_bytes(), slug
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()
        server.stderr.close()
