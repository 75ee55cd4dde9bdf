"""The page model of the recorded spaces, built from the recordings (:mod:`~docmost_pipeline.emulator.recordings`).

Owns the way back from what Docmost exported to what it stored. Per recorded space:

* Pages: every item of ``api/recent.<space>.limit-100.page-1.json`` (id, slugId, title, icon, position, parent,
  times, contributors; the same ids as the ZIPs, see the README's translation section), with the recorded
  ``api/page-info.*`` body when there is one. Engineering also gets the page the recordings hold in the trash,
  ``Legacy Deploy Guide (deprecated)`` (:data:`LEGACY_DEPLOY_GUIDE`).
* Read order (``Page.read_rank``, the order of the export's ``SELECT``, which decides duplicate-title suffixes and
  the entry order): the order of the page's ``.md`` entry in the recorded space export — siblings are written in read
  order, so this reproduces the recorded suffixes (``개발/메모 (2).md`` …) and entry order. Collisions overwrite
  entries, so that space's order is given by :data:`COLLISIONS_READ_ORDER`. Pages in no recorded export follow.
* Content: the page's Markdown from the recorded space export (for the Collisions pages it drops, the recorded
  single-page export; ``Notes (1)``, ``Q what`` and the trashed page were never exported: empty) turned back into the
  stored form of :mod:`~docmost_pipeline.emulator.model`: the ``# title`` line removed; links to pages (relative
  ``.md`` paths resolved through that export's ``docmost-metadata.json``, or absolute ``APP_URL/s/…/p/…-<slugId>``)
  become what the page stores. Where the page's recorded ``info`` JSON has the link (matched in document order by
  target slugId) it says what it is: a page mention (with its stored label), or a link with its stored ``href`` and
  text (a link whose text is its ``href`` stores that text). Without recorded JSON (Collisions) a link whose label is
  the target's title is taken for a mention, one whose label is the target's file name for a link whose text was its
  URL, anything else for a link with that text, its ``href`` built from the target's recorded slug.
* Attachments: the files of the recorded ZIP; a page uses them in the order of its JSON's attachment nodes (so the
  audio file, invisible in Markdown, stays with its page), else in the order its Markdown refers to them.
"""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
from dataclasses import dataclass

from docmost_pipeline.emulator import docmark
from docmost_pipeline.emulator.model import Attachment, Page, SpaceModel, mention_token, referenced_attachments
from docmost_pipeline.emulator.positions import key_between
from docmost_pipeline.emulator.recordings import (
    API_DIR,
    SpaceData,
    load_api_json,
    metadata_key,
    read_zip_metadata,
    recorded_page_exports,
)

#: The page Engineering holds in the trash (recordings README): id and slugId as its mention and links carry them,
#: title and icon from the README. Its times, position and content were never recorded: made up (root, last).
LEGACY_DEPLOY_GUIDE = {"id": "01a231bf-f4da-7723-8142-3d9a79d5c75a", "slugId": "nBXWN8W8Hb",
                       "title": "Legacy Deploy Guide (deprecated)", "icon": "🗑️",
                       "time": "2026-11-21T23:27:49.500Z", "deletedAt": "2026-11-21T23:28:10.000Z"}

#: Read order of the Collisions pages (slugIds): the one order that gives ``collisions.zip`` — ``Q what.md`` first
#: (written by ``Q what``, overwritten by ``Q: what?``), ``Notes (1).md`` (``Notes (1)``, then overwritten by the
#: second ``Notes``), ``Notes.md``, ``xy plan.md`` (``xy plan``, overwritten by ``x/y plan``).
COLLISIONS_READ_ORDER = ("3N59AKfzhF", "CQM5jnFxmd", "OLWG3HDpOm", "QFeHBE952J", "IKAsIChgFZ", "U1sXxNwX7F",
                         "SdXrQvdiZb")

_ATTACHMENT_NODES = ("attachment", "image", "video", "audio", "pdf", "excalidraw", "drawio")


@dataclass(frozen=True)
class Target:
    """A page a link can point at, known across the recorded spaces."""

    page_id: str
    slug_id: str
    title: str | None
    space_slug: str


@dataclass(frozen=True)
class Ref:
    """A page reference in recorded ProseMirror JSON: a mention node or a text run with an internal link mark."""

    kind: str  # "mention" | "link"
    slug_id: str
    label: str
    href: str


def recorded_recent(slug: str) -> list[dict]:
    path = API_DIR / f"recent.{slug}.limit-100.page-1.json"
    return json.loads(path.read_text(encoding="utf-8"))["data"]["items"] if path.exists() else []


def recorded_infos(slug: str) -> dict[str, dict]:
    infos = {}
    for path in sorted(API_DIR.glob(f"page-info.{slug}.*.json")):
        if not path.name.endswith(".headers.json"):
            data = json.loads(path.read_text(encoding="utf-8"))["data"]
            infos[data["id"]] = data
    return infos


