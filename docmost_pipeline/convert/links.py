"""Link resolution for converted pages: maps every link/image destination written in a Docmost export to
where it must point in the Docusaurus tree (another doc, an attachment, an external URL, or nothing).

``LinkTarget`` is the value the body renderer receives from the ``resolve_link`` callback.

Rules (``LinkResolver.resolve``):

* Relative ``.md`` paths (percent-encoded, relative to the page's path in the ZIP it came from, looked up in that
  ZIP's page list: ``link_paths``) -> relative link to the new doc.
* Docmost page URLs, absolute (``http://host/s/<space>/p/<slug>-<slugId>``) or site-relative (``/s/...``),
  resolved by slugId (the part after the last ``-``; the slug may be empty) -> relative link to the new doc.
  An absolute URL is Docmost's own when its host is the public URL's (what Docmost writes into content: its
  ``APP_URL``) or the base URL's (how the pipeline reaches it), or when its slugId is a page of this space; on any
  other host it is another Docmost and stays as it is.
  A ``#fragment`` is kept only when it equals the Docusaurus id of a plain (ASCII words) heading of the target
  page; Docmost's own heading ids are not in the export, so any other fragment is dropped with a warning.
* Pages of another space -> the site link ``/docmost/p/<slugId>`` (``SITE_LINK_PREFIX``), whatever that space's
  state: the site's ``docmost-links`` plugin decides at build time where it leads (the page's permalink when that
  space is published, else the fallback). The fallback is recorded per linking page (``cross_space_links``) for its
  front matter: ``{"space": <space slug>, "url": <Docmost URL>}`` with ``url`` = public URL (else base URL) +
  ``/s/<space>/p/<slug>``, else the link's own absolute URL, else omitted (site-relative link, no URL known). A
  ``#fragment`` is dropped
  with a warning (the target's heading ids are not known here). Spaces are converted and published independently,
  so a link resolved against another space's published tree at conversion time would break the site as soon as
  that space is republished with the page renamed, moved or removed.
* A page that does not exist (trashed, deleted, dropped in this space) -> ``LinkTarget(None, "unresolved")`` +
  warning.
* ``files/<id>/<name>`` (leading ``/``, ``?t=`` query, percent-encoding allowed) -> the attachment's output file.
* Empty destination (``[]()``) -> None; external URLs, ``mailto:``, ``#anchor`` -> unchanged.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from docmost_pipeline.convert.attachments import AttachmentPlan
from docmost_pipeline.convert.report import ConversionReport
from docmost_pipeline.convert.tree import PageNode, SpaceTree


@dataclass(frozen=True)
class LinkTarget:
    """Where a link goes after conversion.

    ``href`` None means the link must become plain text (its label kept). ``kind`` is one of
    ``"doc"`` (a doc of this space, or ``/docmost/p/<slugId>`` for a page of another space), ``"attachment"``,
    ``"external"``, ``"unresolved"``.
    """

    href: str | None
    kind: str
    # For a page of this space: its title, and the label texts Docmost's exporter writes instead of a title when
    # a link's text was its own URL (the URL itself in a single-page export, the target's file name in a space
    # export). The renderer shows the title for those, so both exports of a page convert alike.
    title: str | None = field(default=None, compare=False)
    placeholders: tuple[str, ...] = field(default=(), compare=False)


def label_placeholders(raw: str) -> tuple[str, ...]:
    """The texts an export writes as the label of a page link whose text was its URL (see ``LinkTarget``)."""
    dest = raw.strip().strip("<>").strip()
    parts = urlsplit(dest)
    found = {dest}
    if parts.scheme:
        found.add(dest[len(f"{parts.scheme}://{parts.netloc}"):])
    elif parts.path.endswith(".md") and not dest.startswith("/"):
        found.add(unquote(posixpath.basename(parts.path))[: -len(".md")])
    return tuple(sorted(found))


PAGES_INDEX = "_docmost-pages.json"
# Links to pages of other spaces; the site's docmost-links plugin adds a route for each (site/plugins/docmost-links).
SITE_LINK_PREFIX = "/docmost/p/"
# Docmost slugIds are nanoids over [0-9A-Za-z]; only these become site links (and route names).
SLUG_ID = re.compile(r"[A-Za-z0-9]+")

_DOCMOST_PAGE_PATH = re.compile(r"^/s/(?P<space>[^/]+)/p/(?P<slug>[^/]*)/?$")
_FILES_PATH = re.compile(r"(?:^|/)(?:api/)?files/(?P<id>[^/]+)/(?P<name>[^/]+)$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(?P<text>.*?)(?:[ \t]+#+)?[ \t]*$")
_PLAIN_HEADING = re.compile(r"^[A-Za-z0-9 _-]+$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def plain_heading_ids(markdown: str) -> set[str]:
    """Docusaurus (github-slugger) ids of the headings whose text is plain ASCII words, outside code fences.

    Only these can be predicted exactly; the page's leading ``# Title`` line is skipped (it is not rendered).
    """
    ids: set[str] = set()
    seen: dict[str, int] = {}
    fence: str | None = None
    for number, line in enumerate(markdown.splitlines()):
        opener = _FENCE.match(line)
        if fence is not None:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            continue
        heading = _ATX_HEADING.match(line)
        if not heading or (number == 0 and line.startswith("# ")):
            continue
        text = heading["text"].strip()
        slug = re.sub(r"[^a-z0-9 _-]", "", text.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if _PLAIN_HEADING.match(text):
            ids.add(slug if count == 0 else f"{slug}-{count}")
    return ids


def slug_id_of(page_slug: str) -> str:
    """Docmost page URLs end in ``<slug>-<slugId>``; the slug may be empty (``-6uKvMkOKMN``) or absent."""
    return page_slug.rsplit("-", 1)[-1]


def encode_path(path: str) -> str:
    """Percent-encode each segment of a relative posix path (``..`` kept) so MDX and browsers read it as one URL."""
    return "/".join(seg if seg in (".", "..") else quote(seg, safe="") for seg in path.split("/"))


def relative_href(from_dir: str, target: str) -> str:
    """Relative, URL-encoded link from a doc living in ``from_dir`` to ``target`` (both relative to one root)."""
    rel = posixpath.relpath(target, start=from_dir or ".")
    return encode_path(rel)


def _as_pair(target: LinkTarget) -> tuple[str | None, str, str | None]:
    return target.href, target.kind, target.title


def _normal(path: str) -> str:
    return unicodedata.normalize("NFC", path)


class LinkResolver:
    """Resolves every link destination of every page of one space (see the module docstring for the rules)."""

    def __init__(
        self,
        tree: SpaceTree,
        attachments: AttachmentPlan,
        *,
        space_slug: str,
        base_url: str | None,
        report: ConversionReport,
        read_markdown: Callable[[PageNode], str] | None = None,
        link_paths: dict[str, dict[str, str]] | None = None,
        public_url: str | None = None,
    ) -> None:
        self.read_markdown = read_markdown
        self._heading_ids: dict[str, set[str]] = {}
        self.space_slug = space_slug
        self.base_url = base_url.rstrip("/") if base_url else None
        # what readers open: the fallback URLs of links into other spaces are written on it
        self.public_url = public_url.rstrip("/") if public_url else self.base_url
        # the hosts of Docmost's own absolute links: the public URL's and the base URL's
        self.docmost_hosts = {urlsplit(url).netloc.lower() for url in (self.base_url, self.public_url) if url}
        self.attachments = attachments
        self.report = report
        self.by_page_id = tree.by_page_id
        self.by_slug_id: dict[str, PageNode] = {node.page.slug_id: node for node in tree.by_page_id.values()
                                                if node.page.slug_id}
        # namespace -> path -> page id (every page a relative link may name; see ExportedPage.link_namespace)
        self.link_paths = {ns: {_normal(path): page_id for path, page_id in paths.items()}
                           for ns, paths in (link_paths or {}).items()}
        if not self.link_paths:  # an extraction manifest from before namespaces: the pages' own paths
            self.link_paths = {"": {_normal(p.zip_path): p.page_id
                                    for p in [*(n.page for n in tree.by_page_id.values()), *tree.dropped]}}
        self.dropped_ids = {p.page_id for p in tree.dropped}
        self.dropped_slug_ids = {p.slug_id for p in tree.dropped if p.slug_id}
        # page id of the linking page -> slugId -> fallback ({"space", "url"?}) of each page of another space
        self._cross_space: dict[str, dict[str, dict[str, str]]] = {}

    def for_page(self, node: PageNode) -> Callable[[str], LinkTarget]:
        return lambda raw: self.resolve(raw, node)

    def still_resolves(self, node: PageNode, recorded: list) -> bool:
        """True when every recorded ``[raw, href, kind, title]`` of ``node`` resolves to the same target now. Warnings of
        this check go nowhere: the caller replays the ones recorded with the page."""
        report, self.report = self.report, ConversionReport(space_slug=self.space_slug, space_name="")
        try:
            return all(_as_pair(self.resolve(raw, node)) == tuple(rest) for raw, *rest in recorded)
        finally:
            self.report = report

    # -- helpers --------------------------------------------------------------------------------------------

    def _warn(self, node: PageNode, kind: str, message: str) -> None:
        self.report.warn(node.doc_path, kind, message)

    def _target_heading_ids(self, target: PageNode) -> set[str]:
        page_id = target.page.page_id
        if page_id not in self._heading_ids:
            try:
                text = self.read_markdown(target) if self.read_markdown else ""
            except OSError:
                text = ""
            self._heading_ids[page_id] = plain_heading_ids(text)
        return self._heading_ids[page_id]

    def _doc(self, node: PageNode, target: PageNode, fragment: str, raw: str) -> LinkTarget:
        href = relative_href(node.doc_dir, target.doc_path)
        page = {"title": target.title, "placeholders": label_placeholders(raw)}
        if fragment:
            if unquote(fragment) in self._target_heading_ids(target):
                return LinkTarget(f"{href}#{quote(unquote(fragment), safe='')}", "doc", **page)
            # Docmost heading ids are random and absent from the exported Markdown; the Docusaurus ids differ.
            self._warn(node, "dropped_fragment", f"#{fragment} of {raw!r} cannot be mapped; linking the page")
        return LinkTarget(href, "doc", **page)

    def _unresolved(self, node: PageNode, raw: str, why: str) -> LinkTarget:
        self._warn(node, "unresolved_link", f"{raw!r}: {why}; kept as plain text")
        return LinkTarget(None, "unresolved")

    def cross_space_links(self, node: PageNode) -> dict[str, dict[str, str]]:
        """The pages of other spaces ``node`` links to, slugId -> ``{"space", "url"?}``, sorted by slugId (for the
        ``docmost.links`` front matter). Complete once every link of ``node`` has been resolved."""
        return dict(sorted(self._cross_space.get(node.page.page_id, {}).items()))

    def _docmost_url(self, space: str, slug: str, raw: str) -> str | None:
        """The absolute Docmost URL of a page link: on the public URL when known, else the link itself if absolute."""
        if self.public_url:
            return self.public_url + quote(f"/s/{space}/p/{slug}", safe="/%-._~")
        return None if raw.startswith("/") else raw.split("#", 1)[0]

    # -- the rules ------------------------------------------------------------------------------------------

    def resolve(self, raw: str, node: PageNode) -> LinkTarget:
        dest = (raw or "").strip()
        if dest.startswith("<") and dest.endswith(">"):
            dest = dest[1:-1].strip()
        if not dest:
            self._warn(node, "empty_link", "empty link (e.g. Docmost's PDF viewer node) removed")
            return LinkTarget(None, "unresolved")
        if dest.startswith("#"):
            return LinkTarget(dest, "external")
        parts = urlsplit(dest)
        if dest.startswith("//") and not _FILES_PATH.search(parts.path):
            return LinkTarget(dest, "external")
        if _SCHEME.match(dest):
            if parts.scheme.lower() in ("http", "https"):
                return self._absolute(dest, parts, node)
            return LinkTarget(dest, "external")
        if dest.startswith("/"):
            match = _DOCMOST_PAGE_PATH.match(parts.path)
            if match:
                return self._docmost_page(match["space"], match["slug"], parts.fragment, dest, node)
        files = _FILES_PATH.search(parts.path)
        if files:
            return self._attachment(files["id"], files["name"], dest, node)
        return self._relative(parts.path, parts.fragment, dest, node)

    def _absolute(self, dest: str, parts, node: PageNode) -> LinkTarget:
        match = _DOCMOST_PAGE_PATH.match(parts.path)
        host = parts.netloc.lower()
        if match:
            slug_id = slug_id_of(match["slug"])
            ours = not self.docmost_hosts or host in self.docmost_hosts or slug_id in self.by_slug_id \
                or slug_id in self.dropped_slug_ids
            if ours:
                return self._docmost_page(match["space"], match["slug"], parts.fragment, dest, node)
        files = _FILES_PATH.search(parts.path)
        if files and (files["id"] in self.attachments.by_id):
            return self._attachment(files["id"], files["name"], dest, node)
        return LinkTarget(dest, "external")

    def _docmost_page(self, space: str, slug: str, fragment: str, raw: str, node: PageNode) -> LinkTarget:
        slug_id = slug_id_of(unquote(slug))
        target = self.by_slug_id.get(slug_id)
        if target is not None:
            return self._doc(node, target, fragment, raw)
        if slug_id in self.dropped_slug_ids:
            return self._unresolved(node, raw, "the page is an untitled empty page that was dropped")
        space = unquote(space)
        if space == self.space_slug:
            return self._unresolved(node, raw, "no such page in this space (deleted or moved to the trash?)")
        url = self._docmost_url(space, slug, raw)
        if not SLUG_ID.fullmatch(slug_id):
            # Not a Docmost page id: no site route can exist for it; the Docmost URL is all there is.
            if url is None:
                return self._unresolved(node, raw, f"page of space {space!r} and no Docmost base URL known")
            return LinkTarget(url + (f"#{fragment}" if fragment else ""), "external")
        if fragment:
            self._warn(node, "dropped_fragment", f"#{fragment} of {raw!r} cannot be mapped; linking the page")
        fallback = {"space": space, **({"url": url} if url else {})}
        self._cross_space.setdefault(node.page.page_id, {}).setdefault(slug_id, fallback)
        return LinkTarget(SITE_LINK_PREFIX + slug_id, "doc")

    def _attachment(self, attachment_id: str, name: str, raw: str, node: PageNode) -> LinkTarget:
        out = self.attachments.lookup(unquote(attachment_id), unquote(name))
        if out is None:
            self._warn(node, "missing_attachment", f"{raw!r}: attachment not in the export and not fetched from "
                                                   "Docmost (a file of another space?); kept as plain text")
            return LinkTarget(None, "unresolved")
        return LinkTarget(relative_href(node.doc_dir, out), "attachment")

    def _relative(self, path: str, fragment: str, raw: str, node: PageNode) -> LinkTarget:
        decoded = _normal(unquote(path))
        own = node.page.link_path or node.page.zip_path
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(own), decoded)) if decoded else own
        page_id = self.link_paths.get(node.page.link_namespace, {}).get(_normal(joined))
        target = self.by_page_id.get(page_id) if page_id else None
        if target is not None:
            return self._doc(node, target, fragment, raw)
        if page_id in self.dropped_ids:
            return self._unresolved(node, raw, "the page is an untitled empty page that was dropped")
        return self._unresolved(node, raw, "no page or attachment at this path in the export")
