"""Document values are untrusted input: the checks every colour, alignment, size and URL passes before it is
written into JSX. A value that fails is dropped (the content stays, without that style or link)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# CSS colours as Docmost's pickers write them: hex, rgb()/rgba()/hsl()/hsla() with plain numbers, or a keyword.
_HEX = re.compile(r"#[0-9A-Fa-f]{3,8}")
_FUNCTION = re.compile(r"(?:rgb|rgba|hsl|hsla)\(\s*[0-9.%]+(?:\s*[,/ ]\s*[0-9.%]+){2,3}\s*\)")
_KEYWORD = re.compile(r"[A-Za-z]{3,20}")
ALIGNMENTS = frozenset({"left", "center", "right", "justify"})


def safe_color(value: object) -> str | None:
    """``value`` when it is a plain CSS colour (no ``url(``, ``expression``, quotes, braces or ``;``), else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > 40 or not value:
        return None
    if _HEX.fullmatch(value) or _FUNCTION.fullmatch(value):
        return value
    if _KEYWORD.fullmatch(value) and value.lower() not in ("expression", "inherit", "initial", "unset"):
        return value.lower()
    return None


def safe_alignment(value: object) -> str | None:
    return value if isinstance(value, str) and value in ALIGNMENTS else None


def safe_int(value: object, *, low: int = 0, high: int = 10_000) -> int | None:
    """An integer attribute (``colspan``, ``width``, ...) within bounds; strings of digits accepted."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and low <= value <= high else None


def is_https_url(value: object) -> bool:
    """True for an absolute ``https://host/...`` URL without whitespace, quotes or control characters."""
    if not isinstance(value, str) or len(value) > 2000 or re.search(r"[\s\"'<>\\`{}\x00-\x1f\x7f]", value):
        return False
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname)


def is_link_url(value: object) -> bool:
    """A link target we may write: no script schemes (``javascript:``, ``data:``, ``vbscript:``), no control chars."""
    if not isinstance(value, str) or not value.strip() or re.search(r"[\x00-\x1f\x7f]", value):
        return False
    scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", value)
    return scheme is None or scheme.group(1).lower() in ("http", "https", "mailto", "tel")
