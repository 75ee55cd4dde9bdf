"""``make run``'s static server of the live website, over real HTTP on 127.0.0.1 and a live path switched like the
publisher switches it (a symlink replaced in one rename)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from docmost_pipeline.siteserver import start_site_server
from docmost_pipeline_tests.dagster_support import free_port


def make_version(root: Path, name: str, marker: str) -> Path:
    version = root / ".versions" / "live" / name
    (version / "docs" / "page").mkdir(parents=True)
    (version / "docs" / "empty").mkdir()
    (version / "index.html").write_text(f"<html>home {marker}</html>", encoding="utf-8")
    (version / "docs" / "page" / "index.html").write_text(f"<html>page {marker}</html>", encoding="utf-8")
    (version / "404.html").write_text("<html>the site's own Page Not Found</html>", encoding="utf-8")
    (version / "_publish.json").write_text('{"host": "build-host", "pid": 1}', encoding="utf-8")
    return version


def switch(root: Path, name: str) -> None:
    temporary = root / ".link"
    os.symlink(f".versions/live/{name}", temporary)
    os.replace(temporary, root / "live")


def test_serves_the_live_site_like_a_static_web_server_and_follows_switches(tmp_path):
    port = free_port()
    server = start_site_server(tmp_path / "live", port=port)
    base = f"http://127.0.0.1:{port}"
    try:
        waiting = httpx.get(f"{base}/")
        assert waiting.status_code == 503 and "not been built yet" in waiting.text

        make_version(tmp_path, "v1", "one")
        switch(tmp_path, "v1")
        assert httpx.get(f"{base}/").text == "<html>home one</html>"
        moved = httpx.get(f"{base}/docs/page")
        assert moved.status_code == 301 and moved.headers["location"] == "/docs/page/"
        assert httpx.get(f"{base}/docs/page/").text == "<html>page one</html>"
        for missing in ("/docs/nothing/", "/docs/empty/", "/_publish.json", "/docs/../_publish.json"):
            response = httpx.get(f"{base}{missing}")
            assert response.status_code == 404, missing
            assert "the site's own Page Not Found" in response.text and "build-host" not in response.text

        make_version(tmp_path, "v2", "two")
        switch(tmp_path, "v2")
        assert httpx.get(f"{base}/docs/page/").text == "<html>page two</html>"
    finally:
        server.shutdown()
        server.server_close()
