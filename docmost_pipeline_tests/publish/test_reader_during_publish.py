"""A reader process walks OUTPUT_DIR/<space> while another process publishes 200 versions, in both modes.

The two modes run side by side (separate output directories) to keep the suite short: publishing is fsync-bound,
so the two series overlap well on two cores.
"""

from __future__ import annotations

import json
import subprocess
import sys

from docmost_pipeline_tests.publish.conftest import REPO_ROOT, child_env, run_module
from docmost_pipeline_tests.publish.trees import assert_store_consistent, live_generation

PUBLISHES = 200
SPACE = "engineering"
MODES = ("symlink", "exchange")


def start(module: str, *args: object) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", module, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=child_env(), cwd=REPO_ROOT)


def test_reader_never_sees_missing_partial_or_mixed_tree(tmp_path):
    runs = {}
    for mode in MODES:
        output_dir = tmp_path / mode / "output"
        first = run_module("docmost_pipeline_tests.publish.writer", output_dir, SPACE, 0, 0, mode, 3,
                           tmp_path / mode / "work")
        assert first.returncode == 0, first.stderr
        runs[mode] = {"output_dir": output_dir, "stop": tmp_path / mode / "stop",
                      "reader": start("docmost_pipeline_tests.publish.reader", output_dir, SPACE,
                                      tmp_path / mode / "stop")}
    for mode, run in runs.items():
        run["writer"] = start("docmost_pipeline_tests.publish.writer", run["output_dir"], SPACE, 1, PUBLISHES, mode,
                              3, tmp_path / mode / "work")
    try:
        for run in runs.values():
            run["writer_out"], run["writer_err"] = run["writer"].communicate(timeout=180)
    finally:
        for run in runs.values():
            run["stop"].touch()
            if run["writer"].poll() is None:
                run["writer"].kill()
        for run in runs.values():
            run["report"] = json.loads(run["reader"].communicate(timeout=30)[0])

    for mode, run in runs.items():
        report, output_dir = run["report"], run["output_dir"]
        assert run["writer"].returncode == 0, run["writer_err"]
        published = [json.loads(line) for line in run["writer_out"].splitlines()]
        assert len(published) == PUBLISHES and {p["mode"] for p in published} == {mode}

        assert report["failures"] == [], (mode, report["failures"][:5])
        assert report["missing"] == 0
        # The reader really ran across the whole series: many snapshots, and it saw most generations go by.
        assert report["snapshots"] > 4 * PUBLISHES, (mode, report["snapshots"])
        seen = report["generations"]
        assert seen == sorted(seen) and seen[-1] == PUBLISHES and len(seen) > PUBLISHES // 2, (mode, seen)
        assert report["pruned_while_reading"] <= report["snapshots"] // 100

        assert live_generation(output_dir, SPACE) == PUBLISHES
        kept = assert_store_consistent(output_dir, SPACE, keep=3)
        # symlink mode stores the live version under .versions too; exchange mode keeps it at OUTPUT_DIR/<space>.
        assert len(kept) == (3 if mode == "symlink" else 2), mode
        print(f"{mode}: {report['snapshots']} snapshots, {len(seen)} generations seen, "
              f"{report['pruned_while_reading']} pruned while reading")
