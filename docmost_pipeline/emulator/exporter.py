"""Docmost 0.95's Markdown exporter, run on the page model: space exports and single-page exports, ZIP or plain.

Owns the export algorithm of ``apps/server/src/integrations/export/export.service.ts`` and ``utils.ts`` (v0.95.0):

* ``buildTree``: the pages in read order (``Page.read_rank``); siblings with equal titles (empty -> ``untitled``) get
  `` (1)``, `` (2)``… in that order.
* ``computeLocalPath``: ``encodeURIComponent(getSafePageTitle(title)) + ".md"`` per page, in a folder named like its
  parent's file; these encoded paths are the ``slugIdToPath`` map and the ``docmost-metadata.json`` keys.
* ``zipPages``: a stack walk (root pages in read order, then the last folder pushed first), per page: mentions turned
  into links (the mentioned page's current title and ``APP_URL/s/<space>/p/<slug>-<slugId>``; a page that does not
  exist keeps its stored label, space ``undefined``), ``replaceInternalLinks`` (a link whose slugId is in this export
  becomes the relative path, and its text the target's file name when the text was the ``href``; any other internal
  link keeps its ``href``, prefixed with ``APP_URL`` when it starts with ``/``; links with ``#fragment`` do not match
  and stay as stored), the attachments (``<folder>/files/<id>/<name>``, written before the page, one copy per
  folder), the Markdown ``# <title>`` + content, and a folder entry for a page with children; then
  ``docmost-metadata.json`` (``JSON.stringify(metadata, null, 2)``).
* ZIP entries as JSZip makes them: parent folders created on first use, a name written twice keeps its first place
  and its last content (the silent loss of colliding file names), DEFLATE with data descriptors, stored folder
  entries.
* A single page without attachments and without children is the plain Markdown file: mentions become absolute links,
  other links stay as stored, attachments are server paths (``/api/files/…``), and an untitled page has no heading.

Pages in ``SpaceModel.omitted`` are left out of the space export's files (not of its link map), like a page lost to
a file-name collision.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone

from docmost_pipeline.emulator import docmark
from docmost_pipeline.emulator.model import MENTION_HREF, Page, SpaceModel, Wiki
from docmost_pipeline.emulator.recordings import DOCMOST_VERSION

_SERVER_FILES = re.compile(r"(\]\(|src=\")files/([0-9a-fA-F-]{36}/)")


class _Sink:
    """A write-only, unseekable stream: zipfile then writes data descriptors, like JSZip's ``streamFiles``."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.buffer.write(data)

    def flush(self) -> None:
        pass


