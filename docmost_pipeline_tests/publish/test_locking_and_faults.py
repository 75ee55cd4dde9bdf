"""Out-of-space while staging, concurrent publishers, the lock timeout, stale locks, exchange fallback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from docmost_pipeline.publish import publish_tree, status
from docmost_pipeline_tests.publish.conftest import REPO_ROOT, child_env, run_cli
from docmost_pipeline_tests.publish.trees import (
    assert_store_consistent, expected_files, live_generation, read_tree, write_tree,
)

SPACE = "engineering"


def start_lock_holder(output_dir, seconds):
    holder = subprocess.Popen([sys.executable, "-m", "docmost_pipeline_tests.publish.hold_lock", output_dir, SPACE,
                               str(seconds)], stdout=subprocess.PIPE, text=True, env=child_env(), cwd=REPO_ROOT)
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.mark.parametrize("mode", ["symlink", "exchange"])
@pytest.mark.parametrize("failing_file", ["third", "stamp"])
def test_enospc_while_staging_leaves_live_untouched_and_reports(tmp_path, mode, failing_file):
    output_dir = tmp_path / "output"
    publish_tree(write_tree(tmp_path / "tree-1", 1), output_dir, SPACE, run_id="1", mode=mode)
    before = status(output_dir, SPACE)[0]
    tree = write_tree(tmp_path / "tree-2", 2)
    number = 3 if failing_file == "third" else len(expected_files(2)) + 1

    result = run_cli("publish", tree, SPACE, "--output-dir", output_dir, "--mode", mode, "--run-id", "2",
                     DOCMOST_PUBLISH_ENOSPC_AT_FILE=str(number))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "ENOSPC" in result.stderr and "No space left on device" in result.stderr
    assert f"the live version ({before.live_version}) is untouched" in result.stderr
    assert live_generation(output_dir, SPACE) == 1
    after = status(output_dir, SPACE)[0]
    assert (after.live_version, after.kept_versions, after.leftovers) == (before.live_version, [], [])
    assert read_tree(tree) == expected_files(2)  # the caller's tree is untouched too
    # and once space is back, the same tree publishes fine
    assert run_cli("publish", tree, SPACE, "--output-dir", output_dir, "--mode", mode, "--run-id", "2").returncode == 0
    assert live_generation(output_dir, SPACE) == 2


def test_two_concurrent_publishers_serialise_and_leave_one_complete_version(tmp_path):
    output_dir = tmp_path / "output"
    writers = [
        subprocess.Popen([sys.executable, "-m", "docmost_pipeline_tests.publish.writer", output_dir, SPACE,
                          str(first), str(first + 7), "symlink", "3", tmp_path / f"work-{first}"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(), cwd=REPO_ROOT)
        for first in (10, 20)
    ]
    outputs = [writer.communicate(timeout=60) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], [err for _, err in outputs]
    versions = [json.loads(line)["version"] for out, _ in outputs for line in out.splitlines()]
    assert len(versions) == len(set(versions)) == 16
    assert live_generation(output_dir, SPACE) in (17, 27)
    kept = assert_store_consistent(output_dir, SPACE, keep=3)
    assert status(output_dir, SPACE)[0].live_version == max(versions) and max(versions) in kept


def test_second_publisher_waits_for_the_lock_then_publishes(tmp_path):
    output_dir = tmp_path / "output"
    holder = start_lock_holder(output_dir, 1.5)
    started = time.monotonic()
    result = publish_tree(write_tree(tmp_path / "tree", 1), output_dir, SPACE, run_id="1", lock_timeout=20)
    waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert 1.0 < waited < 10, waited
    assert result.version and live_generation(output_dir, SPACE) == 1


def test_lock_timeout_fails_clearly_naming_the_holder(tmp_path):
    output_dir = tmp_path / "output"
    holder = start_lock_holder(output_dir, 30)
    try:
        result = run_cli("publish", write_tree(tmp_path / "tree", 1), SPACE, "--output-dir", output_dir,
                         "--lock-timeout", "0.5")
        assert status(output_dir, SPACE)[0].locked
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert f"cannot publish space '{SPACE}': another process holds the publish lock" in result.stderr
    assert f"held by pid {holder.pid}" in result.stderr and "gave up after waiting 0.5 s" in result.stderr
    assert not (output_dir / SPACE).exists()


def test_lock_of_a_killed_holder_is_not_stale(tmp_path):
    output_dir = tmp_path / "output"
    holder = start_lock_holder(output_dir, 30)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (output_dir / ".locks" / f"{SPACE}.lock").exists()
    started = time.monotonic()
    publish_tree(write_tree(tmp_path / "tree", 1), output_dir, SPACE, run_id="1", lock_timeout=5)
    assert time.monotonic() - started < 2
    assert not status(output_dir, SPACE)[0].locked


def test_exchange_unsupported_falls_back_to_symlink_with_a_clear_message(tmp_path):
    output_dir = tmp_path / "output"
    tree = write_tree(tmp_path / "tree", 1)
    result = run_cli("publish", tree, SPACE, "--output-dir", output_dir, "--mode", "exchange", "--run-id", "1",
                     DOCMOST_PUBLISH_EXCHANGE_ERRNO="EINVAL")
    assert result.returncode == 0, result.stderr
    assert "exchange publish mode is not supported" in result.stderr
    assert "EINVAL" in result.stderr and "falling back to symlink mode" in result.stderr
    assert "symlink mode" in result.stdout
    assert (output_dir / SPACE).is_symlink() and live_generation(output_dir, SPACE) == 1


def test_exchange_unsupported_with_a_real_live_directory_is_refused(tmp_path):
    output_dir = tmp_path / "output"
    publish_tree(write_tree(tmp_path / "tree-1", 1), output_dir, SPACE, run_id="1", mode="exchange")
    result = run_cli("publish", write_tree(tmp_path / "tree-2", 2), SPACE, "--output-dir", output_dir,
                     "--mode", "symlink", "--run-id", "2", DOCMOST_PUBLISH_EXCHANGE_ERRNO="ENOSYS")
    assert result.returncode == 1
    assert "is a real directory" in result.stderr and "ENOSYS" in result.stderr
    assert not (output_dir / SPACE).is_symlink() and live_generation(output_dir, SPACE) == 1
    assert status(output_dir, SPACE)[0].leftovers == []


def test_unpublish_removes_the_space_in_one_step_under_a_reader(tmp_path):
    output_dir = tmp_path / "output"
    publish_tree(write_tree(tmp_path / "tree-1", 1), output_dir, SPACE, run_id="1")
    publish_tree(write_tree(tmp_path / "tree-2", 2), output_dir, SPACE, run_id="2")
    stop_file = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-m", "docmost_pipeline_tests.publish.reader", output_dir, SPACE, stop_file,
         "--allow-missing"], stdout=subprocess.PIPE, text=True, env=child_env(), cwd=REPO_ROOT,
    )
    time.sleep(0.5)
    result = run_cli("unpublish", SPACE, "--output-dir", output_dir)
    time.sleep(0.3)
    stop_file.touch()
    report = json.loads(reader.communicate(timeout=30)[0])
    assert result.returncode == 0, result.stderr
    assert report["failures"] == [] and report["snapshots"] > 0 and report["missing"] > 0, report
    assert not os.path.lexists(output_dir / SPACE)
    assert status(output_dir) == []
    again = run_cli("unpublish", SPACE, "--output-dir", output_dir)
    assert again.returncode == 1 and "is not published" in again.stderr
    assert run_cli("unpublish", SPACE, "--output-dir", output_dir, "--missing-ok").returncode == 0
