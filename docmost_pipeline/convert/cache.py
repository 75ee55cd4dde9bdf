"""Rendered pages kept between conversions of a space, so a sync converts only what its change touches.

A page's doc file is reused when everything it was made from is the same: its Markdown, its place in the tree
(title, path, sidebar position, category), its page fields, the Docmost base URL and the converter's code
(:func:`page_key`), and every link in it still resolves to exactly the same target (re-resolving a recorded link
is a dictionary lookup; a link with a ``#fragment`` also re-reads the target page's heading ids). Anything else is
rendered again. The same input therefore gives byte-identical output with or without the cache.

The cache is one JSON file per space; an unreadable file is ignored (everything is rendered again), and each
conversion writes a new one holding only the pages it converted.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

CACHE_SCHEMA = 2


def page_key(source: str, fields: dict) -> str:
    data = json.dumps({"source": source, **fields}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class PageCache:
    """Cache entries by page id: ``{"key", "links": [[raw, href, kind, title], ...], "warnings": [[kind, message], ...],
    "text"}``. ``hits``/``misses`` count this conversion's lookups."""

    def __init__(self, path: Path | None, fingerprint: str) -> None:
        self.path = Path(path) if path is not None else None
        self.fingerprint = fingerprint
        self.hits = 0
        self.misses = 0
        self._old = self._load()
        self._new: dict[str, dict] = {}

    def _load(self) -> dict[str, dict]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("schema") != CACHE_SCHEMA \
                or data.get("fingerprint") != self.fingerprint or not isinstance(data.get("pages"), dict):
            return {}
        return data["pages"]

    def get(self, page_id: str, key: str) -> dict | None:
        entry = self._old.get(page_id)
        if isinstance(entry, dict) and entry.get("key") == key:
            return entry
        return None

    def keep(self, page_id: str, entry: dict, *, hit: bool) -> None:
        self._new[page_id] = entry
        if hit:
            self.hits += 1
        else:
            self.misses += 1

    def save(self) -> None:
        """Write the entries of this conversion (atomically: a crash leaves the old file or the new one)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        data = {"schema": CACHE_SCHEMA, "fingerprint": self.fingerprint, "pages": self._new}
        temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)
