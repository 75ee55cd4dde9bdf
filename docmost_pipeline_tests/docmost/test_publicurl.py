"""Docmost's public address: DOCMOST_PUBLIC_URL, else window.CONFIG.APP_URL of GET /, else the base URL (one log line),
against the Docmost test server on 127.0.0.1."""

from __future__ import annotations

import logging

import pytest

from docmost_pipeline.docmost import DocmostClient, DocmostError
from docmost_pipeline.docmost.publicurl import CONFIGURED, DISCOVERED, FALLBACK, PublicUrl, resolve_public_url

LOGGER = "docmost_pipeline.docmost.publicurl"


def client_for(server) -> DocmostClient:
    return DocmostClient(server.base_url, server.email, server.password, backoff_base=0.01)


def test_discovered_from_docmosts_page_when_not_configured(docmost_server, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    with client_for(docmost_server) as client:
        found = resolve_public_url(client)
    assert found == PublicUrl("http://localhost:3000", DISCOVERED)
    assert found.url != docmost_server.base_url
    assert [r.levelname for r in caplog.records if r.name == LOGGER] == ["INFO"]


def test_docmost_public_url_wins_over_discovery(docmost_server):
    with client_for(docmost_server) as client:
        found = resolve_public_url(client, "https://wiki.example.com/")
    assert found == PublicUrl("https://wiki.example.com", CONFIGURED)
    assert docmost_server.count("/") == 0  # nothing asked


def test_a_page_without_window_config_falls_back_to_the_base_url_with_one_log_line(docmost_server, caplog):
    docmost_server.set_app_url(None)
    caplog.set_level(logging.DEBUG)
    with client_for(docmost_server) as client:
        found = resolve_public_url(client)
    assert found == PublicUrl(docmost_server.base_url, FALLBACK)
    lines = [r for r in caplog.records if r.name == LOGGER]
    assert len(lines) == 1 and lines[0].levelname == "WARNING"
    assert lines[0].getMessage() == (
        f"Docmost at {docmost_server.base_url} publishes no public address (no window.CONFIG.APP_URL on its page "
        "GET /): using the base URL for edit links and links to Docmost; set DOCMOST_PUBLIC_URL if readers reach "
        "Docmost elsewhere")


def test_a_malformed_published_address_is_an_error_naming_the_page(docmost_server):
    docmost_server.set_app_url("wiki.example.com")
    with client_for(docmost_server) as client, pytest.raises(DocmostError, match="window.CONFIG.APP_URL of the page"):
        resolve_public_url(client)
