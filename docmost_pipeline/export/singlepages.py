"""Pages exported on their own (recovered after the space export dropped them, or exported again by an incremental
sync) merged among the space export's pages, and the space-export attachments left out with superseded pages."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from docmost_pipeline.export.pageindex import PageIndex, page_namespace
from docmost_pipeline.model import SidebarPage

if TYPE_CHECKING:
    from docmost_pipeline.export.extract import _PageRecord


def attachment_filter(raw_dir: Path, superseded: frozenset[str]) -> Callable[[str, str], bool] | None:
    """Keep a space-export attachment unless every page it is attributed to is superseded (see pageindex)."""
    index = PageIndex.load(raw_dir) if superseded else None
    if index is None:
        return None

    def keep(folder: str, key: str) -> bool:
        owners = index.attachment_owners.get(f"{folder}|{key}")
        return owners is None or any(owner not in superseded for owner in owners)

    return keep


def place_single_page(record: _PageRecord, tree_by_id: dict[str, SidebarPage] | None,
                       zip_path_by_id: dict[str, str], taken: set[str], notes: list[str]) -> None:
    """Parent, position and icon of a page from its own export come from the page tree; its ``zip_path`` is
    virtual (where it would sit in the space export), its links stay relative to its own ZIP."""
    sidebar = tree_by_id.get(record.page_id) if tree_by_id is not None else None
    if sidebar is not None:
        parent_id = sidebar.parent_page_id
        record.position = sidebar.position or record.position
        record.icon = record.icon or sidebar.icon
    else:
        notes.append(f"recovered page {record.page_id} is not in tree.json; placed at the root")
        parent_id = None
    parent_zip_path = zip_path_by_id.get(parent_id) if parent_id else None
    if parent_id and parent_zip_path is None:
        notes.append(f"recovered page {record.page_id}: parent {parent_id} is not in the export")
    record.link_namespace = page_namespace(record.page_id)
    record.link_path = record.zip_path
    record.zip_path = recovered_zip_path(record.zip_path, parent_zip_path, record, taken)
    record.parent_path = parent_zip_path
    taken.add(record.zip_path)
    zip_path_by_id[record.page_id] = record.zip_path


def recovered_zip_path(own_path: str, parent_zip_path: str | None, page: _PageRecord, taken: set[str]) -> str:
    """Where the page would sit in the space ZIP: in its parent's folder, made unique with its id if needed."""
    folder = parent_zip_path[: -len(".md")] if parent_zip_path else ""
    name = posixpath.basename(own_path)
    candidate = f"{folder}/{name}" if folder else name
    if candidate in taken:
        stem = name[: -len(".md")] if name.endswith(".md") else name
        tag = page.slug_id or page.page_id
        candidate = f"{folder}/{stem} (recovered {tag}).md" if folder else f"{stem} (recovered {tag}).md"
    return candidate
