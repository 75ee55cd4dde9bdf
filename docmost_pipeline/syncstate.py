"""What a sync compares to know there is nothing to do: the *source digest* of a space.

The digest covers everything the published tree is made from: the page manifest (every page's title, place and
update time), the space's name (its sidebar label), Docmost's public URL (written into edit links and the Docmost
URLs of links into other spaces) and base URL (absolute links on either host are Docmost's own), whether page
documents are fetched (PAGE_DOCUMENTS: the converter renders from them), and the pipeline's own code that turns an export into a tree. It is recorded as ``source_sha256`` in the stamp of every
published version; a sync whose digest equals the live version's has nothing to export, convert or publish.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from docmost_pipeline.fingerprint import pipeline_fingerprint
from docmost_pipeline.publish import status


def source_digest(manifest_digest: str, *, space_name: str, base_url: str | None, public_url: str | None,
                  page_documents: bool = True) -> str:
    data = {"manifest": manifest_digest, "space_name": space_name, "base_url": base_url or "",
            "public_url": public_url or base_url or "", "page_documents": bool(page_documents),
            "pipeline": pipeline_fingerprint()}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def live_source(output_root: Path, space: str) -> tuple[str | None, str | None]:
    """(live version id, its recorded source digest) of a published space; (None, None) when nothing is live."""
    if not (Path(output_root) / space).exists():
        return None, None
    spaces = status(output_root, space)
    if not spaces or not spaces[0].live_version or spaces[0].problem:
        return None, None
    return spaces[0].live_version, (spaces[0].stamp or {}).get("source_sha256")
