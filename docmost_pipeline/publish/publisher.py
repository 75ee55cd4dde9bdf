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
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import logging
import os
import re
import shutil
import stat
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from docmost_pipeline.publish import faults
from docmost_pipeline.publish.exchange import exchange, exchange_supported
from docmost_pipeline.publish.lock import LockTimeout, SpaceLock, is_locked
from docmost_pipeline.publish.stamp import (
    STAMP_NAME, Stamp, is_version_id, make_stamp, new_version_id, read_stamp, stamp_bytes,
)

log = logging.getLogger(__name__)

VERSIONS_DIR = ".versions"
STAGING_DIR = ".staging"
LOCKS_DIR = ".locks"
MODES = ("symlink", "exchange")
DEFAULT_MODE = "symlink"
DEFAULT_KEEP = 3
DEFAULT_LOCK_TIMEOUT = 60.0
PENDING_SUFFIX = ".pending"

# A space folder name: what the converter's slugs produce. No leading dot or underscore (Docusaurus would skip it,
# and dot-names are ours), no path separators.
_SPACE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class PublishError(Exception):
    """A publish, rollback or unpublish could not be done; the message says what and what state was kept."""


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


@dataclass
class SpaceStatus:
    space: str
    path: Path
    mode: str  # "symlink", "exchange", "missing", or "broken" (the live path is not ours; see problem)
    live_version: str | None
    stamp: dict | None
    kept_versions: list[str] = field(default_factory=list)  # versions kept besides the live one, oldest first
    leftovers: list[str] = field(default_factory=list)  # staging entries (an operation running or interrupted)
    locked: bool = False
    problem: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


@dataclass(frozen=True)
class _Layout:
    output_dir: Path
    space: str

    @property
    def live(self) -> Path:
        return self.output_dir / self.space

    @property
    def versions(self) -> Path:
        return self.output_dir / VERSIONS_DIR / self.space

    @property
    def staging(self) -> Path:
        return self.output_dir / STAGING_DIR / self.space

    @property
    def lock_path(self) -> Path:
        return self.output_dir / LOCKS_DIR / f"{self.space}.lock"

    def link_text(self, version: str) -> str:
        # Relative, so OUTPUT_DIR can be moved or bind-mounted elsewhere (e.g. into a container) and still resolve.
        return f"{VERSIONS_DIR}/{self.space}/{version}"


@dataclass(frozen=True)
class _Live:
    kind: str  # "missing", "symlink", "dir", "unmanaged" (real dir without our stamp), "foreign"
    version: str | None = None
    stamp: Stamp | None = None
    problem: str | None = None

    @property
    def mode(self) -> str | None:
        """The publish mode the live version is in: "symlink", "exchange" (a stamped real directory), else None."""
        return {"symlink": "symlink", "dir": "exchange"}.get(self.kind)


