"""Embeds: the frame URL of each provider Docmost 0.95 embeds (facts from Docmost's ``embed-provider.ts``).

Only ``https`` URLs whose host is on the allow-list below become frames; anything else (the generic ``iframe``
provider on another host, ``http:``, a malformed URL) is shown as a plain link to the original URL.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from docmost_pipeline.convert.document.safety import is_https_url

# provider id -> (URL pattern, frame URL from the match and the URL). The hosts match ALLOWED_HOSTS.
_PROVIDERS: dict[str, tuple[re.Pattern[str], object]] = {
    "loom": (re.compile(r"^https://(?:www\.)?loom\.com/(?:share|embed)/([\da-zA-Z]+)"),
             lambda m, url: url if "/embed/" in url else f"https://www.loom.com/embed/{m[1]}"),
    "airtable": (re.compile(r"^https://(?:www\.)?airtable\.com/([a-zA-Z0-9]{2,}/.*)"),
                 lambda m, url: url if "/embed/" in url else f"https://airtable.com/embed/{m[1]}"),
    "figma": (re.compile(r"^https://[\w.-]*figma\.com/(?:file|proto|board|design|slides|deck)/[0-9a-zA-Z]{22,128}"),
              lambda m, url: f"https://www.figma.com/embed?embed_host=docmost&url={quote(url, safe='')}"),
    "typeform": (re.compile(r"^https://[\w.]+\.typeform\.com/to/.+"), lambda m, url: url),
    "miro": (re.compile(r"^https://(?:www\.)?miro\.com/app/board/([\w-]+=)"),
             lambda m, url: url if "/live-embed/" in url else
             f"https://miro.com/app/live-embed/{m[1]}?embedMode=view_only_without_ui"),
    "youtube": (re.compile(r"^https://(?:(?:www|m|music)\.)?(?:youtube\.com|youtu\.be|youtube-nocookie\.com)"
                           r"/(?:[\w-]+\?v=|embed/|v/)?([\w-]+)"),
                lambda m, url: f"https://www.youtube-nocookie.com/embed/{m[1]}"),
    "vimeo": (re.compile(r"^https://(?:www\.|player\.)?vimeo\.com/(?:channels/(?:\w+/)?|groups/[^/]*/videos/|"
                         r"album/\d+/video/|video/|)(\d+)"),
              lambda m, url: f"https://player.vimeo.com/video/{m[1]}"),
    "framer": (re.compile(r"^https://(?:www\.)?framer\.com/embed/[\w-]+"), lambda m, url: url),
    "gdrive": (re.compile(r"^https://(?:(?:www|m)\.)?drive\.google\.com/file/d/([a-zA-Z0-9_-]+)/"),
               lambda m, url: f"https://drive.google.com/file/d/{m[1]}/preview"),
    "gsheets": (re.compile(r"^https://(?:(?:www|m)\.)?docs\.google\.com/spreadsheets/d/[a-zA-Z0-9_-]+/"),
                lambda m, url: url),
}
ALLOWED_HOSTS = frozenset({
    "www.loom.com", "loom.com", "airtable.com", "www.airtable.com", "www.figma.com", "figma.com",
    "miro.com", "www.miro.com", "www.youtube-nocookie.com", "www.youtube.com", "youtube.com", "player.vimeo.com",
    "framer.com", "www.framer.com", "drive.google.com", "docs.google.com",
})
ALLOWED_HOST_SUFFIXES = (".typeform.com",)
SANDBOX = "allow-scripts allow-same-origin allow-popups allow-presentation"


def _allowed(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ALLOWED_HOSTS or host.endswith(ALLOWED_HOST_SUFFIXES)


def frame_url(provider: object, src: object) -> str | None:
    """The URL to frame for an embed node (``provider`` as Docmost stored it), or None: show a link instead."""
    if not is_https_url(src):
        return None
    url = str(src)
    candidates = [str(provider).lower()] if str(provider).lower() in _PROVIDERS else list(_PROVIDERS)
    for name in candidates:
        pattern, build = _PROVIDERS[name]
        match = pattern.match(url)
        if match:
            framed = build(match, url)
            return framed if is_https_url(framed) and _allowed(framed) else None
    # the generic "iframe" provider: its own URL, when it is on a host we frame anyway
    return url if _allowed(url) else None
