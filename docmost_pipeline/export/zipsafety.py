"""Reading an untrusted ZIP without trusting it: entry-name rules, zip-bomb limits and streamed copying.

This module owns the safety checks of export extraction. Nothing here turns an entry name into a filesystem
path: names are only validated and normalised to a tuple of segments, and the caller decides where (inside its
own output directory) the bytes go. The page/attachment logic lives in ``extract.py``.

Entry-name rule (documented in docs/export.md):

* a backslash, a NUL byte, a drive letter (``C:``) or a ``..`` segment anywhere -> rejected;
* a leading ``/`` is accepted only in Docmost's attachment form ``/files/<id>/...`` (and its directory entries);
  any other absolute name (``/etc/x``, ``//host/share``, ``/../x``) -> rejected;
* doubled slashes inside a name (``Gallery Index//files/...``, written by Docmost) collapse to one; ``.``
  segments are dropped. The normalised name is what the rest of the pipeline calls the entry's path.
"""

from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

COPY_CHUNK = 1024 * 1024
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_HEADER_MAGIC = b"PK\x03\x04"
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")


class ExtractionError(ValueError):
    """The export cannot be extracted safely; the message names the problem and the entry."""


@dataclass(frozen=True)
class ExtractionLimits:
    """Limits that stop a hostile or broken ZIP before it fills the disk.

    ``max_ratio`` applies to every entry whose uncompressed size is at least ``ratio_floor_bytes`` (small text
    files legitimately compress 20:1 and more) and to the archive as a whole. Real Docmost exports stay under
    13:1 (see the recordings), so the default of 200 leaves a wide margin.
    """

    max_entries: int = 100_000
    max_total_bytes: int = 10 * 1024**3
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class SafeEntry:
    """One validated ZIP entry: ``path`` is the normalised name (segments joined by ``/``, no leading slash)."""

    info: zipfile.ZipInfo
    name: str
    path: str
    is_dir: bool

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.path.split("/")) if self.path else ()


def _decoded_name(info: zipfile.ZipInfo) -> str:
    """The entry name as its author meant it.

    zipfile decodes names without the UTF-8 flag as cp437; some tools write UTF-8 without setting the flag, so
    such a name is re-decoded as UTF-8 when that works.
    """
    name = info.filename
    if not info.flag_bits & 0x800 and not name.isascii():
        try:
            return name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return name
    return name


def normalize_entry_name(name: str) -> tuple[str, bool]:
    """Return (normalised path, is_directory) for an entry name, or raise ExtractionError naming the problem."""
    if "\x00" in name:
        raise ExtractionError(f"entry {name!r}: NUL byte in the name")
    if "\\" in name:
        raise ExtractionError(f"entry {name!r}: backslash in the name (path trick; refused)")
    if _DRIVE_LETTER.match(name):
        raise ExtractionError(f"entry {name!r}: drive letter in the name (escapes the export root)")
    is_dir = name.endswith("/")
    segments = name.rstrip("/").split("/") if name.strip("/") else []
    if ".." in segments:
        raise ExtractionError(f"entry {name!r}: '..' segment (escapes the export root)")
    if name.startswith("/"):
        # Docmost writes attachments as "<folder>" + "/files/<id>/<name>", so a root-level page's attachment
        # starts with "/files/". Any other absolute name points outside the export.
        if len(segments) < 2 or segments[1] != "files":
            raise ExtractionError(f"entry {name!r}: absolute path outside the export root")
    kept = [s for s in segments if s not in ("", ".")]
    if not kept and not is_dir:
        raise ExtractionError(f"entry {name!r}: empty file name")
    return "/".join(kept), is_dir


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode)


def open_zip(zip_path: Path, limits: ExtractionLimits) -> zipfile.ZipFile:
    """Open ``zip_path`` or raise ExtractionError telling a non-ZIP from a truncated or corrupt one.

    The entry count is checked from the end record first, so a ZIP claiming millions of entries is refused
    before zipfile builds an object for each of them.
    """
    zip_path = Path(zip_path)
    try:
        with zip_path.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ExtractionError(f"{zip_path}: cannot read the export file: {exc.strerror or exc}") from None
    if not head:
        raise ExtractionError(f"{zip_path}: not a ZIP file (the file is empty)")
    declared = _declared_entry_count(zip_path)
    if declared is not None and declared > limits.max_entries:
        raise ExtractionError(
            f"{zip_path.name}: {declared} entries, more than the limit of {limits.max_entries}"
        )
    try:
        return zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as exc:
        if head == _LOCAL_HEADER_MAGIC:
            raise ExtractionError(
                f"{zip_path}: truncated or corrupt ZIP (starts like a ZIP but its central directory is "
                f"missing or broken: {exc})"
            ) from None
        raise ExtractionError(f"{zip_path}: not a ZIP file (it starts with {head!r})") from None
    except (OSError, EOFError, ValueError, struct.error) as exc:
        raise ExtractionError(f"{zip_path}: truncated or corrupt ZIP ({exc})") from None


def _declared_entry_count(zip_path: Path) -> int | None:
    """Entry count from the end-of-central-directory record, read before zipfile parses every entry."""
    try:
        with Path(zip_path).open("rb") as fh:
            endrec = zipfile._EndRecData(fh)  # stable private helper; only used as an early guard
    except (OSError, AttributeError, struct.error):
        return None
    if not endrec:
        return None
    return int(endrec[zipfile._ECD_ENTRIES_TOTAL])