# ---------------------------------------------------------------------------------------------------------------
# public API


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
    _check_keep(keep)
    tree_dir = Path(tree_dir)
    if not tree_dir.is_dir():
        raise PublishError(f"tree to publish {tree_dir} is not a directory")
    layout = _Layout(Path(output_dir), space)
    _prepare_dirs(layout)

    with _locked(layout, lock_timeout, "publish", logger):
        faults.kill_point("after_lock")
        cleaned = _clean_leftovers_locked(layout, logger)
        faults.kill_point("after_cleanup")
        live = _live_state(layout)
        if live.kind == "foreign":
            raise PublishError(f"refusing to publish {space!r}: {live.problem}")

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

        digest = tree_digest(tree_dir)
        if not force and live.stamp is not None and live.stamp.tree_sha256 == digest and live.mode == effective_mode:
            if source_sha256 and live.stamp.source_sha256 != source_sha256:
                _restamp_source(layout, live, source_sha256)
            pruned = _prune(layout, keep, logger)
            seconds = time.monotonic() - started
            logger.info("%s unchanged: version %s stays live (identical tree, %s mode)%s", space, live.version,
                        live.mode, f", pruned {', '.join(pruned)}" if pruned else "")
            return PublishResult(version=live.stamp.version, previous_version=live.stamp.version, path=layout.live,
                                 seconds=seconds, mode=live.mode, pruned=tuple(pruned), cleaned=tuple(cleaned),
                                 files=live.stamp.files, bytes=live.stamp.bytes, unchanged=True)
        if live.kind == "unmanaged":
            live = _adopt_unmanaged(layout, live, logger)
        latest = max(_kept_versions(layout) + ([live.version] if live.version else []), default=None)
        version = new_version_id(latest)
        staged = layout.staging / version
        try:
            files, total_bytes = _stage_copy(tree_dir, staged)
            faults.kill_point("after_copy")
            stamp = make_stamp(version, space, run_id=run_id, source_sha256=source_sha256, page_count=page_count,
                               files=files, total_bytes=total_bytes, source=str(tree_dir), tree_sha256=digest)
            _write_new_file(staged / STAMP_NAME, stamp_bytes(stamp), file_number=files + 1)
            _fsync_tree_dirs(staged)
            _fsync_dir(layout.staging)
        except OSError as error:
            _remove_quietly(staged)
            raise PublishError(
                f"staging a new version of {space!r} from {tree_dir} failed: {_describe_os_error(error)}; "
                f"the live version ({live.version or 'none'}) is untouched"
            ) from error
        faults.kill_point("after_fsync")
        # The marker says "not live yet": recovery discards a version that still has one unless it is live, so a
        # crash before the switch never leaves a version that was never published among the kept ones.
        pending = _pending_marker(layout, version)
        pending.touch()
        os.rename(staged, layout.versions / version)
        _fsync_dir(layout.versions)
        _fsync_dir(layout.staging)
        faults.kill_point("after_stage_rename")

        _switch(layout, version, effective_mode, live, logger)
        pending.unlink()
        _fsync_dir(layout.versions)
        pruned = _prune(layout, keep, logger)
        faults.kill_point("after_prune")

    seconds = time.monotonic() - started
    logger.info("published %s version %s (previous %s) in %.2f s, %s mode, %d files, %d bytes%s",
                space, version, live.version or "none", seconds, effective_mode, files, total_bytes,
                f", pruned {', '.join(pruned)}" if pruned else "")
    return PublishResult(version=version, previous_version=live.version, path=layout.live, seconds=seconds,
                         mode=effective_mode, pruned=tuple(pruned), cleaned=tuple(cleaned), files=files,
                         bytes=total_bytes)


def rollback(output_dir: Path, space: str, to_version: str | None = None, *,
             lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
             logger: logging.Logger | logging.LoggerAdapter | None = None) -> PublishResult:
    """Make a kept version live again, atomically, in the space's current mode.

    Without ``to_version``: the newest kept version older than the live one. Nothing is pruned.
    """
    logger = logger or log
    started = time.monotonic()
    check_space_name(space)
    layout = _Layout(Path(output_dir), space)
    if not layout.versions.is_dir() and not os.path.lexists(layout.live):
        raise PublishError(f"space {space!r} is not published under {layout.output_dir}")
    _prepare_dirs(layout)
    with _locked(layout, lock_timeout, "rollback", logger):
        _clean_leftovers_locked(layout, logger)
        live = _live_state(layout)
        if live.kind == "missing":
            raise PublishError(f"space {space!r} has no live version under {layout.output_dir}; publish it first")
        if live.kind in ("foreign", "unmanaged"):
            raise PublishError(f"refusing to roll back {space!r}: {live.problem}")
        kept = [v for v in _kept_versions(layout) if v != live.version]
        if to_version is not None:
            if to_version == live.version:
                raise PublishError(f"version {to_version} of {space!r} is already live")
            if to_version not in kept:
                raise PublishError(f"space {space!r} has no kept version {to_version!r}; "
                                   f"kept: {', '.join(kept) or 'none'} (live: {live.version})")
            target = to_version
        else:
            older = [v for v in kept if v < live.version]
            if not older:
                raise PublishError(f"space {space!r} keeps no version older than the live {live.version} "
                                   f"to roll back to (kept: {', '.join(kept) or 'none'}); use --to VERSION")
            target = older[-1]
        mode = live.mode
        if mode == "exchange":
            supported, reason = exchange_supported(layout.staging)
            if not supported:
                raise PublishError(f"rolling back {space!r} needs renameat2(RENAME_EXCHANGE): {reason}")
        _switch(layout, target, mode, live, logger)
    seconds = time.monotonic() - started
    logger.info("rolled %s back from %s to %s in %.2f s (%s mode)", space, live.version, target, seconds, mode)
    return PublishResult(version=target, previous_version=live.version, path=layout.live, seconds=seconds,
                         mode=mode)


