"""Test helper process: hold a space's publish lock (the publisher's own lock code) until killed or SECONDS pass.

usage: python -m docmost_pipeline_tests.publish.hold_lock OUTPUT_DIR SPACE SECONDS
Prints "locked" once the lock is held.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from docmost_pipeline.publish.lock import SpaceLock


def main() -> int:
    output_dir, space, seconds = sys.argv[1:4]
    with SpaceLock(Path(output_dir) / ".locks" / f"{space}.lock", timeout=5, operation="test hold"):
        print("locked", flush=True)
        time.sleep(float(seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