def _refs(document: dict | None) -> tuple[list[Ref], list[str]]:
    """Page references and attachment ids of a ProseMirror document, in document order."""
    refs: list[Ref] = []
    attachments: list[str] = []
    run: list = []  # the current run of text nodes under one link mark: [href, text]

    def close_run() -> None:
        if run:
            slug_id = docmark.slug_id_of(run[0])
            if slug_id is not None:
                refs.append(Ref("link", slug_id, run[1], run[0]))
            run.clear()

    def walk(node: dict) -> None:
        attrs = node.get("attrs") or {}
        if node.get("type") in _ATTACHMENT_NODES and attrs.get("attachmentId"):
            attachments.append(attrs["attachmentId"])
        href = next((m["attrs"].get("href") for m in node.get("marks") or [] if m["type"] == "link"), None)
        if node.get("type") == "text" and href:
            if run and run[0] == href:
                run[1] += node.get("text", "")
            else:
                close_run()
                run.extend([href, node.get("text", "")])
            return
        close_run()
        if node.get("type") == "mention" and attrs.get("entityType") == "page":
            refs.append(Ref("mention", attrs.get("slugId") or "", attrs.get("label") or "", attrs.get("entityId")))
        for child in node.get("content") or []:
            walk(child)
        close_run()

    if document:
        walk(document)
    return refs, list(dict.fromkeys(attachments))


def split_title(markdown: str) -> str:
    """The Markdown after the exporter's ``# <title>`` line and its blank line."""
    first, _, rest = markdown.partition("\n")
    if not first.startswith("# "):
        return markdown
    return rest[1:] if rest.startswith("\n") else rest


class _Converter:
    """Turns one page's exported Markdown into the stored form (module docstring)."""

    def __init__(self, targets: dict[str, Target], slugs: dict[str, str]) -> None:
        self.by_slug = {t.slug_id: t for t in targets.values()}
        self.slugs = slugs

    def _stored_href(self, target: Target) -> str:
        slug = self.slugs.get(target.slug_id)
        segment = f"{slug}-{target.slug_id}" if slug is not None else docmark.page_url_slug(target.title,
                                                                                             target.slug_id)
        return f"/s/{target.space_slug}/p/{segment}"

    def convert(self, body: str, page_key: str, namespace: dict[str, str], refs: list[Ref] | None,
                targets_by_id: dict[str, Target]) -> str:
        out, last, pointer = [], 0, 0
        for token in docmark.iter_links(body):
            target, relative = self._target(token.href, page_key, namespace, targets_by_id)
            if target is None:
                continue
            ref = None
            if refs is not None:
                index = next((i for i in range(pointer, len(refs)) if refs[i].slug_id == target.slug_id), None)
                if index is not None:
                    ref, pointer = refs[index], index + 1
            out.append(body[last:token.start])
            out.append(self._stored(token, target, relative, ref))
            last = token.end
        out.append(body[last:])
        return "".join(out)

    def _target(self, href: str, page_key: str, namespace: dict[str, str],
                targets_by_id: dict[str, Target]) -> tuple[Target | None, bool]:
        if href.endswith(".md") and "://" not in href and not href.startswith(("/", "#")):
            key = posixpath.normpath(posixpath.join(posixpath.dirname(page_key),
                                                    href.replace("%28", "(").replace("%29", ")")))
            page_id = namespace.get(key)
            return (targets_by_id.get(page_id) if page_id else None), True
        slug_id = docmark.slug_id_of(href)
        return (self.by_slug.get(slug_id) if slug_id and href.startswith(docmark.APP_URL) else None), False

    def _stored(self, token: docmark.LinkToken, target: Target, relative: bool, ref: Ref | None) -> str:
        if ref is not None:
            if ref.kind == "mention":
                return mention_token(docmark.turndown_text(ref.label), target.page_id, target.slug_id)
            label = docmark.turndown_text(ref.label) if ref.label == ref.href else token.label
            return f"[{label}]({docmark.link_href(ref.href)})"
        if token.label == docmark.turndown_text(docmark.page_title(target.title)):
            return mention_token(token.label, target.page_id, target.slug_id)
        href = self._stored_href(target) if relative else token.href
        if relative and token.label == docmark.turndown_text(docmark.link_page_name(token.href)):
            return f"[{docmark.turndown_text(href)}]({href})"
        return f"[{token.label}]({href})"


def recorded_slugs(infos: list[dict], exports: list[str]) -> dict[str, str]:
    """slugId -> the slug the recordings write before it (``/s/<space>/p/<slug>-<slugId>``), first seen wins."""
    slugs: dict[str, str] = {}
    hrefs = [ref.href for info in infos for ref in _refs(info.get("content"))[0] if ref.kind == "link"]
    for markdown in exports:
        hrefs.extend(token.href for token in docmark.iter_links(markdown))
    for href in hrefs:
        match = docmark.INTERNAL_LINK.match(href.split("#", 1)[0])
        if match and "-" in match.group(5):
            slug, _, slug_id = match.group(5).rpartition("-")
            slugs.setdefault(slug_id, slug)
    return slugs