class JSZipEntries:
    """The entry list of a JSZip archive: ``file``/``folder`` with JSZip's ``createFolders`` and overwrite rules."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes | None] = {}

    @staticmethod
    def _parent(name: str) -> str:
        trimmed = name[:-1] if name.endswith("/") else name
        slash = trimmed.rfind("/")
        return trimmed[:slash] if slash > 0 else ""

    def folder(self, name: str) -> str:
        name = name if name.endswith("/") else name + "/"
        if name not in self.entries:
            parent = self._parent(name)
            if parent:
                self.folder(parent)
            self.entries[name] = None
        return name

    def file(self, name: str, data: bytes) -> None:
        parent = self._parent(name)
        if parent:
            self.folder(parent)
        self.entries[name] = data

    def to_zip(self, when: datetime) -> bytes:
        sink = _Sink()
        stamp = when.timetuple()[:6]
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in self.entries.items():
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.create_system = 0
                if data is None:
                    info.external_attr = 0x10
                    info.compress_type = zipfile.ZIP_STORED
                    zf.writestr(info, b"")
                else:
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, data)
        return sink.buffer.getvalue()


@dataclass(frozen=True)
class PageExport:
    """A single-page export: ``kind`` ``"file"`` (plain Markdown) or ``"zip"``, its bytes, how many pages."""

    kind: str
    data: bytes
    pages: int


def iso_now() -> tuple[datetime, str]:
    now = datetime.now(timezone.utc)
    return now, now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class Exporter:
    """Exports of one :class:`~docmost_pipeline.emulator.model.Wiki` (mentions are looked up in every space)."""

    def __init__(self, wiki: Wiki, app_url: str = docmark.APP_URL) -> None:
        self.wiki = wiki
        self.app_url = app_url

    # --- entry points -------------------------------------------------------------------------------------------
    def space_zip(self, model: SpaceModel, include_attachments: bool = True) -> tuple[bytes, int]:
        """The space export ZIP and the number of pages in it."""
        with self.wiki.lock:
            pages = model.in_read_order()
            return self.zip_pages(model, pages, None, include_attachments, model.omitted), len(pages)

    def page_export(self, model: SpaceModel, page: Page, include_attachments: bool,
                    include_children: bool) -> PageExport:
        with self.wiki.lock:
            pages = [page] + (model.in_read_order(model.descendants(page.id, live_only=True))
                              if include_children else [])
            if len(pages) == 1 and not include_attachments:
                return PageExport("file", self.plain_markdown(page).encode("utf-8"), 1)
            return PageExport("zip", self.zip_pages(model, pages, page.id, include_attachments, set()), len(pages))

    def plain_markdown(self, page: Page) -> str:
        body = self.render(page.content, {}, "", rewrite=False, local_files=False)
        heading = f"# {docmark.turndown_text(page.title)}" if page.title else ""
        return "\n\n".join(part for part in (heading, body) if part)

    # --- zipPages -----------------------------------------------------------------------------------------------
    def zip_pages(self, model: SpaceModel, pages: list[Page], root_id: str | None, include_attachments: bool,
                  omitted: set[str]) -> bytes:
        tree, titles = _build_tree(pages, root_id)
        slug_to_path: dict[str, str] = {}
        _local_paths(tree, titles, None, "", slug_to_path)
        zip_entries = JSZipEntries()
        page_paths: dict[str, str] = {}
        metadata_pages: dict[str, dict] = {}
        stack: list[tuple[str, str | None]] = [("", None)]
        while stack:
            folder, parent_id = stack.pop()
            for page in tree.get(parent_id, []):
                current = slug_to_path[page.slug_id]
                safe = docmark.safe_title(titles[page.id])
                page_paths[page.id] = current
                if page.id not in omitted:
                    if include_attachments:
                        for attachment_id in page.attachment_ids:
                            attachment = model.attachments.get(attachment_id)
                            if attachment is not None:
                                zip_entries.file(f"{folder}/files/{attachment.id}/{attachment.file_name}",
                                                 attachment.data)
                    body = self.render(page.content, slug_to_path, current, rewrite=True,
                                       local_files=include_attachments)
                    markdown = f"# {docmark.turndown_text(titles[page.id])}" + (f"\n\n{body}" if body else "")
                    zip_entries.file(f"{folder}{safe}.md", markdown.encode("utf-8"))
                    metadata_pages[current] = {
                        "pageId": page.id, "slugId": page.slug_id, "icon": page.icon, "position": page.position,
                        "parentPath": page_paths.get(parent_id) if parent_id else None,
                        "createdAt": page.created_at, "updatedAt": page.updated_at,
                    }
                if tree.get(page.id):
                    stack.append((zip_entries.folder(folder + safe), page.id))
        when, exported_at = iso_now()
        metadata = {"exportedAt": exported_at, "source": "docmost", "version": DOCMOST_VERSION,
                    "pages": metadata_pages}
        zip_entries.file("docmost-metadata.json", json.dumps(metadata, ensure_ascii=False, indent=2).encode("utf-8"))
        return zip_entries.to_zip(when)

    # --- page content -------------------------------------------------------------------------------------------
    def render(self, content: str, slug_to_path: dict[str, str], current_path: str, *, rewrite: bool,
               local_files: bool) -> str:
        """The exported Markdown of stored ``content`` (mentions, ``replaceInternalLinks`` when ``rewrite``)."""
        out, last = [], 0
        for token in docmark.iter_links(content):
            label, href = token.label, token.href
            mention = MENTION_HREF.match(href)
            text_is_href = False
            if mention:
                label, href = self._mention_link(label, mention.group(1), mention.group(2))
            else:
                text_is_href = label == docmark.turndown_text(href)
            if rewrite and docmark.slug_id_of(href) is not None:
                local = slug_to_path.get(docmark.slug_id_of(href))
                if local is None:
                    href = self.app_url + href if href.startswith("/") else href
                else:
                    href = posixpath.relpath(local, posixpath.dirname(current_path) or ".")
                    if text_is_href:
                        label = docmark.turndown_text(docmark.link_page_name(href))
            if (label, href) != (token.label, token.href):
                out.append(f"{content[last:token.start]}[{label}]({docmark.link_href(href)})")
                last = token.end
        out.append(content[last:])
        body = "".join(out).lstrip("\t\r\n").rstrip()
        return body if local_files else _SERVER_FILES.sub(r"\1/api/files/\2", body)

    def _mention_link(self, label: str, page_id: str, slug_id: str) -> tuple[str, str]:
        found = self.wiki.find(page_id)
        if found is not None:
            space, target = found
            title = docmark.page_title(target.title)
            return (docmark.turndown_text(title),
                    f"{self.app_url}/s/{space.slug}/p/{docmark.page_url_slug(target.title, target.slug_id)}")
        plain = re.sub(r"\\(.)", r"\1", label)
        return label, f"{self.app_url}/s/undefined/p/{docmark.page_url_slug(plain, slug_id)}"


def _build_tree(pages: list[Page], root_id: str | None) -> tuple[dict[str | None, list[Page]], dict[str, str]]:
    """``buildTree``: children per parent in read order, and each page's title with its duplicate suffix."""
    tree: dict[str | None, list[Page]] = {}
    counts: dict[str | None, dict[str, int]] = {}
    titles: dict[str, str] = {}
    for page in pages:
        parent = None if page.id == root_id else page.parent_id
        seen = counts.setdefault(parent, {})
        base = docmark.page_title(page.title)
        if seen.get(base):
            titles[page.id] = f"{base} ({seen[base]})"
            seen[base] += 1
        else:
            titles[page.id] = base
            seen[base] = 1
        tree.setdefault(parent, []).append(page)
    return tree, titles


def _local_paths(tree: dict[str | None, list[Page]], titles: dict[str, str], parent_id: str | None, prefix: str,
                 slug_to_path: dict[str, str]) -> None:
    """``computeLocalPath``: slugId -> encoded path of the page's ``.md`` in the export."""
    for page in tree.get(parent_id, []):
        local = prefix + docmark.encode_component(docmark.safe_title(titles[page.id]))
        slug_to_path[page.slug_id] = local + ".md"
        _local_paths(tree, titles, page.id, local + "/", slug_to_path)
