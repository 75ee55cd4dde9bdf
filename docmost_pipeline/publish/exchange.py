"""Atomic exchange of two directory entries with Linux ``renameat2(RENAME_EXCHANGE)``, called through ctypes.

Python's ``os`` module has no binding for it. ``exchange(a, b)`` swaps what the two paths name in one step: no
moment exists where either path is missing. It works for any pair of entries on one filesystem (two directories,
or a directory and a symlink), which is also how the publisher switches a space between symlink and exchange mode.
Filesystems or kernels without support answer EINVAL or ENOSYS; ``exchange_supported`` probes for that.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
from pathlib import Path

from docmost_pipeline.publish import faults

AT_FDCWD = -100
RENAME_EXCHANGE = 1 << 1

# Used only when the C library predates its renameat2() wrapper (glibc < 2.28).
_SYSCALL_NUMBERS = {"x86_64": 316, "aarch64": 276, "i686": 353, "i386": 353, "armv7l": 382, "ppc64le": 357}

_libc = ctypes.CDLL(None, use_errno=True)
_renameat2 = getattr(_libc, "renameat2", None)
if _renameat2 is not None:
    _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    _renameat2.restype = ctypes.c_int

UNSUPPORTED_ERRNOS = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP)


def exchange(first: Path, second: Path) -> None:
    """Swap the directory entries ``first`` and ``second`` atomically; raises OSError (errno set) on failure."""
    injected = faults.injected_exchange_errno()
    if injected is not None:
        raise OSError(injected, os.strerror(injected) + " (injected)", str(first), None, str(second))
    a, b = os.fsencode(first), os.fsencode(second)
    if _renameat2 is not None:
        result = _renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
    else:
        number = _SYSCALL_NUMBERS.get(platform.machine())
        if number is None:
            raise OSError(errno.ENOSYS, "renameat2 is not available on this platform", str(first))
        syscall = _libc.syscall
        syscall.restype = ctypes.c_long
        result = syscall(
            ctypes.c_long(number), ctypes.c_int(AT_FDCWD), ctypes.c_char_p(a), ctypes.c_int(AT_FDCWD),
            ctypes.c_char_p(b), ctypes.c_uint(RENAME_EXCHANGE),
        )
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(first), None, str(second))


def exchange_supported(scratch_dir: Path) -> tuple[bool, str]:
    """Probe RENAME_EXCHANGE on the filesystem of ``scratch_dir`` with two empty directories.

    Returns (supported, reason); reason is empty when supported. Other errors propagate.
    """
    probe_a = scratch_dir / f".exchange-probe-{os.getpid()}-a"
    probe_b = scratch_dir / f".exchange-probe-{os.getpid()}-b"
    for probe in (probe_a, probe_b):
        if probe.exists():
            os.rmdir(probe)
        os.mkdir(probe)
    try:
        exchange(probe_a, probe_b)
        return True, ""
    except OSError as error:
        if error.errno in UNSUPPORTED_ERRNOS:
            name = errno.errorcode.get(error.errno, str(error.errno))
            return False, f"renameat2(RENAME_EXCHANGE) failed with {name}: {error.strerror}"
        raise
    finally:
        os.rmdir(probe_a)
        os.rmdir(probe_b)
