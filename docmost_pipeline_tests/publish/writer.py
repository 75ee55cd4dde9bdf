"""Test helper process: publish generations FIRST..LAST of a generated tree (run id = generation).

usage: python -m docmost_pipeline_tests.publish.writer OUTPUT_DIR SPACE FIRST LAST MODE KEEP WORK_DIR
Prints one JSON line per publish. Fault-injection variables in the environment apply.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from docmost_pipeline.publish import publish_tree
from docmost_pipeline_tests.publish.trees import write_tree


def main() -> int:
    output_dir, space, first, last, mode, keep, work_dir = sys.argv[1:8]
    for generation in range(int(first), int(last) + 1):
        tree = write_tree(Path(work_dir) / f"tree-{generation}", generation)
        result = publish_tree(tree, Path(output_dir), space, run_id=str(generation), mode=mode, keep=int(keep),
                              lock_timeout=30)
        shutil.rmtree(tree)
        print(json.dumps({"generation": generation, "version": result.version, "mode": result.mode,
                          "seconds": result.seconds}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
