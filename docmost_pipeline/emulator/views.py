"""Docmost 0.95's API shapes of pages: ``recent`` and sidebar items, ``/api/pages/info`` bodies, cursor pagination.

Owns the translation from the page model (:mod:`~docmost_pipeline.emulator.model`) to the JSON Docmost sends, with
the recorded key order so unchanged pages serialise to the recorded bytes: ``recent`` items (``getRecentPagesInSpace``:
base fields + ``space``), sidebar items, and ``info`` (the recorded body, its fields brought up to date from the model,
its ProseMirror ``content`` kept while the page's content is the recorded one, else a plain document of paragraphs).
:func:`paginate` is Docmost's cursor pagination (``executeWithCursorPagination``) over a list already in its order,
ascending (sidebar: ``position``, ``id``; spaces: ``name``, ``id``) or descending (``recent``: ``updatedAt``, ``id``).
"""

from __future__ import annotations

import base64
import copy
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from docmost_pipeline.emulator.recordings import ADMIN_USER_ID, WORKSPACE_ID

if TYPE_CHECKING:
    from docmost_pipeline.emulator.model import Page, SpaceModel

#: The workspace's users as Docmost returns them in ``creator``/``contributors`` (only the admin writes pages here).
USERS = {ADMIN_USER_ID: {"id": ADMIN_USER_ID, "name": "Ada Admin", "avatarUrl": None}}


def _user(user_id: str) -> dict:
    return dict(USERS.get(user_id, {"id": user_id, "name": None, "avatarUrl": None}))


def space_ref(model: SpaceModel) -> dict:
    return {"id": model.id, "name": model.name, "slug": model.slug}


def recent_item(model: SpaceModel, page: Page) -> dict:
    """An item of ``POST /api/pages/recent`` (no ``content``, no ``hasChildren``), in the recorded key order."""
    return {
        "id": page.id,
        "slugId": page.slug_id,
        "title": page.title,
        "icon": page.icon,
        "coverPhoto": None,
        "position": page.position,
        "parentPageId": page.parent_id,
        "creatorId": page.creator_id,
        "lastUpdatedById": page.last_updated_by_id,
        "spaceId": model.id,
        "workspaceId": WORKSPACE_ID,
        "isLocked": False,
        "isBase": False,
        "createdAt": page.created_at,
        "updatedAt": page.updated_at,
        "deletedAt": page.deleted_at,
        "contributorIds": list(page.contributor_ids),
        "space": space_ref(model),
    }


def sidebar_item(model: SpaceModel, page: Page) -> dict:
    """An item of ``POST /api/pages/sidebar-pages``, in the recorded key order."""
    return {
        "id": page.id,
        "slugId": page.slug_id,
        "title": page.title,
        "icon": page.icon,
        "position": page.position,
        "parentPageId": page.parent_id,
        "spaceId": model.id,
        "creatorId": page.creator_id,
        "isBase": False,
        "deletedAt": page.deleted_at,
        "hasChildren": model.has_children(page.id),
        "canEdit": True,
    }


def recent_items(model: SpaceModel) -> list[dict]:
    """The space's pages outside the trash, ``updatedAt`` descending then ``id`` descending."""
    pages = sorted(model.live_pages(), key=lambda p: (p.updated_at, p.id), reverse=True)
    return [recent_item(model, page) for page in pages]


def plain_document(markdown: str) -> dict | None:
    """A minimal ProseMirror document for content the recordings have no JSON for: one paragraph per block."""
    blocks = [block.strip() for block in markdown.split("\n\n") if block.strip()]
    if not blocks:
        return None
    return {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": block}]}
                                        for block in blocks]}


def info_body(model: SpaceModel, page: Page) -> dict:
    """The ``data`` of ``POST /api/pages/info``: the recorded body brought up to date, or built in its shape."""
    body = copy.deepcopy(page.info) if page.info is not None else {
        "id": page.id, "slugId": None, "title": None, "icon": None, "coverPhoto": None, "position": None,
        "parentPageId": None, "creatorId": page.creator_id, "lastUpdatedById": None, "spaceId": model.id,
        "workspaceId": WORKSPACE_ID, "isLocked": False, "isBase": False, "createdAt": page.created_at,
        "updatedAt": None, "deletedAt": None, "contributorIds": [], "content": None,
        "creator": _user(page.creator_id), "lastUpdatedBy": None, "contributors": [], "deletedBy": None,
        "space": space_ref(model), "permissions": {"canEdit": True, "hasRestriction": False},
    }
    body.update(slugId=page.slug_id, title=page.title, icon=page.icon, position=page.position,
                parentPageId=page.parent_id, lastUpdatedById=page.last_updated_by_id, updatedAt=page.updated_at,
                deletedAt=page.deleted_at, contributorIds=list(page.contributor_ids),
                lastUpdatedBy=_user(page.last_updated_by_id),
                contributors=[_user(user_id) for user_id in page.contributor_ids],
                deletedBy=_user(ADMIN_USER_ID) if page.trashed else None, space=space_ref(model))
    if not page.content_recorded:
        body["content"] = plain_document(page.content)
    return body


# --- cursor pagination ---------------------------------------------------------------------------------------------
def encode_cursor(fields: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(urlencode(fields).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, str]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    return dict(parse_qsl(raw, keep_blank_values=True))


def paginate(items: list[dict], body: dict, cursor_fields: tuple[str, str], legacy: bool = False,
             descending: bool = False) -> dict:
    """Docmost's cursor pagination (or the legacy page-number form) over ``items`` already in list order.

    ``nextCursor`` encodes the last item returned, ``prevCursor`` the first one when a cursor was sent, exactly as in
    the recordings; a cursor selects the items strictly after its key in list order.
    """
    limit = int(body.get("limit") or 20)
    if legacy:
        page = max(1, int(body.get("page") or 1))
        chunk = items[(page - 1) * limit: page * limit]
        return {"items": chunk, "meta": {"limit": limit, "page": page, "hasNextPage": page * limit < len(items),
                                         "hasPrevPage": page > 1}}
    cursor = body.get("cursor")
    start = 0
    if cursor:
        after = decode_cursor(cursor)
        key = tuple(after.get(f, "") for f in cursor_fields)

        def beyond(item: dict) -> bool:
            own = tuple(item[f] for f in cursor_fields)
            return own < key if descending else own > key

        start = next((i for i, item in enumerate(items) if beyond(item)), len(items))
    chunk = items[start:start + limit]
    has_next = start + limit < len(items)
    has_prev = bool(cursor)

    def cursor_of(item: dict) -> str:
        return encode_cursor({f: item[f] for f in cursor_fields})

    return {"items": chunk, "meta": {
        "limit": limit,
        "hasNextPage": has_next,
        "hasPrevPage": has_prev,
        "nextCursor": cursor_of(chunk[-1]) if has_next and chunk else None,
        "prevCursor": cursor_of(chunk[0]) if has_prev and chunk else None,
    }}