def unpublish(output_dir: Path, space: str, *, missing_ok: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
              logger: logging.Logger | logging.LoggerAdapter | None = None) -> None:
    """Remove a space from the output: the live path disappears in one rename, then every kept version goes.

    Raises PublishError when the space is not published (unless ``missing_ok``) or its live path is not ours.
    """
    logger = logger or log
    check_space_name(space)
    layout = _Layout(Path(output_dir), space)
    if not layout.versions.is_dir() and not os.path.lexists(layout.live):
        if missing_ok:
            return
        raise PublishError(f"space {space!r} is not published under {layout.output_dir}; nothing to unpublish")
    _prepare_dirs(layout)
    with _locked(layout, lock_timeout, "unpublish", logger):
        _clean_leftovers_locked(layout, logger)
        live = _live_state(layout)
        if live.kind in ("foreign", "unmanaged"):
            raise PublishError(f"refusing to unpublish {space!r}: {live.problem}")
        if live.kind != "missing":
            os.rename(layout.live, layout.staging / "unpublished-live")
            _fsync_dir(layout.output_dir)
        faults.kill_point("after_switch")
        os.rename(layout.versions, layout.staging / "unpublished-versions")
        _fsync_dir(layout.versions.parent)
        shutil.rmtree(layout.staging)
        _fsync_dir(layout.staging.parent)
    logger.info("unpublished %s (was %s)", space, live.version or "not live")


def status(output_dir: Path, space: str | None = None) -> list[SpaceStatus]:
    """What is published: one SpaceStatus per space (or just ``space``), sorted by name. Takes no lock."""
    output_dir = Path(output_dir)
    if space is not None:
        check_space_name(space)
        names = [space]
    else:
        names = set()
        versions_root = output_dir / VERSIONS_DIR
        if versions_root.is_dir():
            names.update(p.name for p in versions_root.iterdir() if p.is_dir())
        if output_dir.is_dir():
            for entry in output_dir.iterdir():
                if entry.name.startswith("."):
                    continue
                if entry.is_symlink() and os.readlink(entry).startswith(f"{VERSIONS_DIR}/"):
                    names.add(entry.name)
                elif entry.is_dir() and not entry.is_symlink() and read_stamp(entry) is not None:
                    names.add(entry.name)
        names = sorted(names)
    result = []
    for name in names:
        layout = _Layout(output_dir, name)
        live = _live_state(layout)
        mode = live.mode or ("missing" if live.kind == "missing" else "broken")
        kept = [v for v in _kept_versions(layout) if v != live.version]
        leftovers = [f"{STAGING_DIR}/{name}/{p.name}" for p in sorted(layout.staging.iterdir())
                     ] if layout.staging.is_dir() else []
        leftovers += _version_anomalies(layout, live)
        result.append(SpaceStatus(
            space=name, path=layout.live, mode=mode, live_version=live.version,
            stamp=live.stamp.to_dict() if live.stamp else None, kept_versions=kept, leftovers=leftovers,
            locked=is_locked(layout.lock_path), problem=live.problem,
        ))
    return result


def clean_leftovers(output_dir: Path, space: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                    logger: logging.Logger | logging.LoggerAdapter | None = None) -> list[str]:
    """Remove what interrupted operations left for ``space`` (under its lock); returns what was done."""
    logger = logger or log
    check_space_name(space)
    layout = _Layout(Path(output_dir), space)
    if not layout.output_dir.is_dir():
        return []
    _prepare_dirs(layout)
    with _locked(layout, lock_timeout, "clean", logger):
        return _clean_leftovers_locked(layout, logger)


def prune_versions(output_dir: Path, space: str, *, keep: int = DEFAULT_KEEP,
                   lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                   logger: logging.Logger | logging.LoggerAdapter | None = None) -> list[str]:
    """Remove kept versions of ``space`` beyond ``keep`` (the live one counts and is never removed); returns them."""
    logger = logger or log
    check_space_name(space)
    _check_keep(keep)
    layout = _Layout(Path(output_dir), space)
    if not layout.versions.is_dir():
        return []
    _prepare_dirs(layout)
    with _locked(layout, lock_timeout, "prune", logger):
        return _prune(layout, keep, logger)


# ---------------------------------------------------------------------------------------------------------------
# the switch, pruning and recovery


