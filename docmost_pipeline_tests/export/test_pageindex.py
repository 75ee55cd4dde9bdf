"""The attachment references of a page's Markdown (pageindex.file_references): what the raw export fetches when no
ZIP holds the file."""

from __future__ import annotations

from docmost_pipeline.export.pageindex import file_references

A = "01a20070-3f35-772d-b664-684e42d81d9f"
B = "01a20070-0dfb-73ce-b295-0818dcbbc27b"


def test_every_form_the_converter_resolves_as_an_attachment():
    markdown = (
        # parentheses balance inside the destination
        f"# Page\n\n![한글 파일 이름](files/{A}/화면_캡처_(설정).png)"
        f" and [pdf](files/{B}/보고서_2026_%28최종%29__1.pdf)\n\n"
        f"![diagram](/files/{B}/diagram.drawio.svg?t=1795303673376)\n"
        f"[server path](/api/files/{B}/architecture-overview.png)\n"
        f"![angle](<files/{B}/with space.png>)\n"
        f"![escaped](files/{B}/a\\_b.png \"title\")\n"
        f'<img src="files/{B}/from-html.png" /> <a href=\'files/{B}/doc&amp;x.pdf\'>doc</a>\n'
        f"![ ](\n  files/{B}/next-line.png)\n"
    )
    assert file_references(markdown) == sorted([
        f"{A}/화면_캡처_(설정).png",
        f"{B}/보고서_2026_(최종)__1.pdf",
        f"{B}/diagram.drawio.svg",
        f"{B}/architecture-overview.png",
        f"{B}/with space.png",
        f"{B}/a_b.png",
        f"{B}/from-html.png",
        f"{B}/doc&x.pdf",
        f"{B}/next-line.png",
    ])


def test_absolute_urls_other_links_and_ids_that_are_not_docmost_ids_are_not_references():
    markdown = (
        f"[abs](http://localhost:3000/api/files/{A}/x.png) [proto](//cdn.example.com/files/{A}/y.png)\n"
        "[bad id](files/not-an-id/x.png) [page](Getting%20Started.md) [ext](https://example.com/files/a/b)\n"
        f"[no name](files/{A}/) files/{A}/bare-text.png\n"
    )
    assert file_references(markdown) == []
