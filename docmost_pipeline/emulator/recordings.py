"""Loads the recorded Docmost 0.95 responses into the data the test server serves.

Owns the translation from :data:`RECORDINGS_DIR` (``data/docmost-0.95/`` beside this module, package data of
``docmost_pipeline``: recorded JSON, headers and ZIPs, described in its ``README.md``) to plain Python structures:
one :class:`SpaceData` per space with its API item, the export ZIP bytes, the pages' Markdown and attachments found
in it, and the recorded response headers. The pages themselves live in the space's page model
(:mod:`~docmost_pipeline.emulator.model`, filled from these recordings by :mod:`~docmost_pipeline.emulator.seed`).
Nothing here does HTTP.

Every file under :data:`RECORDINGS_DIR` other than its README is read by the server except ``api/index.json``,
``api/export-timings.json``, ``api/auth-login.ok.*``, ``api/spaces-list.limit-2.*``, the sidebar recordings (the
page model answers them; its tests compare), ``api/files.download.range.headers.json`` and the
``login.unknown-email`` / ``no-cookie.export`` / ``page-info.invalid`` error recordings. Those stay with the rest
because ``index.json`` and the README describe the set as one recording, and the server's tests compare its answers
with them.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

#: The recorded Docmost 0.95 responses, shipped inside the package (pyproject.toml's package data). Tests that read
#: recordings directly (to compare with what the server answers, or as input ZIPs) take them from here too.
RECORDINGS_DIR = Path(__file__).resolve().parent / "data" / "docmost-0.95"
API_DIR = RECORDINGS_DIR / "api"

ADMIN_USER_ID = "01a2006a-081a-789c-a57b-308f6474f545"
WORKSPACE_ID = "01a2006a-0821-77d3-9eac-1cab9a252a7f"
DOCMOST_VERSION = "0.95.0"

#: The Collisions space was recorded after the spaces list, so its list item is rebuilt from
#: ``api/page-info.collisions.first.json`` (id, name, slug) and the shape of the recorded items.
COLLISIONS_SPACE_ID = "01a20080-7ab3-7bf0-8350-6826e6e2dfcc"

#: Space slug -> export ZIP file name for every space the recordings cover.
RECORDED_EXPORTS = {
    "engineering": "engineering.zip",
    "hangul-docs": "hangul-docs.zip",
    "content-gallery": "content-gallery.zip",
    "collisions": "collisions.zip",
}

#: How a page's Markdown refers to an attachment, relative to the page: ``files/<attachmentId>/<fileName>``.
ATTACHMENT_REFERENCE = re.compile(r"files/([0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})/")
#: An attachment entry (or its directory entry) in an export ZIP: ``<folder>/files/<attachmentId>/[<fileName>]``.
ATTACHMENT_ENTRY = re.compile(r"(?:^|/)files/([0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})/[^/]*$")


def dumps(payload: object) -> bytes:
    """Serialise JSON exactly like Docmost (compact, UTF-8 not escaped): recorded bodies round-trip byte for byte."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def load_api_json(name: str) -> dict:
    return json.loads((API_DIR / name).read_text(encoding="utf-8"))


#: ``window.CONFIG={...};`` in the web app's HTML (``api/web-index.html``): Docmost's public address is its ``APP_URL``.
WEB_CONFIG_SCRIPT = re.compile(r"[ \t]*<script>window\.CONFIG=(\{.*?\});</script>\n?")


def web_index(app_url: str | None) -> tuple[int, list[list[str]], bytes]:
    """``GET /`` (status, headers, body): the recorded web app HTML with ``window.CONFIG.APP_URL`` set to ``app_url``;
    ``None`` gives the page without its ``window.CONFIG`` script (a proxy's or an older server's page)."""
    recorded = load_api_json("web-index.headers.json")
    html = (RECORDINGS_DIR / recorded["body_file"]).read_text(encoding="utf-8")
    match = WEB_CONFIG_SCRIPT.search(html)
    if app_url is None:
        html = html[:match.start()] + html[match.end():]
    else:
        config = json.loads(match.group(1))
        config["APP_URL"] = app_url
        start, end = match.span(1)
        html = html[:start] + json.dumps(config, ensure_ascii=False, separators=(",", ":")) + html[end:]
    return recorded["status"], recorded["headers"], html.encode("utf-8")


def file_download_headers(content_type: str) -> list[list[str]]:
    """Headers of ``GET /api/files/<id>/<name>`` as recorded (``api/files.download.headers.json``), for a file of
    ``content_type`` (``content-length`` and ``Date`` are the handler's)."""
    recorded = load_api_json("files.download.headers.json")["headers"]
    return [[name, content_type if name.lower() == "content-type" else value] for name, value in recorded]


def recorded_error(case: str) -> tuple[int, bytes]:
    """Status and exact body of ``api/error.<case>.json``."""
    headers = load_api_json(f"error.{case}.headers.json")
    return headers["status"], (API_DIR / f"error.{case}.json").read_bytes()