def _switch(layout: _Layout, version: str, mode: str, live: _Live, logger) -> None:
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
    _fsync_dir(layout.output_dir)
    _fsync_dir(layout.versions)


def _file_displaced(layout: _Layout, path: Path, logger) -> None:
    """Give a swapped-out tree its own version name, or discard it when that name is taken."""
    stamp = read_stamp(path)
    if stamp is None:
        _discard(layout, path)
        return
    destination = layout.versions / stamp.version
    if os.path.lexists(destination):
        logger.warning("discarding swapped-out copy of %s: %s already exists", stamp.version, destination)
        _discard(layout, path)
    else:
        os.rename(path, destination)


def _prune(layout: _Layout, keep: int, logger) -> list[str]:
    live = _live_state(layout)
    others = [v for v in _kept_versions(layout) if v != live.version]
    doomed = others[: max(len(others) - (keep - 1), 0)]
    for index, version in enumerate(doomed):
        trash = layout.staging / f"{version}.prune"
        os.rename(layout.versions / version, trash)
        _fsync_dir(layout.versions)
        if index == 0:
            faults.kill_point("mid_prune")
        shutil.rmtree(trash)
    if doomed:
        logger.info("pruned %s: %s (keeping %d)", layout.space, ", ".join(doomed), keep)
    return doomed


def _clean_leftovers_locked(layout: _Layout, logger) -> list[str]:
    done: list[str] = []
    live = _live_state(layout)
    live_target = live.version if live.kind == "symlink" else None
    if layout.staging.is_dir():
        for entry in sorted(layout.staging.iterdir()):
            _remove_quietly(entry)
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
                _discard(layout, entry)
                done.append(f"removed unfinished {relative}")
            elif stamp.version == entry.name and entry.name in pending and entry.name != live.version:
                _discard(layout, entry)
                done.append(f"removed never-published {relative}")
            elif stamp.version != entry.name:
                destination = layout.versions / stamp.version
                if os.path.lexists(destination) or stamp.version == live.version:
                    _discard(layout, entry)
                    done.append(f"removed duplicate of {stamp.version} at {relative}")
                else:
                    os.rename(entry, destination)
                    done.append(f"renamed swapped-out {relative} to {stamp.version}")
    if done:
        _fsync_dir(layout.versions)
        _fsync_dir(layout.staging)
        logger.warning("cleaned leftovers of an interrupted operation on %s: %s", layout.space, "; ".join(done))
    return done


def _pending_marker(layout: _Layout, version: str) -> Path:
    return layout.versions / f"{version}{PENDING_SUFFIX}"


def _adopt_unmanaged(layout: _Layout, live: _Live, logger) -> _Live:
    """Stamp a live real directory we did not create (e.g. from the system this replaces) so it can be kept."""
    version = new_version_id(max(_kept_versions(layout), default=None), suffix="adopted")
    files, total = _count_tree(layout.live)
    stamp = make_stamp(version, layout.space, run_id=None, source_sha256=None, page_count=None, files=files,
                       total_bytes=total, source="adopted unmanaged directory")
    temp = layout.live / f".{STAMP_NAME}.tmp"
    _write_new_file(temp, stamp_bytes(stamp), file_number=None, replace=True)
    os.rename(temp, layout.live / STAMP_NAME)
    _fsync_dir(layout.live)
    logger.warning("%s was a directory not created by the publisher; kept it as version %s", layout.live, version)
    return _Live(kind="dir", version=version, stamp=stamp)


def _live_state(layout: _Layout) -> _Live:
    try:
        info = os.lstat(layout.live)
    except FileNotFoundError:
        return _Live(kind="missing")
    if stat.S_ISLNK(info.st_mode):
        text = os.readlink(layout.live)
        version = text.rsplit("/", 1)[-1]
        if text != layout.link_text(version) or not is_version_id(version):
            return _Live(kind="foreign", problem=f"{layout.live} is a symlink to {text}, not to a kept version")
        stamp = read_stamp(layout.versions / version)
        if stamp is None or stamp.version != version:
            return _Live(kind="foreign", version=version,
                         problem=f"{layout.live} points to {text}, which is missing or has no valid stamp")
        return _Live(kind="symlink", version=version, stamp=stamp)
    if stat.S_ISDIR(info.st_mode):
        stamp = read_stamp(layout.live)
        if stamp is None:
            return _Live(kind="unmanaged", problem=f"{layout.live} is a directory without a publish stamp")
        return _Live(kind="dir", version=stamp.version, stamp=stamp)
    return _Live(kind="foreign", problem=f"{layout.live} is neither a directory nor a symlink")


