"""The conversion report: counts and per-page warnings, shown by the CLI and as Dagster metadata."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ConversionWarning:
    """One thing the reader of the site should know about: ``page`` is the page title or output path
    (``""`` for the whole space), ``kind`` a short machine-readable key, ``message`` the human text."""

    page: str
    kind: str
    message: str


@dataclass
class ConversionReport:
    space_slug: str
    space_name: str
    pages_written: int = 0
    attachments_written: int = 0
    bytes_written: int = 0
    pages_dropped: int = 0
    pages_recovered: int = 0
    pages_rendered: int = 0  # rendered in this conversion
    pages_reused: int = 0  # taken from the page cache (convert.cache)
    warnings: list[ConversionWarning] = field(default_factory=list)
    # nodes (and marks, as "<type> (mark)") rendered from the pages' documents, by type (convert.document)
    document_nodes: Counter = field(default_factory=Counter)

    def warn(self, page: str, kind: str, message: str) -> None:
        self.warnings.append(ConversionWarning(page, kind, message))

    def warning_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(w.kind for w in self.warnings).items()))

    def document_node_counts(self) -> dict[str, int]:
        return dict(sorted(self.document_nodes.items()))

    def to_dict(self) -> dict:
        return {
            "space_slug": self.space_slug,
            "space_name": self.space_name,
            "pages_written": self.pages_written,
            "attachments_written": self.attachments_written,
            "bytes_written": self.bytes_written,
            "pages_dropped": self.pages_dropped,
            "pages_recovered": self.pages_recovered,
            "warning_counts": self.warning_counts(),
            "document_nodes": self.document_node_counts(),
            "warnings": [asdict(w) for w in self.warnings],
        }

    def summary(self, *, max_warnings: int = 50) -> str:
        lines = [
            f"Space {self.space_name!r} ({self.space_slug}): {self.pages_written} pages, "
            f"{self.attachments_written} attachments, {self.bytes_written:,} bytes written; "
            f"{self.pages_dropped} dropped, {self.pages_recovered} recovered.",
        ]
        if self.document_nodes:
            restored = ", ".join(f"{kind} {count}" for kind, count in self.document_node_counts().items())
            lines.append(f"Rendered from page documents: {restored}.")
        if self.warnings:
            counts = ", ".join(f"{kind} {count}" for kind, count in self.warning_counts().items())
            lines.append(f"{len(self.warnings)} warnings ({counts}):")
            for w in self.warnings[:max_warnings]:
                where = f"[{w.page}] " if w.page else ""
                lines.append(f"  {w.kind}: {where}{w.message}")
            if len(self.warnings) > max_warnings:
                lines.append(f"  ... and {len(self.warnings) - max_warnings} more")
        else:
            lines.append("No warnings.")
        return "\n".join(lines)
