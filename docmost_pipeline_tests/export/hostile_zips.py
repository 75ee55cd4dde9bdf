"""Builders of hostile and broken ZIP files, written at test time (no binary hostile ZIP is committed).

Each builder writes one ZIP to the given path and returns that path. The low-level ``patch_*`` helpers edit
header fields of an existing ZIP in place, which is how "headers that lie" are produced.
"""

from __future__ import annotations

import io
import json
import random
import stat
import struct
import warnings
import zipfile
from pathlib import Path

BENIGN_PAGE = "# Fine\n\nA harmless page.\n"
_METADATA = {
    "exportedAt": "2026-11-21T23:29:40.729Z",
    "source": "docmost",
    "version": "0.95.0",
    "pages": {
        "Fine.md": {
            "pageId": "01a2006f-0000-7000-8000-000000000001",
            "slugId": "FineSlug01",
            "icon": None,
            "position": "a0",
            "parentPath": None,
            "createdAt": "2026-11-21T23:27:49.069Z",
            "updatedAt": "2026-11-21T23:27:52.760Z",
        }
    },
}


def _write(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]], *, benign: bool = True) -> Path:
    """Write a ZIP with a benign Docmost-like page first (so a rejection is about the hostile entry)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which is the point
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            if benign:
                zf.writestr("Fine.md", BENIGN_PAGE)
                zf.writestr("docmost-metadata.json", json.dumps(_METADATA))
            for name, data in entries:
                zf.writestr(name, data)
    return path


def zip_slip(path: Path, name: str = "../evil.txt") -> Path:
    return _write(path, [(name, b"escaped\n")])


def absolute_path(path: Path, name: str) -> Path:
    """An entry whose name is an absolute path (``/etc/x``-like), not Docmost's ``/files/<id>/...`` form."""
    return _write(path, [(name, b"absolute\n")])


def symlink_entry(path: Path, name: str = "link", target: str = "/etc") -> Path:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, so the mode bits in external_attr are meaningful
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _write(path, [(info, target.encode()), ("link/passwd", b"via the link\n")])


def bomb_by_ratio(path: Path, megabytes: int = 8) -> Path:
    """One entry of zeros: DEFLATE shrinks it about 1000:1."""
    return _write(path, [("zeros.bin", b"\0" * (megabytes * 1024 * 1024))])


def bomb_by_total_size(path: Path, entries: int = 4, megabytes_each: int = 1) -> Path:
    """Incompressible entries (ratio 1:1) whose sum passes a total-size limit."""
    rng = random.Random(0)
    return _write(path, [(f"blob-{i}.bin", rng.randbytes(megabytes_each * 1024 * 1024)) for i in range(entries)])


def too_many_entries(path: Path, count: int) -> Path:
    return _write(path, [(f"many/{i}.txt", b"x") for i in range(count)])


def duplicate_names(path: Path, first: str = "Fine.md", second: str = "Fine.md") -> Path:
    return _write(path, [(first, b"# Twin\n"), (second, b"# Twin again\n")])


def truncated(path: Path, source: Path, keep_fraction: float = 0.5) -> Path:
    data = Path(source).read_bytes()
    path.write_bytes(data[: int(len(data) * keep_fraction)])
    return path


def not_a_zip(path: Path, content: bytes = b'{"message":"Unauthorized","statusCode":401}') -> Path:
    path.write_bytes(content)
    return path


def _central_records(data: bytes) -> list[int]:
    offsets, start = [], 0
    while (found := data.find(b"PK\x01\x02", start)) != -1:
        offsets.append(found)
        start = found + 4
    return offsets


def _central_name(data: bytes, offset: int) -> str:
    name_len = struct.unpack_from("<H", data, offset + 28)[0]
    return data[offset + 46 : offset + 46 + name_len].decode("utf-8")


def patch_central(path: Path, entry_name: str, **fields: int) -> Path:
    """Overwrite central-directory fields (crc, compress_size, file_size) of one entry: a header that lies."""
    layout = {"crc": 16, "compress_size": 20, "file_size": 24}
    data = bytearray(path.read_bytes())
    for offset in _central_records(bytes(data)):
        if _central_name(bytes(data), offset) == entry_name:
            for field, value in fields.items():
                struct.pack_into("<I", data, offset + layout[field], value)
            path.write_bytes(bytes(data))
            return path
    raise KeyError(entry_name)


def corrupt_crc(path: Path) -> Path:
    """A stored entry whose data no longer matches its CRC-32."""
    payload = b"# Page\n\n" + b"stored text " * 50
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("Page.md", payload)
    data = bytearray(buffer.getvalue())
    where = bytes(data).find(b"stored text")
    data[where] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def overlapping_entries(path: Path, copies: int = 3) -> Path:
    """Several central-directory records pointing at one local entry (the 'overlapping files' zip bomb)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", b"A" * 10_000)
    data = buffer.getvalue()
    (central,) = _central_records(data)
    eocd = data.rfind(b"PK\x05\x06")
    record = data[central:eocd]
    records = [record]
    for index in range(1, copies):
        renamed = bytearray(record)
        renamed[46:51] = f"{chr(ord('a') + index)}.txt".encode()
        records.append(bytes(renamed))
    body = data[:central]
    directory = b"".join(records)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, copies, copies, len(directory), len(body), 0)
    path.write_bytes(body + directory + end)
    return path


def repack(source: Path, path: Path, *, drop: set[str] = frozenset(), add: list[tuple[str, bytes]] = ()) -> Path:
    """Copy a real export ZIP, leaving out ``drop`` entries and appending ``add`` entries (for layout variants)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename in drop:
                continue
            out.writestr(info, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
        for name, data in add:
            out.writestr(name, data)
    return path
