"""The versions store, ``.versions/<space>``: which versions are kept, pruning beyond ``keep``, and the recovery
that every operation runs first to clean what an interrupted one left (staging trees, temporary links,
never-published versions, swapped-out trees not yet renamed to their version id)."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from docmost_pipeline.publish import faults
from docmost_pipeline.publish.copying import count_tree, fsync_dir, write_new_file
from docmost_pipeline.publish.space import (
    DEFAULT_KEEP, DEFAULT_LOCK_TIMEOUT, STAGING_DIR, VERSIONS_DIR, Layout, Live, check_keep, check_space_name,
    live_state, locked, log, prepare_dirs,
)
from docmost_pipeline.publish.stamp import (
    STAMP_NAME, is_version_id, make_stamp, new_version_id, read_stamp, stamp_bytes,
)

PENDING_SUFFIX = ".pending"


def clean_leftovers(output_dir: Path, space: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                    logger: logging.Logger | logging.LoggerAdapter | None = None) -> list[str]:
    """Remove what interrupted operations left for ``space`` (under its lock); returns what was done."""
    logger = logger or log
    check_space_name(space)
    layout = Layout(Path(output_dir), space)
    if not layout.output_dir.is_dir():
        return []
    prepare_dirs(layout)
    with locked(layout, lock_timeout, "clean", logger):
        return clean_leftovers_locked(layout, logger)


def prune_versions(output_dir: Path, space: str, *, keep: int = DEFAULT_KEEP,
                   lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                   logger: logging.Logger | logging.LoggerAdapter | None = None) -> list[str]:
    """Remove kept versions of ``space`` beyond ``keep`` (the live one counts and is never removed); returns them."""
    logger = logger or log
    check_space_name(space)
    check_keep(keep)
    layout = Layout(Path(output_dir), space)
    if not layout.versions.is_dir():
        return []
    prepare_dirs(layout)
    with locked(layout, lock_timeout, "prune", logger):
        return prune(layout, keep, logger)


def kept_versions(layout: Layout) -> list[str]:
    """Version ids stored under .versions/<space>, oldest first (complete ones only: named like a version)."""
    if not layout.versions.is_dir():
        return []
    return sorted(p.name for p in layout.versions.iterdir()
                  if is_version_id(p.name) and p.is_dir() and not p.is_symlink())


def prune(layout: Layout, keep: int, logger) -> list[str]:
    live = live_state(layout)
    others = [v for v in kept_versions(layout) if v != live.version]
    doomed = others[: max(len(others) - (keep - 1), 0)]
    for index, version in enumerate(doomed):
        trash = layout.staging / f"{version}.prune"
        os.rename(layout.versions / version, trash)
        fsync_dir(layout.versions)
        if index == 0:
            faults.kill_point("mid_prune")
        shutil.rmtree(trash)
    if doomed:
        logger.info("pruned %s: %s (keeping %d)", layout.space, ", ".join(doomed), keep)
    return doomed


def clean_leftovers_locked(layout: Layout, logger) -> list[str]:
    """The recovery every operation runs first, under the space's lock; returns what it removed or renamed."""
    done: list[str] = []
    live = live_state(layout)
    live_target = live.version if live.kind == "symlink" else None
    if layout.staging.is_dir():
        for entry in sorted(layout.staging.iterdir()):
            remove_quietly(entry)
            done.append(f"removed {STAGING_DIR}/{layout.space}/{entry.name}")
    if layout.versions.is_dir():
        entries = sorted(layout.versions.iterdir())
        pending = {entry.name.removesuffix(PENDING_SUFFIX) for entry in entries
                   if entry.name.endswith(PENDING_SUFFIX) and not entry.is_symlink()}
        for entry in entries:
            relative = f"{VERSIONS_DIR}/{layout.space}/{entry.name}"
            if entry.is_symlink() or not entry.is_dir():
                os.unlink(entry)
                done.append(f"removed {relative}")
                continue
            if entry.name == live_target:
                continue  # never touch the live tree, whatever it looks like
            stamp = read_stamp(entry)
            if stamp is None:
                discard(layout, entry)
                done.append(f"removed unfinished {relative}")
            elif stamp.version == entry.name and entry.name in pending and entry.name != live.version:
                discard(layout, entry)
                done.append(f"removed never-published {relative}")
            elif stamp.version != entry.name:
                destination = layout.versions / stamp.version
                if os.path.lexists(destination) or stamp.version == live.version:
                    discard(layout, entry)
                    done.append(f"removed duplicate of {stamp.version} at {relative}")
                else:
                    os.rename(entry, destination)
                    done.append(f"renamed swapped-out {relative} to {stamp.version}")
    if done:
        fsync_dir(layout.versions)
        fsync_dir(layout.staging)
        logger.warning("cleaned leftovers of an interrupted operation on %s: %s", layout.space, "; ".join(done))
    return done


def pending_marker(layout: Layout, version: str) -> Path:
    return layout.versions / f"{version}{PENDING_SUFFIX}"


def adopt_unmanaged(layout: Layout, live: Live, logger) -> Live:
    """Stamp a live real directory we did not create (e.g. from the system this replaces) so it can be kept."""
    version = new_version_id(max(kept_versions(layout), default=None), suffix="adopted")
    files, total = count_tree(layout.live)
    stamp = make_stamp(version, layout.space, run_id=None, source_sha256=None, page_count=None, files=files,
                       total_bytes=total, source="adopted unmanaged directory")
    temp = layout.live / f".{STAMP_NAME}.tmp"
    write_new_file(temp, stamp_bytes(stamp), file_number=None, replace=True)
    os.rename(temp, layout.live / STAMP_NAME)
    fsync_dir(layout.live)
    logger.warning("%s was a directory not created by the publisher; kept it as version %s", layout.live, version)
    return Live(kind="dir", version=version, stamp=stamp)


def discard(layout: Layout, path: Path) -> None:
    """Delete a tree without ever leaving it half-deleted in place: rename into staging, then remove."""
    trash = layout.staging / f"{path.name}.trash-{os.getpid()}"
    os.rename(path, trash)
    shutil.rmtree(trash)


def remove_quietly(path: Path) -> None:
    try:
        if path.is_symlink() or not path.is_dir():
            path.unlink()
        else:
            shutil.rmtree(path)
    except FileNotFoundError:
        pass
