"""Fixtures of the converter tests: the recorded Docmost 0.95 ZIPs and a builder of hand-made extracted exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from docmost_pipeline.emulator.recordings import RECORDINGS_DIR
from docmost_pipeline.model import Attachment, ExportedPage, ExtractedExport

FIXTURES = RECORDINGS_DIR
SPACE_ZIPS = {
    "engineering": "Engineering",
    "hangul-docs": "한글 문서",
    "content-gallery": "Content Gallery",
    "collisions": "Collisions",
}


@dataclass
class ExportBuilder:
    """Writes page Markdown and attachments the way the extraction step lays them out, then builds the export."""

    root: Path
    titles_from_api: bool = True
    pages: list[ExportedPage] = field(default_factory=list)
    attachments: dict[str, Attachment] = field(default_factory=dict)

    def page(self, page_id: str, title: str, *, zip_path: str | None = None, parent: str | None = None,
             position: str = "a0", body: str | None = None, slug_id: str | None = None, icon: str | None = None,
             updated_at: str | None = "2026-11-21T23:27:52.760Z", recovered: bool = False) -> ExportedPage:
        markdown_file = f"pages/{page_id}.md"
        path = self.root / markdown_file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body if body is not None else f"# {title}\n\nText of {title}.\n", encoding="utf-8")
        page = ExportedPage(
            page_id=page_id, slug_id=slug_id if slug_id is not None else f"S{page_id}", zip_path=zip_path or
            f"{title}.md", markdown_file=markdown_file, title=title, parent_page_id=parent, position=position,
            icon=icon, updated_at=updated_at, recovered=recovered,
        )
        self.pages.append(page)
        return page

    def attachment(self, attachment_id: str, name: str, data: bytes = b"\x89PNG data") -> Attachment:
        file = f"files/{attachment_id}/{name}"
        path = self.root / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        attachment = Attachment(attachment_id=attachment_id, name=name, file=file, size=len(data))
        self.attachments[f"{attachment_id}/{name}"] = attachment
        return attachment

    def build(self) -> ExtractedExport:
        return ExtractedExport(root=self.root, pages=list(self.pages), attachments=dict(self.attachments),
                               titles_from_api=self.titles_from_api)


@pytest.fixture
def builder(tmp_path: Path) -> ExportBuilder:
    return ExportBuilder(root=tmp_path / "extracted")


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under root (relative posix path -> content), for byte-identical comparisons."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