@dataclass
class PageExportRecording:
    status: int
    headers: list[list[str]]
    body: bytes


class SpaceItem:
    """The id, slug and name of a space, read from its API item (``self.item``, as ``POST /api/spaces/`` lists it)."""

    item: dict

    @property
    def id(self) -> str:
        return self.item["id"]

    @property
    def slug(self) -> str:
        return self.item["slug"]

    @property
    def name(self) -> str:
        return self.item["name"]


@dataclass
class SpaceData(SpaceItem):
    """Everything the server knows about one space.

    ``model`` is the space's page model (:class:`~docmost_pipeline.emulator.model.SpaceModel`, attached by the
    server); ``pages`` maps the id of every page outside the trash to its sidebar item, from the model.
    ``page_markdown`` maps page id to ``(entry name in the recorded export ZIP, Markdown)``. ``export_zip`` is the
    recorded export, served while the model is unchanged; ``None`` for a space without pages (export answers 400)
    or when ``export_stream`` generates the body instead (large generated exports, never held in memory).
    ``attachment_files`` maps attachment id to ``{file name: bytes}`` as found in the recorded export (kept even when
    ``export_zip`` is later rewritten).
    """

    item: dict
    page_markdown: dict[str, tuple[str, str]] = field(default_factory=dict)
    page_metadata: dict[str, dict] = field(default_factory=dict)
    export_zip: bytes | None = None
    export_headers: list[list[str]] | None = None
    export_stream: object | None = None  # callable() -> Iterator[bytes]
    attachment_files: dict[str, dict[str, bytes]] = field(default_factory=dict)
    model: object | None = None  # SpaceModel


    @property
    def pages(self) -> dict[str, dict]:
        from docmost_pipeline.emulator.views import sidebar_item  # views reads this module's constants

        if self.model is None:
            return {}
        return {page.id: sidebar_item(self.model, page) for page in self.model.live_pages()}


