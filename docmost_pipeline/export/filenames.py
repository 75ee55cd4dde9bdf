"""ASCII-safe file names for attachments on disk (extraction and the files fetched for a raw export)."""

from __future__ import annotations

import re

from anyascii import anyascii

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_SAFE_NAME = 120


def safe_file_name(name: str) -> str:
    """An ASCII name safe on every filesystem: transliterated, ``[A-Za-z0-9._-]`` only, at most 120 bytes.

    Runs of replaced characters become one ``_`` (none next to a dot): ``화면_캡처_(설정).png`` ->
    ``HwaMyeon_KaebCheo_SeolJeong.png``.

    The extension is kept when the name must be shortened; an empty result becomes ``file``.
    """
    ascii_name = anyascii(name)
    cleaned = _UNSAFE_FILE_CHARS.sub("_", ascii_name)
    cleaned = re.sub(r"_*\._*", ".", re.sub(r"_{2,}", "_", cleaned)).strip("._") or "file"
    if len(cleaned) > _MAX_SAFE_NAME:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            cleaned = stem[: _MAX_SAFE_NAME - len(ext) - 1].rstrip("._") + "." + ext
        else:
            cleaned = cleaned[:_MAX_SAFE_NAME]
    return cleaned