def _local_data_start(fh: IO[bytes], info: zipfile.ZipInfo, label: str) -> int:
    fh.seek(info.header_offset)
    raw = fh.read(_LOCAL_HEADER.size)
    if len(raw) != _LOCAL_HEADER.size or raw[:4] != _LOCAL_HEADER_MAGIC:
        raise ExtractionError(f"entry {label!r}: truncated or corrupt ZIP (bad local header)")
    fields = _LOCAL_HEADER.unpack(raw)
    return info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10]


def scan_zip(zf: zipfile.ZipFile, zip_path: Path, limits: ExtractionLimits) -> list[SafeEntry]:
    """Validate every entry from the central directory before anything is written.

    Checks names, symlinks, duplicates, encryption, entry count, declared total size and ratios, and that the
    declared compressed extents neither overlap nor run past the central directory (headers that lie about
    their sizes are how overlapping-entry zip bombs work).
    """
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise ExtractionError(
            f"{zip_path.name}: {len(infos)} entries, more than the limit of {limits.max_entries}"
        )
    entries: list[SafeEntry] = []
    seen_raw: set[str] = set()
    seen_files: dict[str, str] = {}
    total = 0
    for info in infos:
        name = _decoded_name(info)
        path, is_dir = normalize_entry_name(name)
        if _is_symlink(info):
            raise ExtractionError(f"entry {name!r}: symbolic link entries are refused")
        if info.flag_bits & 0x1:
            raise ExtractionError(f"entry {name!r}: encrypted entries are not supported")
        if name in seen_raw:
            raise ExtractionError(f"entry {name!r}: duplicated name in the ZIP")
        seen_raw.add(name)
        if not is_dir:
            if path in seen_files:
                raise ExtractionError(
                    f"entry {name!r}: duplicated name in the ZIP (same path as {seen_files[path]!r})"
                )
            seen_files[path] = name
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ExtractionError(
                f"entry {name!r}: total uncompressed size passes the limit of {limits.max_total_bytes} bytes "
                f"(zip bomb?)"
            )
        if info.file_size >= limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise ExtractionError(
                    f"entry {name!r}: compression ratio {ratio:.0f}:1 over the limit of {limits.max_ratio:.0f}:1 "
                    f"(zip bomb?)"
                )
        entries.append(SafeEntry(info=info, name=name, path=path, is_dir=is_dir))

    archive_size = Path(zip_path).stat().st_size
    if total >= limits.ratio_floor_bytes and total / max(archive_size, 1) > limits.max_ratio:
        raise ExtractionError(
            f"{zip_path.name}: archive compression ratio {total / max(archive_size, 1):.0f}:1 over the limit of "
            f"{limits.max_ratio:.0f}:1 (zip bomb?)"
        )
    _check_extents(zf, zip_path, entries, archive_size)
    return entries


def _check_extents(zf: zipfile.ZipFile, zip_path: Path, entries: list[SafeEntry], archive_size: int) -> None:
    with_data = sorted(entries, key=lambda e: e.info.header_offset)
    central_dir_start = getattr(zf, "start_dir", archive_size)
    fh = zf.fp
    assert fh is not None
    for index, entry in enumerate(with_data):
        start = _local_data_start(fh, entry.info, entry.name)
        end = start + entry.info.compress_size
        limit = with_data[index + 1].info.header_offset if index + 1 < len(with_data) else central_dir_start
        if end > limit:
            raise ExtractionError(
                f"entry {entry.name!r}: its declared compressed size runs into the next entry or the central "
                f"directory (overlapping entries: zip bomb or corrupt ZIP)"
            )


class ByteBudget:
    """Counts the bytes really produced while streaming, whatever the headers declared."""

    def __init__(self, limits: ExtractionLimits) -> None:
        self.limits = limits
        self.total = 0

    def add(self, entry: SafeEntry, produced_in_entry: int, chunk: int) -> None:
        self.total += chunk
        if self.total > self.limits.max_total_bytes:
            raise ExtractionError(
                f"entry {entry.name!r}: uncompressed data passes the limit of {self.limits.max_total_bytes} bytes "
                f"while extracting (zip bomb?)"
            )
        if produced_in_entry > entry.info.file_size:
            raise ExtractionError(
                f"entry {entry.name!r}: yields more than its declared {entry.info.file_size} bytes (lying header)"
            )
        if produced_in_entry >= self.limits.ratio_floor_bytes:
            ratio = produced_in_entry / max(entry.info.compress_size, 1)
            if ratio > self.limits.max_ratio:
                raise ExtractionError(
                    f"entry {entry.name!r}: compression ratio {ratio:.0f}:1 over the limit of "
                    f"{self.limits.max_ratio:.0f}:1 while extracting (zip bomb?)"
                )


def copy_entry(zf: zipfile.ZipFile, entry: SafeEntry, target: IO[bytes] | None, budget: ByteBudget) -> int:
    """Stream one entry into ``target`` (or nowhere, to verify it) and return the number of bytes.

    CRC errors, corrupt DEFLATE data and early ends surface as ExtractionError naming the entry.
    """
    produced = 0
    try:
        with zf.open(entry.info) as src:
            while True:
                chunk = src.read(COPY_CHUNK)
                if not chunk:
                    break
                produced += len(chunk)
                budget.add(entry, produced, len(chunk))
                if target is not None:
                    target.write(chunk)
    except ExtractionError:
        raise
    except zipfile.BadZipFile as exc:
        raise ExtractionError(f"entry {entry.name!r}: corrupt ZIP data ({exc})") from None
    except (zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise ExtractionError(f"entry {entry.name!r}: corrupt or truncated ZIP data ({exc})") from None
    if produced != entry.info.file_size:
        raise ExtractionError(
            f"entry {entry.name!r}: produced {produced} bytes but declares {entry.info.file_size} (corrupt ZIP)"
        )
    return produced
