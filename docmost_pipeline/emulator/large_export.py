"""Generated large space exports, streamed: a valid Docmost-layout ZIP of a requested size, never held in memory.

Used by the fault switch ``add_large_space`` (and so by ``benchmarks/download.py``): the ZIP holds one page
``Big Export.md``, its ``docmost-metadata.json`` and one stored (uncompressed) attachment
``/files/<id>/blob.bin`` padded so that the whole ZIP is about ``size_bytes`` long. The body is produced
chunk by chunk from a repeated 1 MiB block, so the server's memory stays flat whatever the size.
"""

from __future__ import annotations

import json
import random
import zipfile
from collections.abc import Iterator

CHUNK = 1024 * 1024
_BLOCK = random.Random(20261121).randbytes(CHUNK)


class _ChunkSink:
    """A write-only, unseekable stream: zipfile then writes data descriptors, exactly like Docmost's exporter."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def large_export_stream(size_bytes: int, *, page: dict, attachment_id: str,
                        exported_at: str = "2026-11-21T23:29:40.729Z") -> Iterator[bytes]:
    """Yield the bytes of a ZIP of roughly ``size_bytes`` (within a few KiB) for the single page ``page``."""
    markdown = f"# {page['title']}\n\nA generated page whose attachment makes the export large.\n\n" \
               f"[blob.bin](files/{attachment_id}/blob.bin)\n"
    metadata = {
        "exportedAt": exported_at,
        "source": "docmost",
        "version": "0.95.0",
        "pages": {
            "Big%20Export.md": {
                "pageId": page["id"],
                "slugId": page["slugId"],
                "icon": None,
                "position": page["position"],
                "parentPath": None,
                "createdAt": exported_at,
                "updatedAt": exported_at,
            }
        },
    }
    sink = _ChunkSink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        zf.writestr("Big Export.md", markdown.encode("utf-8"))
        zf.writestr("docmost-metadata.json", json.dumps(metadata, indent=2).encode("utf-8"))
        yield sink.take()
        remaining = max(0, size_bytes - 4096)
        info = zipfile.ZipInfo(f"/files/{attachment_id}/blob.bin", date_time=(2026, 11, 21, 23, 29, 40))
        info.compress_type = zipfile.ZIP_STORED
        with zf.open(info, "w", force_zip64=True) as blob:
            while remaining > 0:
                piece = _BLOCK if remaining >= CHUNK else _BLOCK[:remaining]
                blob.write(piece)
                remaining -= len(piece)
                yield sink.take()
    yield sink.take()
