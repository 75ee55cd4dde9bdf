"""The page manifest of a space: every page that is not in the trash, with what decides whether it changed.

Read from ``POST /api/pages/recent`` (one request per 100 pages): id, slugId, title, icon, position, parent and
``updatedAt``, which Docmost 0.95 sets on every page write (content, title, icon, move). Two manifests that are
equal mean nothing in the space changed; :func:`diff_manifests` says what did. The manifest also stands in for
the API page tree (``tree.json``): it has every field the extraction needs.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from docmost_pipeline.model import SidebarPage

MANIFEST_FILE = "page-manifest.json"
MANIFEST_SCHEMA = 1


class ManifestError(ValueError):
    """A page manifest cannot be read (names the file or the item and what is wrong)."""


@dataclass(frozen=True)
class ManifestEntry:
    id: str
    slug_id: str
    title: str | None
    icon: str | None
    position: str
    parent_page_id: str | None
    updated_at: str

    @classmethod
    def from_item(cls, item: dict) -> ManifestEntry:
        try:
            return cls(id=str(item["id"]), slug_id=str(item["slugId"]), title=item.get("title"),
                       icon=item.get("icon"), position=str(item.get("position") or ""),
                       parent_page_id=item.get("parentPageId"), updated_at=str(item["updatedAt"]))
        except (KeyError, TypeError) as exc:
            raise ManifestError(f"page list item without {exc}: {str(item)[:200]}") from None


@dataclass(frozen=True)
class PageManifest:
    """Every live page of one space, sorted by id. ``seconds``/``requests``: what reading it cost."""

    space_id: str
    entries: tuple[ManifestEntry, ...]
    seconds: float = 0.0
    requests: int = 0

    @property
    def by_id(self) -> dict[str, ManifestEntry]:
        return {e.id: e for e in self.entries}

    @property
    def digest(self) -> str:
        """sha256 of the entries: equal digests, same pages with the same titles, places and update times."""
        return hashlib.sha256(_canonical([asdict(e) for e in self.entries]).encode()).hexdigest()

    def tree(self) -> list[SidebarPage]:
        """The manifest as the page tree the extraction reads (``tree.json``; it orders pages itself)."""
        parents = {e.parent_page_id for e in self.entries}
        return [SidebarPage(id=e.id, slug_id=e.slug_id, title=e.title, icon=e.icon, position=e.position,
                            parent_page_id=e.parent_page_id, has_children=e.id in parents, space_id=self.space_id)
                for e in self.entries]

    def to_dict(self) -> dict:
        return {"schema": MANIFEST_SCHEMA, "space_id": self.space_id, "digest": self.digest,
                "entries": [asdict(e) for e in self.entries]}

    def save(self, directory: Path) -> Path:
        path = Path(directory) / MANIFEST_FILE
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=0), encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: Path) -> PageManifest:
        path = Path(directory) / MANIFEST_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("schema") != MANIFEST_SCHEMA:
                raise ManifestError(f"{path}: schema {data.get('schema')!r}, expected {MANIFEST_SCHEMA}")
            manifest = cls(space_id=data["space_id"], entries=tuple(ManifestEntry(**e) for e in data["entries"]))
        except ManifestError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ManifestError(f"{path}: not a readable page manifest ({type(exc).__name__}: {exc})") from None
        if manifest.digest != data.get("digest"):
            raise ManifestError(f"{path}: digest does not match its entries (the file was changed)")
        return manifest


def _canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _order_key(item: dict) -> tuple[str, str]:
    return (str(item.get("updatedAt")), str(item.get("id")))


def read_manifest(client, space_id: str) -> PageManifest:
    """Every page of the space from ``recent``, robust to pages edited while the list is read.

    The list is ordered by ``updatedAt``: a page saved during the walk jumps to the top, behind the cursor, and
    would be missed. So the top of the list is read again afterwards, down to the newest item of the first read,
    and everything newer is merged in (newest data wins).
    """
    started = time.monotonic()
    requests_before = _request_count(client)
    items: dict[str, dict] = {}
    newest: tuple[str, str] | None = None
    for item in client.iter_recent_pages(space_id):
        newest = newest or _order_key(item)
        items[str(item["id"])] = item
    if newest is not None:
        for item in _newer_than(client.iter_recent_pages(space_id), newest):
            items[str(item["id"])] = item
    entries = tuple(sorted((ManifestEntry.from_item(i) for i in items.values()), key=lambda e: e.id))
    return PageManifest(space_id=space_id, entries=entries, seconds=time.monotonic() - started,
                        requests=_request_count(client) - requests_before)


def _newer_than(items: Iterable[dict], mark: tuple[str, str]) -> Iterator[dict]:
    for item in items:
        if _order_key(item) <= mark:
            return
        yield item


def _request_count(client) -> int:
    return int(getattr(client, "request_count", 0))


@dataclass(frozen=True)
class ManifestDiff:
    """What changed between two manifests of a space (page ids)."""

    added: frozenset[str] = frozenset()
    deleted: frozenset[str] = frozenset()
    updated: frozenset[str] = frozenset()
    # pages whose title, parent or an ancestor's title changed: their path in an export changes, and links to them
    relocated: frozenset[str] = frozenset()
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.added or self.deleted or self.updated or self.relocated)


def title_chains(manifest: PageManifest) -> dict[str, tuple]:
    """Each page's titles from the root down to itself: what its path in an export is made of."""
    by_id = manifest.by_id
    chains: dict[str, tuple] = {}
    for page_id in by_id:
        chain, seen, current = [], set(), by_id.get(page_id)
        while current is not None and current.id not in seen:
            seen.add(current.id)
            chain.append(current.title)
            current = by_id.get(current.parent_page_id) if current.parent_page_id else None
        chains[page_id] = tuple(reversed(chain))
    return chains


def diff_manifests(old: PageManifest, new: PageManifest) -> ManifestDiff:
    before, after = old.by_id, new.by_id
    added = frozenset(after.keys() - before.keys())
    deleted = frozenset(before.keys() - after.keys())
    old_chains, new_chains = title_chains(old), title_chains(new)
    both = before.keys() & after.keys()
    updated = frozenset(i for i in both if before[i] != after[i])
    relocated = frozenset(i for i in both if old_chains[i] != new_chains[i])
    return ManifestDiff(added=added, deleted=deleted, updated=frozenset(updated), relocated=frozenset(relocated))


__all__ = ["MANIFEST_FILE", "ManifestDiff", "ManifestEntry", "ManifestError", "PageManifest", "diff_manifests",
           "read_manifest"]
