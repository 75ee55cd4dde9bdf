"""Hostile and broken ZIPs: each is refused with its own message and nothing is written outside the staging dir."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from docmost_pipeline.export import extract as extract_module
from docmost_pipeline.export.extract import ExtractionError, ExtractionLimits, extract_zip
from docmost_pipeline.export.zipsafety import ByteBudget, SafeEntry
from docmost_pipeline_tests.export import hostile_zips
from docmost_pipeline_tests.export.conftest import FIXTURES, listing

SMALL = ExtractionLimits(max_entries=20, max_total_bytes=3 * 1024 * 1024, max_ratio=50, ratio_floor_bytes=64 * 1024)


def _refused(sandbox: Path, zip_path: Path, pattern: str, limits: ExtractionLimits = ExtractionLimits()) -> str:
    """Extract into sandbox/staging/out, expect ExtractionError matching ``pattern``, prove nothing leaked."""
    watched = sandbox.parent
    before = listing(watched)
    dest = sandbox / "staging" / "out"
    with pytest.raises(ExtractionError, match=pattern) as caught:
        extract_zip(zip_path, dest, limits=limits)
    assert listing(watched) == before, "extraction left files behind"
    assert not dest.exists()
    return str(caught.value)


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "pages/../../evil.txt", "Getting Started/../../../evil.txt", "/files/../../evil.txt"],
)
def test_zip_slip_is_refused(sandbox: Path, name: str) -> None:
    zip_path = hostile_zips.zip_slip(sandbox / "inputs" / "slip.zip", name)
    message = _refused(sandbox, zip_path, r"'\.\.' segment \(escapes the export root\)")
    assert repr(name) in message
    assert not (sandbox / "evil.txt").exists() and not (sandbox / "staging" / "evil.txt").exists()


def test_absolute_path_outside_root_is_refused(sandbox: Path) -> None:
    outside = sandbox / "abs-evil.txt"
    zip_path = hostile_zips.absolute_path(sandbox / "inputs" / "abs.zip", str(outside))
    message = _refused(sandbox, zip_path, r"absolute path outside the export root")
    assert str(outside) in message
    assert not outside.exists()


@pytest.mark.parametrize("name", ["/etc/docmost-pipeline-evil", "//server/share/evil.txt", "/filesX/evil.txt"])
def test_other_absolute_names_are_refused(sandbox: Path, name: str) -> None:
    zip_path = hostile_zips.absolute_path(sandbox / "inputs" / "abs.zip", name)
    _refused(sandbox, zip_path, r"absolute path outside the export root")
    assert not Path("/etc/docmost-pipeline-evil").exists()


def test_dotdot_after_leading_slash_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.absolute_path(sandbox / "inputs" / "abs.zip", "/../evil.txt")
    _refused(sandbox, zip_path, r"'/\.\./evil\.txt'.*'\.\.' segment")


@pytest.mark.parametrize("name", ["C:/evil.txt", "C:evil.txt", "c:\\evil.txt"])
def test_drive_letters_are_refused(sandbox: Path, name: str) -> None:
    zip_path = hostile_zips.absolute_path(sandbox / "inputs" / "drive.zip", name)
    _refused(sandbox, zip_path, r"(drive letter|backslash)")


@pytest.mark.parametrize("name", ["..\\evil.txt", "files\\..\\..\\evil.txt", "ok\\name.md"])
def test_backslash_tricks_are_refused(sandbox: Path, name: str) -> None:
    zip_path = hostile_zips.zip_slip(sandbox / "inputs" / "bs.zip", name)
    _refused(sandbox, zip_path, r"backslash in the name")


def test_symlink_entry_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.symlink_entry(sandbox / "inputs" / "link.zip")
    _refused(sandbox, zip_path, r"'link': symbolic link entries are refused")


def test_bomb_by_ratio_is_refused_with_default_limits(sandbox: Path) -> None:
    zip_path = hostile_zips.bomb_by_ratio(sandbox / "inputs" / "ratio.zip", megabytes=8)
    _refused(sandbox, zip_path, r"'zeros\.bin': compression ratio \d+:1 over the limit of 200:1")


def test_bomb_by_total_size_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.bomb_by_total_size(sandbox / "inputs" / "total.zip", entries=4, megabytes_each=1)
    _refused(sandbox, zip_path, r"total uncompressed size passes the limit of 3145728 bytes", SMALL)


def test_too_many_entries_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.too_many_entries(sandbox / "inputs" / "many.zip", 50)
    _refused(sandbox, zip_path, r"52 entries, more than the limit of 20", SMALL)


def test_duplicate_names_are_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.duplicate_names(sandbox / "inputs" / "dup.zip")
    _refused(sandbox, zip_path, r"'Fine\.md': duplicated name in the ZIP")


def test_names_equal_after_normalisation_are_duplicates(sandbox: Path) -> None:
    zip_path = hostile_zips.duplicate_names(sandbox / "inputs" / "dup2.zip", "dir/x.md", "dir//x.md")
    _refused(sandbox, zip_path, r"'dir//x\.md': duplicated name in the ZIP \(same path as 'dir/x\.md'\)")


def test_truncated_zip_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.truncated(sandbox / "inputs" / "cut.zip", FIXTURES / "engineering.zip", 0.5)
    _refused(sandbox, zip_path, r"cut\.zip: truncated or corrupt ZIP \(starts like a ZIP but its central directory")


def test_zip_missing_only_its_last_bytes_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.truncated(sandbox / "inputs" / "cut.zip", FIXTURES / "hangul-docs.zip", 0.999)
    _refused(sandbox, zip_path, r"truncated or corrupt ZIP")


def test_not_a_zip_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.not_a_zip(sandbox / "inputs" / "error.zip")
    _refused(sandbox, zip_path, r"error\.zip: not a ZIP file \(it starts with b'\{\"me'\)")


def test_empty_file_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.not_a_zip(sandbox / "inputs" / "empty.zip", b"")
    _refused(sandbox, zip_path, r"not a ZIP file \(the file is empty\)")


def test_missing_file_is_refused(sandbox: Path) -> None:
    _refused(sandbox, sandbox / "inputs" / "absent.zip", r"absent\.zip: cannot read the export file")


def test_corrupt_crc_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.corrupt_crc(sandbox / "inputs" / "crc.zip")
    _refused(sandbox, zip_path, r"entry 'Page\.md': corrupt ZIP data \(Bad CRC-32")


def test_overlapping_entries_bomb_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.overlapping_entries(sandbox / "inputs" / "overlap.zip")
    _refused(sandbox, zip_path, r"overlapping entries")


def test_header_declaring_a_huge_compressed_size_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.duplicate_names(sandbox / "inputs" / "lie.zip", "a.md", "b.md")
    hostile_zips.patch_central(zip_path, "Fine.md", compress_size=10_000)
    _refused(sandbox, zip_path, r"'Fine\.md': its declared compressed size runs into the next entry")


def test_header_declaring_too_few_bytes_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.bomb_by_total_size(sandbox / "inputs" / "lie.zip", entries=1, megabytes_each=1)
    hostile_zips.patch_central(zip_path, "blob-0.bin", file_size=100)
    _refused(sandbox, zip_path, r"'blob-0\.bin': corrupt ZIP data")


def test_header_declaring_too_many_bytes_is_refused(sandbox: Path) -> None:
    zip_path = hostile_zips.bomb_by_total_size(sandbox / "inputs" / "lie.zip", entries=1, megabytes_each=1)
    hostile_zips.patch_central(zip_path, "blob-0.bin", file_size=2 * 1024 * 1024)
    _refused(sandbox, zip_path, r"'blob-0\.bin': produced 1048576 bytes but declares 2097152")


def test_streamed_bytes_are_counted_whatever_the_headers_say() -> None:
    """The streaming budget stops on real bytes: past the total, past the declared size, past the ratio."""
    limits = ExtractionLimits(max_total_bytes=1000, max_ratio=10, ratio_floor_bytes=100)
    info = zipfile.ZipInfo("x.bin")
    info.file_size, info.compress_size = 500, 400
    entry = SafeEntry(info=info, name="x.bin", path="x.bin", is_dir=False)
    budget = ByteBudget(limits)
    budget.add(entry, 400, 400)
    with pytest.raises(ExtractionError, match=r"'x\.bin': yields more than its declared 500 bytes"):
        budget.add(entry, 600, 200)
    with pytest.raises(ExtractionError, match=r"passes the limit of 1000 bytes while extracting"):
        ByteBudget(limits).add(entry, 400, 1001)
    small = zipfile.ZipInfo("y.bin")
    small.file_size, small.compress_size = 5000, 10
    with pytest.raises(ExtractionError, match=r"'y\.bin': compression ratio 50:1 over the limit of 10:1"):
        ByteBudget(ExtractionLimits(max_ratio=10, ratio_floor_bytes=100)).add(
            SafeEntry(info=small, name="y.bin", path="y.bin", is_dir=False), 500, 500
        )


def test_failure_leaves_an_existing_empty_destination_empty(sandbox: Path) -> None:
    dest = sandbox / "staging" / "out"
    dest.mkdir()
    zip_path = hostile_zips.corrupt_crc(sandbox / "inputs" / "crc.zip")
    with pytest.raises(ExtractionError):
        extract_zip(zip_path, dest)
    assert dest.is_dir() and list(dest.iterdir()) == []


def test_failure_after_pages_were_written_removes_them(sandbox: Path) -> None:
    """A bad entry late in a real export: the pages written before it are removed again."""
    zip_path = hostile_zips.repack(
        FIXTURES / "engineering.zip", sandbox / "inputs" / "late.zip", add=[("zz.bin", b"z" * 200_000)]
    )
    hostile_zips.patch_central(zip_path, "zz.bin", crc=0)
    message = _refused(sandbox, zip_path, r"entry 'zz\.bin': corrupt ZIP data")
    assert "Bad CRC-32" in message


def test_non_empty_destination_is_refused(sandbox: Path) -> None:
    dest = sandbox / "staging" / "out"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(ExtractionError, match=r"destination directory is not empty"):
        extract_zip(FIXTURES / "collisions.zip", dest)
    assert (dest / "keep.txt").read_text() == "mine"


def test_hostile_page_id_in_metadata_is_refused(sandbox: Path) -> None:
    zip_path = sandbox / "inputs" / "meta.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("Page.md", "# Page\n")
        zf.writestr(
            "docmost-metadata.json",
            '{"version": "0.95.0", "pages": {"Page.md": {"pageId": "../../evil", "position": "a0", "parentPath": null}}}',
        )
    _refused(sandbox, zip_path, r"pageId: '\.\./\.\./evil' is not a valid Docmost id")


def test_invalid_metadata_json_is_refused(sandbox: Path) -> None:
    zip_path = sandbox / "inputs" / "meta.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("Page.md", "# Page\n")
        zf.writestr("docmost-metadata.json", "{not json")
    _refused(sandbox, zip_path, r"docmost-metadata\.json is not valid JSON")


def test_module_refuses_without_writing_through_name_derived_paths() -> None:
    """Guard: the extraction module never calls zipfile's extract/extractall (which trust names)."""
    source = Path(extract_module.__file__).read_text() + Path(extract_module.__file__).with_name(
        "zipsafety.py"
    ).read_text()
    assert ".extractall(" not in source and ".extract(" not in source.replace("extractor.extract(", "")


def test_failure_removes_the_directories_it_created(sandbox: Path) -> None:
    zip_path = hostile_zips.corrupt_crc(sandbox / "inputs" / "crc.zip")
    before = listing(sandbox)
    with pytest.raises(ExtractionError):
        extract_zip(zip_path, sandbox / "staging" / "new" / "deeper" / "out")
    assert listing(sandbox) == before
