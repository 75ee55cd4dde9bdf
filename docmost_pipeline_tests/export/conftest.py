"""Fixtures for the extraction tests: recorded Docmost 0.95 files, API page trees, a sandbox to watch for escapes."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from docmost_pipeline.docmost.client import DocmostClient
from docmost_pipeline.emulator.recordings import RECORDINGS_DIR
from docmost_pipeline.model import SidebarPage

FIXTURES = RECORDINGS_DIR
API = FIXTURES / "api"


def sidebar_items(*names: str) -> list[SidebarPage]:
    """Recorded ``POST /api/pages/sidebar-pages`` responses turned into SidebarPage objects."""
    pages: list[SidebarPage] = []
    for name in names:
        data = json.loads((API / name).read_text(encoding="utf-8"))
        for item in data["data"]["items"]:
            pages.append(
                SidebarPage(
                    id=item["id"],
                    slug_id=item["slugId"],
                    title=item["title"],
                    icon=item["icon"],
                    position=item["position"],
                    parent_page_id=item["parentPageId"],
                    has_children=item["hasChildren"],
                    space_id=item["spaceId"],
                )
            )
    return pages


def tree_json(pages: list[SidebarPage]) -> str:
    """tree.json as download_space writes it: a list of SidebarPage dicts."""
    return json.dumps([dataclasses.asdict(p) for p in pages], ensure_ascii=False)


def listing(root: Path) -> set[str]:
    """Every path under ``root`` (files, dirs, links), relative: compared before/after to catch escapes."""
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            found.add(os.path.relpath(os.path.join(dirpath, name), root))
    return found


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A directory holding the hostile inputs and the staging area; the whole tree is watched for escapes."""
    root = tmp_path / "sandbox"
    (root / "inputs").mkdir(parents=True)
    (root / "staging").mkdir()
    return root


@pytest.fixture
def client(docmost_server):
    """A logged-in client of the Docmost test server (retries without waiting)."""
    with DocmostClient(docmost_server.base_url, docmost_server.email, docmost_server.password,
                       backoff_base=0.01) as client:
        yield client
