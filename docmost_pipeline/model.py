"""Small dataclasses shared by every layer: what Docmost returns and what an extracted export holds.

Only plain data lives here (no I/O beyond JSON round-trips of the extraction manifest), so that the client,
the extraction step, the converter and the Dagster layer agree on one vocabulary.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Page documents (``POST /api/pages/info`` data, one ``<pageId>.json`` each) live in this folder of a raw export and
# of its extraction, with the pages whose document could not be fetched listed in UNAVAILABLE_DOCUMENTS_FILE. The
# fetcher (export.documents) writes it, the converter (convert.document.load) reads it.
DOCUMENTS_DIR = "documents"
UNAVAILABLE_DOCUMENTS_FILE = "unavailable.json"


@dataclass(frozen=True)
class Space:
    """A Docmost space as listed by ``POST /api/spaces/``."""

    id: str
    slug: str
    name: str
    description: str | None = None


@dataclass(frozen=True)
class SidebarPage:
    """One page of a space's tree as returned by ``POST /api/pages/sidebar-pages``.

    ``title`` is exactly what Docmost stores: ``None`` when omitted at creation, ``""``, trailing spaces kept.
    """

    id: str
    slug_id: str
    title: str | None
    icon: str | None
    position: str
    parent_page_id: str | None
    has_children: bool
    space_id: str | None = None


@dataclass
class ExportedPage:
    """One page of an extracted export.

    ``zip_path`` is the decoded entry name in the export ZIP (``Getting Started/Local Development Setup.md``);
    relative links in the page's Markdown are relative to it. ``markdown_file`` is where the extraction step
    wrote the page's Markdown, relative to the extraction root (never derived from the title: names can exceed
    255 bytes). ``title`` is the original title: from the API when known, else the page's leading ``# Title``
    line. ``recovered`` marks a page that the space export dropped and that was fetched on its own.
    """

    page_id: str
    slug_id: str | None
    zip_path: str
    markdown_file: str
    title: str
    parent_page_id: str | None
    position: str
    icon: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    recovered: bool = False
    # Relative links in the Markdown are relative to ``link_path`` (default: ``zip_path``) inside the ZIP named by
    # ``link_namespace`` ("" = the space export; ``page:<id>`` = that page's own export).
    link_namespace: str = ""
    link_path: str | None = None


@dataclass
class Attachment:
    """One attachment, kept once per attachment id. ``file`` is relative to the extraction root."""

    attachment_id: str
    name: str
    file: str
    size: int


@dataclass
class ExtractedExport:
    """The result of safe extraction: the page list and the attachment list, written under ``root``.

    ``attachments`` is keyed by ``"<attachmentId>/<fileName>"`` exactly as the Markdown references them
    (``files/<attachmentId>/<fileName>``, percent-decoded).
    """

    root: Path
    pages: list[ExportedPage]
    attachments: dict[str, Attachment]
    docmost_version: str | None = None
    exported_at: str | None = None
    source_sha256: str | None = None
    has_metadata: bool = True
    titles_from_api: bool = False
    notes: list[str] = field(default_factory=list)
    # link namespace -> page path in that ZIP -> page id: every page a relative link may name, also pages not
    # taken from that ZIP (exported again on their own since); empty in manifests written before it existed
    link_paths: dict[str, dict[str, str]] = field(default_factory=dict)

    MANIFEST = "manifest.json"

    def page_file(self, page: ExportedPage) -> Path:
        return self.root / page.markdown_file

    def attachment_file(self, attachment: Attachment) -> Path:
        return self.root / attachment.file

    def save(self) -> Path:
        """Write the manifest next to the extracted files so a later step (or process) can reload it."""
        data = asdict(self)
        del data["root"]  # the manifest lives in root; a moved directory must still load
        path = self.root / self.MANIFEST
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, root: Path) -> ExtractedExport:
        data = json.loads((Path(root) / cls.MANIFEST).read_text(encoding="utf-8"))
        pages = [ExportedPage(**p) for p in data.pop("pages")]
        attachments = {k: Attachment(**a) for k, a in data.pop("attachments").items()}
        return cls(root=Path(root), pages=pages, attachments=attachments, **data)
