"""A reader process walking OUTPUT_DIR/<space> while another process publishes 200 versions, in both modes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from docmost_pipeline_tests.publish.conftest import REPO_ROOT, child_env, run_module
from docmost_pipeline_tests.publish.trees import assert_store_consistent, live_generation

PUBLISHES = 200


@pytest.mark.parametrize("mode", ["symlink", "exchange"])
def test_reader_never_sees_missing_partial_or_mixed_tree(tmp_path, mode):
    output_dir, space = tmp_path / "output", "engineering"
    first = run_module("docmost_pipeline_tests.publish.writer", output_dir, space, 0, 0, mode, 3, tmp_path / "w")
    assert first.returncode == 0, first.stderr
    stop_file = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-m", "docmost_pipeline_tests.publish.reader", output_dir, space, stop_file],
        stdout=subprocess.PIPE, text=True, env=child_env(), cwd=REPO_ROOT,
    )
    try:
        writer = run_module("docmost_pipeline_tests.publish.writer", output_dir, space, 1, PUBLISHES, mode, 3,
                            tmp_path / "w", timeout=120)
    finally:
        stop_file.touch()
        report = json.loads(reader.communicate(timeout=30)[0])
    assert writer.returncode == 0, writer.stderr
    published = [json.loads(line) for line in writer.stdout.splitlines()]
    assert len(published) == PUBLISHES and {p["mode"] for p in published} == {mode}

    assert report["failures"] == [], report["failures"][:5]
    assert report["missing"] == 0
    # The reader really ran across the whole series: many snapshots, and it saw most generations go by.
    assert report["snapshots"] > 4 * PUBLISHES, report["snapshots"]
    seen = report["generations"]
    assert seen == sorted(seen) and seen[-1] == PUBLISHES and len(seen) > PUBLISHES // 2, seen
    assert report["pruned_while_reading"] <= report["snapshots"] // 100

    assert live_generation(output_dir, space) == PUBLISHES
    kept = assert_store_consistent(output_dir, space, keep=3)
    # symlink mode stores the live version under .versions too; exchange mode keeps it at OUTPUT_DIR/<space>.
    assert len(kept) == (3 if mode == "symlink" else 2)
