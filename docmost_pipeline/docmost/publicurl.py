"""Docmost's public address: the URL readers open and that Docmost writes into page content (its ``APP_URL``).

The pipeline may reach Docmost by another address (``DOCMOST_BASE_URL=http://docmost:3000`` inside Docker, a
loopback port, a tunnel) than the one Docmost publishes. Everything a reader follows back to Docmost (the "Edit this
page" link, the Docmost URL of a link into another space) must use the public address, and absolute links Docmost
wrote into pages carry it. Where it comes from, first found wins:

1. ``DOCMOST_PUBLIC_URL`` (the operator's word);
2. ``window.CONFIG.APP_URL`` of Docmost's web app page (``GET /`` on the base URL, :meth:`DocmostClient.public_url`);
3. the base URL itself, said once in the log (a reverse proxy may serve only ``/api``, an old Docmost no
   ``window.CONFIG``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

CONFIGURED = "DOCMOST_PUBLIC_URL"
DISCOVERED = "window.CONFIG.APP_URL"
FALLBACK = "base URL"


@dataclass(frozen=True)
class PublicUrl:
    """The public address (no trailing ``/``) and where it came from: :data:`CONFIGURED`, :data:`DISCOVERED` or
    :data:`FALLBACK`."""

    url: str
    source: str


def resolve_public_url(client, configured: str | None = None, *, logger: logging.Logger | None = None) -> PublicUrl:
    """Docmost's public address for ``client`` (a :class:`~docmost_pipeline.docmost.client.DocmostClient`):
    ``configured`` (DOCMOST_PUBLIC_URL, validated by the settings) if given, else what Docmost publishes, else the
    base URL with one log line saying so. Raises the client's :class:`DocmostError` when Docmost publishes a
    malformed address or cannot be reached."""
    logger = logger or log
    if configured:
        return PublicUrl(configured.rstrip("/"), CONFIGURED)
    discovered = client.public_url()
    if discovered:
        if discovered != client.base_url:
            logger.info("Docmost's public address is %s (window.CONFIG.APP_URL of its page); the pipeline reaches it "
                        "at %s", discovered, client.base_url)
        return PublicUrl(discovered, DISCOVERED)
    logger.warning("Docmost at %s publishes no public address (no window.CONFIG.APP_URL on its page GET /): using "
                   "the base URL for edit links and links to Docmost; set DOCMOST_PUBLIC_URL if readers reach "
                   "Docmost elsewhere", client.base_url)
    return PublicUrl(client.base_url, FALLBACK)


__all__ = ["CONFIGURED", "DISCOVERED", "FALLBACK", "PublicUrl", "resolve_public_url"]
