"""OUTPUT_DIR shared between containers (docs/deploy.md#multi-machine-limits): the publish lock holds between
processes that see OUTPUT_DIR at different paths through different mounts, as two containers mounting the same
volume do. The other process runs in a mount namespace of its own (`unshare -m`, root only) with the directory
bind-mounted at another path; the flock is on the file, so the two paths are one lock.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from docmost_pipeline.publish import PublishError, publish_tree
from docmost_pipeline_tests.publish.conftest import REPO_ROOT, child_env
from docmost_pipeline_tests.publish.trees import live_generation, write_tree

SPACE = "engineering"


@pytest.fixture
def other_container(tmp_path):
    """Start a lock holder seeing tmp_path/output at tmp_path/mnt/output (its own mount namespace)."""
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("mount namespaces (unshare -m) need root or CAP_SYS_ADMIN")
    output_dir, mount_point = tmp_path / "output", tmp_path / "mnt" / "output"
    output_dir.mkdir()
    mount_point.mkdir(parents=True)
    holders: list[subprocess.Popen] = []

    def start(seconds: float) -> subprocess.Popen:
        script = ('mount --bind "$1" "$2" && exec "$3" -m docmost_pipeline_tests.publish.hold_lock "$2" "$4" "$5"')
        holder = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", str(output_dir),
             str(mount_point), sys.executable, SPACE, str(seconds)],
            stdout=subprocess.PIPE, text=True, env=child_env(), cwd=REPO_ROOT)
        holders.append(holder)
        assert holder.stdout.readline().strip() == "locked"
        return holder

    yield output_dir, mount_point, start
    for holder in holders:
        if holder.poll() is None:
            holder.kill()
        holder.wait()


def test_publish_lock_holds_across_mounts_of_one_output_dir(tmp_path, other_container):
    output_dir, mount_point, start = other_container
    holder = start(30)
    # This process does not see the other one's mount: the same files, reached by two paths in two namespaces.
    assert list(mount_point.iterdir()) == []
    assert (output_dir / ".locks" / f"{SPACE}.lock").is_file()

    with pytest.raises(PublishError) as refused:
        publish_tree(write_tree(tmp_path / "tree", 1), output_dir, SPACE, run_id="1", lock_timeout=0.5)
    assert f"held by pid {holder.pid}" in str(refused.value)
    assert not (output_dir / SPACE).exists()

    holder.send_signal(signal.SIGKILL)
    holder.wait()
    started = time.monotonic()
    publish_tree(write_tree(tmp_path / "tree2", 2), output_dir, SPACE, run_id="2", lock_timeout=5)
    assert time.monotonic() - started < 2
    assert live_generation(output_dir, SPACE) == 2
