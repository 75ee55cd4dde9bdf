"""Atomic publishing of a space's docs tree into ``OUTPUT_DIR/<space>``: publish, rollback, unpublish, status.

Layout under OUTPUT_DIR (dot-directories, so Docusaurus and most tools ignore them)::

    <space>                     the live tree: a symlink to .versions/<space>/<version> (symlink mode)
                                or a real directory holding the live version (exchange mode)
    .versions/<space>/<version> complete, fsynced, stamped versions kept for rollback
    .staging/<space>/           trees being copied, and trees being deleted; wiped by the next operation
    .locks/<space>.lock         the fcntl lock: one publisher per space at a time

Invariants that make a kill at any instant harmless:

- a directory only ever appears under ``.versions/<space>/`` by ``rename`` from staging after every file and
  directory in it, and its stamp, are fsynced; so anything there with a stamp naming itself is complete;
- the live path only ever changes by one atomic step: ``os.replace`` of a symlink, or ``renameat2`` exchange;
- nothing is deleted in place: a tree is first renamed into staging and then removed, so a half-deleted tree is
  never visible as a version;
- every operation holds the space's lock, and starts by cleaning what an interrupted one left (staging trees,
  temporary links, a swapped-out tree not yet renamed to its version id), never touching the live version.

The caller's tree is copied, never moved or modified: the source may live on another filesystem, and a failed
publish leaves the caller with everything it had.

This module holds publish and unpublish; rollback is in ``restore``, the status report in ``report``, the versions
store (kept versions, pruning, recovery) in ``versions``, the atomic step itself in ``switch``, durable copying in
``copying``, and the paths, live state, checks and lock every operation shares in ``space``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from docmost_pipeline.publish import faults
from docmost_pipeline.publish.copying import fsync_dir, fsync_tree_dirs, stage_copy, tree_digest, write_new_file
from docmost_pipeline.publish.exchange import exchange_supported
from docmost_pipeline.publish.space import (
    DEFAULT_KEEP, DEFAULT_LOCK_TIMEOUT, Layout, Live, PublishError, check_keep, check_space_name, describe_os_error,
    live_state, locked, log, prepare_dirs,
)
from docmost_pipeline.publish.stamp import STAMP_NAME, make_stamp, new_version_id, stamp_bytes
from docmost_pipeline.publish.switch import switch
from docmost_pipeline.publish.versions import (
    adopt_unmanaged, clean_leftovers_locked, kept_versions, pending_marker, prune, remove_quietly,
)

MODES = ("symlink", "exchange")
DEFAULT_MODE = "symlink"


@dataclass(frozen=True)
class PublishResult:
    version: str
    previous_version: str | None
    path: Path  # the live path, OUTPUT_DIR/<space>
    seconds: float
    mode: str  # the mode actually used ("symlink" after a fallback from "exchange")
    pruned: tuple[str, ...] = ()
    cleaned: tuple[str, ...] = ()  # leftovers of interrupted runs removed or repaired first
    files: int = 0
    bytes: int = 0
    # True when the tree was identical to the live version: nothing was copied or switched, ``version`` is the
    # live one. Keeps the rollback history made of real changes, not of copies of the same tree.
    unchanged: bool = False


def publish_tree(tree_dir: Path, output_dir: Path, space: str, *, run_id: str | None = None,
                 source_sha256: str | None = None, page_count: int | None = None, mode: str = DEFAULT_MODE,
                 keep: int = DEFAULT_KEEP, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, force: bool = False,
                 logger: logging.Logger | logging.LoggerAdapter | None = None) -> PublishResult:
    """Copy ``tree_dir`` into a new version of ``space`` and make it live atomically; prune beyond ``keep``.

    ``keep`` counts the live version: keep=3 keeps the live one and the two newest others.
    A tree identical to the live version (same files, same bytes; ``tree_digest``) in the same mode is not
    published again (``PublishResult.unchanged``) unless ``force``.
    Raises PublishError with a clear message; the live version is then what it was before the call.
    """
    logger = logger or log
    started = time.monotonic()
    check_space_name(space)
    if mode not in MODES:
        raise PublishError(f"unknown publish mode {mode!r}; expected one of {', '.join(MODES)}")
    check_keep(keep)
    tree_dir = Path(tree_dir)
    if not tree_dir.is_dir():
        raise PublishError(f"tree to publish {tree_dir} is not a directory")
    layout = Layout(Path(output_dir), space)
    prepare_dirs(layout)

    with locked(layout, lock_timeout, "publish", logger):
        faults.kill_point("after_lock")
        cleaned = clean_leftovers_locked(layout, logger)
        faults.kill_point("after_cleanup")
        live = live_state(layout)
        if live.kind == "foreign":
            raise PublishError(f"refusing to publish {space!r}: {live.problem}")

        effective_mode = _effective_mode(layout, mode, live, logger)
        digest = tree_digest(tree_dir)
        if not force and live.stamp is not None and live.stamp.tree_sha256 == digest and live.mode == effective_mode:
            if source_sha256 and live.stamp.source_sha256 != source_sha256:
                _restamp_source(layout, live, source_sha256)
            pruned = prune(layout, keep, logger)
            seconds = time.monotonic() - started
            logger.info("%s unchanged: version %s stays live (identical tree, %s mode)%s", space, live.version,
                        live.mode, f", pruned {', '.join(pruned)}" if pruned else "")
            return PublishResult(version=live.stamp.version, previous_version=live.stamp.version, path=layout.live,
                                 seconds=seconds, mode=live.mode, pruned=tuple(pruned), cleaned=tuple(cleaned),
                                 files=live.stamp.files, bytes=live.stamp.bytes, unchanged=True)
        if live.kind == "unmanaged":
            live = adopt_unmanaged(layout, live, logger)
        latest = max(kept_versions(layout) + ([live.version] if live.version else []), default=None)
        version = new_version_id(latest)
        staged = layout.staging / version
        files, total_bytes = _stage_version(tree_dir, staged, layout, version, live, run_id=run_id,
                                            source_sha256=source_sha256, page_count=page_count, digest=digest)
        faults.kill_point("after_fsync")
        # The marker says "not live yet": recovery discards a version that still has one unless it is live, so a
        # crash before the switch never leaves a version that was never published among the kept ones.
        pending = pending_marker(layout, version)
        pending.touch()
        os.rename(staged, layout.versions / version)
        fsync_dir(layout.versions)
        fsync_dir(layout.staging)
        faults.kill_point("after_stage_rename")

        switch(layout, version, effective_mode, live, logger)
        pending.unlink()
        fsync_dir(layout.versions)
        pruned = prune(layout, keep, logger)
        faults.kill_point("after_prune")

    seconds = time.monotonic() - started
    logger.info("published %s version %s (previous %s) in %.2f s, %s mode, %d files, %d bytes%s",
                space, version, live.version or "none", seconds, effective_mode, files, total_bytes,
                f", pruned {', '.join(pruned)}" if pruned else "")
    return PublishResult(version=version, previous_version=live.version, path=layout.live, seconds=seconds,
                         mode=effective_mode, pruned=tuple(pruned), cleaned=tuple(cleaned), files=files,
                         bytes=total_bytes)


def _effective_mode(layout: Layout, mode: str, live: Live, logger) -> str:
    """``mode``, or "symlink" when an exchange is needed and the filesystem cannot do one; a PublishError when the
    live tree is a real directory, which only an exchange can replace atomically."""
    needs_exchange = mode == "exchange" or live.kind in ("dir", "unmanaged")
    effective_mode = mode
    if needs_exchange:
        supported, reason = exchange_supported(layout.staging)
        if not supported:
            if live.kind in ("dir", "unmanaged"):
                raise PublishError(
                    f"{layout.live} is a real directory and replacing it atomically needs "
                    f"renameat2(RENAME_EXCHANGE), which this filesystem does not support ({reason}); "
                    f"move it away by hand, then publish again (symlink mode)"
                )
            logger.warning("exchange publish mode is not supported under %s (%s); falling back to symlink mode",
                           layout.output_dir, reason)
            effective_mode = "symlink"
    return effective_mode


def _stage_version(tree_dir: Path, staged: Path, layout: Layout, version: str, live: Live, *, run_id: str | None,
                   source_sha256: str | None, page_count: int | None, digest: str) -> tuple[int, int]:
    """Copy ``tree_dir`` to ``staged`` with the stamp of ``version``, every file and directory fsynced; returns
    (files, bytes). On failure the partial copy is removed and the live version stays as it is."""
    try:
        reuse = None
        if live.kind == "dir":
            reuse = layout.live
        elif live.kind == "symlink" and live.version:
            reuse = layout.versions / live.version
        files, total_bytes, _linked = stage_copy(tree_dir, staged, reuse=reuse)
        faults.kill_point("after_copy")
        stamp = make_stamp(version, layout.space, run_id=run_id, source_sha256=source_sha256, page_count=page_count,
                           files=files, total_bytes=total_bytes, source=str(tree_dir), tree_sha256=digest)
        write_new_file(staged / STAMP_NAME, stamp_bytes(stamp), file_number=files + 1)
        fsync_tree_dirs(staged)
        fsync_dir(layout.staging)
    except OSError as error:
        remove_quietly(staged)
        raise PublishError(
            f"staging a new version of {layout.space!r} from {tree_dir} failed: {describe_os_error(error)}; "
            f"the live version ({live.version or 'none'}) is untouched"
        ) from error
    return files, total_bytes


def _restamp_source(layout: Layout, live: Live, source_sha256: str) -> None:
    """Record a new source digest in the live version's stamp (same tree, made from a changed source): the next
    sync then knows the live tree is what this source gives. The stamp is replaced atomically."""
    version_dir = layout.live if live.kind == "dir" else layout.versions / str(live.version)
    stamp = dataclasses.replace(live.stamp, source_sha256=source_sha256)
    temporary = version_dir / f".{STAMP_NAME}.tmp"
    write_new_file(temporary, stamp_bytes(stamp), file_number=None, replace=True)
    os.replace(temporary, version_dir / STAMP_NAME)
    fsync_dir(version_dir)


def unpublish(output_dir: Path, space: str, *, missing_ok: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
              logger: logging.Logger | logging.LoggerAdapter | None = None) -> None:
    """Remove a space from the output: the live path disappears in one rename, then every kept version goes.

    Raises PublishError when the space is not published (unless ``missing_ok``) or its live path is not ours.
    """
    logger = logger or log
    check_space_name(space)
    layout = Layout(Path(output_dir), space)
    if not layout.versions.is_dir() and not os.path.lexists(layout.live):
        if missing_ok:
            return
        raise PublishError(f"space {space!r} is not published under {layout.output_dir}; nothing to unpublish")
    prepare_dirs(layout)
    with locked(layout, lock_timeout, "unpublish", logger):
        clean_leftovers_locked(layout, logger)
        live = live_state(layout)
        if live.kind in ("foreign", "unmanaged"):
            raise PublishError(f"refusing to unpublish {space!r}: {live.problem}")
        if live.kind != "missing":
            os.rename(layout.live, layout.staging / "unpublished-live")
            fsync_dir(layout.output_dir)
        faults.kill_point("after_switch")
        os.rename(layout.versions, layout.staging / "unpublished-versions")
        fsync_dir(layout.versions.parent)
        shutil.rmtree(layout.staging)
        fsync_dir(layout.staging.parent)
    logger.info("unpublished %s (was %s)", space, live.version or "not live")
