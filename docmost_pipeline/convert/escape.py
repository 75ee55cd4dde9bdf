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

Bare URLs (embeds are exported as bare URLs) must still autolink the way remark-gfm does, and remark-gfm takes a
literal autolink's characters verbatim: a backslash or character reference inside it is shown, and a ``\\<``
right after it is swallowed into the URL (the ``<`` then opens a JSX tag and the build fails). So a run remark-gfm
would autolink (``http://``, ``https://``, ``www.`` at a position where GFM allows one, trailing punctuation
trimmed as GFM trims it) is left untouched when it needs no escape, and becomes an explicit Markdown link
``[url](url)`` (label escaped, same text and target) when it holds ``{ } $`` or is directly followed by ``<``.
Inside a link label no autolink can start, so everything there is escaped.
"""

from __future__ import annotations

import re

# remark-gfm (micromark-extension-gfm-autolink-literal) autolinks these, up to whitespace or ``<``.
_URL_RUN = re.compile(r"(?:[Hh][Tt][Tt][Pp][Ss]?://|[Ww]{3}\.)[^\s<]*")
_WWW_MAY_FOLLOW = frozenset(" \t\n\r(*_[]~")
_GFM_TRAILING = frozenset("?!.,:*_~")
_ENTITY_LIKE_END = re.compile(r"&[A-Za-z0-9]+;$")
_NEEDS_EXPLICIT_LINK = frozenset("{}$")
_ESM_KEYWORDS = {"import": "&#105;", "export": "&#101;"}
# Characters that can start or end Markdown/MDX syntax inside a line of text.
_LITERAL_ESCAPED = frozenset("\\`*_[]{}<>()$~|!&")

Edit = tuple[int, int, str]


# One match per character (or keyword) that may need escaping; everything else is skipped in C.
_CANDIDATE = re.compile(r"[{}<$~]|:(?=[A-Za-z])|(?:(?<=\n)|(?<![\s\S]))(?:import|export)(?![A-Za-z0-9_])")


def _gfm_autolink_end(url: str) -> int:
    """Length of ``url`` that GFM keeps in the autolink: trailing punctuation, an unbalanced ``)`` and an
    entity-like ``&name;`` are cut off, repeatedly (GFM spec, extended autolink path validation)."""
    end = len(url)
    while end:
        char = url[end - 1]
        if char in _GFM_TRAILING:
            end -= 1
        elif char == ")" and url.count(")", 0, end) > url.count("(", 0, end):
            end -= 1
        elif char == ";" and (entity := _ENTITY_LIKE_END.search(url, 0, end)):
            end = entity.start()
        else:
            break
    return end


_URL_START = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://|[Ww]{3}\.")


def autolink_runs(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """The literal autolinks remark-gfm makes from bare URLs starting in ``ranges`` of ``text``, as
    (start, end, scan end): the autolink is ``text[start:end]``; micromark scans the URL up to ``scan end``
    (whitespace or ``<``, possibly past the range) before trimming its end, so whatever lies before ``scan end``
    is taken verbatim. Starts follow micromark's rules: ``www.`` after a space, line end or ``( * _ [ ] ~``, and
    ``http(s)://`` after anything but an ASCII letter."""
    runs: list[tuple[int, int, int]] = []
    for range_start, range_end in ranges:
        for match in _URL_START.finditer(text, range_start, range_end):
            start = match.start()
            if runs and start < runs[-1][2]:
                continue
            before = text[start - 1] if start else " "
            if match.group()[0] in "Ww" and before not in _WWW_MAY_FOLLOW:
                continue
            if match.group()[0] in "Hh" and before.isascii() and before.isalpha():
                continue
            run = _URL_RUN.match(text, start)
            assert run is not None
            link_end = start + _gfm_autolink_end(run.group())
            if link_end > match.end():
                runs.append((start, link_end, run.end()))
    return runs


def autolink_edits(text: str, runs: list[tuple[int, int, int]]) -> tuple[list[Edit], list[tuple[int, int]]]:
    """For each run of ``autolink_runs``: the edit it needs and the span no other edit may touch.

    A run needs no edit, and keeps up to its scan end verbatim, unless it holds ``{ } $`` or ``<`` follows it:
    then it becomes an explicit link ``[url](url)`` (the label shows exactly the characters remark-gfm would)."""
    edits: list[Edit] = []
    spans: list[tuple[int, int]] = []
    for start, end, scan_end in runs:
        url = text[start:end]
        if text[scan_end : scan_end + 1] == "<" or _NEEDS_EXPLICIT_LINK.intersection(url):
            href = url if "://" in url else "http://" + url
            edits.append((start, end, f"[{escape_literal(url)}]({encode_href(href)})"))
            spans.append((start, end))
        else:
            spans.append((start, scan_end))
    return edits, spans


def text_edits(text: str, start: int, end: int, *, line_starts: bool) -> list[Edit]:
    """Edits (offsets into ``text``) that make ``text[start:end]`` literal in MDX (bare URLs: see
    ``autolink_runs``, applied by the caller, who knows where the inline constructs are).

    ``line_starts``: positions after a line break (and offset 0 of ``text``) can begin an MDX ESM statement,
    so ``import``/``export`` there are neutralised.
    """
    edits: list[Edit] = []
    for match in _CANDIDATE.finditer(text, start, end):
        index = match.start()
        if text[index] in "ie":
            if line_starts:
                edits.append((index, index + 1, _ESM_KEYWORDS[match.group()]))
            continue
        edits.append((index, index, "\\"))
    return edits


def encode_href(href: str) -> str:
    """Make a destination safe inside ``(…)`` in Markdown/MDX: spaces, parentheses and angle brackets encoded."""
    out = []
    for char in href:
        if char in " ()<>" or ord(char) < 0x20 or char == "\x7f":
            out.append("%%%02X" % ord(char))
        else:
            out.append(char)
    return "".join(out)


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
