"""The emulated Docmost's page state: spaces of pages that change, with Docmost 0.95's rules for what a change does.

Owns :class:`Page`, :class:`Attachment`, :class:`SpaceModel` and :class:`Wiki` (all spaces, the clock and the
mutations). Nothing here does HTTP or writes ZIPs; :mod:`~docmost_pipeline.emulator.seed` fills the model from the
recordings, :mod:`~docmost_pipeline.emulator.exporter` turns it into exports, :mod:`~docmost_pipeline.emulator.views`
into API responses.

A page's ``content`` is its *stored form*: the Markdown Docmost's exporter would write for it, without the leading
``# <title>`` line, with

* internal links as stored in the page (``[text](/s/<space>/p/<slug>-<slugId>)`` or the same on ``APP_URL``), so the
  exporter can rewrite them per export;
* page mentions as ``[<label>](docmost-mention:<pageId>/<slugId>)`` (:func:`mention_token`): the exporter writes the
  mentioned page's current title and URL there;
* attachments as ``files/<attachmentId>/<fileName>`` (the export form; ``/api/files/…`` where Docmost writes server
  paths).

Docmost's rules followed by the mutations (v0.95.0 source, recordings README): every page write (content, title, icon,
move) sets ``updatedAt`` to now; trashing sets ``deletedAt`` on the page and its descendants still outside the trash
and leaves ``updatedAt`` alone; restoring clears ``deletedAt`` on the page and all its descendants and moves the page
to the root when its parent is missing or still in the trash. The clock (:meth:`Wiki.now`) gives strictly increasing
milliseconds, never earlier than the newest time already in the model, so a page written now always sorts first in
``recent``.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from docmost_pipeline.emulator import docmark
from docmost_pipeline.emulator.positions import key_between
from docmost_pipeline.emulator.recordings import ADMIN_USER_ID, SpaceItem
from docmost_pipeline.emulator.views import recent_item

SLUG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

#: ``[label](docmost-mention:<pageId>/<slugId>)``: how the stored form keeps a page mention.
MENTION_HREF = re.compile(r"^docmost-mention:([0-9a-fA-F-]{36})/([A-Za-z0-9]*)$")
#: ``files/<attachmentId>/`` in Markdown: an attachment reference relative to the page.
ATTACHMENT_REF = re.compile(r"files/([0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})/")


def mention_token(label: str, page_id: str, slug_id: str) -> str:
    """The stored form of a page mention (``label`` already Markdown-escaped)."""
    return f"[{label}](docmost-mention:{page_id}/{slug_id})"


def iso_ms(ms: int) -> str:
    """``Date.toISOString()`` of epoch milliseconds: ``2026-11-21T23:27:49.069Z``."""
    return datetime.fromtimestamp(ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso_ms(value: str) -> int:
    moment = datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    fraction = value[20:-1] if len(value) > 20 else "0"
    return int(moment.timestamp()) * 1000 + int((fraction + "000")[:3])


def uuid7(ms: int, random_bytes: bytes | None = None) -> str:
    """A UUIDv7 (what Docmost uses for every id) carrying ``ms``."""
    rand = int.from_bytes(random_bytes or os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def referenced_attachments(markdown: str) -> list[str]:
    return list(dict.fromkeys(match.group(1) for match in ATTACHMENT_REF.finditer(markdown)))


@dataclass
class Attachment:
    id: str
    file_name: str
    data: bytes
    page_id: str | None = None


@dataclass
class Page:
    """One page as Docmost's ``pages`` table holds it, ``content`` in the stored form (module docstring).

    ``read_rank`` is the order in which the export's ``SELECT`` returns the page (it decides the duplicate-title
    suffixes): recorded pages keep the order of their recorded export, new pages follow by creation (see
    :mod:`~docmost_pipeline.emulator.seed`). ``info`` is the recorded ``/api/pages/info`` data (None when not
    recorded); ``content_recorded`` stays True while ``content`` is the recorded one, so that the recorded ProseMirror
    JSON still describes it.
    """

    id: str
    slug_id: str
    title: str | None
    icon: str | None
    position: str
    parent_id: str | None
    space_id: str
    created_at: str
    updated_at: str
    content: str = ""
    attachment_ids: list[str] = field(default_factory=list)
    read_rank: tuple = ()
    deleted_at: str | None = None
    creator_id: str = ADMIN_USER_ID
    last_updated_by_id: str = ADMIN_USER_ID
    contributor_ids: list[str] = field(default_factory=lambda: [ADMIN_USER_ID])
    info: dict | None = None
    content_recorded: bool = False
    content_null: bool = False

    @property
    def trashed(self) -> bool:
        return self.deleted_at is not None


class SpaceModel(SpaceItem):
    """The pages and attachments of one space. ``item`` is the space's ``/api/spaces`` item (id, name, slug).

    ``changed`` turns True at the first change that can alter this space's exports; ``omitted`` holds pages the
    space export leaves out although they exist (``drop_from_export``: the silent loss Docmost 0.95 shows on colliding
    file names).
    """

    def __init__(self, item: dict) -> None:
        self.item = item
        self.pages: dict[str, Page] = {}
        self.attachments: dict[str, Attachment] = {}
        self.omitted: set[str] = set()
        self.changed = False


    def live_pages(self) -> list[Page]:
        return [p for p in self.pages.values() if not p.trashed]

    def children(self, parent_id: str | None) -> list[Page]:
        """Live children of ``parent_id`` (None: root pages) in sidebar order: ``position`` byte-wise, then id."""
        found = [p for p in self.pages.values() if p.parent_id == parent_id and not p.trashed]
        return sorted(found, key=lambda p: (p.position.encode(), p.id))

    def has_children(self, page_id: str) -> bool:
        return any(p.parent_id == page_id and not p.trashed for p in self.pages.values())

    def descendants(self, page_id: str, *, live_only: bool) -> list[Page]:
        """Pages under ``page_id``, parents before children (``live_only``: stop at pages in the trash)."""
        by_parent: dict[str, list[Page]] = {}
        for page in self.pages.values():
            if page.parent_id:
                by_parent.setdefault(page.parent_id, []).append(page)
        found, queue = [], [page_id]
        while queue:
            for child in sorted(by_parent.get(queue.pop(0), []), key=lambda p: p.read_rank):
                if live_only and child.trashed:
                    continue
                found.append(child)
                queue.append(child.id)
        return found

    def in_read_order(self, pages: list[Page] | None = None) -> list[Page]:
        return sorted(self.live_pages() if pages is None else pages, key=lambda p: p.read_rank)

    def newest_ms(self) -> int:
        times = [parse_iso_ms(t) for p in self.pages.values() for t in (p.created_at, p.updated_at) if t]
        return max(times, default=0)

    def clone(self, item: dict, id_map: dict[str, str], slug_map: dict[str, str]) -> SpaceModel:
        """A copy as space ``item`` with page ids and slugIds replaced (also in links and mentions between its pages;
        links into other spaces stay). Attachments are shared by id, as a copied page's would be."""
        clone = SpaceModel(item)
        clone.attachments = dict(self.attachments)
        clone.omitted = {id_map.get(page_id, page_id) for page_id in self.omitted}
        clone.changed = self.changed

        def relink(match: re.Match) -> str:
            slug_id = match.group(3)
            if slug_id not in slug_map:
                return match.group(0)
            return f"/s/{item['slug']}/p/{match.group(2)}{slug_map[slug_id]}"

        def remention(match: re.Match) -> str:
            return f"docmost-mention:{id_map.get(match.group(1), match.group(1))}/" \
                   f"{slug_map.get(match.group(2), match.group(2))}"

        for page in self.pages.values():
            content = re.sub(r"/s/([^/()\s]+)/p/([^()\s#]*?-?)([A-Za-z0-9]+)(?=[)#/])", relink, page.content)
            content = re.sub(r"docmost-mention:([0-9a-fA-F-]{36})/([A-Za-z0-9]*)", remention, content)
            info = None
            if page.info is not None:
                info = dict(page.info, id=id_map[page.id], spaceId=item["id"])
            clone.pages[id_map[page.id]] = Page(
                id=id_map[page.id], slug_id=slug_map[page.slug_id], title=page.title, icon=page.icon,
                position=page.position, parent_id=id_map.get(page.parent_id) if page.parent_id else None,
                space_id=item["id"], created_at=page.created_at, updated_at=page.updated_at, content=content,
                attachment_ids=list(page.attachment_ids), read_rank=page.read_rank, deleted_at=page.deleted_at,
                creator_id=page.creator_id, last_updated_by_id=page.last_updated_by_id,
                contributor_ids=list(page.contributor_ids), info=info, content_recorded=page.content_recorded,
                content_null=page.content_null)
        return clone


