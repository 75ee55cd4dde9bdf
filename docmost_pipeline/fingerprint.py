"""The fingerprint of the code that turns an export into a docs tree.

A change to this code must lead to converting again even when Docmost did not change: the fingerprint is part of
a space's source digest (:mod:`docmost_pipeline.syncstate`) and of the page cache's validity
(:mod:`docmost_pipeline.convert.cache`).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_OUTPUT_CODE = ("convert", "export", "model.py")


@lru_cache(maxsize=1)
def pipeline_fingerprint() -> str:
    """sha256 of the source files that shape a converted tree."""
    digest = hashlib.sha256()
    for part in _OUTPUT_CODE:
        root = PACKAGE_DIR / part
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        for path in files:
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
