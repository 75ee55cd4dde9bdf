"""Docmost 0.95's text rules, as its exporter applies them: file names, slugs, Markdown escaping, link forms.

Owns the small string functions the emulated exporter (:mod:`~docmost_pipeline.emulator.exporter`) and the loader
of the recordings (:mod:`~docmost_pipeline.emulator.seed`) share, each named after the Docmost (v0.95.0) or library
function it follows:

* :func:`safe_title` — ``getSafePageTitle``: ``getPageTitle`` (empty/null -> ``untitled``), then ``sanitizeFileName``
  with ``preserveSpaces`` (``%XX`` of ASCII decoded, then the ``sanitize-filename`` rules: ``/ ? < > \\ : * | "`` and
  control characters removed, names made only of dots, Windows device names and trailing dots/spaces dropped, cut to
  255 UTF-8 bytes), ``untitled`` when nothing is left.
* :func:`encode_component` — JavaScript's ``encodeURIComponent`` (``( ) ' ! * ~`` stay literal).
* :func:`turndown_text` — how ``@joplin/turndown`` 4.0.82 writes a text node: whitespace collapsed, then its escapes
  (``\\ * [ ] ` $``, ``_`` after punctuation/space/symbol, line-start ``- + = # ~~~ > 1.``) and ``<…>`` as
  ``&lt;…&gt;``.
* :func:`slugify` — ``@sindresorhus/slugify`` (``&`` -> ``and``, accents stripped, camelCase split, ``[^a-z0-9]``
  runs -> ``-``); scripts without a Latin transliteration (Hangul, CJK) vanish, as the recordings show
  (``/s/hangul-docs/p/-6uKvMkOKMN``). Only a few non-decomposing Latin letters are transliterated (see
  :data:`_LATIN`); Cyrillic, Greek etc. are dropped here where the real library transliterates them.
* :func:`link_href` — turndown's ``filterLinkHref`` (spaces -> ``%20``, ``(``/``)`` -> ``%28``/``%29``).
* :data:`INTERNAL_LINK` / :func:`slug_id_of` — ``INTERNAL_LINK_REGEX`` and ``extractPageSlugId``.
* :func:`iter_links` — the inline links ``[label](href)`` of a Markdown text outside code (fenced blocks and code
  spans), images excluded: what ``replaceInternalLinks`` would see as link marks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote

#: Docmost's ``APP_URL`` in the recordings: absolute links in page content and exports start with it.
APP_URL = "http://localhost:3000"

#: ``INTERNAL_LINK_REGEX`` of ``apps/server/src/integrations/export/utils.ts``.
INTERNAL_LINK = re.compile(r"^(https?://)?([^/]+)?(/s/([^/]+)/)?p/([a-zA-Z0-9-]+)/?$")

_ILLEGAL = re.compile(r'[/?<>\\:*|"]')
_CONTROL = re.compile(r"[\x00-\x1f\x80-\x9f]")
_RESERVED = re.compile(r"^\.+$")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_WINDOWS_TRAILING = re.compile(r"[. ]+$")


def page_title(title: str | None) -> str:
    """``getPageTitle``: the stored title, ``untitled`` when empty or missing."""
    return title if title else "untitled"


def _truncate_utf8(text: str, limit: int = 255) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def sanitize_file_name(name: str) -> str:
    """``sanitizeFileName(name, {preserveSpaces: true})`` of Docmost 0.95 (``sanitize-filename`` 1.6.3)."""
    def decode(match: re.Match) -> str:
        byte = int(match.group(0)[1:], 16)
        return chr(byte) if byte < 0x80 else match.group(0)  # decodeURIComponent throws on a lone UTF-8 byte

    text = re.sub(r"%[0-9a-fA-F]{2}", decode, name)
    for pattern in (_ILLEGAL, _CONTROL, _RESERVED, _WINDOWS_RESERVED, _WINDOWS_TRAILING):
        text = pattern.sub("", text)
    return _truncate_utf8(text)


def safe_title(title: str | None) -> str:
    """``getSafePageTitle``: the file (and folder) name of a page in an export, without ``.md``."""
    return sanitize_file_name(page_title(title)) or "untitled"


def encode_component(text: str) -> str:
    """JavaScript's ``encodeURIComponent``."""
    return quote(text, safe="-_.!~*'()")


