"""The offline ``docmost-pipeline convert`` command, run as the real console script."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from .conftest import FIXTURES


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "docmost_pipeline.cli", "convert", *args],
                          capture_output=True, text=True, timeout=120)


def test_converts_a_recorded_export(tmp_path):
    out = tmp_path / "content-gallery"
    result = run_cli(str(FIXTURES / "content-gallery.zip"), str(out), "--space-name", "Content Gallery",
                     "--base-url", "http://localhost:3000")
    assert result.returncode == 0, result.stderr
    assert "20 pages, 11 attachments" in result.stdout
    assert "cannot be recovered offline" in result.stdout
    assert (out / "gallery-index" / "index.md").is_file()
    assert "custom_edit_url: 'http://localhost:3000/s/content-gallery/p/" in \
        (out / "gallery-index" / "index.md").read_text(encoding="utf-8")


def test_space_name_defaults_from_the_docmost_download_name(tmp_path):
    zip_path = tmp_path / "Collisions-space-export.zip"
    zip_path.write_bytes((FIXTURES / "collisions.zip").read_bytes())
    result = run_cli(str(zip_path), str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "Space 'Collisions' (collisions): 4 pages" in result.stdout
    assert '"label": "Collisions"' in (tmp_path / "out" / "_category_.json").read_text(encoding="utf-8")


def test_non_empty_out_dir_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    result = run_cli(str(FIXTURES / "collisions.zip"), str(out))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "not empty" in result.stderr
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    result = run_cli(str(FIXTURES / "collisions.zip"), str(out / "mine.txt"))
    assert result.returncode == 2 and "not a directory" in result.stderr
    assert (out / "mine.txt").read_text() == "keep me"


def test_not_a_zip_and_missing_file(tmp_path):
    text = tmp_path / "notes.zip"
    text.write_text("hello")
    result = run_cli(str(text), str(tmp_path / "out"))
    assert result.returncode == 2 and "zip" in result.stderr.lower()
    assert result.stderr.strip().count("\n") == 0
    assert not (tmp_path / "out").exists()
    result = run_cli(str(tmp_path / "absent.zip"), str(tmp_path / "out"))
    assert result.returncode == 2 and "absent.zip" in result.stderr


def test_hostile_zip_is_refused_without_writing(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("docmost-metadata.json", "{}")
        zf.writestr("../escape.md", "# x\n")
    result = run_cli(str(evil), str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert not (tmp_path / "escape.md").exists()
    assert not (tmp_path / "out").exists()


def test_bad_base_url(tmp_path):
    result = run_cli(str(FIXTURES / "collisions.zip"), str(tmp_path / "out"), "--base-url", "localhost")
    assert result.returncode == 2 and "--base-url" in result.stderr


def test_offline_a_file_of_another_space_is_reported_and_shown_as_its_alt_text(tmp_path):
    # Offline there is no Docmost to fetch it from: the export has the reference but not the file.
    from docmost_pipeline.emulator import DocmostTestServer

    with DocmostTestServer() as server:  # its model and exporter make the export Docmost would give
        engineering = server.space_by_slug("engineering").model
        glossary = next(p.id for p in engineering.pages.values() if p.title == "Glossary")
        server.link_attachment(glossary, "01a20070-3f15-7378-a57d-6332ee89dcc1", alt="Gallery screenshot")
        data, _ = server.exporter.space_zip(engineering)
    zip_path = tmp_path / "Engineering-space-export.zip"
    zip_path.write_bytes(data)
    result = run_cli(str(zip_path), str(tmp_path / "out"), "--base-url", "http://localhost:3000")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("missing_attachment:"))
    assert "[glossary.md] 'files/01a20070-3f15-7378-a57d-6332ee89dcc1/screenshot_2026-08-01_at_10.15.00.png': " \
           "attachment not in the export and not fetched from Docmost" in line
    body = (tmp_path / "out" / "glossary.md").read_text(encoding="utf-8")
    assert body.rstrip().endswith("Gallery screenshot") and "![" not in body.split("---", 2)[2][-200:]
