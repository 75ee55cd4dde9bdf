"""Fidelity measure for built pages: which prose lines of a Docmost source page a reader finds in the built HTML.

A prose line is a source line outside code fences and display math, with Markdown syntax stripped the way a reader
sees it (link -> its label, image -> nothing, emphasis markers and backslash escapes removed, HTML tags dropped,
inline code kept as its text, inline math cut out), 20+ characters long. Table rows count cell by cell. The built
side is the text of the page's <article>, extracted with html.parser. Both sides are whitespace-normalised.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

MIN_PROSE_CHARS = 20

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_INLINE_MATH = re.compile(r"\$[^$\n]+?\$")
_IMAGE = re.compile(r"!\[[^\]]*\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]]+)\]")
_HTML_COMMENT = re.compile(r"<!--.*?-->")
_BLOCK_TAGS = ("p", "div", "br", "hr", "li", "ul", "ol", "table", "thead", "tbody", "tr", "td", "th", "details",
               "summary", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "figure", "figcaption", "section",
               "header", "footer", "img", "video", "audio", "source", "colgroup", "col", "caption", "dl", "dt", "dd")
_INLINE_TAGS = ("a", "span", "strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "sup", "sub", "code", "small",
                "kbd", "abbr", "font")
_HTML_TAG = re.compile(r"</?(" + "|".join(_BLOCK_TAGS + _INLINE_TAGS) + r")(\s[^<>]*)?/?>", re.IGNORECASE)
_LINE_PREFIX = re.compile(r"^(?:\s*>)*\s*(?:#{1,6}\s+|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+(?:\[[ xX]\]\s+)?)?")
_FOOTNOTE_DEF = re.compile(r"^\[\^[^\]]+\]:\s*")


def normalise(text: str) -> str:
    return " ".join(text.replace("\u200b", "").split())


def _strip_inline(text: str) -> str:
    """Markdown inline syntax -> the text a reader sees (code spans and escapes already protected)."""
    text = _HTML_COMMENT.sub("", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _IMAGE.sub(" ", text)
    for _ in range(3):  # links nested in link labels are rare; three passes cover them
        text = _LINK.sub(r"\1", text)
    text = _FOOTNOTE_REF.sub(r"\1", text)  # rendered as a superscript number
    text = _HTML_TAG.sub(lambda m: " " if m.group(1).lower() in _BLOCK_TAGS else "", text)
    text = re.sub(r"\*\*|~~|==", "", text)
    text = re.sub(r"\*(?=\S)(.+?)(?<=\S)\*", r"\1", text)
    # `_` emphasises only when not inside a word on its outer side (CommonMark), so `と_斜体_。` stays literal.
    text = re.sub(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)", r"\1", text)
    text = re.sub(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)", r"\1", text)
    return text


def strip_markdown(line: str) -> list[str]:
    """One source line (or table cell) -> its visible pieces; inline math splits it (KaTeX renders it as glyphs)."""
    protected: list[str] = []

    def protect(value: str) -> str:
        protected.append(value)
        return f"\x00{len(protected) - 1}\x00"

    line = _FOOTNOTE_DEF.sub("", _LINE_PREFIX.sub("", line, count=1))
    # An escaped backtick cannot open a code span, and escapes do not work inside code spans: protect in that order.
    line = line.replace("\\`", protect("`"))
    line = _CODE_SPAN.sub(lambda m: protect(m.group(2).strip() if m.group(2).strip() else m.group(2)), line)
    line = _ESCAPED.sub(lambda m: protect(m.group(1)), line)
    line = re.sub(r"\\$", "", line.rstrip())  # hard line break
    pieces = _INLINE_MATH.split(line)
    restored = []
    for piece in pieces:
        piece = _strip_inline(piece)
        piece = re.sub(r"\x00(\d+)\x00", lambda m: protected[int(m.group(1))], piece)
        restored.append(normalise(piece))
    return [piece for piece in restored if piece]


def prose_lines(markdown: str) -> list[tuple[str, list[str]]]:
    """(source line, visible pieces) for every prose line of 20+ visible characters."""
    result: list[tuple[str, list[str]]] = []
    fence: str | None = None
    in_display_math = False
    for raw in markdown.splitlines():
        stripped = raw.strip()
        opening = _FENCE.match(raw)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and stripped == opening.group(1):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        if stripped.startswith("$$"):
            if not (len(stripped) > 4 and stripped.endswith("$$")):
                in_display_math = not in_display_math
            continue
        if in_display_math or not stripped or stripped.startswith(":::") or _TABLE_SEPARATOR.match(stripped):
            continue
        if stripped.startswith("|"):
            cells = re.split(r"(?<!\\)\|", stripped.strip("|"))
        else:
            cells = [stripped]
        for cell in cells:
            pieces = strip_markdown(cell)
            if sum(len(p) for p in pieces) >= MIN_PROSE_CHARS:
                result.append((cell.strip(), pieces))
    return result


class ArticleText(HTMLParser):
    """Visible text of the <article> elements of a built page (scripts, styles and KaTeX's MathML left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._article_depth = 0
        self._skip_stack: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag == "article":
            self._article_depth += 1
        if self._skip_stack or tag in ("script", "style") or "katex-mathml" in (attributes.get("class") or ""):
            if tag not in ("br", "img", "hr", "input", "source", "col", "meta", "link"):
                self._skip_stack.append(tag)
            return
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._skip_stack:
            if self._skip_stack[-1] == tag:
                self._skip_stack.pop()
            return
        if tag == "article":
            self._article_depth = max(0, self._article_depth - 1)
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._article_depth and not self._skip_stack:
            self.parts.append(data)

    @classmethod
    def of(cls, page_html: str) -> str:
        parser = cls()
        parser.feed(page_html)
        parser.close()
        return normalise("".join(parser.parts))


def found_in(pieces: list[str], page_text: str) -> bool:
    """Every piece appears in the page text, as written or with character references decoded (the exporter writes
    typed `&copy;` literally, so either reading of it is the author's text)."""
    return all(piece in page_text or normalise(html.unescape(piece)) in page_text for piece in pieces)