def read_zip_metadata(zip_bytes: bytes) -> tuple[dict, dict[str, tuple[str, str]]]:
    """Return (docmost-metadata.json, {pageId: (entry name, markdown)}) of an export ZIP."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        metadata = json.loads(zf.read("docmost-metadata.json"))
        names = set(zf.namelist())
        markdown: dict[str, tuple[str, str]] = {}
        for key, meta in metadata["pages"].items():
            entry = "/".join(unquote(segment) for segment in key.split("/"))
            if entry in names:
                markdown[meta["pageId"]] = (entry, zf.read(entry).decode("utf-8"))
    return metadata, markdown


def read_zip_attachments(zip_bytes: bytes) -> dict[str, dict[str, bytes]]:
    """{attachment id: {file name: bytes}} of an export ZIP (entries ``.../files/<id>/<name>``, any folder)."""
    found: dict[str, dict[str, bytes]] = {}
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        for info in zf.infolist():
            segments = info.filename.split("/")
            if info.is_dir() or len(segments) < 3 or segments[-3] != "files":
                continue
            found.setdefault(segments[-2], {}).setdefault(segments[-1], zf.read(info))
    return found


def referenced_attachment_ids(markdown: str) -> list[str]:
    """Attachment ids the Markdown refers to (``files/<id>/...`` targets), in order of first use."""
    return list(dict.fromkeys(match.group(1) for match in ATTACHMENT_REFERENCE.finditer(markdown)))


def page_attachment_files(space: SpaceData, markdown: str | None) -> dict[str, dict[str, bytes]]:
    """The recorded attachments the page's Markdown refers to: what a synthesised page export includes.

    Docmost itself picks a page's attachments from its ProseMirror nodes, so an attachment whose node renders
    nothing in Markdown (audio) is in Docmost's page export but cannot be found this way.
    """
    return {attachment_id: dict(space.attachment_files[attachment_id])
            for attachment_id in referenced_attachment_ids(markdown or "")
            if attachment_id in space.attachment_files}


def drop_page_from_export(export_zip: bytes, page_id: str) -> bytes:
    """``export_zip`` without the page ``page_id``: its ``.md`` entry, its metadata entry and the attachment
    entries (and their directory entries) that no remaining page refers to. The other entries keep their bytes,
    names and order."""
    with zipfile.ZipFile(io.BytesIO(export_zip)) as src:
        metadata = json.loads(src.read("docmost-metadata.json"))
        key = next((k for k, m in metadata["pages"].items() if m["pageId"] == page_id), None)
        if key is None:
            raise KeyError(f"page {page_id} is not in this export")
        del metadata["pages"][key]
        dropped_entry = "/".join(unquote(segment) for segment in key.split("/"))
        kept_references: set[str] = set()
        for other in metadata["pages"]:
            name = "/".join(unquote(segment) for segment in other.split("/"))
            kept_references.update(referenced_attachment_ids(src.read(name).decode("utf-8")))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                match = ATTACHMENT_ENTRY.search(info.filename)
                attachment_id = match.group(1) if match else None
                if info.filename == dropped_entry or (attachment_id and attachment_id not in kept_references):
                    continue
                data = src.read(info)
                if info.filename == "docmost-metadata.json":
                    data = json.dumps(metadata, ensure_ascii=False, indent=2).encode("utf-8")
                dst.writestr(info, data, compress_type=info.compress_type)
    return out.getvalue()


@functools.lru_cache(maxsize=1)
def _recorded_spaces() -> tuple[dict, ...]:
    return tuple(load_api_json("spaces-list.default.page-1.json")["data"]["items"])


def collisions_space_item() -> dict:
    info = load_api_json("page-info.collisions.first.json")["data"]
    item = copy.deepcopy(next(s for s in _recorded_spaces() if s["slug"] == "engineering"))
    item.update(
        id=info["space"]["id"],
        name=info["space"]["name"],
        slug=info["space"]["slug"],
        description="Pages whose titles collide once the exporter sanitizes them.",
        createdAt="2026-11-21T23:45:49.700Z",
        updatedAt="2026-11-21T23:45:49.700Z",
    )
    return item


def load_recorded_spaces() -> list[SpaceData]:
    """Fresh (mutable) copies of every recorded space: engineering, hangul-docs, content-gallery, collisions, General."""
    return [copy.deepcopy(space) for space in _load_recorded_spaces()]


@functools.lru_cache(maxsize=1)
def _load_recorded_spaces() -> tuple[SpaceData, ...]:
    items = [copy.deepcopy(s) for s in _recorded_spaces()] + [collisions_space_item()]
    spaces = []
    for item in items:
        space = SpaceData(item=item)
        zip_name = RECORDED_EXPORTS.get(item["slug"])
        if zip_name:
            space.export_zip = (RECORDINGS_DIR / zip_name).read_bytes()
            space.export_headers = load_api_json(f"export.{item['slug']}.headers.json")["headers"]
            metadata, markdown = read_zip_metadata(space.export_zip)
            space.page_markdown = markdown
            space.page_metadata = {m["pageId"]: m for m in metadata["pages"].values()}
            space.attachment_files = read_zip_attachments(space.export_zip)
        spaces.append(space)
    return tuple(spaces)


@functools.lru_cache(maxsize=1)
def recorded_page_exports() -> dict[tuple[str, bool, bool], PageExportRecording]:
    """(pageId, includeAttachments, includeChildren) -> the recorded ``POST /api/pages/export`` response."""
    recordings = {}
    for path in sorted(API_DIR.glob("page-export.*.headers.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        body = data["request"]["body"]
        key = (body["pageId"], bool(body["includeAttachments"]), bool(body["includeChildren"]))
        body_bytes = (RECORDINGS_DIR / data["body_file"]).read_bytes()
        recordings[key] = PageExportRecording(data["status"], data["headers"], body_bytes)
    return recordings


def metadata_key(entry_name: str) -> str:
    """``docmost-metadata.json`` key of a ZIP entry: every segment through ``encodeURIComponent``."""
    return "/".join(quote(segment, safe="-_.!~*'()") for segment in entry_name.split("/"))


def derived_id(namespace: str, original: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"docmost-test-server/{namespace}/{original}"))


def derived_slug_id(namespace: str, original: str) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    digest = hashlib.sha256(f"{namespace}/{original}".encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:10])


def clone_space(source: SpaceData, *, name: str, slug: str, id_map: dict[str, str],
                slug_map: dict[str, str]) -> SpaceData:
    """A copy of ``source``'s recordings under a new space id (:func:`derived_id` of ``slug``), its page ids and slugIds
    replaced through ``id_map``/``slug_map`` (the ZIP's metadata rewritten to match); the caller clones the model."""
    item = copy.deepcopy(source.item)
    item.update(id=derived_id("space", slug), name=name, slug=slug)
    clone = SpaceData(item=item)
    clone.page_markdown = {id_map[pid]: v for pid, v in source.page_markdown.items()}
    clone.attachment_files = copy.deepcopy(source.attachment_files)
    clone.page_metadata = {
        id_map[pid]: dict(m, pageId=id_map[pid], slugId=slug_map.get(m["slugId"], m["slugId"]))
        for pid, m in source.page_metadata.items()
    }
    if source.export_zip is not None:
        clone.export_zip = _rewrite_zip_ids(source.export_zip, id_map, slug_map)
        clone.export_headers = [
            [k, f'attachment; filename="{quote(name)}-space-export.zip"'] if k == "content-disposition" else [k, v]
            for k, v in (source.export_headers or [])
        ]
    return clone


def _rewrite_zip_ids(zip_bytes: bytes, id_map: dict[str, str], slug_map: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docmost-metadata.json":
                metadata = json.loads(data)
                for meta in metadata["pages"].values():
                    meta["pageId"] = id_map.get(meta["pageId"], meta["pageId"])
                    meta["slugId"] = slug_map.get(meta["slugId"], meta["slugId"])
                data = json.dumps(metadata, ensure_ascii=False, indent=2).encode("utf-8")
            dst.writestr(info, data, compress_type=info.compress_type)
    return out.getvalue()
