"""Test helper process: read OUTPUT_DIR/<space> over and over until STOP_FILE exists; report what it saw.

usage: python -m docmost_pipeline_tests.publish.reader OUTPUT_DIR SPACE STOP_FILE [--allow-missing]

Each snapshot opens the live path once (following the symlink in symlink mode) and reads the whole tree through
that directory descriptor, as a reader that resolved the path before a switch would. A snapshot must show exactly
one complete generation: stamp parseable, stamp run id == generation named in every file, the file set of that
generation, no partial file. The live path must never be missing (with --allow-missing, used while unpublishing,
it may vanish, but only for good: once missing it must not come back). A snapshot whose version was pruned while it
was being read (only possible when the reader holds a version across `keep` publishes) is counted separately.
Prints one JSON object at the end.
"""

from __future__ import annotations

import json
import os
import sys
import time

from docmost_pipeline_tests.publish.trees import STAMP_NAME, expected_files


def read_at(dir_fd: int, name: str) -> bytes:
    fd = os.open(name, os.O_RDONLY, dir_fd=dir_fd)
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class Vanished(Exception):
    """A file of the snapshot disappeared while it was being read."""

    def __init__(self, version: str, error: OSError) -> None:
        super().__init__(f"{error} while reading version {version}")
        self.version = version


def snapshot(live: str) -> tuple[int, str]:
    """Returns (generation, version); raises AssertionError describing what was wrong."""
    root = os.open(live, os.O_RDONLY | os.O_DIRECTORY)
    try:
        raw = read_at(root, STAMP_NAME)
        try:
            stamp = json.loads(raw)
        except ValueError:
            raise AssertionError(f"partial stamp: {raw[:80]!r}") from None
        generation = int(stamp["run_id"])
        seen: dict[str, bytes] = {}
        try:
            for dirpath, _, filenames, dir_fd in os.fwalk(".", dir_fd=root):
                for name in filenames:
                    relative = os.path.normpath(os.path.join(dirpath, name))
                    if relative != STAMP_NAME:
                        seen[relative] = read_at(dir_fd, name)
        except FileNotFoundError as error:
            raise Vanished(stamp["version"], error) from None
        expected = expected_files(generation)
        if seen != expected:
            foreign = sorted(k for k, v in seen.items() if expected.get(k) != v)
            missing = sorted(set(expected) - set(seen))
            raise AssertionError(f"stamp says generation {generation} but files differ: wrong/partial/foreign "
                                 f"{foreign[:3]}, missing {missing[:3]}")
        return generation, stamp["version"]
    finally:
        os.close(root)


def still_kept(output_dir: str, space: str, version: str) -> bool:
    if os.path.isdir(os.path.join(output_dir, ".versions", space, version)):
        return True
    try:
        return json.loads(open(os.path.join(output_dir, space, STAMP_NAME), "rb").read())["version"] == version
    except (OSError, ValueError):
        return False


def main() -> int:
    output_dir, space, stop_file = sys.argv[1:4]
    allow_missing = "--allow-missing" in sys.argv[4:]
    live = os.path.join(output_dir, space)
    report = {"snapshots": 0, "generations": [], "failures": [], "pruned_while_reading": 0, "missing": 0}
    last_generation = None
    while not os.path.exists(stop_file):
        try:
            generation, version = snapshot(live)
        except FileNotFoundError as error:
            report["missing"] += 1
            if not allow_missing:
                report["failures"].append(f"live path or stamp missing: {error}")
            continue
        except Vanished as vanished:
            # Legitimate only when the version this snapshot holds was pruned meanwhile.
            if still_kept(output_dir, space, vanished.version):
                report["failures"].append(f"file vanished from a kept version: {vanished}")
            else:
                report["pruned_while_reading"] += 1
            continue
        except AssertionError as error:
            report["failures"].append(str(error))
            continue
        if report["missing"]:
            report["failures"].append("the live path came back after it was missing")
        report["snapshots"] += 1
        if generation != last_generation:
            report["generations"].append(generation)
            last_generation = generation
        if len(report["failures"]) > 50:
            break
        time.sleep(0)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
