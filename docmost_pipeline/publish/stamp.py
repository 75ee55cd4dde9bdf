"""Version ids and the stamp file every published version carries.

The stamp (``_publish.json`` at the top of a version) records which version a tree is, where it came from and how
big it is. Docusaurus ignores it: the docs plugin only reads ``.md``/``.mdx`` files (and ``_category_`` files).
The stamp is what recovery trusts: a directory under ``.versions`` whose stamp is missing or unreadable is a
half-written leftover; one whose stamp names another version is a swapped-out tree waiting to get its own name.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

STAMP_NAME = "_publish.json"
STAMP_SCHEMA = 1

# 20261122T002413.123456Z-1a2b3c : UTC time to the microsecond, then random hex. Sorts in publish order.
VERSION_PATTERN = re.compile(r"^(\d{8}T\d{6}\.\d{6}Z)-([0-9a-z]+)$")
_TIME_FORMAT = "%Y%m%dT%H%M%S.%fZ"


def is_version_id(name: str) -> bool:
    return VERSION_PATTERN.match(name) is not None


def new_version_id(after: str | None = None, *, suffix: str | None = None) -> str:
    """A fresh version id that sorts after ``after`` even if the clock stepped back since it was made."""
    now = datetime.now(timezone.utc)
    if after is not None:
        match = VERSION_PATTERN.match(after)
        if match:
            previous = datetime.strptime(match.group(1), _TIME_FORMAT).replace(tzinfo=timezone.utc)
            now = max(now, previous + timedelta(microseconds=1))
    return f"{now.strftime(_TIME_FORMAT)}-{suffix or secrets.token_hex(3)}"


@dataclass(frozen=True)
class Stamp:
    version: str
    space: str
    run_id: str | None
    published_at: str  # UTC ISO 8601, when the tree was staged
    source_sha256: str | None
    page_count: int | None
    files: int  # regular files in the version, the stamp excluded
    bytes: int  # their total size
    source: str | None  # the tree directory it was copied from
    host: str
    pid: int
    schema: int = STAMP_SCHEMA
    # Digest of the published tree (``tree_digest``); None in stamps written before it was recorded.
    tree_sha256: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def make_stamp(version: str, space: str, *, run_id: str | None, source_sha256: str | None,
               page_count: int | None, files: int, total_bytes: int, source: str | None,
               tree_sha256: str | None = None) -> Stamp:
    return Stamp(
        version=version, space=space, run_id=run_id,
        published_at=datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        source_sha256=source_sha256, page_count=page_count, files=files, bytes=total_bytes,
        source=source, host=socket.gethostname(), pid=os.getpid(), tree_sha256=tree_sha256,
    )


def stamp_bytes(stamp: Stamp) -> bytes:
    return (json.dumps(stamp.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def read_stamp(version_dir: Path) -> Stamp | None:
    """The stamp of ``version_dir``, or None when it is missing or not a complete stamp."""
    try:
        data = json.loads((version_dir / STAMP_NAME).read_bytes())
        known = {name: data[name] for name in Stamp.__dataclass_fields__ if name in data}
        stamp = Stamp(**known)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(stamp.version, str) or not is_version_id(stamp.version):
        return None
    return stamp