def decode_component(text: str) -> str:
    """``decodeURIComponent``, falling back to the raw text when it is malformed (as ``getInternalLinkPageName``)."""
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return text


# --- turndown ------------------------------------------------------------------------------------------------------
_LINE_START_ESCAPES = [
    (re.compile(r"^-"), r"\\-"),
    (re.compile(r"^\+ "), r"\\+ "),
    (re.compile(r"^(=+)"), r"\\\1"),
    (re.compile(r"^(#{1,6}) "), r"\\\1 "),
]


def _category(char: str) -> str:
    return unicodedata.category(char)[0]


def _escape_underscores(text: str) -> str:
    """``/(^|\\p{Punctuation}|\\p{Separator}|\\p{Symbol})_(\\P{Separator})/ug`` -> ``$1\\_$2``, left to right."""
    out, pos, size = [], 0, len(text)
    while pos < size:
        if pos == 0 and text[0] == "_" and size > 1 and _category(text[1]) != "Z":
            out.append("\\_" + text[1])
            pos = 2
        elif (_category(text[pos]) in "PZS" and pos + 2 < size and text[pos + 1] == "_"
              and _category(text[pos + 2]) != "Z"):
            out.append(text[pos] + "\\_" + text[pos + 2])
            pos += 3
        else:
            out.append(text[pos])
            pos += 1
    return "".join(out)


def turndown_escape(text: str) -> str:
    """The escapes ``@joplin/turndown`` applies to a text node, then ``<…>`` -> ``&lt;…&gt;``."""
    text = text.replace("\\", "\\\\").replace("*", "\\*")
    for pattern, replacement in _LINE_START_ESCAPES:
        text = pattern.sub(replacement, text, count=1)
    text = text.replace("`", "\\`")
    text = re.sub(r"^~~~", r"\\~~~", text)
    text = text.replace("[", "\\[").replace("]", "\\]")
    text = re.sub(r"^>", r"\\>", text)
    text = _escape_underscores(text)
    text = re.sub(r"^(\d+)\. ", r"\1\\. ", text)
    text = text.replace("$", "\\$")
    return re.sub(r"<(.+?)>", r"&lt;\1&gt;", text)


def turndown_text(text: str) -> str:
    """A text node alone in its block (a heading, a link's text) as turndown writes it: whitespace runs collapsed to
    one space, the ends trimmed, then escaped."""
    return turndown_escape(re.sub(r"[ \t\r\n]+", " ", text).strip(" "))


def link_href(href: str) -> str:
    """turndown's ``filterLinkHref``: how a link's ``href`` is written into the Markdown."""
    href = href.strip()
    if href.lower().startswith("javascript:"):
        return ""
    return (href.replace(" ", "%20").replace("\n", "%0A").replace("\t", "%09")
            .replace("(", "%28").replace(")", "%29"))


# --- slugs ---------------------------------------------------------------------------------------------------------
#: Latin letters without a canonical decomposition, transliterated like ``@sindresorhus/transliterate``.
_LATIN = {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D",
          "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D", "ı": "i"}
_OVERRIDABLE = [("&", " and "), ("🦄", " unicorn "), ("♥", " love ")]


def slugify(text: str) -> str:
    """``@sindresorhus/slugify`` with its defaults (separator ``-``, lowercase, decamelize)."""
    for key, value in _OVERRIDABLE:
        text = text.replace(key, value)
    text = "".join(_LATIN.get(char, char) for char in text)
    text = unicodedata.normalize("NFD", text)
    text = unicodedata.normalize("NFC", "".join(c for c in text if unicodedata.category(c) != "Mn"))
    text = re.sub(r"([A-Z]{2,})(\d+)", r"\1 \2", text)
    text = re.sub(r"([a-z\d]+)([A-Z]{2,})", r"\1 \2", text)
    text = re.sub(r"([a-z\d])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-rt-z\d]+)", r"\1 \2", text)
    text = text.lower()
    text = re.sub(r"([a-zA-Z\d]+)'([ts])(\s|$)", r"\1\2\3", text)
    text = re.sub(r"[^a-z\d]+", "-", text).replace("\\", "")
    text = re.sub(r"-{2,}", "-", text)
    return re.sub(r"^-|-$", "", text)


