"""Copying a tree into staging durably: every file written and fsynced, then every directory fsynced deepest first;
and the tree digest that tells whether two trees are the same to a reader."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from docmost_pipeline.publish import faults
from docmost_pipeline.publish.space import PublishError
from docmost_pipeline.publish.stamp import STAMP_NAME


def stage_copy(source: Path, destination: Path, *, reuse: Path | None = None) -> tuple[int, int, int]:
    """Copy ``source`` into the new directory ``destination``, fsyncing every file. Returns (files, bytes, linked).

    A file identical (path, bytes and permissions) to the one in ``reuse`` (the live version, already durable) is
    hard-linked instead of copied: publishing a tree where one page changed then writes one file, not all of them.
    Published versions are never modified in place, so sharing their files is safe.
    """
    directories, files = _collect(source)
    os.mkdir(destination)
    for relative in directories:
        os.mkdir(destination / relative)
    kill_index = len(files) // 2 if faults.kill_armed("mid_copy") else -1
    enospc_at = faults.enospc_file_number()
    total = linked = 0
    for index, (relative, size) in enumerate(files):
        if reuse is not None and _same_file(source / relative, reuse / relative, size):
            os.link(reuse / relative, destination / relative)
            linked += 1
        else:
            _copy_file(source / relative, destination / relative, file_number=index + 1, enospc_at=enospc_at,
                       kill_midway=index == kill_index)
        total += size
    return len(files), total, linked


def _same_file(path: Path, other: Path, size: int) -> bool:
    try:
        theirs = os.lstat(other)
        if not stat.S_ISREG(theirs.st_mode) or theirs.st_size != size:
            return False
        if stat.S_IMODE(theirs.st_mode) != stat.S_IMODE(os.stat(path).st_mode) & 0o777:
            return False
        with open(path, "rb") as mine, open(other, "rb") as reader:
            return mine.read() == reader.read()
    except OSError:
        return False


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


def write_new_file(path: Path, data: bytes, *, file_number: int | None, replace: bool = False) -> None:
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


def fsync_tree_dirs(root: Path) -> None:
    """fsync every directory of ``root``, deepest first, so each one's entries are durable before its parent's."""
    directories = [Path(dirpath) for dirpath, _, _ in os.walk(root)]
    for directory in sorted(directories, key=lambda p: len(p.parts), reverse=True):
        fsync_dir(directory)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def count_tree(root: Path) -> tuple[int, int]:
    files = total = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            if dirpath == str(root) and name == STAMP_NAME:
                continue
            files += 1
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return files, total
