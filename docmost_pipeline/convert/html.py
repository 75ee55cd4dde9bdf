"""Raw HTML written by Docmost's exporter -> JSX that Docusaurus 3's MDX compiler accepts, still rendered as HTML.

Docmost emits ``<details>``/``<summary>``, whole ``<div class="joplin-table-wrapper"><table …>`` tables with
``colspan``/``rowspan``, ``<br>``, ``<mark>``, ``<u>``, ``<s>``, ``<sub>``, ``<sup>`` and attributes such as
``style="…"``, ``class=``, ``data-*``, ``dir``. MDX parses these as JSX, so:

* void elements are self-closed (``<br />``), closing tags of void elements dropped;
* attribute names become React's (``class`` -> ``className``, ``colspan`` -> ``colSpan``, …); invalid names and
  event handlers (``on*``) are dropped; ``style`` strings become JSX style objects;
* text between tags becomes a JavaScript string expression (``{"text"}``): in an HTML block CommonMark shows that
  text literally (no Markdown inside), and a string expression is the one form MDX never re-parses;
* comments, doctypes and processing instructions disappear (CommonMark renders them invisible);
  ``<script>``/``<style>`` elements are dropped with their content and reported.

Attribute values of ``href``/``src`` go through the caller's ``resolve`` callback (links to pages and files).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from docmost_pipeline.convert.escape import escape_literal

VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
DROPPED_ELEMENTS = frozenset({"script", "style"})

# HTML attribute name -> React prop name (the ones Docmost can emit plus common table/media ones).
ATTRIBUTE_NAMES = {
    "class": "className",
    "for": "htmlFor",
    "colspan": "colSpan",
    "rowspan": "rowSpan",
    "tabindex": "tabIndex",
    "readonly": "readOnly",
    "maxlength": "maxLength",
    "cellpadding": "cellPadding",
    "cellspacing": "cellSpacing",
    "frameborder": "frameBorder",
    "allowfullscreen": "allowFullScreen",
    "crossorigin": "crossOrigin",
    "srcset": "srcSet",
    "datetime": "dateTime",
    "accesskey": "accessKey",
    "contenteditable": "contentEditable",
    "spellcheck": "spellCheck",
    "autoplay": "autoPlay",
    "playsinline": "playsInline",
    "usemap": "useMap",
    "referrerpolicy": "referrerPolicy",
    "hreflang": "hrefLang",
    "enctype": "encType",
    "autocomplete": "autoComplete",
    "novalidate": "noValidate",
    "charset": "charSet",
    "http-equiv": "httpEquiv",
}
_VALID_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")
_VALID_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
_SAFE_ATTRIBUTE_VALUE = re.compile(r'^[^"{}<>\\&\n\r]*$')


def js_string(text: str) -> str:
    """A JavaScript string literal for ``text`` that MDX's expression scanner cannot misread.

    Braces and angle brackets are written as ``\\u`` escapes: MDX finds the end of ``{…}`` by counting braces.
    """
    literal = json.dumps(text, ensure_ascii=False)
    for char in "{}<>":
        literal = literal.replace(char, "\\u%04x" % ord(char))
    return literal


def style_object(style: str) -> str | None:
    """``"min-width: 50px; text-align:center"`` -> ``{{"minWidth":"50px","textAlign":"center"}}`` (None if empty)."""
    properties: dict[str, str] = {}
    for declaration in style.split(";"):
        name, colon, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not name or not value:
            continue
        if name.startswith("--"):
            key = name  # custom properties keep their name
        else:
            parts = name.lower().split("-")
            if parts[0] == "":  # vendor prefix: -webkit-x -> WebkitX
                parts = parts[1:]
                key = "".join(part.capitalize() for part in parts)
                if parts and parts[0] == "ms":
                    key = key[0].lower() + key[1:]
            else:
                key = parts[0] + "".join(part.capitalize() for part in parts[1:])
        properties[key] = value
    if not properties:
        return None
    return "{" + js_object(properties) + "}"


def js_object(values: dict[str, str]) -> str:
    return "{" + ",".join(f"{js_string(key)}:{js_string(value)}" for key, value in values.items()) + "}"


def _attribute_value(value: str) -> str:
    if _SAFE_ATTRIBUTE_VALUE.match(value):
        return f'"{value}"'
    return "{" + js_string(value) + "}"


@dataclass
class JsxResult:
    """JSX text plus what had to be dropped (for the conversion report)."""

    jsx: str
    warnings: list[tuple[str, str]] = field(default_factory=list)
    pending_link: str | None = None  # href of an <a> written as "[" whose "](href)" the caller must write


@dataclass(frozen=True)
class MarkdownLink:
    """Resolver answer for ``<a href>`` to a doc: written as a Markdown link so Docusaurus resolves the ``.md``
    path to the page's URL (it never rewrites hrefs of JSX elements, which would be broken links)."""

    href: str


Resolver = Callable[[str, str, str], "str | MarkdownLink | None"]
"""(tag, attribute, raw value) -> new value, a MarkdownLink (``<a href>`` only), or None to drop the attribute."""


