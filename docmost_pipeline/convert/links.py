"""Link resolution for converted pages: maps every link/image destination written in a Docmost export to
where it must point in the Docusaurus tree (another doc, an attachment, an external URL, or nothing).

``LinkTarget`` is the value the body renderer receives from the ``resolve_link`` callback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkTarget:
    """Where a link goes after conversion.

    ``href`` None means the link must become plain text (its label kept). ``kind`` is one of
    ``"doc"``, ``"attachment"``, ``"external"``, ``"unresolved"``.
    """

    href: str | None
    kind: str
