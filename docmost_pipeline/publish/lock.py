"""The per-space publish lock: ``OUTPUT_DIR/.locks/<space>.lock`` held with ``fcntl.flock``.

flock locks belong to the open file and vanish when the holding process dies, even by SIGKILL, so a lock file left
behind by a crashed publisher is never "stale": the next publisher simply acquires it. The file is never deleted
(deleting a lock file others may be waiting on lets two processes hold "the" lock at once). After acquiring, the
holder writes who it is into the file so that a waiter that times out can say who holds the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path


class LockTimeout(Exception):
    """The lock stayed held by another process for the whole timeout."""


class SpaceLock:
    def __init__(self, lock_path: Path, *, timeout: float, operation: str) -> None:
        self.lock_path = lock_path
        self.timeout = timeout
        self.operation = operation
        self._fd: int | None = None
        self.waited = 0.0

    def acquire(self) -> "SpaceLock":
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        started = time.monotonic()
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= self.timeout:
                    holder = describe_holder(self.lock_path)
                    os.close(fd)
                    raise LockTimeout(
                        f"another process holds the publish lock {self.lock_path} ({holder}); "
                        f"gave up after waiting {self.timeout:g} s"
                    ) from None
                time.sleep(min(delay, max(self.timeout - waited, 0.001)))
                delay = min(delay * 1.5, 0.25)
        self.waited = time.monotonic() - started
        self._fd = fd
        record = {
            "pid": os.getpid(), "host": socket.gethostname(), "operation": self.operation,
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        return self

    def release(self) -> None:
        if self._fd is not None:
            # Clear the holder record first so a later reader never blames a process that is done.
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "SpaceLock":
        return self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()


def describe_holder(lock_path: Path) -> str:
    try:
        record = json.loads(lock_path.read_text() or "{}")
    except (OSError, ValueError):
        record = {}
    if not record:
        return "holder unknown"
    return (f"held by pid {record.get('pid')} on {record.get('host')} for {record.get('operation')} "
            f"since {record.get('since')}")


def is_locked(lock_path: Path) -> bool:
    """Whether some process holds the lock right now (probes with a non-blocking try, released at once)."""
    try:
        fd = os.open(lock_path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