class _JsxWriter(HTMLParser):
    def __init__(self, resolve: Resolver | None, stack: list[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.resolve = resolve
        self.stack = stack
        self.out: list[str] = []
        self.result = JsxResult("")
        self.dropping: str | None = None
        self.pre_depth = 0
        self.markdown_link: str | None = None  # href of the <a> being written as [label](href)

    # -- tags -------------------------------------------------------------------------------------------
    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], self_closing: bool) -> None:
        if self.dropping:
            return
        if tag in DROPPED_ELEMENTS:
            self.result.warnings.append(("dropped_html", f"<{tag}> element dropped (not rendered on the site)"))
            if not self_closing:
                self.dropping = tag
            return
        if not _VALID_TAG.match(tag):
            self.result.warnings.append(("dropped_html", f"tag <{tag}> is not valid JSX and was dropped"))
            return
        if tag == "a" and self.resolve is not None and self.markdown_link is None and not self_closing:
            href = dict(attrs).get("href")
            target = self.resolve(tag, "href", href) if href else None
            if isinstance(target, MarkdownLink):
                self.markdown_link = target.href
                self.out.append("[")
                return
            # keep the attribute order; the resolved href (or none) takes the place of the original
            attrs = [(name, target if name == "href" else value) for name, value in attrs if name != "href" or target is not None]
        parts = [tag]
        for name, value in attrs:
            prop = self._prop(tag, name, value)
            if prop:
                parts.append(prop)
        void = tag in VOID_ELEMENTS
        if void or self_closing:
            self.out.append("<" + " ".join(parts) + " />")
        else:
            self.out.append("<" + " ".join(parts) + ">")
            self.stack.append(tag)
            if tag == "pre":
                self.pre_depth += 1

    def _prop(self, tag: str, name: str, value: str | None) -> str | None:
        if not _VALID_ATTRIBUTE.match(name) or name.startswith("on"):
            self.result.warnings.append(("dropped_html", f"attribute {name!r} on <{tag}> dropped"))
            return None
        if name == "style":
            style = style_object(value or "")
            return f"style={style}" if style else None
        if value is not None and name in ("href", "src") and self.resolve is not None and not (tag == "a" and name == "href"):
            value = self.resolve(tag, name, value)
            if value is None:
                return None
            if value.startswith("{"):  # a prepared JSX expression (e.g. require() for images)
                return f"{name}={value}"
        prop = ATTRIBUTE_NAMES.get(name, name)
        if value is None:
            return prop
        return f"{prop}={_attribute_value(value)}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, self_closing=True)

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping:
                self.dropping = None
            return
        if tag == "a" and self.markdown_link is not None:
            self.out.append("](" + self.markdown_link + ")")
            self.markdown_link = None
            return
        if tag in VOID_ELEMENTS or tag in DROPPED_ELEMENTS or not _VALID_TAG.match(tag):
            return
        if tag not in self.stack:
            self.result.warnings.append(("unbalanced_html", f"closing tag </{tag}> without opening tag dropped"))
            return
        while self.stack:
            opened = self.stack.pop()
            self.out.append(f"</{opened}>")
            if opened == tag:
                break
        if tag == "pre" and self.pre_depth:
            self.pre_depth -= 1

    # -- text ------------------------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self.dropping or not data:
            return
        if data.strip() == "" and not self.pre_depth:
            # JSX drops whitespace that contains a line break; a lone space between inline elements matters.
            if "\n" not in data:
                self.out.append(" ")
            return
        if self.markdown_link is not None:
            self.out.append(escape_literal(data if self.pre_depth else re.sub(r"\s+", " ", data)))
            return
        self.out.append("{" + js_string(data) + "}")

    def handle_comment(self, data: str) -> None:
        pass

    def handle_decl(self, decl: str) -> None:
        pass

    def handle_pi(self, data: str) -> None:
        pass

    def unknown_decl(self, data: str) -> None:
        pass

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        # html.parser asserts on a "<![" that opens no CDATA/IF-style section (prose such as "<![alt](x.png)"
        # inside an HTML block); the reader must see those characters, so they are text like any other.
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            self.handle_data(self.rawdata[i:i + 3])
            return i + 3


def html_to_jsx(
    html: str, *, resolve: Resolver | None = None, stack: list[str] | None = None, close_links: bool = True
) -> JsxResult:
    """Convert an HTML fragment to JSX on one line.

    ``stack`` holds the elements still open from earlier fragments of the same page (an HTML block may open
    ``<details>`` and a later one close it); it is updated in place. A closing tag that matches nothing
    open is dropped; one that skips open elements closes them first, so the JSX always nests.
    """
    writer = _JsxWriter(resolve, stack if stack is not None else [])
    writer.feed(html)
    writer.close()
    if writer.markdown_link is not None:  # <a> not closed in this fragment
        if close_links:
            writer.out.append("](" + writer.markdown_link + ")")
        else:
            writer.result.pending_link = writer.markdown_link
    writer.result.jsx = "".join(writer.out)
    return writer.result


def parse_single_tag(html: str) -> tuple[str, str | None]:
    """Classify one inline HTML token: ("open"|"close"|"void"|"comment"|"other", tag name or None)."""
    stripped = html.strip()
    if stripped.startswith("<!--"):
        return "comment", None
    match = re.match(r"^<(/?)([A-Za-z][A-Za-z0-9-]*)", stripped)
    if not match:
        return "other", None
    name = match.group(2).lower()
    if match.group(1):
        return "close", name
    if name in VOID_ELEMENTS or stripped.endswith("/>"):
        return "void", name
    return "open", name
