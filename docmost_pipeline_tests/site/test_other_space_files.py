"""Docmost reached on one address, published on another, pages showing files of other spaces: one real build.

The Docmost test server is reached at http://127.0.0.1:<port> while its page publishes APP_URL
http://localhost:3000 (as the recordings were made). A 한글 문서 page shows a Content Gallery image the way Docmost
exports it (``![alt](files/<attachmentId>/<name>)``, no such entry in the space export) and a file Docmost no
longer has (404). Raw export (the image fetched with the session, the 404 recorded), extraction, conversion with the
discovered public URL, then ``docusaurus build``: the page shows the image from the site's own assets, the gone file
as its alt text (no broken image), and its "Edit this page" link leads to the public address.
"""

from __future__ import annotations

import re

from docmost_pipeline import sitebuild
from docmost_pipeline.convert import convert_space
from docmost_pipeline.docmost import DocmostClient
from docmost_pipeline.docmost.publicurl import resolve_public_url
from docmost_pipeline.emulator import DocmostTestServer
from docmost_pipeline.export.download import download_space
from docmost_pipeline.export.extract import extract_raw_export

SCREENSHOT = "01a20070-3f15-7378-a57d-6332ee89dcc1"  # Content Gallery's screenshot PNG
GONE = "00000000-0000-7000-8000-000000000000"


def test_an_image_of_another_space_is_shown_and_a_gone_file_is_its_alt_text(site_ready, tmp_path):
    with DocmostTestServer() as server, \
            DocmostClient(server.base_url, server.email, server.password, backoff_base=0.01) as client:
        hangul = server.space_by_slug("hangul-docs")
        page = next(p for p in hangul.model.pages.values() if p.slug_id == "6uKvMkOKMN")  # 테스트 한글
        server.link_attachment(page.id, SCREENSHOT, alt="Gallery screenshot")
        server.edit_page(page.id, server.wiki.page(page.id)[1].content
                         + f"\n\n![Gone diagram](files/{GONE}/old-diagram.png)")
        expected = server.space_by_slug("content-gallery").model.attachments[SCREENSHOT].data
        public = resolve_public_url(client)
        space = next(s for s in client.list_spaces() if s.slug == "hangul-docs")
        raw = download_space(client, space, tmp_path / "raw")
        base_url = server.base_url
    assert public.url == "http://localhost:3000" != base_url
    assert [f["attachment_id"] for f in raw.fetched_files] == [SCREENSHOT]
    assert [(f["attachment_id"], f["status"]) for f in raw.missing_files] == [(GONE, 404)]

    export = extract_raw_export(raw.dir, tmp_path / "extract")
    output = tmp_path / "output"
    report = convert_space(export, output / "hangul-docs", space_slug="hangul-docs", space_name="한글 문서",
                           base_url=base_url, public_url=public.url)
    assert [w.kind for w in report.warnings if w.kind == "missing_attachment"] == ["missing_attachment"]

    result = sitebuild.build_site(output, out_dir=tmp_path / "build", site_dir=site_ready)
    summary = result.summary()
    assert result.ok, summary
    assert (result.mdx_errors, result.broken_links, result.broken_markdown_links) == ([], [], []), summary

    html = (result.build_dir / "docs" / "hangul-docs" / "teseuteu-hangeul" / "index.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]*src="([^"]+)"[^>]*alt="([^"]*)"|<img[^>]*alt="([^"]*)"[^>]*src="([^"]+)"', html)
    shown = {(alt_a or alt_b): (src_a or src_b) for src_a, alt_a, alt_b, src_b in images}
    assert set(shown) == {"Gallery screenshot"}, shown  # the gone file is no image at all
    asset = result.build_dir / shown["Gallery screenshot"].lstrip("/")
    assert asset.read_bytes() == expected  # served by the site itself, not by Docmost
    assert "Gone diagram" in re.sub(r"<[^>]+>", "", html) and GONE not in html
    edit = re.search(r'<a href="([^"]+)"[^>]*class="[^"]*theme-edit-this-page', html)
    assert edit and edit.group(1) == "http://localhost:3000/s/hangul-docs/p/6uKvMkOKMN"
    assert base_url not in html
