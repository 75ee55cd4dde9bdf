"""DocmostClient against the project's Docmost test server over real sockets (no mocking of httpx)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zipfile

import httpx
import pytest

from docmost_pipeline.docmost import client as client_module
from docmost_pipeline.docmost import (
    DocmostAuthError,
    DocmostBadExport,
    DocmostClient,
    DocmostEmptySpace,
    DocmostError,
    DocmostExportTooLarge,
    DocmostNotFound,
    DocmostUnavailable,
)
from docmost_pipeline.emulator.recordings import RECORDINGS_DIR

SPACES = "/api/spaces/"
SIDEBAR = "/api/pages/sidebar-pages"
EXPORT = "/api/spaces/export"
LOGIN = "/api/auth/login"


def make_client(server, **kwargs) -> DocmostClient:
    kwargs.setdefault("backoff_base", 0.01)
    return DocmostClient(server.base_url, server.email, server.password, **kwargs)


def space_id(client: DocmostClient, slug: str) -> str:
    return next(s.id for s in client.list_spaces() if s.slug == slug)


# --- completeness ------------------------------------------------------------------------------------------
def test_lists_every_space(docmost_server):
    with make_client(docmost_server) as client:
        spaces = client.list_spaces()
    assert [s.slug for s in spaces] == ["collisions", "content-gallery", "engineering", "general", "hangul-docs"]
    assert next(s for s in spaces if s.slug == "hangul-docs").name == "한글 문서"


def test_every_page_of_every_recorded_space_is_retrieved(docmost_server):
    with make_client(docmost_server) as client:
        trees = {s.slug: client.list_pages(s.id) for s in client.list_spaces()}
    engineering = trees["engineering"]
    assert len(engineering) == 100
    assert len({p.id for p in engineering}) == 100
    assert sum(1 for p in engineering if p.parent_page_id is None) == 45
    api_reference = next(p for p in engineering if p.title == "API Reference")
    assert sum(1 for p in engineering if p.parent_page_id == api_reference.id) == 30
    assert len(trees["hangul-docs"]) == 34
    assert len(trees["content-gallery"]) == 20
    assert len(trees["collisions"]) == 7
    assert trees["general"] == []
    # Titles exactly as stored: None, "" and trailing spaces survive.
    hangul_titles = [p.title for p in trees["hangul-docs"]]
    assert None in hangul_titles and "" in hangul_titles and "끝에 공백이 있는 제목   " in hangul_titles
    # Depth first: every parent comes before its children.
    seen: set[str] = set()
    for page in engineering:
        assert page.parent_page_id is None or page.parent_page_id in seen
        seen.add(page.id)


def test_pages_after_the_twentieth_are_followed_at_small_page_sizes(docmost_server, monkeypatch):
    with make_client(docmost_server) as client:
        engineering = space_id(client, "engineering")
        monkeypatch.setattr(client_module, "PAGE_SIZE", 5)
        docmost_server.clear_requests()
        pages = client.list_pages(engineering)
    assert len(pages) == 100
    # 9 root requests at limit 5 as recorded, 6 for API Reference's 30 children, plus the other parents.
    assert docmost_server.count(SIDEBAR) > 15


def test_spaces_pagination_with_limit_2(docmost_server, monkeypatch):
    with make_client(docmost_server) as client:
        monkeypatch.setattr(client_module, "PAGE_SIZE", 2)
        slugs = [s.slug for s in client.list_spaces()]
    assert slugs == ["collisions", "content-gallery", "engineering", "general", "hangul-docs"]
    assert docmost_server.count(SPACES, 200) == 3


def test_legacy_page_number_pagination(docmost_server, monkeypatch):
    docmost_server.faults.set_legacy_pagination(True)
    with make_client(docmost_server) as client:
        monkeypatch.setattr(client_module, "PAGE_SIZE", 2)
        spaces = client.list_spaces()
        monkeypatch.setattr(client_module, "PAGE_SIZE", 7)
        pages = client.list_pages(next(s.id for s in spaces if s.slug == "engineering"))
    assert len(spaces) == 5
    assert len(pages) == 100


# --- sessions and the auth rate limit ------------------------------------------------------------------------
def test_logs_in_once_and_reuses_the_session(docmost_server):
    with make_client(docmost_server) as client:
        for space in client.list_spaces():
            client.list_pages(space.id)
    assert client.login_count == 1
    assert docmost_server.count(LOGIN) == 1


def test_sync_of_30_spaces_never_trips_the_auth_rate_limit(docmost_server, tmp_path):
    docmost_server.clone_spaces(30)
    with make_client(docmost_server) as client:
        spaces = client.list_spaces()
        assert len(spaces) == 35
        for space in spaces:
            client.list_pages(space.id)
            try:
                client.export_space(space.id, tmp_path / f"{space.slug}.zip")
            except DocmostEmptySpace:
                assert space.slug == "general"
    assert client.login_count == 1
    assert docmost_server.count(LOGIN) == 1
    assert not any(r.status == 429 for r in docmost_server.requests)


def test_relogin_once_when_the_session_expires_mid_run(docmost_server):
    with make_client(docmost_server) as client:
        engineering = space_id(client, "engineering")
        docmost_server.faults.expire_sessions_after(3)
        pages = client.list_pages(engineering)
    assert len(pages) == 100
    assert client.login_count == 2
    assert docmost_server.count(SIDEBAR, 401) == 1


def test_a_session_rejected_again_after_the_fresh_login_is_an_auth_error(docmost_server):
    with make_client(docmost_server) as client:
        client.login()
        docmost_server.faults.fail(SPACES, times=2, status=401)  # 401 before and after the fresh login
        with pytest.raises(DocmostAuthError, match="session rejected again right after a fresh login") as caught:
            client.list_spaces()
    assert caught.value.status == 401
    assert client.login_count == 2  # exactly one fresh login, then no more
    assert docmost_server.count(SPACES, 401) == 2 and docmost_server.count(SPACES) == 2


def test_wrong_password_is_an_auth_error_and_never_retried(docmost_server):
    client = make_client(docmost_server)  # still holds the old password
    docmost_server.set_password("rotated-on-the-server")
    with client, pytest.raises(DocmostAuthError) as caught:
        client.list_spaces()
    assert client.login_count == 1
    assert docmost_server.count(LOGIN) == 1
    assert caught.value.status == 401
    assert "POST /api/auth/login" in str(caught.value)
    assert "Email or password does not match" in str(caught.value)


def test_login_429_waits_as_retry_after_auth_says(docmost_server):
    docmost_server.set_auth_rate_limit(window_seconds=1.0, limit=2)
    with httpx.Client(base_url=docmost_server.base_url) as http:
        for _ in range(3):  # the third one opens a 1 s block
            http.post(LOGIN, json={"email": docmost_server.email, "password": "wrong"})
    started = time.monotonic()
    with make_client(docmost_server) as client:
        client.list_spaces()
    waited = time.monotonic() - started
    assert client.login_count == 2
    assert docmost_server.count(LOGIN, 429) == 2  # the one above and the client's first try
    assert waited >= 0.9


# --- retries -------------------------------------------------------------------------------------------------
def test_retries_5xx_then_succeeds(docmost_server):
    docmost_server.faults.fail(SPACES, times=2, status=503)
    with make_client(docmost_server) as client:
        assert len(client.list_spaces()) == 5
    assert [r.status for r in docmost_server.requests if r.path == SPACES] == [503, 503, 200]


def test_backoff_grows_exponentially(docmost_server):
    docmost_server.faults.fail(SPACES, times=3, status=500)
    started = time.monotonic()
    with make_client(docmost_server, backoff_base=0.1) as client:
        client.list_spaces()
    # 0.1 + 0.2 + 0.4 without jitter; the jitter adds at most 0.1 per retry
    assert 0.7 <= time.monotonic() - started < 2.0


def test_gives_up_after_the_configured_retries(docmost_server):
    docmost_server.faults.fail(SPACES, times=10, status=502)
    with make_client(docmost_server, retries=2) as client, pytest.raises(DocmostUnavailable) as caught:
        client.list_spaces()
    assert docmost_server.count(SPACES, 502) == 3
    assert caught.value.status == 502
    assert "POST /api/spaces/" in str(caught.value) and "502" in str(caught.value)


def test_429_with_retry_after_is_honoured(docmost_server):
    docmost_server.faults.rate_limit(SPACES, times=1, retry_after=0.6)
    started = time.monotonic()
    with make_client(docmost_server) as client:
        client.login()
        client.list_spaces()
    assert time.monotonic() - started >= 0.6
    assert [r.status for r in docmost_server.requests if r.path == SPACES] == [429, 200]


def test_slow_response_times_out_and_is_retried(docmost_server):
    docmost_server.faults.delay(SPACES, 1.5, times=1)
    with make_client(docmost_server, read_timeout=0.3) as client:
        assert len(client.list_spaces()) == 5


def test_connection_refused_is_retried_then_unavailable():
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = DocmostClient(f"http://127.0.0.1:{port}", "a@example.com", "pw", retries=1, backoff_base=0.01)
    with client, pytest.raises(DocmostUnavailable, match="POST /api/auth/login.*ConnectError"):
        client.list_spaces()
    assert client.login_count == 2


# --- errors ---------------------------------------------------------------------------------------------------
def test_errors_name_endpoint_status_and_docmost_message(docmost_server, monkeypatch, tmp_path):
    with make_client(docmost_server) as client:
        with pytest.raises(DocmostNotFound) as missing:
            client.export_space("01a20071-e23b-7000-8000-0000deadbeef", tmp_path / "x.zip")
        monkeypatch.setattr(client_module, "PAGE_SIZE", 101)
        with pytest.raises(DocmostError) as invalid:
            client.list_spaces()
    assert str(missing.value).startswith("POST /api/spaces/export failed (HTTP 404)")
    assert missing.value.docmost_message == "Space permissions not found"
    assert invalid.value.status == 400
    assert invalid.value.docmost_message == "limit must not be greater than 100"  # Docmost sent a list
    assert not (tmp_path / "x.zip").exists() and not list(tmp_path.iterdir())


def test_empty_space_export_is_its_own_error(docmost_server, tmp_path):
    with make_client(docmost_server) as client, pytest.raises(DocmostEmptySpace):
        client.export_space(space_id(client, "general"), tmp_path / "general.zip")


# --- exports -------------------------------------------------------------------------------------------------
def test_export_is_streamed_to_file_with_size_and_hash(docmost_server, tmp_path):
    import hashlib

    with make_client(docmost_server) as client:
        download = client.export_space(space_id(client, "engineering"), tmp_path / "engineering.zip")
    recorded = (RECORDINGS_DIR / "engineering.zip").read_bytes()
    assert download.path.read_bytes() == recorded
    assert download.bytes == len(recorded)
    assert download.sha256 == hashlib.sha256(recorded).hexdigest()
    assert download.seconds >= 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["engineering.zip"]


def test_export_larger_than_the_maximum_is_refused(docmost_server, tmp_path):
    with make_client(docmost_server, max_export_bytes=10_000) as client:
        with pytest.raises(DocmostExportTooLarge, match="maximum of 10000 bytes"):
            client.export_space(space_id(client, "engineering"), tmp_path / "e.zip")
    assert list(tmp_path.iterdir()) == []
    assert docmost_server.count(EXPORT) == 1  # not retried


def wait_for_declared_length_responses(server, count: int, timeout: float = 10.0) -> list:
    """The server logs a declare_length response once it is done with it (after the client closed, say)."""
    deadline = time.monotonic() + timeout
    while len(server.faults.declared_length_responses) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return list(server.faults.declared_length_responses)


def test_declared_content_length_over_the_maximum_is_refused_before_the_body(docmost_server, caplog, tmp_path):
    # 10 GiB declared, 1000 bytes sent, then the server holds the connection for 30 s: a client that read the
    # body (or waited for it) would hang until its 60 s read timeout.
    caplog.set_level(logging.DEBUG)
    docmost_server.faults.declare_length(EXPORT, length=10 * 1024**3, send_bytes=1000, hold_seconds=30)
    with make_client(docmost_server, max_export_bytes=10_000, read_timeout=60) as client:
        engineering = space_id(client, "engineering")
        cookies = set(docmost_server._sessions)
        started = time.monotonic()
        with pytest.raises(DocmostExportTooLarge) as caught:
            client.export_space(engineering, tmp_path / "e.zip")
        elapsed = time.monotonic() - started
    message = str(caught.value)
    assert message == ("POST /api/spaces/export failed (HTTP 200) (Content-Length declares 10737418240 bytes, "
                       "more than the maximum of 10000 bytes; refused before downloading)")
    assert elapsed < 5
    [response] = wait_for_declared_length_responses(docmost_server, 1)
    assert response.declared == 10 * 1024**3 and response.sent == 1000
    assert response.client_closed and response.closed_after_seconds < 5  # the client hung up, not the server
    assert list(tmp_path.iterdir()) == []  # no e.zip, no e.zip.part
    assert docmost_server.count(EXPORT) == 1  # never retried
    for secret in [docmost_server.password, *cookies]:
        assert secret not in message and secret not in caplog.text


def test_true_content_length_over_the_maximum_stops_the_transfer(docmost_server, tmp_path):
    large = docmost_server.add_large_space(64 * 1024**2)
    docmost_server.faults.declare_length(EXPORT, length=64 * 1024**2, hold_seconds=30)
    with make_client(docmost_server, max_export_bytes=1024**2, read_timeout=60) as client:
        started = time.monotonic()
        with pytest.raises(DocmostExportTooLarge, match=r"declares 67108864 bytes, more than the maximum of 1048576"):
            client.export_space(large["id"], tmp_path / "large.zip")
        elapsed = time.monotonic() - started
    [response] = wait_for_declared_length_responses(docmost_server, 1)
    assert elapsed < 5 and response.client_closed
    # The server's writes fail once the client hangs up: at most what loopback socket buffers absorb went out.
    assert response.sent < 8 * 1024**2
    assert list(tmp_path.iterdir()) == []


def test_export_with_a_true_content_length_downloads_whole(docmost_server, tmp_path):
    docmost_server.faults.declare_length(EXPORT)
    with make_client(docmost_server) as client:
        download = client.export_space(space_id(client, "engineering"), tmp_path / "e.zip")
    recorded = (RECORDINGS_DIR / "engineering.zip").read_bytes()
    assert download.path.read_bytes() == recorded
    [response] = wait_for_declared_length_responses(docmost_server, 1)
    assert response.declared == response.sent == len(recorded)


def test_body_shorter_than_its_content_length_is_an_interrupted_download(docmost_server, tmp_path):
    docmost_server.faults.declare_length(EXPORT, send_bytes=20_000, times=1)
    with make_client(docmost_server) as client:
        engineering = space_id(client, "engineering")
        download = client.export_space(engineering, tmp_path / "ok.zip")
        assert download.path.read_bytes() == (RECORDINGS_DIR / "engineering.zip").read_bytes()
        assert docmost_server.count(EXPORT) == 2  # the short body was retried
        docmost_server.faults.declare_length(EXPORT, send_bytes=20_000, times=10)
        with pytest.raises(DocmostUnavailable, match=r"received 20000 bytes, expected 75870\); gave up after 4"):
            client.export_space(engineering, tmp_path / "short.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.zip"]


def test_connection_reset_mid_download_is_retried(docmost_server, tmp_path):
    docmost_server.faults.reset_connection(EXPORT, after_bytes=20_000, times=1)
    with make_client(docmost_server) as client:
        download = client.export_space(space_id(client, "engineering"), tmp_path / "e.zip")
    assert download.path.read_bytes() == (RECORDINGS_DIR / "engineering.zip").read_bytes()
    assert docmost_server.count(EXPORT) == 2


def test_connection_reset_every_time_gives_a_clear_error(docmost_server, tmp_path):
    docmost_server.faults.reset_connection(EXPORT, after_bytes=20_000, times=10)
    with make_client(docmost_server, retries=2) as client:
        with pytest.raises(DocmostUnavailable, match=r"POST /api/spaces/export failed \(no response\)"):
            client.export_space(space_id(client, "engineering"), tmp_path / "e.zip")
    assert list(tmp_path.iterdir()) == []


def test_truncated_zip_is_retried_then_reported(docmost_server, tmp_path):
    docmost_server.faults.truncate_export(EXPORT, to_bytes=30_000, times=1)
    with make_client(docmost_server) as client:
        download = client.export_space(space_id(client, "engineering"), tmp_path / "ok.zip")
        assert zipfile.is_zipfile(download.path)
        docmost_server.faults.truncate_export(EXPORT, to_bytes=30_000, times=10)
        with pytest.raises(DocmostBadExport, match="not a readable ZIP"):
            client.export_space(space_id(client, "engineering"), tmp_path / "bad.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.zip"]


def test_page_export_returns_a_zip_of_that_page(docmost_server, tmp_path):
    with make_client(docmost_server) as client:
        pages = client.list_pages(space_id(client, "collisions"))
        lost = next(p for p in pages if p.slug_id == "QFeHBE952J")
        download = client.export_page(lost.id, tmp_path / "page.zip")
    assert download.path.read_bytes() == (RECORDINGS_DIR / "page-exports" / "QFeHBE952J.attachments.zip").read_bytes()


# --- Docmost's public address (GET /) ------------------------------------------------------------------------
def test_public_url_is_the_app_url_of_the_web_page_without_a_login(docmost_server):
    with make_client(docmost_server) as client:
        assert client.public_url() == "http://localhost:3000"  # the recordings' APP_URL, not the base URL
        assert client.login_count == 0
    docmost_server.set_app_url("https://wiki.example.com/")
    with make_client(docmost_server) as client:
        assert client.public_url() == "https://wiki.example.com"


@pytest.mark.parametrize("status", [404, 302])
def test_public_url_is_none_without_window_config_or_web_page(docmost_server, status):
    docmost_server.set_app_url(None)
    with make_client(docmost_server) as client:
        assert client.public_url() is None
        docmost_server.set_app_url("http://localhost:3000")
        docmost_server.faults.fail("/", times=1, status=status)
        assert client.public_url() is None


def test_public_url_retries_server_errors(docmost_server):
    docmost_server.faults.fail("/", times=2, status=503)
    with make_client(docmost_server) as client:
        assert client.public_url() == "http://localhost:3000"
    assert docmost_server.count("/", 503) == 2 and docmost_server.count("/", 200) == 1


@pytest.mark.parametrize("app_url", ["docmost:3000", "ftp://files.example.com", "http://"])
def test_a_malformed_app_url_is_an_error_naming_the_page(docmost_server, app_url):
    docmost_server.set_app_url(app_url)
    with make_client(docmost_server) as client, pytest.raises(DocmostError) as caught:
        client.public_url()
    message = str(caught.value)
    assert message == (f"GET / failed (HTTP 200) (window.CONFIG.APP_URL of the page at {docmost_server.base_url}/ "
                       f"is {app_url!r}, not an http(s) URL)")


# --- files (GET /api/files/<attachmentId>/<fileName>) -------------------------------------------------------------
SCREENSHOT = ("01a20070-3f15-7378-a57d-6332ee89dcc1", "screenshot_2026-08-01_at_10.15.00.png")
KOREAN = ("01a20070-3f35-772d-b664-684e42d81d9f", "화면_캡처_(설정).png")


def recorded_file(attachment_id: str, name: str) -> bytes:
    with zipfile.ZipFile(RECORDINGS_DIR / "content-gallery.zip") as zf:
        return zf.read(f"Gallery Index//files/{attachment_id}/{name}")


@pytest.mark.parametrize("attachment", [SCREENSHOT, KOREAN], ids=["ascii", "hangul-and-parentheses"])
def test_download_file_streams_the_file_with_the_session(docmost_server, tmp_path, attachment):
    expected = recorded_file(*attachment)
    with make_client(docmost_server) as client:
        download = client.download_file(*attachment, tmp_path / "file.bin")
    assert download.path.read_bytes() == expected and download.bytes == len(expected)
    assert download.sha256 == hashlib.sha256(expected).hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]


def test_download_file_of_an_unknown_file_is_not_found_and_leaves_nothing(docmost_server, tmp_path):
    with make_client(docmost_server) as client, pytest.raises(DocmostNotFound) as caught:
        client.download_file("00000000-0000-7000-8000-000000000000", "gone.png", tmp_path / "gone.png")
    assert str(caught.value) == ("GET /api/files/00000000-0000-7000-8000-000000000000/gone.png failed (HTTP 404): "
                                 "Docmost says 'File not found'")
    assert list(tmp_path.iterdir()) == []


def test_download_file_retries_like_an_export_and_logs_in_again(docmost_server, tmp_path):
    path = f"/api/files/{SCREENSHOT[0]}/{SCREENSHOT[1]}"
    docmost_server.faults.fail(path, times=2, status=503)
    with make_client(docmost_server) as client:
        client.list_spaces()
        docmost_server.expire_sessions()
        download = client.download_file(*SCREENSHOT, tmp_path / "shot.png")
    assert download.path.read_bytes() == recorded_file(*SCREENSHOT)
    assert docmost_server.count(path, 503) == 2 and docmost_server.count(path, 401) == 1
    assert client.login_count == 2


def test_download_file_over_the_maximum_is_refused_before_the_body(docmost_server, tmp_path):
    with make_client(docmost_server, max_export_bytes=1000) as client, \
            pytest.raises(DocmostExportTooLarge, match="refused before downloading"):
        client.download_file(*SCREENSHOT, tmp_path / "shot.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("attachment_id", ["../../api/spaces", "files/x", ""])
def test_download_file_refuses_an_id_that_is_not_a_docmost_id(docmost_server, tmp_path, attachment_id):
    with make_client(docmost_server) as client, pytest.raises(ValueError, match="is not a Docmost id"):
        client.download_file(attachment_id, "x.png", tmp_path / "x.png")
    assert docmost_server.count(f"/api/files/{attachment_id}/x.png") == 0


# --- spaces appearing and disappearing ---------------------------------------------------------------------
def test_extra_space_appearing_and_disappearing(docmost_server):
    with make_client(docmost_server) as client:
        before = {s.slug for s in client.list_spaces()}
        docmost_server.add_space("extra", "Extra")
        during = {s.slug for s in client.list_spaces()}
        docmost_server.remove_space("extra")
        docmost_server.hide_space("engineering")
        after = {s.slug for s in client.list_spaces()}
    assert during - before == {"extra"}
    assert after == before - {"engineering"}


# --- page documents (POST /api/pages/info) -----------------------------------------------------------------------
INFO = "/api/pages/info"


def test_page_info_is_the_data_object_docmost_sends(docmost_server):
    recorded = [e for e in json.loads((RECORDINGS_DIR / "api" / "index.json").read_text(encoding="utf-8"))
                if e["path"] == INFO and e["status"] == 200]
    with make_client(docmost_server) as client:
        for entry in recorded[::15]:
            expected = json.loads((RECORDINGS_DIR / entry["body_file"]).read_bytes())["data"]
            assert client.page_info(entry["request_body"]["pageId"]) == expected
    assert docmost_server.count(INFO) == len(recorded[::15])


def test_page_info_of_an_unknown_page_is_not_found_and_not_retried(docmost_server):
    with make_client(docmost_server) as client:
        with pytest.raises(DocmostNotFound) as caught:
            client.page_info("00000000-0000-7000-8000-000000000000")
    assert str(caught.value) == "POST /api/pages/info failed (HTTP 404): Docmost says 'Page not found'"
    assert docmost_server.count(INFO) == 1


def test_page_info_refuses_a_slug_id_without_asking(docmost_server):
    with make_client(docmost_server) as client:
        with pytest.raises(ValueError, match="not a Docmost id"):
            client.page_info("6sw9vFSJHE")  # Docmost would answer it as a slugId: the wrong contract
    assert docmost_server.count(INFO) == 0


def test_page_info_is_retried_through_server_errors_and_rate_limits(docmost_server):
    page = next(iter(docmost_server.space_by_slug("content-gallery").model.pages))
    docmost_server.faults.fail(INFO, times=2, status=503)
    docmost_server.faults.rate_limit(INFO, times=1, retry_after=0.05)
    with make_client(docmost_server, retries=3) as client:
        assert client.page_info(page)["id"] == page
    assert [r.status for r in docmost_server.requests if r.path == INFO] == [503, 503, 429, 200]


def test_page_info_that_keeps_failing_is_unavailable_without_secrets(docmost_server, caplog):
    caplog.set_level(logging.DEBUG)
    page = next(iter(docmost_server.space_by_slug("content-gallery").model.pages))
    docmost_server.faults.fail_page_info(page, status=500)
    with make_client(docmost_server, retries=2) as client:
        with pytest.raises(DocmostUnavailable) as caught:
            client.page_info(page)
        cookies = set(docmost_server._sessions)
    assert str(caught.value) == ("POST /api/pages/info failed (HTTP 500): Docmost says 'Internal server error' "
                                 "(server error; gave up after 3 attempts)")
    assert docmost_server.count(INFO, 500) == 3
    for secret in [docmost_server.password, *cookies]:
        assert secret not in str(caught.value) and secret not in caplog.text


# --- secrets ---------------------------------------------------------------------------------------------------
def test_secrets_never_reach_logs_errors_or_repr(docmost_server, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    docmost_server.faults.expire_sessions_after(2)
    docmost_server.faults.fail(SPACES, times=1)
    messages = []
    with make_client(docmost_server) as client:
        client.list_spaces()
        client.list_pages(space_id(client, "collisions"))
        cookies = set(docmost_server._sessions)  # the live session token(s)
        messages.append(repr(client))
        with pytest.raises(DocmostNotFound) as caught:
            client.export_space("01a20071-e23b-7000-8000-0000deadbeef", tmp_path / "x.zip")
        messages.append(str(caught.value))
    wrong = make_client(docmost_server)
    wrong_password = "S3cret-wrong-Passw0rd"
    wrong._DocmostClient__password = wrong_password
    with wrong, pytest.raises(DocmostAuthError) as refused:
        wrong.list_spaces()
    messages += [str(refused.value), repr(refused.value), repr(wrong)]
    assert client.login_count == 2 and cookies
    text = caplog.text + "\n".join(messages)
    assert "logging in again" in caplog.text  # the log is really captured
    for secret in [docmost_server.password, wrong_password, *cookies]:
        assert secret not in text
