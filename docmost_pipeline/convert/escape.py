"""Escaping of plain prose so MDX (Docusaurus 3) shows exactly the characters CommonMark would show.

Only characters that MDX, remark-math, remark-gfm or remark-directive treat differently from CommonMark are
touched, and always with a backslash escape or a character reference (never backticks), so the reader sees
the original characters in the original font:

* ``{`` ``}`` (MDX expressions, Docusaurus ``{#heading-id}``) -> ``\\{`` ``\\}``
* ``<`` (JSX tags, ``<!--``, ``<>``, ``1<2``) -> ``\\<``
* ``$`` (remark-math would start math) -> ``\\$``
* ``~`` (remark-gfm strikes through single tildes) -> ``\\~``
* ``:`` before a letter (remark-directive text/leaf/container directives) -> ``\\:``
* ``import``/``export`` at the start of a line (MDX ESM) -> first letter as ``&#105;``/``&#101;``

Inside URL-looking runs (``https://…``, ``www.…``) only ``{ } < $`` are escaped, so GitHub-style bare links
(embeds are exported as bare URLs) still autolink.
"""

from __future__ import annotations

import re

ALWAYS_ESCAPED = frozenset("{}<$")
_URL_RUN = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)[^\s<]*")
_ESM_KEYWORDS = {"import": "&#105;", "export": "&#101;"}
# Characters that can start or end Markdown/MDX syntax inside a line of text.
_LITERAL_ESCAPED = frozenset("\\`*_[]{}<>()$~|!&")

Edit = tuple[int, int, str]


# One match per character (or keyword) that may need escaping; everything else is skipped in C.
_CANDIDATE = re.compile(r"[{}<$~]|:(?=[A-Za-z])|(?:(?<=\n)|(?<![\s\S]))(?:import|export)(?![A-Za-z0-9_])")


def text_edits(text: str, start: int, end: int, *, line_starts: bool) -> list[Edit]:
    """Edits (offsets into ``text``) that make ``text[start:end]`` literal in MDX.

    ``line_starts``: positions after a line break (and offset 0 of ``text``) can begin an MDX ESM statement,
    so ``import``/``export`` there are neutralised.
    """
    edits: list[Edit] = []
    urls: list[tuple[int, int]] | None = None
    for match in _CANDIDATE.finditer(text, start, end):
        index = match.start()
        char = text[index]
        if char in "ie":
            if line_starts:
                edits.append((index, index + 1, _ESM_KEYWORDS[match.group()]))
            continue
        if char in ALWAYS_ESCAPED:
            edits.append((index, index, "\\"))
            continue
        if urls is None:
            urls = [(m.start(), m.end()) for m in _URL_RUN.finditer(text, start, end)]
        if not any(url_start <= index < url_end for url_start, url_end in urls):
            edits.append((index, index, "\\"))
    return edits


def escape_text(text: str, *, line_starts: bool = False) -> str:
    """``text`` with ``text_edits`` applied."""
    return apply_edits(text, text_edits(text, 0, len(text), line_starts=line_starts))


def escape_literal(text: str) -> str:
    """``text`` (a URL, a file name) escaped so it renders verbatim as Markdown and MDX, e.g. as a link label."""
    out = []
    for index, char in enumerate(text):
        following = text[index + 1 : index + 2]
        if char in _LITERAL_ESCAPED or (char == ":" and following.isascii() and following.isalpha()):
            out.append("\\")
        out.append(char)
    return "".join(out)


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping (start, end, replacement) edits; insertions at the same offset keep their order."""
    pieces = []
    cursor = 0
    for start, end, replacement in sorted(edits, key=lambda edit: (edit[0], edit[1])):
        if start < cursor:
            raise ValueError(f"overlapping edits at offset {start}")
        pieces.append(text[cursor:start])
        pieces.append(replacement)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
