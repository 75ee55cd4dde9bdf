"""Generated docs trees whose every file names the generation it belongs to, and checks on published trees.

Generation k has a shape of its own (file count and names vary with k), and each file's content is
``generation k file <path>`` + padding + ``END``, so a reader can tell a partial file, a file of another
generation, or a tree mixing two generations. The publisher records k as the stamp's run id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

STAMP_NAME = "_publish.json"


def expected_files(generation: int) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    count = 6 + generation % 5
    for index in range(count):
        folder = f"section-{index % 3}" if index % 2 else ""
        name = f"page-{index}-g{generation % 4}.md"
        relative = f"{folder}/{name}" if folder else name
        padding = "x" * (200 + 37 * index)
        files[relative] = f"generation {generation} file {relative}\n{padding}\nEND\n".encode()
    files["_category_.json"] = json.dumps({"label": f"generation {generation}"}).encode()
    return files


def write_tree(root: Path, generation: int) -> Path:
    root.mkdir(parents=True)
    for relative, content in expected_files(generation).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    """Every regular file under root (following a symlinked root), the stamp excluded."""
    result = {}
    for dirpath, _, filenames in os.walk(os.path.realpath(root)):
        for name in filenames:
            relative = os.path.relpath(os.path.join(dirpath, name), os.path.realpath(root))
            if relative != STAMP_NAME:
                result[relative] = Path(dirpath, name).read_bytes()
    return result


def live_generation(output_dir: Path, space: str) -> int:
    """The generation exactly live at OUTPUT_DIR/<space>; fails when the tree is not one complete generation."""
    live = output_dir / space
    stamp = json.loads((live / STAMP_NAME).read_bytes())
    generation = int(stamp["run_id"])
    assert read_tree(live) == expected_files(generation), f"live tree is not exactly generation {generation}"
    assert stamp["files"] == len(expected_files(generation))
    return generation


def assert_store_consistent(output_dir: Path, space: str, keep: int | None = None) -> list[str]:
    """No leftovers; every kept version complete and named after its stamp. Returns kept version ids."""
    staging = output_dir / ".staging" / space
    assert not staging.exists() or list(staging.iterdir()) == [], f"leftovers in staging: {list(staging.iterdir())}"
    versions_dir = output_dir / ".versions" / space
    kept = sorted(p.name for p in versions_dir.iterdir())
    for name in kept:
        path = versions_dir / name
        assert path.is_dir() and not path.is_symlink(), f"{path} is not a version directory"
        stamp = json.loads((path / STAMP_NAME).read_bytes())
        assert stamp["version"] == name
        assert read_tree(path) == expected_files(int(stamp["run_id"])), f"kept version {name} is not complete"
    if keep is not None:
        live = output_dir / space
        total = len(kept) + (0 if live.is_symlink() else 1)
        assert total <= keep, f"{total} versions kept, keep={keep}"
    return kept