def _version_anomalies(layout: _Layout, live: _Live) -> list[str]:
    """Entries under .versions/<space> that the next operation's cleanup would remove or rename."""
    if not layout.versions.is_dir():
        return []
    found = []
    for entry in sorted(layout.versions.iterdir()):
        if entry.is_symlink() or not entry.is_dir():
            found.append(entry.name)
        elif entry.name != (live.version if live.kind == "symlink" else None):
            stamp = read_stamp(entry)
            if stamp is None or stamp.version != entry.name:
                found.append(entry.name)
    return [f"{VERSIONS_DIR}/{layout.space}/{name}" for name in found]


def _kept_versions(layout: _Layout) -> list[str]:
    """Version ids stored under .versions/<space>, oldest first (complete ones only: named like a version)."""
    if not layout.versions.is_dir():
        return []
    return sorted(p.name for p in layout.versions.iterdir()
                  if is_version_id(p.name) and p.is_dir() and not p.is_symlink())


# ---------------------------------------------------------------------------------------------------------------
# copying and fsync


def _stage_copy(source: Path, destination: Path) -> tuple[int, int]:
    """Copy ``source`` into the new directory ``destination``, fsyncing every file. Returns (files, bytes)."""
    directories, files = _collect(source)
    os.mkdir(destination)
    for relative in directories:
        os.mkdir(destination / relative)
    kill_index = len(files) // 2 if faults.kill_armed("mid_copy") else -1
    enospc_at = faults.enospc_file_number()
    total = 0
    for index, (relative, size) in enumerate(files):
        _copy_file(source / relative, destination / relative, file_number=index + 1, enospc_at=enospc_at,
                   kill_midway=index == kill_index)
        total += size
    return len(files), total


def tree_digest(tree: Path) -> str:
    """SHA-256 over a tree's directories and files (relative paths and contents; the stamp excluded): equal digests
    mean a reader sees the same tree."""
    directories, files = _collect(tree)
    digest = hashlib.sha256()
    for relative in sorted(directories, key=Path.as_posix):
        digest.update(b"d\0" + relative.as_posix().encode() + b"\0")
    for relative, size in sorted(files, key=lambda item: item[0].as_posix()):
        digest.update(b"f\0" + relative.as_posix().encode() + b"\0" + str(size).encode() + b"\0")
        with open(tree / relative, "rb") as reader:
            digest.update(hashlib.file_digest(reader, "sha256").digest())
    return digest.hexdigest()


def _collect(source: Path) -> tuple[list[Path], list[tuple[Path, int]]]:
    """Directories (parents first) and regular files of a tree; refuses symlinks and special files."""
    directories: list[Path] = []
    files: list[tuple[Path, int]] = []
    pending = [Path()]
    while pending:
        relative_dir = pending.pop()
        with os.scandir(source / relative_dir) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                relative = relative_dir / entry.name
                if entry.is_symlink():
                    raise PublishError(f"refusing to publish {source}: {relative} is a symlink")
                if entry.is_dir():
                    directories.append(relative)
                    pending.append(relative)
                elif entry.is_file():
                    if relative == Path(STAMP_NAME):
                        continue  # a tree copied from a published version: its old stamp is replaced
                    files.append((relative, entry.stat().st_size))
                else:
                    raise PublishError(f"refusing to publish {source}: {relative} is not a regular file")
    directories.sort(key=lambda p: len(p.parts))
    return directories, files


