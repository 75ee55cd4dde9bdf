"""Fault injection for the publisher: SIGKILL at a named step, ENOSPC on the Nth file write.

Only the crash and out-of-space tests use these. Both hooks read an environment variable at the moment they are
reached (one dict lookup), so with the variables unset they cost nothing measurable and change no behaviour.

- ``DOCMOST_PUBLISH_KILL_AT=<step>``: the process sends itself SIGKILL when it reaches ``<step>``
  (see ``KILL_STEPS``).
- ``DOCMOST_PUBLISH_ENOSPC_AT_FILE=<n>``: the n-th file written while staging (1-based, the stamp included)
  fails with ``OSError(ENOSPC)`` after half of its bytes are written, as a full disk would.
- ``DOCMOST_PUBLISH_EXCHANGE_ERRNO=<EINVAL|ENOSYS>``: ``renameat2(RENAME_EXCHANGE)`` fails with that errno, to
  exercise the fallback a filesystem without exchange support triggers (no filesystem here lacks it).
"""

from __future__ import annotations

import errno
import os
import signal

KILL_ENV = "DOCMOST_PUBLISH_KILL_AT"
ENOSPC_ENV = "DOCMOST_PUBLISH_ENOSPC_AT_FILE"
EXCHANGE_ERRNO_ENV = "DOCMOST_PUBLISH_EXCHANGE_ERRNO"

# Every step a publish (and, where marked, a rollback) passes, in order. Tests iterate over this tuple.
KILL_STEPS = (
    "after_lock",  # lock held, nothing touched yet
    "after_cleanup",  # leftovers of an earlier run removed
    "mid_copy",  # in the middle of writing a file halfway through the tree (leaves a partial file)
    "after_copy",  # every file copied, nothing fsynced yet
    "after_fsync",  # staged tree and stamp fsynced
    "after_stage_rename",  # staged tree moved to .versions/<space>/<version> (marked pending), not live
    "before_switch",  # temporary symlink (symlink mode) created, live untouched  [also rollback]
    "after_switch",  # live path now shows the new version, parent not fsynced yet  [also rollback]
    "after_displaced_rename",  # exchange mode: the swapped-out old tree renamed to its own version id
    "mid_prune",  # one old version moved to the trash, not yet deleted
    "after_prune",  # all done except returning
)


def kill_armed(step: str) -> bool:
    """Whether ``DOCMOST_PUBLISH_KILL_AT`` names ``step`` (for a step the caller must prepare, like ``mid_copy``)."""
    return os.environ.get(KILL_ENV) == step


def kill_point(step: str) -> None:
    """SIGKILL this process if ``DOCMOST_PUBLISH_KILL_AT`` names ``step``."""
    if kill_armed(step):
        os.kill(os.getpid(), signal.SIGKILL)


def enospc_file_number() -> int | None:
    """The 1-based index of the staged file whose write must fail with ENOSPC, or None."""
    value = os.environ.get(ENOSPC_ENV)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{ENOSPC_ENV} must be a file number, got {value!r}") from None


def raise_enospc(path: str) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC) + " (injected)", path)


def injected_exchange_errno() -> int | None:
    value = os.environ.get(EXCHANGE_ERRNO_ENV)
    if not value:
        return None
    code = getattr(errno, value, None)
    if not isinstance(code, int):
        raise ValueError(f"{EXCHANGE_ERRNO_ENV} must be an errno name such as EINVAL, got {value!r}")
    return code