class Wiki:
    """Every space's model, the clock, and the mutations (each returns the page's ``recent`` item, JSON-ready).

    Thread-safe: mutations and reads take :attr:`lock`. ``version`` increases with every mutation (exports cached on
    it). Unknown page ids raise ``KeyError("no page '<id>'")``; invalid moves ``ValueError``.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.spaces: dict[str, SpaceModel] = {}
        self.version = 0
        self._last_ms = 0

    # --- spaces and lookups -------------------------------------------------------------------------------------
    def add_space(self, model: SpaceModel) -> None:
        with self.lock:
            self.spaces[model.id] = model
            self._last_ms = max(self._last_ms, model.newest_ms())
            self.version += 1

    def remove_space(self, space_id: str) -> None:
        with self.lock:
            self.spaces.pop(space_id, None)
            self.version += 1

    def space(self, space_ref: str) -> SpaceModel:
        """A space by id or slug."""
        with self.lock:
            if space_ref in self.spaces:
                return self.spaces[space_ref]
            for model in self.spaces.values():
                if model.slug == space_ref:
                    return model
        raise KeyError(f"no space {space_ref!r}")

    def find(self, page_id: str) -> tuple[SpaceModel, Page] | None:
        """The page with this id in any space (trashed pages included), or None."""
        with self.lock:
            for model in self.spaces.values():
                page = model.pages.get(page_id)
                if page is not None:
                    return model, page
        return None

    def find_by_slug_id(self, slug_id: str) -> tuple[SpaceModel, Page] | None:
        with self.lock:
            for model in self.spaces.values():
                for page in model.pages.values():
                    if page.slug_id == slug_id:
                        return model, page
        return None

    def page(self, page_id: str) -> tuple[SpaceModel, Page]:
        found = self.find(page_id) if isinstance(page_id, str) else None
        if found is None:
            raise KeyError(f"no page {page_id!r}")
        return found

    # --- clock and ids ------------------------------------------------------------------------------------------
    def now_ms(self) -> int:
        with self.lock:
            self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
            return self._last_ms

    def now(self) -> str:
        return iso_ms(self.now_ms())

    def note_time(self, value: str) -> None:
        """Make the clock run after ``value`` (pages added with their own times)."""
        with self.lock:
            self._last_ms = max(self._last_ms, parse_iso_ms(value))

    @staticmethod
    def new_slug_id() -> str:
        return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(10))

    # --- bookkeeping shared by the mutations --------------------------------------------------------------------
    def _touch(self, model: SpaceModel, page: Page, *, updated: bool = True, content: bool = False) -> dict:
        """Record a write of ``page``: ``updatedAt`` (unless trash/restore), the writer, and which spaces' exports it
        can change (its own, and every space whose pages link to or mention it)."""
        if updated:
            page.updated_at = self.now()
            page.last_updated_by_id = ADMIN_USER_ID
            if ADMIN_USER_ID not in page.contributor_ids:
                page.contributor_ids.append(ADMIN_USER_ID)
        if content:
            page.content_recorded = False
            page.content_null = False
        model.changed = True
        for other in self.spaces.values():
            if not other.changed and any(page.id in p.content or page.slug_id in p.content
                                         for p in other.pages.values()):
                other.changed = True
        self.version += 1
        return recent_item(model, page)

    def _position(self, model: SpaceModel, parent_id: str | None, after_id: str | None, first: bool,
                  moving: str | None = None) -> str:
        siblings = [p for p in model.children(parent_id) if p.id != moving]
        if after_id is not None:
            index = next((i for i, p in enumerate(siblings) if p.id == after_id), None)
            if index is None:
                raise KeyError(f"no page {after_id!r} among the siblings")
            before = siblings[index].position
            after = siblings[index + 1].position if index + 1 < len(siblings) else None
        elif first:
            before, after = None, siblings[0].position if siblings else None
        else:
            before, after = (siblings[-1].position if siblings else None), None
        return key_between(before, after)

    def _parent_in(self, model: SpaceModel, parent_id: str | None) -> None:
        if parent_id is None:
            return
        parent = model.pages.get(parent_id)
        if parent is None or parent.trashed:
            raise KeyError(f"no page {parent_id!r} in space {model.slug!r}")

    # --- mutations ----------------------------------------------------------------------------------------------
    def create_page(self, space: str, title: str | None, parent_id: str | None = None, after_id: str | None = None,
                    content: str = "", icon: str | None = None, first: bool = False) -> dict:
        """A new page in ``space`` (id or slug) under ``parent_id`` (None: root), after sibling ``after_id`` (None:
        last, or first with ``first=True``), with stored-form Markdown ``content``."""
        with self.lock:
            model = self.space(space)
            self._parent_in(model, parent_id)
            position = self._position(model, parent_id, after_id, first)
            ms = self.now_ms()
            now = iso_ms(ms)
            page = Page(id=uuid7(ms), slug_id=self.new_slug_id(), title=title, icon=icon, position=position,
                        parent_id=parent_id, space_id=model.id, created_at=now, updated_at=now, content=content,
                        attachment_ids=[a for a in referenced_attachments(content) if a in model.attachments],
                        read_rank=(1, now, ""))
            page.read_rank = (1, now, page.id)
            model.pages[page.id] = page
            return self._touch(model, page, updated=False)

    def edit_page(self, page_id: str, content: str) -> dict:
        """Replace the page's content (stored form); its attachments become the ones the new content refers to."""
        with self.lock:
            model, page = self.page(page_id)
            page.content = content
            page.attachment_ids = [a for a in referenced_attachments(content) if a in model.attachments]
            return self._touch(model, page, content=True)

    def append_text(self, page_id: str, text: str) -> dict:
        """Append a paragraph of plain ``text`` (escaped as Docmost's exporter would write it)."""
        with self.lock:
            model, page = self.page(page_id)
            paragraph = docmark.turndown_text(text)
            page.content = f"{page.content}\n\n{paragraph}" if page.content else paragraph
            return self._touch(model, page, content=True)

    def _append(self, model: SpaceModel, page: Page, markdown: str) -> dict:
        page.content = f"{page.content}\n\n{markdown}" if page.content else markdown
        return self._touch(model, page, content=True)

    def rename_page(self, page_id: str, title: str | None) -> dict:
        with self.lock:
            model, page = self.page(page_id)
            page.title = title
            return self._touch(model, page)

    def set_icon(self, page_id: str, icon: str | None) -> dict:
        with self.lock:
            model, page = self.page(page_id)
            page.icon = icon
            return self._touch(model, page)

    def move_page(self, page_id: str, parent_id: str | None, after_id: str | None = None,
                  first: bool = False) -> dict:
        """Move under ``parent_id`` (None: root, same space), after sibling ``after_id`` (None: last, or first)."""
        with self.lock:
            model, page = self.page(page_id)
            self._parent_in(model, parent_id)
            if parent_id == page.id or parent_id in {p.id for p in model.descendants(page.id, live_only=False)}:
                raise ValueError(f"cannot move page {page_id!r} under itself")
            page.position = self._position(model, parent_id, after_id, first, moving=page.id)
            page.parent_id = parent_id
            return self._touch(model, page)

    def trash_page(self, page_id: str) -> dict:
        """Move to the trash with its live descendants (``deletedAt``; ``updatedAt`` unchanged). A page already in
        the trash stays as it is (Docmost's query only selects pages outside the trash)."""
        with self.lock:
            model, page = self.page(page_id)
            if not page.trashed:
                now = self.now()
                for target in [page] + model.descendants(page.id, live_only=True):
                    target.deleted_at = now
            return self._touch(model, page, updated=False)

    def restore_page(self, page_id: str) -> dict:
        """Take out of the trash with all its descendants (also those trashed before it); to the root when the parent
        is gone or still in the trash. As in Docmost, restoring a page outside the trash changes nothing else."""
        with self.lock:
            model, page = self.page(page_id)
            for target in [page] + model.descendants(page.id, live_only=False):
                target.deleted_at = None
            parent = model.pages.get(page.parent_id) if page.parent_id else None
            if page.parent_id and (parent is None or parent.trashed):
                page.parent_id = None
            return self._touch(model, page, updated=False)

    def add_attachment(self, page_id: str, name: str, data: bytes | str) -> dict:
        """Upload ``data`` as ``name`` to the page and append ``![name](files/<id>/<fileName>)`` to its content.
        The stored file name is Docmost's upload form (sanitized, spaces and ``#`` -> ``_``)."""
        with self.lock:
            model, page = self.page(page_id)
            raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            file_name = docmark.sanitize_file_name(name).replace(" ", "_").replace("#", "_") or "file"
            attachment = Attachment(uuid7(self.now_ms()), file_name, raw, page.id)
            model.attachments[attachment.id] = attachment
            page.attachment_ids.append(attachment.id)
            alt = re.sub(r"[\[\]\n]", "", name)
            item = self._append(model, page, f"![{alt}](files/{attachment.id}/{file_name})")
            return dict(item, attachmentId=attachment.id, fileName=file_name)

    def link_attachment(self, page_id: str, attachment_id: str, alt: str | None = None) -> dict:
        """Append ``![alt](files/<attachmentId>/<fileName>)`` showing an existing attachment of any space (Docmost
        lets a page embed another space's attachment). One of the page's own space becomes one of its attachments, as on
        an edit; one of another space does not, so the space export writes the reference but has no such file
        (recordings README, "Docmost's public address and file downloads"). ``alt`` defaults to the file name."""
        with self.lock:
            model, page = self.page(page_id)
            owner = next((m for m in self.spaces.values() if attachment_id in m.attachments), None)
            if owner is None:
                raise KeyError(f"no attachment {attachment_id!r}")
            attachment = owner.attachments[attachment_id]
            if owner is model and attachment_id not in page.attachment_ids:
                page.attachment_ids.append(attachment_id)
            label = re.sub(r"[\[\]\n]", "", attachment.file_name if alt is None else alt)
            item = self._append(model, page, f"![{label}](files/{attachment.id}/{attachment.file_name})")
            return dict(item, attachmentId=attachment.id, fileName=attachment.file_name)

    def link_page(self, page_id: str, target_id: str, mention: bool = False) -> dict:
        """Append a paragraph linking to ``target_id``: an internal link as Docmost's link menu inserts it
        (``/s/<space>/p/<slug>-<slugId>``, text = the target's title) or, with ``mention``, a page mention."""
        with self.lock:
            model, page = self.page(page_id)
            target_space, target = self.page(target_id)
            label = docmark.turndown_text(docmark.page_title(target.title))
            if mention:
                markdown = mention_token(label, target.id, target.slug_id)
            else:
                slug = docmark.page_url_slug(target.title, target.slug_id)
                markdown = f"[{label}](/s/{target_space.slug}/p/{slug})"
            return self._append(model, page, markdown)
