"""The entry-name rule: Docmost's own odd names are accepted, everything that could escape the root is not."""

from __future__ import annotations

import pytest

from docmost_pipeline.export.zipsafety import ExtractionError, normalize_entry_name

ID = "01a20070-0dfb-73ce-b295-0818dcbbc27b"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (f"/files/{ID}/architecture-overview.png", (f"files/{ID}/architecture-overview.png", False)),
        ("/files/", ("files", True)),
        (f"/files/{ID}/", (f"files/{ID}", True)),
        (f"Gallery Index//files/{ID}/화면_캡처_(설정).png", (f"Gallery Index/files/{ID}/화면_캡처_(설정).png", False)),
        ("Gallery Index//files/", ("Gallery Index/files", True)),
        ("특수문자 & + @ # % = ( ) [ ] '  , ; ! 모음.md", ("특수문자 & + @ # % = ( ) [ ] '  , ; ! 모음.md", False)),
        ("./Getting Started/./macOS.md", ("Getting Started/macOS.md", False)),
        ("a" * 300 + ".md", ("a" * 300 + ".md", False)),
        ("..md", ("..md", False)),  # a name that merely starts with dots is not a '..' segment
    ],
)
def test_docmost_names_are_accepted(name: str, expected: tuple[str, bool]) -> None:
    assert normalize_entry_name(name) == expected


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../x", "'..' segment"),
        ("a/../../x", "'..' segment"),
        ("/../x", "'..' segment"),
        ("/etc/passwd", "absolute path outside the export root"),
        ("//host/share/x", "absolute path outside the export root"),
        ("/", "absolute path outside the export root"),
        ("C:/x", "drive letter"),
        ("C:x", "drive letter"),
        ("a\\..\\x", "backslash"),
        ("a\x00b", "NUL byte"),
        ("", "empty file name"),
        ("./", None),
    ],
)
def test_escaping_names_are_refused(name: str, problem: str | None) -> None:
    if problem is None:  # a directory entry for the root itself is harmless: nothing to write
        assert normalize_entry_name(name) == ("", True)
        return
    with pytest.raises(ExtractionError, match=problem) as caught:
        normalize_entry_name(name)
    assert repr(name) in str(caught.value)