def _copy_file(source: Path, destination: Path, *, file_number: int, enospc_at: int | None,
               kill_midway: bool) -> None:
    with open(source, "rb") as reader:
        info = os.fstat(reader.fileno())
        fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            if kill_midway or enospc_at == file_number:
                data = reader.read()
                os.write(fd, data[: len(data) // 2])
                if kill_midway:
                    faults.kill_point("mid_copy")
                faults.raise_enospc(str(destination))
            remaining = info.st_size
            offset = 0
            while remaining > 0:
                sent = os.sendfile(fd, reader.fileno(), offset, min(remaining, 1 << 30))
                if sent == 0:
                    break
                offset += sent
                remaining -= sent
            os.fchmod(fd, stat.S_IMODE(info.st_mode) & 0o777)
            os.fsync(fd)
        finally:
            os.close(fd)
    os.utime(destination, ns=(info.st_atime_ns, info.st_mtime_ns))


def _restamp_source(layout: _Layout, live: _Live, source_sha256: str) -> None:
    """Record a new source digest in the live version's stamp (same tree, made from a changed source): the next
    sync then knows the live tree is what this source gives. The stamp is replaced atomically."""
    version_dir = layout.live if live.kind == "dir" else layout.versions / str(live.version)
    stamp = dataclasses.replace(live.stamp, source_sha256=source_sha256)
    temporary = version_dir / f".{STAMP_NAME}.tmp"
    _write_new_file(temporary, stamp_bytes(stamp), file_number=None, replace=True)
    os.replace(temporary, version_dir / STAMP_NAME)
    _fsync_dir(version_dir)


def _write_new_file(path: Path, data: bytes, *, file_number: int | None, replace: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_TRUNC if replace else os.O_EXCL)
    fd = os.open(path, flags, 0o644)
    try:
        if file_number is not None and faults.enospc_file_number() == file_number:
            os.write(fd, data[: len(data) // 2])
            faults.raise_enospc(str(path))
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree_dirs(root: Path) -> None:
    """fsync every directory of ``root``, deepest first, so each one's entries are durable before its parent's."""
    directories = [Path(dirpath) for dirpath, _, _ in os.walk(root)]
    for directory in sorted(directories, key=lambda p: len(p.parts), reverse=True):
        _fsync_dir(directory)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _count_tree(root: Path) -> tuple[int, int]:
    files = total = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            if dirpath == str(root) and name == STAMP_NAME:
                continue
            files += 1
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return files, total


# ---------------------------------------------------------------------------------------------------------------
# small helpers


def check_space_name(space: str) -> None:
    """Raise PublishError unless ``space`` is usable as a folder name directly under OUTPUT_DIR."""
    if not isinstance(space, str) or not _SPACE_PATTERN.match(space) or space.endswith(".lock"):
        raise PublishError(
            f"invalid space folder name {space!r}: use letters, digits, '.', '_' or '-', starting with a letter "
            f"or digit (at most 200 characters)"
        )


def _check_keep(keep: int) -> None:
    if not isinstance(keep, int) or keep < 1:
        raise PublishError(f"keep={keep!r}: must be an integer >= 1 (the live version counts and is always kept)")


def _prepare_dirs(layout: _Layout) -> None:
    try:
        for directory in (layout.output_dir, layout.versions, layout.staging, layout.lock_path.parent):
            directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PublishError(f"cannot prepare {layout.output_dir} for publishing: {_describe_os_error(error)}") from error


class _locked:
    """The space lock as a context manager that turns a timeout into a PublishError."""

    def __init__(self, layout: _Layout, timeout: float, operation: str, logger) -> None:
        self._lock = SpaceLock(layout.lock_path, timeout=timeout, operation=operation)
        self._layout = layout
        self._logger = logger

    def __enter__(self) -> None:
        try:
            self._lock.acquire()
        except LockTimeout as error:
            raise PublishError(f"cannot {self._lock.operation} space {self._layout.space!r}: {error}") from None
        if self._lock.waited > 0.5:
            self._logger.info("waited %.1f s for the publish lock of %s", self._lock.waited, self._layout.space)

    def __exit__(self, *exc_info) -> None:
        self._lock.release()


def _discard(layout: _Layout, path: Path) -> None:
    """Delete a tree without ever leaving it half-deleted in place: rename into staging, then remove."""
    trash = layout.staging / f"{path.name}.trash-{os.getpid()}"
    os.rename(path, trash)
    shutil.rmtree(trash)


def _remove_quietly(path: Path) -> None:
    try:
        if path.is_symlink() or not path.is_dir():
            path.unlink()
        else:
            shutil.rmtree(path)
    except FileNotFoundError:
        pass


def _describe_os_error(error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0, "error")
    where = f" ({error.filename})" if error.filename else ""
    return f"{name}: {error.strerror or error}{where}"


__all__ = [
    "DEFAULT_KEEP", "DEFAULT_LOCK_TIMEOUT", "DEFAULT_MODE", "MODES", "PublishError", "PublishResult", "SpaceStatus",
    "STAMP_NAME", "check_space_name", "clean_leftovers", "prune_versions", "publish_tree", "rollback", "status",
    "unpublish",
]
