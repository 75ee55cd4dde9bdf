"""Attachments of a space: one ASCII-safe output file per attachment id, under ``_attachments/``.

Layout: ``_attachments/<attachmentId>/<safe-name>.<ext>``. The folder starts with ``_`` so Docusaurus never
takes anything in it for a doc, and no page slug can clash with it (slugs start with a letter or digit).
The per-id folder keeps two uploads with the same name apart without renaming either.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from docmost_pipeline.convert.slugs import short_hash, slugify
from docmost_pipeline.model import Attachment, ExtractedExport

ATTACHMENTS_DIR = "_attachments"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_SAFE_EXT = re.compile(r"[^a-z0-9]+")
# Docusaurus would treat a linked .md/.mdx file as a doc link and fail the build on it.
_DOC_EXTENSIONS = frozenset({"md", "mdx"})


def safe_attachment_name(name: str) -> str:
    """``보고서_2026_(최종)__1.pdf`` -> ``bogoseo-2026-choejong-1.pdf``; ASCII, lowercase, never a doc extension."""
    path = PurePosixPath(name.replace("\\", "/")).name
    stem, dot, ext = path.rpartition(".")
    if not dot or not stem:
        stem, ext = path, ""
    ext = _SAFE_EXT.sub("", ext.lower())[:12]
    safe_stem = slugify(stem, max_length=60) or "file"
    if ext in _DOC_EXTENSIONS:
        ext = f"{ext}.txt"
    return f"{safe_stem}.{ext}" if ext else safe_stem


def _safe_id(attachment_id: str) -> str:
    return attachment_id.lower() if _SAFE_ID.match(attachment_id) else f"id-{short_hash(attachment_id, 16)}"


@dataclass(frozen=True)
class AttachmentPlan:
    """Where each attachment goes: ``by_key`` maps the export's key (``<id>/<name>``) and ``by_id`` the bare id
    to the output path relative to out_dir."""

    by_key: dict[str, str]
    by_id: dict[str, str]
    sources: dict[str, Attachment]  # output path -> attachment

    def lookup(self, attachment_id: str, name: str | None) -> str | None:
        if name is not None:
            found = self.by_key.get(f"{attachment_id}/{name}")
            if found:
                return found
        return self.by_id.get(attachment_id)


def plan_attachments(export: ExtractedExport) -> AttachmentPlan:
    by_key: dict[str, str] = {}
    by_id: dict[str, str] = {}
    sources: dict[str, Attachment] = {}
    for key in sorted(export.attachments):
        attachment = export.attachments[key]
        out = f"{ATTACHMENTS_DIR}/{_safe_id(attachment.attachment_id)}/{safe_attachment_name(attachment.name)}"
        if out in sources and sources[out].attachment_id != attachment.attachment_id:
            # Two ids differing only in case or hashed alike: keep both apart.
            out = f"{ATTACHMENTS_DIR}/{_safe_id(attachment.attachment_id)}-{short_hash(key)}/" \
                  f"{safe_attachment_name(attachment.name)}"
        by_key[key] = out
        by_id.setdefault(attachment.attachment_id, out)
        sources.setdefault(out, attachment)
    return AttachmentPlan(by_key=by_key, by_id=by_id, sources=sources)


def write_attachments(export: ExtractedExport, plan: AttachmentPlan, out_dir: Path) -> tuple[int, int]:
    """Copy every planned attachment once; returns (files written, bytes written)."""
    count = 0
    total = 0
    for out in sorted(plan.sources):
        target = out_dir / out
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(export.attachment_file(plan.sources[out]), target)  # sendfile() fast path on Linux
        count += 1
        total += target.stat().st_size
    return count, total