def _page(item: dict, info: dict | None, rank: tuple) -> Page:
    return Page(id=item["id"], slug_id=item["slugId"], title=item["title"], icon=item["icon"],
                position=item["position"], parent_id=item["parentPageId"], space_id=item["spaceId"],
                created_at=item["createdAt"], updated_at=item["updatedAt"], read_rank=rank,
                creator_id=item["creatorId"], last_updated_by_id=item["lastUpdatedById"],
                contributor_ids=list(item["contributorIds"]), info=info, content_recorded=True,
                content_null=info is not None and info.get("content") is None)


def _exported_markdown(space: SpaceData, page_id: str) -> tuple[str, str, dict[str, str]] | None:
    """(metadata key, Markdown, that export's key -> pageId) of the page's recorded export, if any."""
    namespace = {metadata_key(entry): pid for pid, (entry, _) in space.page_markdown.items()}
    if page_id in space.page_markdown:
        entry, markdown = space.page_markdown[page_id]
        return metadata_key(entry), markdown, namespace
    recording = recorded_page_exports().get((page_id, True, False))
    if recording is None:
        return None
    metadata, markdown = read_zip_metadata(recording.body)
    entry, text = markdown[page_id]
    return metadata_key(entry), text, {key: meta["pageId"] for key, meta in metadata["pages"].items()}


def _read_ranks(space: SpaceData, items: list[dict]) -> dict[str, tuple]:
    if space.slug == "collisions":
        order = {slug_id: i for i, slug_id in enumerate(COLLISIONS_READ_ORDER)}
        return {item["id"]: (0, order.get(item["slugId"], len(order))) for item in items}
    entries: dict[str, int] = {}
    if space.export_zip is not None:
        with zipfile.ZipFile(io.BytesIO(space.export_zip)) as zf:
            entries = {name: i for i, name in enumerate(zf.namelist())}
    ranks = {}
    for position, item in enumerate(items):
        entry = space.page_markdown.get(item["id"], (None, None))[0]
        ranks[item["id"]] = (0, entries.get(entry, len(entries) + position))
    return ranks


def load_models(spaces: list[SpaceData]) -> dict[str, SpaceModel]:
    """A fresh model per recorded space (space id -> model); spaces without recorded pages get an empty model."""
    listings = {space.id: recorded_recent(space.slug) for space in spaces}
    infos = {space.id: recorded_infos(space.slug) for space in spaces}
    first = load_api_json("page-info.collisions.first.json")["data"]
    infos.setdefault(first["spaceId"], {}).setdefault(first["id"], first)
    targets = {item["id"]: Target(item["id"], item["slugId"], item["title"], item["space"]["slug"])
               for items in listings.values() for item in items}
    legacy = LEGACY_DEPLOY_GUIDE
    targets[legacy["id"]] = Target(legacy["id"], legacy["slugId"], legacy["title"], "engineering")
    exports = [md for space in spaces for _, md in space.page_markdown.values()]
    converter = _Converter(targets, recorded_slugs([i for by_id in infos.values() for i in by_id.values()], exports))
    return {space.id: _load_space(space, listings[space.id], infos[space.id], converter, targets)
            for space in spaces}


def _load_space(space: SpaceData, items: list[dict], infos: dict[str, dict], converter: _Converter,
                targets: dict[str, Target]) -> SpaceModel:
    model = SpaceModel({"id": space.id, "name": space.name, "slug": space.slug})
    for attachment_id, files in space.attachment_files.items():
        name, data = next(iter(files.items()))
        model.attachments[attachment_id] = Attachment(attachment_id, name, data)
    ranks = _read_ranks(space, items)
    for item in items:
        info = infos.get(item["id"])
        page = _page(item, info, ranks[item["id"]])
        refs, attachment_ids = _refs(info.get("content")) if info is not None else (None, [])
        exported = _exported_markdown(space, page.id)
        if exported is not None:
            key, markdown, namespace = exported
            page.content = converter.convert(split_title(markdown), key, namespace, refs, targets)
        page.content_null = page.content_null or (info is None and not page.content)
        page.attachment_ids = [a for a in (attachment_ids or referenced_attachments(page.content))
                               if a in model.attachments]
        for attachment_id in page.attachment_ids:
            model.attachments[attachment_id].page_id = model.attachments[attachment_id].page_id or page.id
        model.pages[page.id] = page
    if space.slug == "engineering":
        model.pages[LEGACY_DEPLOY_GUIDE["id"]] = _legacy_page(model)
    return model


def _legacy_page(model: SpaceModel) -> Page:
    legacy = LEGACY_DEPLOY_GUIDE
    last_root = model.children(None)[-1].position if model.children(None) else None
    return Page(id=legacy["id"], slug_id=legacy["slugId"], title=legacy["title"], icon=legacy["icon"],
                position=key_between(last_root, None), parent_id=None, space_id=model.id,
                created_at=legacy["time"], updated_at=legacy["time"], read_rank=(0, 10**6),
                deleted_at=legacy["deletedAt"], content_null=True)
