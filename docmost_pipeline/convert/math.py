"""Repair of the TeX that Docmost 0.95's Markdown exporter damages, so KaTeX renders what the author typed.

The exporter serialises math nodes as if they were prose:

* every backslash is doubled (``$\\\\frac{a}{b}$`` for ``\\frac{a}{b}``, ``\\\\\\\\`` for a TeX line break ``\\\\``);
* a Markdown escape backslash is put before some punctuation, observed ``\\_`` (``\\\\mathbf{A}\\_{ij}``);
* inside *inline* math ``<``, ``>`` (and ``&``) are HTML-escaped (``$a &lt; b &gt; c$``).

``repair_tex`` undoes exactly that. It only halves backslashes when the whole formula is consistent with the
doubling (every backslash run, once a trailing Markdown escape is removed, has even length); TeX that was
not doubled (typed by hand in a Markdown import, or a future exporter) is left as it is.
"""

from __future__ import annotations

# Characters the exporter's Markdown serialiser puts an escape backslash before.
_MARKDOWN_ESCAPED = frozenset("_*[]`#+-.!|<>~")

_INLINE_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&"))


def _backslash_runs(tex: str) -> list[tuple[int, int, str]]:
    """(start, length, following character or '') for every run of backslashes."""
    runs = []
    index = 0
    while index < len(tex):
        if tex[index] == "\\":
            start = index
            while index < len(tex) and tex[index] == "\\":
                index += 1
            runs.append((start, index - start, tex[index] if index < len(tex) else ""))
        else:
            index += 1
    return runs


def looks_doubled(tex: str) -> bool:
    """True when every backslash run (minus a Markdown escape before punctuation) has even length."""
    runs = _backslash_runs(tex)
    if not runs:
        return False
    for _, length, following in runs:
        if length % 2 and following in _MARKDOWN_ESCAPED:
            length -= 1
        if length % 2:
            return False
    return True


def _undouble(tex: str) -> str:
    pieces = []
    cursor = 0
    for start, length, following in _backslash_runs(tex):
        pieces.append(tex[cursor:start])
        kept = length - 1 if length % 2 and following in _MARKDOWN_ESCAPED else length
        pieces.append("\\" * (kept // 2))
        cursor = start + length
    pieces.append(tex[cursor:])
    return "".join(pieces)


def repair_tex(tex: str, *, inline: bool, doubled: bool | None = None) -> str:
    """Return the TeX the author typed from what the exporter wrote.

    ``doubled`` forces the backslash decision (a block's lines are repaired one by one but decided together);
    None decides from ``tex`` itself.
    """
    if inline:
        for entity, char in _INLINE_ENTITIES:
            tex = tex.replace(entity, char)
    if doubled is None:
        doubled = looks_doubled(tex)
    return _undouble(tex) if doubled else tex
