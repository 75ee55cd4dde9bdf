"""The documents folder: each page's own ProseMirror document, as the fetcher stored it.

Layout (the contract with the fetcher): ``<pageId>.json`` holds the ``data`` object of ``POST /api/pages/info``
(keys ``id``, ``slugId``, ``title``, ``content``, ...), and ``unavailable.json`` maps ``pageId`` -> the reason a
document could not be fetched (absent in folders made by hand). A file that is not such an object is reported by
name and its page converts from the Markdown export alone; nothing here ever fails a conversion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from docmost_pipeline.model import UNAVAILABLE_DOCUMENTS_FILE as UNAVAILABLE_FILE


@dataclass
class PageDocuments:
    """The documents of one space: ``content`` by page id (``None`` for a page without content), the reasons of
    the pages the fetcher could not get, and what was wrong with the folder ((file name, problem) pairs)."""

    content: dict[str, dict | None] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    def missing_reason(self, page_id: str) -> str | None:
        """Why ``page_id`` has no usable document (``None`` when it has one)."""
        if page_id in self.content:
            return None
        if page_id in self.unavailable:
            return f"Docmost did not return it: {self.unavailable[page_id]}"
        if f"{page_id}.json" in self.problems:
            return f"{page_id}.json is unreadable: {self.problems[page_id + '.json']}"
        return f"no {page_id}.json in the documents folder"


def _check_document(data: object, page_id: str) -> dict | None:
    """The ``content`` of one file's ``data`` object; raises ValueError naming what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if data.get("id") not in (None, page_id):
        raise ValueError(f"its id {data.get('id')!r} is not the file's page id")
    content = data.get("content")
    if content is None:
        return None
    if not isinstance(content, dict) or content.get("type") != "doc" \
            or not isinstance(content.get("content", []), list):
        raise ValueError("content is not a ProseMirror document ({\"type\": \"doc\", \"content\": [...]})")
    return clean_node(content, depth=0)


_MAX_DEPTH = 200


def clean_node(node: dict, *, depth: int) -> dict:
    """The node with the shape the renderer relies on (string ``type``, dict ``attrs``, a list of mark dicts, a list
    of child nodes, string ``text``); anything else in an untrusted document is left out, and nesting is capped."""
    clean: dict = {"type": str(node.get("type"))}
    if isinstance(node.get("attrs"), dict):
        clean["attrs"] = node["attrs"]
    if "text" in node:
        clean["text"] = str(node["text"])
    marks = node.get("marks")
    if isinstance(marks, list):
        clean["marks"] = [{"type": str(m.get("type")), **({"attrs": m["attrs"]} if isinstance(m.get("attrs"), dict)
                                                         else {})} for m in marks if isinstance(m, dict)]
    content = node.get("content")
    if isinstance(content, list) and depth < _MAX_DEPTH:
        clean["content"] = [clean_node(child, depth=depth + 1) for child in content if isinstance(child, dict)]
    return clean


def load_documents(folder: Path) -> PageDocuments:
    """Read a documents folder; a missing folder is an empty set (every page then falls back to Markdown)."""
    documents = PageDocuments()
    folder = Path(folder)
    if not folder.is_dir():
        return documents
    for path in sorted(folder.glob("*.json")):
        if path.name == UNAVAILABLE_FILE:
            _load_unavailable(path, documents)
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            documents.content[path.stem] = _check_document(data, path.stem)
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
            documents.problems[path.name] = (str(error).splitlines() or [""])[0][:200] or type(error).__name__
    return documents


def _load_unavailable(path: Path, documents: PageDocuments) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object of pageId -> reason")
    except (OSError, UnicodeDecodeError, ValueError) as error:
        documents.problems[path.name] = str(error).splitlines()[0][:200]
        return
    documents.unavailable = {str(key): str(value)[:300] for key, value in data.items()}
