"""The documentation cannot drift from the code: README.md and docs/*.md, read and run.

- README.md is the newcomer's short guide: at most about 250 lines, the two set-up commands, and every Dagster CLI
  example in it the one that works against `make run` (``-w workspace.yaml``; with ``-m
  docmost_pipeline.definitions`` a backfill queued runs of a code location the daemon does not know, and they
  failed).
- Every link from these pages to a file or a heading exists.
- Every shell block marked with the line ``<!-- runnable -->`` runs, line by line with ``bash -e``, the way a reader
  runs it beside `make run`'s demo: in a folder laid out like this repository (its own, empty, `.dagster_home` and
  `output`), from a fresh shell (no DOCMOST_*, DAGSTER_HOME or OUTPUT_DIR, the virtual environment not on the
  PATH). The demo setup is what `make run` leaves: the Docmost test server recorded as the demo Docmost in
  `output/.pipeline`, `.dagster_home/dagster.yaml` written by devrun, and a real `dagster-daemon` over
  `workspace.yaml` with make run's environment; Collisions is published already and a page was added in Docmost
  since (so a sync publishes a new version and a rollback has one to go back to). Two changes keep it cheap: the
  daemon's discovery selects no space and its change sensor waits an hour (only the documented commands start
  runs). Then every run the blocks queued must succeed under the daemon.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus

from docmost_pipeline.demo import record_demo
from docmost_pipeline.instance import write_instance_settings
from docmost_pipeline.settings import load_settings
from docmost_pipeline_tests.dagster_support import REPO, Daemon, project_env, wait_for

RUNNABLE = "<!-- runnable -->"
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
README_MAX_LINES = 250
FENCE = re.compile(r"^(`{3,}|~{3,})")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def code_blocks(path: Path) -> list[tuple[bool, str, list[str]]]:
    """(marked runnable, info string, lines) of every fenced block, in order."""
    blocks, lines = [], path.read_text(encoding="utf-8").splitlines()
    index, marked = 0, False
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if fence:
            end = index + 1
            while end < len(lines) and not lines[end].startswith(fence.group(1)):
                end += 1
            blocks.append((marked, line[len(fence.group(1)):].strip(), lines[index + 1:end]))
            index, marked = end + 1, False
            continue
        if line.strip():
            marked = line.strip() == RUNNABLE
        index += 1
    return blocks


def runnable_blocks(path: Path) -> list[list[str]]:
    blocks = [lines for marked, _, lines in code_blocks(path) if marked]
    for marked, info, lines in code_blocks(path):
        if marked:
            assert info == "sh", f"{path.name}: a runnable block must be a ```sh block, not ```{info}"
    return blocks


def commands(lines: list[str]) -> list[str]:
    """Command lines (continuations joined), comments and blank lines left out."""
    joined, pending = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if line.strip() and not line.lstrip().startswith("#"):
            joined.append(line.strip())
    return joined


def github_anchors(path: Path) -> set[str]:
    """The heading anchors GitHub makes for a Markdown file (lowercase, punctuation dropped, spaces as dashes)."""
    anchors, seen = set(), {}
    in_fence = None
    for line in path.read_text(encoding="utf-8").splitlines():
        fence = FENCE.match(line)
        if fence and (in_fence is None or line.startswith(in_fence)):
            in_fence = None if in_fence else fence.group(1)
            continue
        match = re.match(r"#{1,6} (.*)", line) if in_fence is None else None
        if match:
            anchor = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            anchors.add(anchor if count == 0 else f"{anchor}-{count}")
    return anchors


def prose_of(path: Path) -> str:
    """The Markdown outside code: fenced blocks and inline code spans left out (links there are examples)."""
    kept, in_fence = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        fence = FENCE.match(line)
        if fence and (in_fence is None or line.startswith(in_fence)):
            in_fence = None if in_fence else fence.group(1)
            continue
        if in_fence is None:
            kept.append(line)
    return re.sub(r"(`+)(?:(?!\1).)+\1", "", "\n".join(kept))


def test_readme_is_a_short_guide_with_two_setup_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    setup = [commands(lines) for _, _, lines in code_blocks(REPO / "README.md") if "make test" in "\n".join(lines)]
    assert [[line.split("#")[0].strip() for line in block] for block in setup] == [["make run", "make test"]]
    runnable = " ".join(" ".join(commands(block)) for block in runnable_blocks(REPO / "README.md"))
    for command in ("docmost-pipeline sync ", "docmost-pipeline status", "docmost-pipeline rollback ",
                    "docmost-pipeline sync --partitions-only", "dagster job backfill -w workspace.yaml"):
        assert command in runnable, command


def test_every_dagster_command_in_the_readme_works_against_make_run_and_is_run_here():
    runnable = {line for block in runnable_blocks(REPO / "README.md") for line in commands(block)}
    shown = [line for _, info, lines in code_blocks(REPO / "README.md") if info in ("sh", "bash", "")
             for line in commands(lines) if re.match(r"(\S+=\S+\s+)*dagster\s", line)]
    assert shown, "the README shows no Dagster command"
    for line in shown:
        assert " -w workspace.yaml" in line and " -m " not in line, line
        assert line in runnable, f"not marked runnable: {line}"


def test_every_link_of_the_readme_and_docs_leads_somewhere():
    broken = []
    for page in PAGES:
        for target in LINK.findall(prose_of(page)):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not checked (no network)
            file_part, _, anchor = target.partition("#")
            file = (page.parent / file_part).resolve() if file_part else page
            if not file.exists():
                broken.append(f"{page.relative_to(REPO)}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in github_anchors(file):
                broken.append(f"{page.relative_to(REPO)}: {target} (no such heading in {file.name})")
    assert not broken, "\n".join(broken)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for page in PAGES[1:]:
        if page.suffix == ".md":
            assert f"(docs/{page.name}" in readme, f"README.md does not link {page.name}"


def test_every_docs_page_starts_with_what_a_reader_comes_for():
    for page in PAGES[1:]:
        lines = [line for line in page.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert lines[0].startswith("# ") and lines[1].startswith("You come here to"), page.name


def scratch_checkout(root: Path) -> Path:
    """A folder laid out like the repository (every entry a symlink) with its own `.dagster_home` and `output`."""
    root.mkdir()
    for entry in REPO.iterdir():
        if entry.name not in (".dagster_home", "output", ".env", ".git") and not entry.name.startswith(".tmp"):
            (root / entry.name).symlink_to(entry)
    return root


def fresh_shell_env(scratch: Path) -> dict[str, str]:
    """A new terminal: none of the project's settings, the virtual environment not activated."""
    venv_bin = str(Path(sys.executable).parent)
    env = project_env(scratch / "unused", scratch / "unused")
    for name in ("DAGSTER_HOME", "OUTPUT_DIR", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONUNBUFFERED"):
        env.pop(name, None)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and Path(p).resolve() != Path(venv_bin).resolve())
    return env