def js_substring(text: str, length: int) -> str:
    """``text.substring(0, length)``: JavaScript counts UTF-16 code units (an emoji is two)."""
    data = text.encode("utf-16-le")[: 2 * length]
    return data.decode("utf-16-le", errors="ignore")


def page_url_slug(title: str | None, slug_id: str) -> str:
    """``<slugify(title[:70])>-<slugId>``, the last path segment of a page URL as the exporter builds it."""
    return f"{slugify(js_substring(page_title(title), 70))}-{slug_id}"


def slug_id_of(href: str) -> str | None:
    """The slugId of an internal page link (``INTERNAL_LINK_REGEX`` + ``extractPageSlugId``), else None."""
    match = INTERNAL_LINK.match(href)
    if not match:
        return None
    parts = match.group(5).split("-")
    return parts[-1] if len(parts) > 1 else match.group(5)


def link_page_name(relative_path: str) -> str:
    """``getInternalLinkPageName``: the decoded file name (without extension) of a relative link."""
    name = relative_path.split("/")[-1]
    return decode_component(".".join(name.split(".")[:-1]))


# --- links in Markdown ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkToken:
    """An inline link ``[label](href)``: ``start``/``end`` span the whole token in the text."""

    start: int
    end: int
    label: str
    href: str


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)
_HREF = re.compile(r"\(([^()\s]*)(?: \"[^\"]*\")?\)")


def _code_ranges(text: str) -> list[tuple[int, int]]:
    """Spans of fenced code blocks and inline code spans, where a ``[x](y)`` is code, not a link."""
    ranges: list[tuple[int, int]] = []
    pos = 0
    while True:
        fence = _FENCE.search(text, pos)
        block_end = len(text)
        if fence is None:
            ranges.extend(_code_spans(text, pos, len(text)))
            return ranges
        ranges.extend(_code_spans(text, pos, fence.start()))
        marker = fence.group(1)
        closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", re.MULTILINE)
        line_end = text.find("\n", fence.end())
        close = closing.search(text, line_end + 1) if line_end != -1 else None
        block_end = close.end() if close else len(text)
        ranges.append((fence.start(), block_end))
        pos = block_end


def _code_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    pos = start
    while pos < end:
        tick = text.find("`", pos, end)
        if tick == -1:
            return
        if tick > 0 and text[tick - 1] == "\\":
            pos = tick + 1
            continue
        run = len(re.match(r"`+", text[tick:end]).group(0))
        closing = re.compile(rf"(?<!`){'`' * run}(?!`)")
        close = closing.search(text, tick + run, end)
        if close is None:
            pos = tick + run
            continue
        yield tick, close.end()
        pos = close.end()


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def iter_links(text: str) -> Iterator[LinkToken]:
    """Inline links outside code, in order; an image (``![alt](src)``) is not a link, a linked image is."""
    code = _code_ranges(text)
    code_index = 0
    pos = 0
    while True:
        start = text.find("[", pos)
        if start == -1:
            return
        while code_index < len(code) and code[code_index][1] <= start:
            code_index += 1
        if code_index < len(code) and code[code_index][0] <= start:
            pos = code[code_index][1]
            continue
        if _escaped(text, start) or (start > 0 and text[start - 1] == "!" and not _escaped(text, start - 1)):
            pos = start + 1
            continue
        depth, index = 0, start
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 2
                continue
            if char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    break
            elif char == "\n" and text[index + 1:index + 2] == "\n":
                break
            index += 1
        if depth != 0 or index >= len(text):
            pos = start + 1
            continue
        href = _HREF.match(text, index + 1)
        if href is None:
            pos = start + 1
            continue
        yield LinkToken(start, href.end(), text[start + 1:index], href.group(1))
        pos = href.end()
