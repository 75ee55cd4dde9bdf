"""docmost_pipeline.emulator speaks Docmost 0.95: its answers to the recorded requests equal the recorded responses."""

from __future__ import annotations

import contextlib
import json
import zipfile
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from docmost_pipeline.emulator.recordings import API_DIR, RECORDINGS_DIR

INDEX = json.loads((API_DIR / "index.json").read_text(encoding="utf-8"))
JSON_LISTS = [e for e in INDEX if e["status"] == 200 and e["path"] in ("/api/spaces/", "/api/pages/sidebar-pages")]
ERRORS = [e for e in INDEX if e["name"].startswith("error.") and e["name"] != "error.login.rate-limited"]
EXPORTS = [e for e in INDEX if e["name"].startswith("export.")]


@contextlib.contextmanager
def logged_in(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url) as http:
        response = http.post("/api/auth/login", json={"email": server.email, "password": server.password})
        assert response.status_code == 200, response.text
        yield http


def test_every_recorded_list_request_is_recorded(docmost_server):
    assert len(JSON_LISTS) == 50  # guards the selection below: spaces (3) + sidebar (47) recordings


@pytest.mark.parametrize("entry", JSON_LISTS, ids=[e["name"] for e in JSON_LISTS])
def test_list_answers_equal_the_recording_byte_for_byte(docmost_server, entry):
    # The Collisions space was created after the spaces list was recorded.
    docmost_server.hide_space("collisions")
    with logged_in(docmost_server) as http:
        response = http.post(entry["path"], json=entry["request_body"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.content == (RECORDINGS_DIR / entry["body_file"]).read_bytes()


def test_collisions_sidebar_equals_its_recording(docmost_server):
    recorded = (API_DIR / "sidebar.collisions.root.limit-100.page-1.json").read_bytes()
    space_id = json.loads(recorded)["data"]["items"][0]["spaceId"]
    with logged_in(docmost_server) as http:
        response = http.post("/api/pages/sidebar-pages", json={"spaceId": space_id, "limit": 100})
    assert response.content == recorded


@pytest.mark.parametrize("entry", ERRORS, ids=[e["name"] for e in ERRORS])
def test_error_answers_equal_the_recording(docmost_server, entry):
    cookie_less = "no-cookie" in entry["name"] or "login" in entry["name"]
    opened = httpx.Client(base_url=docmost_server.base_url) if cookie_less else logged_in(docmost_server)
    with opened as http:
        if entry["method"] == "GET":  # a file download without the session cookie
            response = http.get(entry["path"])
        elif "request_body_raw" in entry and entry.get("request_body") is None:
            response = http.post(entry["path"], content=entry["request_body_raw"].encode(),
                                 headers={"content-type": "application/json"})
        else:
            response = http.post(entry["path"], json=entry["request_body"])
    assert response.status_code == entry["status"]
    assert response.content == (RECORDINGS_DIR / entry["body_file"]).read_bytes()


def test_eleventh_login_within_the_window_is_rate_limited_like_docmost(docmost_server):
    recorded = json.loads((API_DIR / "error.login.rate-limited.headers.json").read_text(encoding="utf-8"))
    with httpx.Client(base_url=docmost_server.base_url) as http:
        remaining = []
        for _ in range(10):
            response = http.post("/api/auth/login", json={"email": docmost_server.email, "password": "nope"})
            assert response.status_code == 401
            remaining.append(int(response.headers["x-ratelimit-remaining-auth"]))
        response = http.post("/api/auth/login", json={"email": docmost_server.email, "password": docmost_server.password})
    assert remaining == list(range(9, -1, -1))
    assert response.status_code == 429
    assert response.headers["retry-after-auth"] == "60"
    assert response.json() == recorded["body"]


def test_malformed_login_does_not_count_against_the_rate_limit(docmost_server):
    with httpx.Client(base_url=docmost_server.base_url) as http:
        http.post("/api/auth/login", content=b"{", headers={"content-type": "application/json"})
        response = http.post("/api/auth/login", json={"email": docmost_server.email, "password": docmost_server.password})
    assert response.headers["x-ratelimit-remaining-auth"] == "9"


def test_login_sets_the_auth_cookie_like_the_recording(docmost_server):
    with httpx.Client(base_url=docmost_server.base_url) as http:
        response = http.post("/api/auth/login", json={"email": docmost_server.email, "password": docmost_server.password})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("authToken=")
    assert cookie.endswith("; HttpOnly; SameSite=Lax") and "; Path=/; Expires=" in cookie
    assert response.content == (API_DIR / "auth-login.ok.json").read_bytes()


@pytest.mark.parametrize("entry", EXPORTS, ids=[e["name"] for e in EXPORTS])
def test_space_export_is_the_recorded_zip_with_the_recorded_headers(docmost_server, entry):
    recorded = json.loads((RECORDINGS_DIR / entry["headers_file"]).read_text(encoding="utf-8"))
    with logged_in(docmost_server) as http:
        response = http.post(entry["path"], json=entry["request_body"])
    assert response.status_code == 200
    headers = dict((k.lower(), v) for k, v in recorded["headers"])
    for name in ("content-type", "content-disposition", "transfer-encoding", "x-frame-options"):
        assert response.headers[name] == headers[name]
    assert "content-length" not in response.headers
    slug = entry["name"].split(".", 1)[1]
    assert response.content == (RECORDINGS_DIR / f"{slug}.zip").read_bytes()


def test_recorded_page_exports_are_served_byte_for_byte(docmost_server):
    with logged_in(docmost_server) as http:
        for path in sorted(API_DIR.glob("page-export.*.headers.json")):
            recorded = json.loads(path.read_text(encoding="utf-8"))
            response = http.post("/api/pages/export", json=recorded["request"]["body"])
            assert response.status_code == 200
            assert response.content == (RECORDINGS_DIR / recorded["body_file"]).read_bytes(), path.name
            headers = dict((k.lower(), v) for k, v in recorded["headers"])
            assert response.headers["content-type"] == headers["content-type"]
            assert response.headers["content-disposition"] == headers["content-disposition"]


def test_general_space_has_no_pages_and_export_says_so(docmost_server):
    with logged_in(docmost_server) as http:
        spaces = http.post("/api/spaces/", json={}).json()["data"]["items"]
        general = next(s for s in spaces if s["slug"] == "general")
        sidebar = http.post("/api/pages/sidebar-pages", json={"spaceId": general["id"]}).json()
        export = http.post("/api/spaces/export",
                           json={"spaceId": general["id"], "format": "markdown", "includeAttachments": True})
    assert sidebar["data"]["items"] == []
    assert export.status_code == 400
    assert export.json()["message"] == "No accessible pages to export"


def test_pages_without_recorded_sidebar_come_from_the_export_metadata(docmost_server):
    engineering = docmost_server.space_by_slug("engineering")
    by_title = {p["title"]: p for p in engineering.pages.values()}
    assert len(engineering.pages) == 100
    migrations = by_title["Migrations"]
    database = engineering.pages[migrations["parentPageId"]]
    assert database["title"] == "Database" and database["hasChildren"] is True
    assert by_title["RFC-0001: Adopt Docmost"]["parentPageId"] == by_title["RFC Process"]["id"]
    assert len(docmost_server.space_by_slug("hangul-docs").pages) == 34
    assert len(docmost_server.space_by_slug("content-gallery").pages) == 20


def test_control_endpoint_steers_faults_over_http(docmost_server):
    with logged_in(docmost_server) as http:
        control = http.post("/__control__/faults", json={"op": "fail", "path": "/api/spaces/", "times": 1, "status": 502})
        assert control.status_code == 200 and control.json()["ok"] is True
        assert http.post("/api/spaces/", json={}).status_code == 502
        assert http.post("/api/spaces/", json={}).status_code == 200
        unknown = http.post("/__control__/faults", json={"op": "format_disk"})
    assert unknown.status_code == 400 and "unknown fault operation" in unknown.json()["error"]


def test_server_refuses_non_loopback_addresses():
    from docmost_pipeline.emulator import DocmostTestServer

    with pytest.raises(ValueError, match="loopback"):
        DocmostTestServer(host="0.0.0.0")


def test_generated_page_export_includes_only_with_include_attachments(docmost_server):
    import io
    import zipfile

    gallery = docmost_server.space_by_slug("content-gallery")
    diagrams = next(p for p in gallery.pages.values() if p["title"] == "Diagrams")
    body = {"pageId": diagrams["id"], "format": "markdown", "includeChildren": False}
    with logged_in(docmost_server) as http:
        with_files = http.post("/api/pages/export", json=dict(body, includeAttachments=True))
        without = http.post("/api/pages/export", json=dict(body, includeAttachments=False))
    with zipfile.ZipFile(io.BytesIO(with_files.content)) as zf:
        names = zf.namelist()
        svg = zf.read("/files/01a20070-4022-7598-b47e-f9efaae03228/diagram.drawio.svg")
    assert names == ["/files/", "/files/01a20070-4022-7598-b47e-f9efaae03228/",
                     "/files/01a20070-4022-7598-b47e-f9efaae03228/diagram.drawio.svg",
                     "/files/01a20070-4033-7248-8108-4496138fdb8e/",
                     "/files/01a20070-4033-7248-8108-4496138fdb8e/diagram.excalidraw.svg",
                     "Diagrams.md", "docmost-metadata.json"]
    assert svg == gallery.attachment_files["01a20070-4022-7598-b47e-f9efaae03228"]["diagram.drawio.svg"]
    assert without.headers["content-type"] == "application/octet-stream"  # the plain Markdown, no files
    assert "files/01a20070-4022-7598-b47e-f9efaae03228/diagram.drawio.svg" in without.text


# --- Docmost's public address and file downloads (recordings README addendum) ------------------------------------
def test_web_index_equals_the_recording_and_needs_no_session(docmost_server):
    recorded = json.loads((API_DIR / "web-index.headers.json").read_text(encoding="utf-8"))
    response = httpx.get(f"{docmost_server.base_url}/")
    assert response.status_code == 200
    assert response.content == (API_DIR / "web-index.html").read_bytes()
    for name, value in recorded["headers"]:
        if name not in ("Date", "Connection"):
            assert response.headers[name] == value, name
    assert 'window.CONFIG={"ENV":"production","APP_URL":"http://localhost:3000",' in response.text


def test_web_index_publishes_the_configured_app_url_or_no_config():
    from docmost_pipeline.emulator import DocmostTestServer

    with DocmostTestServer(app_url="https://wiki.example.com") as server:
        configured = httpx.get(f"{server.base_url}/").text
        server.set_app_url(None)
        bare = httpx.get(f"{server.base_url}/")
    assert '"APP_URL":"https://wiki.example.com"' in configured
    assert bare.status_code == 200 and "<title>Docmost</title>" in bare.text and "window.CONFIG" not in bare.text


def test_file_download_with_the_session_returns_the_file_like_docmost(docmost_server):
    recorded = json.loads((API_DIR / "files.download.headers.json").read_text(encoding="utf-8"))
    screenshot = "01a20070-3f15-7378-a57d-6332ee89dcc1/screenshot_2026-08-01_at_10.15.00.png"
    korean = "01a20070-3f35-772d-b664-684e42d81d9f/화면_캡처_(설정).png"
    with zipfile.ZipFile(RECORDINGS_DIR / "content-gallery.zip") as zf:
        expected = zf.read(f"Gallery Index//files/{screenshot}")
        expected_korean = zf.read(f"Gallery Index//files/{korean}")
    with logged_in(docmost_server) as http:
        response = http.get(f"/api/files/{screenshot}")
        encoded = http.get("/api/files/" + quote(korean))
        wrong_name = http.get("/api/files/01a20070-3f15-7378-a57d-6332ee89dcc1/other.png")
        unknown = http.get("/api/files/00000000-0000-7000-8000-000000000000/x.png")
    assert response.status_code == 200 and response.content == expected
    names = ("content-type", "cache-control", "accept-ranges", "content-security-policy")
    assert [response.headers[n] for n in names] == [dict(recorded["headers"])[n] for n in names]
    assert int(response.headers["content-length"]) == len(expected)
    assert encoded.status_code == 200 and encoded.content == expected_korean
    assert wrong_name.status_code == 404 and unknown.status_code == 404
    assert httpx.get(f"{docmost_server.base_url}/api/files/{screenshot}").status_code == 401


def test_get_requests_honour_the_fail_and_delay_switches(docmost_server):
    path = "/api/files/01a20070-3f15-7378-a57d-6332ee89dcc1/screenshot_2026-08-01_at_10.15.00.png"
    docmost_server.faults.fail(path, times=1, status=503)
    docmost_server.faults.fail("/", times=1, status=502)
    with logged_in(docmost_server) as http:
        assert [http.get(path).status_code, http.get(path).status_code] == [503, 200]
        assert [http.get("/").status_code, http.get("/").status_code] == [502, 200]
