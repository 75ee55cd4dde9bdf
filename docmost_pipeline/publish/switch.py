"""The switch: the one atomic step that makes a stored version the live tree (``os.replace`` of a symlink, or a
``renameat2`` exchange), and the filing of the tree it displaced."""

from __future__ import annotations

import os
from pathlib import Path

from docmost_pipeline.publish import faults
from docmost_pipeline.publish.copying import fsync_dir
from docmost_pipeline.publish.exchange import exchange
from docmost_pipeline.publish.space import Layout, Live
from docmost_pipeline.publish.stamp import read_stamp
from docmost_pipeline.publish.versions import discard


def switch(layout: Layout, version: str, mode: str, live: Live, logger) -> None:
    """Make ``.versions/<space>/<version>`` the live tree in one atomic step, then fsync the parents."""
    target = layout.versions / version
    if mode == "symlink":
        # Built inside .versions so that a crash leaves it where recovery looks (symlinks there are always temporary).
        temp_link = layout.versions / f"{version}.link"
        if os.path.lexists(temp_link):
            os.unlink(temp_link)
        os.symlink(layout.link_text(version), temp_link)
        faults.kill_point("before_switch")
        if live.kind in ("missing", "symlink"):
            os.replace(temp_link, layout.live)
            faults.kill_point("after_switch")
        else:
            # The live tree is a real directory (the space was in exchange mode): rename() cannot put a symlink
            # over a directory, an exchange can. The old tree lands at temp_link's name.
            exchange(temp_link, layout.live)
            faults.kill_point("after_switch")
            _file_displaced(layout, temp_link, logger)
            faults.kill_point("after_displaced_rename")
    else:
        faults.kill_point("before_switch")
        if live.kind == "missing":
            os.rename(target, layout.live)
            faults.kill_point("after_switch")
        else:
            exchange(target, layout.live)
            faults.kill_point("after_switch")
            # ``target`` now names what was live: the old tree, or the old symlink when switching modes.
            if os.path.islink(target):
                os.unlink(target)
            else:
                _file_displaced(layout, target, logger)
            faults.kill_point("after_displaced_rename")
    fsync_dir(layout.output_dir)
    fsync_dir(layout.versions)


def _file_displaced(layout: Layout, path: Path, logger) -> None:
    """Give a swapped-out tree its own version name, or discard it when that name is taken."""
    stamp = read_stamp(path)
    if stamp is None:
        discard(layout, path)
        return
    destination = layout.versions / stamp.version
    if os.path.lexists(destination):
        logger.warning("discarding swapped-out copy of %s: %s already exists", stamp.version, destination)
        discard(layout, path)
    else:
        os.rename(path, destination)