def run_page(page: Path, scratch: Path, env: dict[str, str], log: Path) -> str:
    script = ["set -e"]
    for block in runnable_blocks(page):
        for line in commands(block):
            script.append(f"printf '%s\\n' {shlex.quote('$ ' + line)}")
            script.append(line)
    result = subprocess.run(["bash", "-c", "\n".join(script)], cwd=scratch, env=env, capture_output=True, text=True,
                            timeout=600)
    output = result.stdout + result.stderr
    log.write_text(output, encoding="utf-8")
    assert result.returncode == 0, f"{page.name}: a runnable command failed (exit {result.returncode}):\n{output[-4000:]}"
    assert "Traceback" not in output, f"{page.name}: a traceback on the way:\n{output[-4000:]}"
    return output


def test_runnable_commands_of_the_readme_and_docs_work_beside_the_demo(tmp_path, docmost_server):
    pages = [page for page in PAGES if runnable_blocks(page)]
    assert REPO / "README.md" in pages and REPO / "docs" / "operations.md" in pages
    scratch = scratch_checkout(tmp_path / "repo")
    home, output = scratch / ".dagster_home", scratch / "output"
    home.mkdir()
    write_instance_settings(home, load_settings({"MAX_CONCURRENT_EXPORTS": "2"}), {})  # as `make run` does at start
    record_demo(output, docmost_server.base_url, os.getpid())  # this process serves the demo Docmost
    env = fresh_shell_env(scratch)

    # what `make run` had published, then an edit in Docmost
    first = subprocess.run([str(Path(sys.executable).parent / "docmost-pipeline"), "sync", "collisions"],
                           cwd=scratch, env={**env, "DAGSTER_HOME": str(home)}, capture_output=True, text=True,
                           timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    docmost_server.create_page("collisions", "Release notes", content="A page added after the first publish.\n")

    daemon_env = project_env(home, output, docmost_server, MAX_CONCURRENT_EXPORTS="2",
                             DOCMOST_SPACES_EXCLUDE="*", CHANGE_POLL_INTERVAL="1h")
    with DagsterInstance.from_config(str(home)) as instance, \
            Daemon(daemon_env, tmp_path / "daemon.log", cwd=home, workspace=scratch / "workspace.yaml") as daemon:
        outputs = {page.name: run_page(page, scratch, env, tmp_path / f"{page.name}.log") for page in pages}

        def all_finished():
            runs = [record.dagster_run for record in instance.get_run_records()]
            return runs if all(run.status in FINISHED for run in runs) else None

        runs = wait_for(all_finished, 300, "the runs the documented commands queued", daemon)
    readme = outputs["README.md"]
    assert "collisions: published 8 pages" in readme, readme  # the added page: a new version ...
    assert "rolled back" in readme and "1 of 1 space(s) synced" in readme  # ... and one to roll back to
    backfilled = [run for run in runs if "dagster/backfill" in run.tags]
    assert {run.tags["dagster/partition"] for run in backfilled} == {"collisions", "general"}
    assert len(backfilled) >= 3  # collisions and general (README), collisions again (operations)
    failed = {run.run_id: (run.job_name, run.tags.get("dagster/partition")) for run in runs
              if run.status != DagsterRunStatus.SUCCESS}
    assert not failed, f"runs that did not succeed: {failed}\n{daemon.tail()}"
    assert (output / "general" / "_category_.json").is_file()
    assert (output / "collisions" / "release-notes.md").is_file()  # the backfill published the edit again


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_runnable_blocks_are_shell_blocks(page):
    runnable_blocks(page)
