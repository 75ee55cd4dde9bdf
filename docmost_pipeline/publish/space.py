"""One space under OUTPUT_DIR, as every publish operation sees it: its paths (live, versions, staging, lock), the
state of its live path, and what each operation starts with (name and keep checks, directories, the lock).

The layout itself and the guarantees built on it are described in ``publisher``.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from docmost_pipeline.publish.lock import LockTimeout, SpaceLock
from docmost_pipeline.publish.stamp import Stamp, is_version_id, read_stamp

# Every operation logs as it did when they all lived in ``publisher``, whichever module holds it now.
log = logging.getLogger("docmost_pipeline.publish.publisher")

VERSIONS_DIR = ".versions"
STAGING_DIR = ".staging"
LOCKS_DIR = ".locks"
DEFAULT_KEEP = 3
DEFAULT_LOCK_TIMEOUT = 60.0

# A space folder name: what the converter's slugs produce. No leading dot or underscore (Docusaurus would skip it,
# and dot-names are ours), no path separators.
_SPACE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class PublishError(Exception):
    """A publish, rollback or unpublish could not be done; the message says what and what state was kept."""


@dataclass(frozen=True)
class Layout:
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
class Live:
    kind: str  # "missing", "symlink", "dir", "unmanaged" (real dir without our stamp), "foreign"
    version: str | None = None
    stamp: Stamp | None = None
    problem: str | None = None

    @property
    def mode(self) -> str | None:
        """The publish mode the live version is in: "symlink", "exchange" (a stamped real directory), else None."""
        return {"symlink": "symlink", "dir": "exchange"}.get(self.kind)


def live_state(layout: Layout) -> Live:
    try:
        info = os.lstat(layout.live)
    except FileNotFoundError:
        return Live(kind="missing")
    if stat.S_ISLNK(info.st_mode):
        text = os.readlink(layout.live)
        version = text.rsplit("/", 1)[-1]
        if text != layout.link_text(version) or not is_version_id(version):
            return Live(kind="foreign", problem=f"{layout.live} is a symlink to {text}, not to a kept version")
        stamp = read_stamp(layout.versions / version)
        if stamp is None or stamp.version != version:
            return Live(kind="foreign", version=version,
                        problem=f"{layout.live} points to {text}, which is missing or has no valid stamp")
        return Live(kind="symlink", version=version, stamp=stamp)
    if stat.S_ISDIR(info.st_mode):
        stamp = read_stamp(layout.live)
        if stamp is None:
            return Live(kind="unmanaged", problem=f"{layout.live} is a directory without a publish stamp")
        return Live(kind="dir", version=stamp.version, stamp=stamp)
    return Live(kind="foreign", problem=f"{layout.live} is neither a directory nor a symlink")


def check_space_name(space: str) -> None:
    """Raise PublishError unless ``space`` is usable as a folder name directly under OUTPUT_DIR."""
    if not isinstance(space, str) or not _SPACE_PATTERN.match(space) or space.endswith(".lock"):
        raise PublishError(
            f"invalid space folder name {space!r}: use letters, digits, '.', '_' or '-', starting with a letter "
            f"or digit (at most 200 characters)"
        )


def check_keep(keep: int) -> None:
    if not isinstance(keep, int) or keep < 1:
        raise PublishError(f"keep={keep!r}: must be an integer >= 1 (the live version counts and is always kept)")


def prepare_dirs(layout: Layout) -> None:
    try:
        for directory in (layout.output_dir, layout.versions, layout.staging, layout.lock_path.parent):
            directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PublishError(f"cannot prepare {layout.output_dir} for publishing: {describe_os_error(error)}") from error


class locked:
    """The space lock as a context manager that turns a timeout into a PublishError."""

    def __init__(self, layout: Layout, timeout: float, operation: str, logger) -> None:
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


def describe_os_error(error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0, "error")
    where = f" ({error.filename})" if error.filename else ""
    return f"{name}: {error.strerror or error}{where}"
