"""Document nodes -> MDX: plain JSX with inline styles (one Docusaurus component, ``@theme/Admonition``, for callouts
with an icon). Block output is MDX flow: container tags on their own lines, children separated by blank lines, leaf
blocks on one line. Text is escaped as in the Markdown path (``escape_literal``), links and attachments go through
the page's link resolver, every attribute value through ``safety``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from posixpath import basename
from urllib.parse import unquote

from docmost_pipeline.convert.document.embeds import SANDBOX, frame_url
from docmost_pipeline.convert.document.safety import is_link_url, safe_alignment, safe_color, safe_int
from docmost_pipeline.convert.escape import encode_href, escape_literal
from docmost_pipeline.convert.html import js_string
from docmost_pipeline.convert.links import LinkTarget
from docmost_pipeline.convert.markdown.renderer import CALLOUT_ADMONITIONS, FALLBACK_ADMONITION
from docmost_pipeline.convert.math import repair_tex

ADMONITION_IMPORT = "import Admonition from '@theme/Admonition';"
# Files Docusaurus' webpack config can require() (its media and "other files" rules); others get a link only.
_MEDIA = re.compile(r"\.(?:mp4|avi|mov|mkv|mpg|mpeg|vob|wmv|m4v|webm|ogv|wav|mp3|m4a|aac|oga|flac)$", re.I)
_OTHER_FILES = re.compile(r"\.(?:pdf|docx?|xlsx?|zip|rar)$", re.I)
_BARE_AMPERSAND = re.compile(r"\\&(?!#[0-9]+;|#[xX][0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,30}")
# Docmost's status badge colours (light background, dark text), by the colour names its picker stores.
STATUS_COLORS = {
    "gray": ("#e9ecef", "#495057"), "blue": ("#d0ebff", "#1864ab"), "green": ("#d3f9d8", "#2b8a3e"),
    "yellow": ("#fff3bf", "#e67700"), "red": ("#ffe3e3", "#c92a2a"), "purple": ("#e5dbff", "#5f3dc4"),
}
_MARK_TAGS = {"bold": "strong", "italic": "em", "strike": "s", "underline": "u", "subscript": "sub",
              "superscript": "sup", "code": "code"}
# Outermost first; a link wraps everything (consecutive text with the same link becomes one link).
_MARK_ORDER = ["textStyle", "highlight", "bold", "italic", "underline", "strike", "subscript", "superscript", "code"]


def text(value: str) -> str:
    """Plain text for MDX phrasing, escaped as the Markdown path escapes a literal (``&`` kept when bare)."""
    return _BARE_AMPERSAND.sub("&", escape_literal(value.replace("\r", "").replace("\n", " ")))


def style(**values: str | None) -> str:
    """`` style={{a: "b"}}`` for the values that are set (already validated), else ``""``."""
    pairs = [f"{name}: {js_string(value)}" for name, value in values.items() if value]
    return " style={{" + ", ".join(pairs) + "}}" if pairs else ""


@dataclass
class RenderEnv:
    """What rendering one page's blocks needs: its link resolver, where to report, and the page's neighbours."""

    resolve: Callable[[str], LinkTarget]
    warn: Callable[[str, str], None]
    subpages: Callable[[], list[tuple[str, str]]] = lambda: []  # (title, Docmost page URL) of each child
    transclusion: Callable[[str, str], list[dict] | None] = lambda page_id, block_id: None
    counts: Counter = field(default_factory=Counter)
    imports: set[str] = field(default_factory=set)
    space_slug: str = "-"
    local_slug_ids: frozenset[str] = frozenset()  # the pages of this space (mentions of others stay plain text)
    depth: int = 0


class DocumentRenderer:
    def __init__(self, env: RenderEnv) -> None:
        self.env = env

    # ---- blocks -------------------------------------------------------------------------------------------
    def blocks(self, nodes: list) -> str:
        rendered = [self.block(node) for node in nodes if isinstance(node, dict)]
        return "\n\n".join(part for part in rendered if part)

    def block(self, node: dict) -> str:
        kind = str(node.get("type"))
        handler = getattr(self, f"_block_{kind}", None)
        if handler is None:
            self.env.warn("unknown_node", f"document node {kind!r} inside a restored block is not shown")
            return ""
        self.env.counts[kind] += 1
        return handler(node, node.get("attrs") or {})

    def _container(self, open_tag: str, close_tag: str, inner: str) -> str:
        return f"{open_tag}\n\n{inner}\n\n{close_tag}" if inner else f"{open_tag}\n{close_tag}"

    def _block_paragraph(self, node: dict, attrs: dict) -> str:
        inner = self.inline(node.get("content") or [])
        styled = self._align_style(attrs)
        if not inner and not styled:
            return ""
        return f"<p{styled}>{inner}</p>"

    def _align_style(self, attrs: dict) -> str:
        indent = safe_int(attrs.get("indent"), high=20)
        return style(textAlign=safe_alignment(attrs.get("textAlign")),
                     marginLeft=f"{indent * 2}rem" if indent else None)

    def _block_heading(self, node: dict, attrs: dict) -> str:
        level = safe_int(attrs.get("level"), low=1, high=6) or 2
        inner = self.inline(node.get("content") or [])
        styled = self._align_style(attrs)
        if styled:
            return f"<h{level}{styled}>{inner}</h{level}>"
        guard = '{""}' if inner.endswith("\\}") else ""
        return f"{'#' * level} {inner}{guard}" if inner else ""

    def _block_blockquote(self, node: dict, attrs: dict) -> str:
        return self._container("<blockquote>", "</blockquote>", self.blocks(node.get("content") or []))

    def _block_bulletList(self, node: dict, attrs: dict) -> str:
        return self._container("<ul>", "</ul>", self._items(node))

    def _block_orderedList(self, node: dict, attrs: dict) -> str:
        start = safe_int(attrs.get("start"), high=1_000_000)
        opener = f"<ol start={{{start}}}>" if start not in (None, 1) else "<ol>"
        return self._container(opener, "</ol>", self._items(node))

    def _block_taskList(self, node: dict, attrs: dict) -> str:
        return self._container('<ul className="contains-task-list" style={{listStyle: "none", paddingLeft: "1.2rem"}}>',
                               "</ul>", self._items(node))

    def _items(self, node: dict) -> str:
        return "\n\n".join(self.block(item) for item in node.get("content") or [] if isinstance(item, dict))

    def _single_paragraph(self, content: list) -> bool:
        """One unstyled paragraph: written inline in its ``<li>``/cell, as Markdown writes a tight item."""
        return len(content) == 1 and isinstance(content[0], dict) and content[0].get("type") == "paragraph" \
            and not self._align_style(content[0].get("attrs") or {})

    def _block_listItem(self, node: dict, attrs: dict) -> str:
        content = node.get("content") or []
        if self._single_paragraph(content):
            self.env.counts["paragraph"] += 1
            return f"<li>{self.inline(content[0].get('content') or [])}</li>"
        return self._container("<li>", "</li>", self.blocks(content))

    def _block_taskItem(self, node: dict, attrs: dict) -> str:
        checked = "true" if attrs.get("checked") is True else "false"
        box = f'<input type="checkbox" checked={{{checked}}} disabled readOnly />'
        content = list(node.get("content") or [])
        first = ""
        if content and content[0].get("type") == "paragraph":
            self.env.counts["paragraph"] += 1
            first = self.inline(content.pop(0).get("content") or [])
        head = f"<p>{box} {first}</p>" if first else f"<p>{box}</p>"
        rest = self.blocks(content)
        return self._container('<li className="task-list-item">', "</li>", head + ("\n\n" + rest if rest else ""))

    def _block_codeBlock(self, node: dict, attrs: dict) -> str:
        code = "".join(child.get("text", "") for child in node.get("content") or [] if isinstance(child, dict))
        language = attrs.get("language")
        language = language if isinstance(language, str) and _LANGUAGE.fullmatch(language) else ""
        longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}{language}\n{code.rstrip(chr(10))}\n{fence}"

    def _block_horizontalRule(self, node: dict, attrs: dict) -> str:
        return "<hr />"

    def _block_pageBreak(self, node: dict, attrs: dict) -> str:
        # Screens have no pages; printing the doc starts a new page here, as Docmost's print does.
        return '<div className="docmost-page-break" style={{breakAfter: "page"}} />'

    def _block_mathBlock(self, node: dict, attrs: dict) -> str:
        tex = str(attrs.get("text") or "").strip("\n")
        if "$$" in tex:  # it would close the block early: shown as code instead
            return self._block_codeBlock({"content": [{"text": tex}]}, {"language": "latex"})
        return f"$$\n{tex}\n$$" if tex.strip() else ""

    def _block_callout(self, node: dict, attrs: dict) -> str:
        name = str(attrs.get("type") or "default")
        admonition = CALLOUT_ADMONITIONS.get(name)
        if admonition is None:
            admonition = FALLBACK_ADMONITION
            self.env.warn("unknown_callout", f"callout type {name!r} shown as a {FALLBACK_ADMONITION!r} admonition")
        icon = attrs.get("icon")
        icon_attr = f" icon={{{js_string(icon)}}}" if isinstance(icon, str) and 0 < len(icon) <= 16 else ""
        self.env.imports.add(ADMONITION_IMPORT)
        return self._container(f'<Admonition type="{admonition}"{icon_attr}>', "</Admonition>",
                               self.blocks(node.get("content") or []))

    def _block_details(self, node: dict, attrs: dict) -> str:
        opener = "<details open>" if attrs.get("open") is True else "<details>"
        return self._container(opener, "</details>", self.blocks(node.get("content") or []))

    def _block_detailsSummary(self, node: dict, attrs: dict) -> str:
        return f"<summary>{self.inline(node.get('content') or [])}</summary>"

    def _block_detailsContent(self, node: dict, attrs: dict) -> str:
        return self.blocks(node.get("content") or [])

    def _block_columns(self, node: dict, attrs: dict) -> str:
        # flex-wrap: side by side while each column gets 10rem (three fit the docs column of a 1200px window),
        # stacked below that; no media query needed
        opener = '<div className="docmost-columns" style={{display: "flex", flexWrap: "wrap", gap: "1rem"}}>'
        return self._container(opener, "</div>", self.blocks(node.get("content") or []))

    def _block_column(self, node: dict, attrs: dict) -> str:
        return self._container('<div className="docmost-column" style={{flex: "1 1 10rem", minWidth: 0}}>', "</div>",
                               self.blocks(node.get("content") or []))

    def _block_transclusionSource(self, node: dict, attrs: dict) -> str:
        return self.blocks(node.get("content") or [])

    def _block_transclusionReference(self, node: dict, attrs: dict) -> str:
        source = self.env.transclusion(str(attrs.get("sourcePageId") or ""), str(attrs.get("transclusionId") or ""))
        if source is None or self.env.depth > 3:
            self.env.warn("unresolved_transclusion", f"synced block {attrs.get('transclusionId')!r} of page "
                                                      f"{attrs.get('sourcePageId')!r} not found; nothing shown")
            return ""
        self.env.depth += 1
        try:
            inner = self.blocks(source)
        finally:
            self.env.depth -= 1
        return self._container('<div className="docmost-synced-block">', "</div>", inner)

    def _block_subpages(self, node: dict, attrs: dict) -> str:
        items = []
        for title, url in self.env.subpages():
            items.append(f"<li>{self._link_markup(url, text(title), label_text=title)}</li>")
        return self._container('<ul className="docmost-subpages">', "</ul>", "\n".join(items)) if items else ""

    # ---- tables -------------------------------------------------------------------------------------------
    def _block_table(self, node: dict, attrs: dict) -> str:
        rows = "\n".join(self.block(row) for row in node.get("content") or [] if isinstance(row, dict))
        return f"<table>\n<tbody>\n{rows}\n</tbody>\n</table>"

    def _block_tableRow(self, node: dict, attrs: dict) -> str:
        cells = "\n".join(self.block(cell) for cell in node.get("content") or [] if isinstance(cell, dict))
        return f"<tr>\n{cells}\n</tr>"

    def _cell(self, tag: str, node: dict, attrs: dict) -> str:
        spans = ""
        for name, jsx_name in (("colspan", "colSpan"), ("rowspan", "rowSpan")):
            value = safe_int(attrs.get(name), low=1, high=1000)
            if value and value > 1:
                spans += f" {jsx_name}={{{value}}}"
        styled = style(textAlign=safe_alignment(attrs.get("align")),
                       backgroundColor=safe_color(attrs.get("backgroundColor")))
        content = node.get("content") or []
        if self._single_paragraph(content):
            self.env.counts["paragraph"] += 1
            return f"<{tag}{spans}{styled}>{self.inline(content[0].get('content') or [])}</{tag}>"
        return self._container(f"<{tag}{spans}{styled}>", f"</{tag}>", self.blocks(content))

    def _block_tableHeader(self, node: dict, attrs: dict) -> str:
        return self._cell("th", node, attrs)

    def _block_tableCell(self, node: dict, attrs: dict) -> str:
        return self._cell("td", node, attrs)

    # ---- files and media ----------------------------------------------------------------------------------
    def _attachment(self, src: object) -> LinkTarget | None:
        if not isinstance(src, str) or not src.strip():
            return None
        target = self.env.resolve(src)
        return target if target.href is not None and target.kind == "attachment" else None

    def _exported(self, attrs: dict, key: str, what: str) -> LinkTarget | None:
        """The attachment ``attrs[key]`` names, or None with a ``missing_attachment`` warning."""
        target = self._attachment(attrs.get(key))
        if target is None:
            self.env.warn("missing_attachment", f"{what} {attrs.get(key)!r} is not in the export; not shown")
        return target

    @staticmethod
    def _file_name(attrs: dict, key: str) -> str:
        """The name Docmost stored for the file, else the last segment of its URL."""
        name = attrs.get("name")
        return name if isinstance(name, str) else unquote(basename(str(attrs.get(key))))

    def _asset(self, target: LinkTarget, pattern: re.Pattern[str]) -> str | None:
        """A JSX expression for the file's URL in the build (``require`` bundles it), None for a file type the
        site's webpack rules do not take."""
        path = unquote(target.href or "")
        if not pattern.search(path) or "://" in path or path.startswith("/"):
            return None
        return "{require(" + js_string(path if path.startswith(".") else "./" + path) + ").default}"

    def _file_link(self, target: LinkTarget, name: str) -> str:
        return f"[{text(name)}]({encode_href(target.href or '')})"

    def _media(self, tag: str, node: dict, attrs: dict) -> str:
        target = self._exported(attrs, "src", tag)
        if target is None:
            return ""
        name = unquote(basename(str(attrs.get("src")).split("?")[0])) or tag
        asset = self._asset(target, _MEDIA)
        link = f"<p>{self._file_link(target, name)}</p>"
        if asset is None:
            return link
        width = safe_int(attrs.get("width"), low=1)
        sized = f" width={{{width}}}" if width and tag == "video" else ""
        styled = style(maxWidth="100%", display="block")
        return f"<{tag} controls preload=\"metadata\" src={asset}{sized}{styled} />\n\n{link}"

    def _block_video(self, node: dict, attrs: dict) -> str:
        return self._media("video", node, attrs)

    def _block_audio(self, node: dict, attrs: dict) -> str:
        return self._media("audio", node, attrs)

    def _block_pdf(self, node: dict, attrs: dict) -> str:
        target = self._exported(attrs, "src", "PDF")
        if target is None:
            return ""
        name = self._file_name(attrs, "src")
        link = self._file_link(target, name or "document.pdf")
        asset = self._asset(target, _OTHER_FILES)
        if asset is None:
            return f"<p>{link}</p>"
        height = safe_int(attrs.get("height"), low=100, high=4000) or 600
        viewer = (f'<object data={asset} type="application/pdf" width="100%" height="{height}" '
                  f'aria-label={{{js_string(str(name))}}}>\n\n<p>{link}</p>\n\n</object>')
        return f"{viewer}\n\n<p>{link}</p>"

    def _block_attachment(self, node: dict, attrs: dict) -> str:
        target = self._exported(attrs, "url", "file")
        if target is None:
            return ""
        name = self._file_name(attrs, "url")
        return f"<p>{self._file_link(target, name or 'file')}</p>"

    def _image_markup(self, attrs: dict, alt: object) -> str:
        target = self._exported(attrs, "src", "image")
        if target is None:
            return ""
        alt_text = alt if isinstance(alt, str) else ""
        return f"![{text(alt_text)}]({encode_href(target.href or '')})"

    def _image(self, node: dict, attrs: dict, alt: object) -> str:
        markup = self._image_markup(attrs, alt)
        return f"<p>{markup}</p>" if markup else ""

    def _block_image(self, node: dict, attrs: dict) -> str:
        return self._image(node, attrs, attrs.get("alt"))

    def _block_drawio(self, node: dict, attrs: dict) -> str:
        return self._image(node, attrs, attrs.get("title"))

    def _block_excalidraw(self, node: dict, attrs: dict) -> str:
        return self._image(node, attrs, attrs.get("title"))

    def _frame(self, url: object, framed: str | None, attrs: dict) -> str:
        link = ""
        if isinstance(url, str) and is_link_url(url):
            link = f"<p><a href={{{js_string(url)}}}>{text(url)}</a></p>"
        if framed is None:
            return link
        width = safe_int(attrs.get("width"), low=100, high=4000) or 640
        height = safe_int(attrs.get("height"), low=100, high=4000) or 360
        box = style(position="relative", width="100%", maxWidth=f"{width}px", aspectRatio=f"{width} / {height}")
        frame = (f'<iframe src={{{js_string(framed)}}} title={{{js_string("Embedded " + str(url)[:100])}}} '
                 f'sandbox="{SANDBOX}" loading="lazy" allowFullScreen referrerPolicy="strict-origin-when-cross-origin" '
                 'style={{position: "absolute", inset: 0, width: "100%", height: "100%", border: 0}} />')
        return f'<div className="docmost-embed"{box}>\n{frame}\n</div>\n\n{link}'

    def _block_embed(self, node: dict, attrs: dict) -> str:
        return self._frame(attrs.get("src"), frame_url(attrs.get("provider"), attrs.get("src")), attrs)

    def _block_youtube(self, node: dict, attrs: dict) -> str:
        return self._frame(attrs.get("src"), frame_url("youtube", attrs.get("src")), attrs)

    # ---- inline -------------------------------------------------------------------------------------------
    def inline(self, nodes: list) -> str:
        """One line of MDX phrasing; consecutive nodes with the same link mark become one link."""
        out: list[str] = []
        group: list[dict] = []
        href: object = None
        for node in [n for n in nodes if isinstance(n, dict)]:
            link = next((m for m in node.get("marks") or () if m.get("type") == "link"), None)
            node_href = (link.get("attrs") or {}).get("href") if link else None
            if group and node_href != href:
                out.append(self._linked(group, href))
                group = []
            group.append(node)
            href = node_href
        if group:
            out.append(self._linked(group, href))
        return "".join(out).strip()

    def _linked(self, nodes: list[dict], href: object) -> str:
        inner = "".join(self._inline_node(node) for node in nodes)
        if href is None:
            return inner
        self.env.counts["link (mark)"] += 1
        label = "".join(str(n.get("text", "")) for n in nodes)
        return self._link_markup(href, inner, label_text=label)

    def _link_markup(self, href: object, inner: str, *, label_text: str) -> str:
        if not isinstance(href, str) or not is_link_url(href):
            return inner
        target = self.env.resolve(href)
        if target.href is None or not inner:
            return inner
        if target.kind in ("doc", "attachment") and "://" not in target.href:
            if target.title and label_text.strip() in target.placeholders:
                inner = text(target.title)
            return f"[{inner}]({encode_href(target.href)})"
        if not is_link_url(target.href):
            return inner
        return f"<a href={{{js_string(target.href)}}}>{inner}</a>"

    def _inline_node(self, node: dict) -> str:
        kind = str(node.get("type"))
        attrs = node.get("attrs") or {}
        if kind != "text":
            self.env.counts[kind] += 1
        if kind == "text":
            return self._marked(text(str(node.get("text", ""))), node.get("marks") or [])
        if kind == "hardBreak":
            return "<br />"
        if kind == "mention":
            return self._mention(attrs)
        if kind == "status":
            return self._status(attrs)
        if kind == "mathInline":
            tex = str(attrs.get("text") or "").strip()
            if "$" in tex or "\n" in tex or "\\" == tex[-1:]:
                # it would close the math early (or escape the closing $): shown as code, not as TeX
                return f"<code>{text(tex)}</code>" if tex else ""
            return f"${repair_tex(tex, inline=True, doubled=False)}$" if tex else ""
        if kind in ("image", "drawio", "excalidraw"):
            return self._image_markup(attrs, attrs.get("alt") or attrs.get("title"))
        self.env.warn("unknown_node", f"document node {kind!r} inside a restored block is not shown")
        return ""

    def _marked(self, inner: str, marks: list) -> str:
        by_type = {m.get("type"): m.get("attrs") or {} for m in marks if isinstance(m, dict)}
        for kind in reversed(_MARK_ORDER):
            if kind not in by_type:
                continue
            self.env.counts[f"{kind} (mark)"] += 1
            attrs = by_type[kind]
            if kind == "textStyle":
                color = safe_color(attrs.get("color"))
                inner = f"<span{style(color=color)}>{inner}</span>" if color else inner
            elif kind == "highlight":
                color = safe_color(attrs.get("color"))
                inner = f"<mark{style(backgroundColor=color)}>{inner}</mark>"
            else:
                tag = _MARK_TAGS[kind]
                inner = f"<{tag}>{inner}</{tag}>"
        return inner

    def _mention(self, attrs: dict) -> str:
        label = str(attrs.get("label") or "")
        if attrs.get("entityType") == "page":
            if attrs.get("slugId") not in self.env.local_slug_ids:
                return text(label)  # a page of another space or in the trash: its name
            target = self.env.resolve(f"/s/{self.env.space_slug}/p/-{attrs['slugId']}")
            if target.href is not None and target.kind == "doc" and "://" not in target.href:
                return f"[{text(target.title or label)}]({encode_href(target.href)})"
            return text(label)
        return text("@" + label) if label else ""

    def _status(self, attrs: dict) -> str:
        label = str(attrs.get("text") or "").strip()
        color = str(attrs.get("color") or "gray")
        background, foreground = STATUS_COLORS.get(color, STATUS_COLORS["gray"])
        badge = style(backgroundColor=background, color=foreground, borderRadius="4px", padding="0 0.4em",
                      fontSize="0.8em", fontWeight="600", textTransform="uppercase")
        return f'<span className="docmost-status" data-color="{color if color in STATUS_COLORS else "gray"}"{badge}>' \
               f"{text(label)}</span>"
