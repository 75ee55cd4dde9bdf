"""ASCII file/folder names ("slugs") for converted pages and attachments.

Rules (kept compatible with the replaced system so existing URLs stay recognisable):

* Hangul is romanised syllable by syllable (``hangul.romanize``); CJK ideographs become one word each; every
  other script goes through ``anyascii`` (ISC licence).
* ``&`` -> ``and``, ``+`` -> ``plus``, ``@`` -> ``at``, ``#`` -> ``num``, ``%`` -> ``pct``, ``=`` -> ``eq``
  (each as its own word).
* Whitespace, ``-``, ``_`` and ``.`` separate words; brackets, quotes, ``/``, emoji and all other punctuation
  and symbols are dropped (``CI/CD`` -> ``cicd``, like the Docmost exporter's file names).
* Lowercase ASCII letters and digits joined by single ``-``, trimmed.
* At most 80 characters: a longer slug is cut at a word boundary and gets ``-`` + a 6-hex hash of the full slug.
* Nothing left (empty or emoji-only title) -> the caller's fallback (``untitled`` / the page's slugId).

``unique_sibling_names`` makes the names of one folder's children unique with ``-2``, ``-3``, ... suffixes
assigned in sidebar (position) order, and keeps names Docusaurus would treat specially (category-index names)
away from ordinary pages.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence

from anyascii import anyascii

from docmost_pipeline.convert.hangul import is_hangul_syllable, romanize_syllable

MAX_SLUG_LENGTH = 80
_HASH_LENGTH = 6

SYMBOL_WORDS = {"&": "and", "+": "plus", "@": "at", "#": "num", "%": "pct", "=": "eq"}
_SEPARATORS = frozenset(" \t\n\r\f\v-_.\u00a0\u3000")
_NON_SLUG = re.compile(r"[^a-z0-9]+")

# Docusaurus makes a doc named index / readme / like its folder the category's index page.
CATEGORY_INDEX_NAMES = frozenset({"index", "readme"})


def _is_cjk_ideograph(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))


def _words(text: str) -> str:
    """Turn ``text`` into ASCII with spaces between words; dropped characters vanish without a separator."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char in SYMBOL_WORDS:
            out.append(f" {SYMBOL_WORDS[char]} ")
        elif char in _SEPARATORS or char.isspace():
            out.append(" ")
        elif char.isascii():
            out.append(char if char.isalnum() else "")
        elif is_hangul_syllable(char):
            out.append(romanize_syllable(char))
        elif _is_cjk_ideograph(char):
            out.append(f" {anyascii(char)} ")
        elif unicodedata.category(char)[0] in "LN":
            out.append("".join(c for c in anyascii(char) if c.isalnum() or c == " "))
        # everything else (punctuation, symbols incl. emoji, marks, format chars) is dropped
    return "".join(out)


def short_hash(text: str, length: int = _HASH_LENGTH) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def truncate_slug(slug: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """Cut ``slug`` to ``max_length`` at a word boundary, adding a stable hash of the full slug."""
    if len(slug) <= max_length:
        return slug
    room = max_length - _HASH_LENGTH - 1
    cut = slug[:room]
    if slug[room] != "-" and "-" in cut:
        cut = cut[: cut.rindex("-")]
    return f"{cut.strip('-')}-{short_hash(slug)}"


def slugify(text: str | None, *, max_length: int = MAX_SLUG_LENGTH) -> str:
    """The slug of ``text``; ``""`` when nothing sluggable is left (the caller picks the fallback)."""
    if not text:
        return ""
    slug = _NON_SLUG.sub("-", _words(text).lower()).strip("-")
    return truncate_slug(slug, max_length)


def needs_transliteration(text: str | None) -> bool:
    """True when the title has letters/digits outside ASCII (the slug is a transliteration)."""
    return any(not c.isascii() and unicodedata.category(c)[0] in "LN" for c in (text or ""))


def page_slug(title: str | None, slug_id: str | None) -> str:
    """The slug of a page: from its title, else ``untitled`` (empty title) or its slugId (emoji-only title)."""
    slug = slugify(title)
    if slug:
        return slug
    if title and title.strip() and slug_id:
        fallback = slugify(slug_id)
        if fallback:
            return fallback
    return "untitled"


_NUMBER_PREFIX = re.compile(r"^\d+-+(?=[^-])")
_DATE_LIKE = re.compile(r"^\d{2,4}-\d{1,2}-\d{1,2}")


def route_key(name: str) -> str:
    """The name Docusaurus routes a file or folder by: its default number-prefix parser turns ``01-intro`` into
    ``intro`` (dates like ``2026-01-31-x`` excepted), so ``100-days`` and ``days`` would share one URL."""
    if _DATE_LIKE.match(name):
        return name
    return _NUMBER_PREFIX.sub("", name, count=1)


def unique_sibling_names(candidates: Sequence[str], *, reserved: Iterable[str] = ()) -> list[str]:
    """Make the names of siblings unique; ``candidates`` must already be in position order.

    The first sibling with a given slug keeps it; later ones get ``-2``, ``-3``, ... (skipping names taken by
    another sibling's bare slug). ``reserved`` names (category-index names) are never handed out bare.
    Uniqueness is checked on ``route_key`` so Docusaurus never sees two siblings with the same route.
    """
    reserved_keys = {route_key(r.lower()) for r in reserved} | {r.lower() for r in reserved}
    taken: set[str] = set(reserved_keys)
    bare_owner: dict[str, int] = {}
    for index, name in enumerate(candidates):
        key = route_key(name)
        if key not in reserved_keys and name not in reserved_keys and key not in bare_owner:
            bare_owner[key] = index
    taken.update(bare_owner)
    result: list[str] = []
    for index, name in enumerate(candidates):
        if bare_owner.get(route_key(name)) == index:
            result.append(name)
            continue
        counter = 2
        while True:
            suffix = f"-{counter}"
            candidate = truncate_slug(name, MAX_SLUG_LENGTH - len(suffix)) + suffix
            if route_key(candidate) not in taken and candidate not in taken:
                break
            counter += 1
        taken.add(route_key(candidate))
        result.append(candidate)
    return result


SAFE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_valid_slug(name: str) -> bool:
    return bool(SAFE_SLUG.match(name)) and len(name) <= MAX_SLUG_LENGTH
