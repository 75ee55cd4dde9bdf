"""The website: the Docusaurus site built over OUTPUT_DIR and switched live into SITE_DIR.

Owns what a site build is made from (the live version of every published space plus the site's own code: the
*inputs*, summed up in one fingerprint), whether a build is due (inputs changed, no sync running, publishes quiet
for a while), the build itself (through :mod:`docmost_pipeline.sitebuild`) and making it live. Making it live is the
space publisher's job (:mod:`docmost_pipeline.publish`): SITE_DIR is laid out like OUTPUT_DIR with one "space"
named ``live``, so the site gets the same guarantees (never missing, never partial, ``SITE_KEEP`` versions,
recovery, ``docmost-pipeline rollback live --output-dir SITE_DIR``)::

    SITE_DIR/live                       the web root: symlink -> .versions/live/<version>
    SITE_DIR/.versions/live/<version>/  complete built sites; each stamp's source_sha256 is its inputs' fingerprint
    SITE_DIR/.build/<id>/               a build in progress (removed when it ends)

No Dagster here: the ``docusaurus_site`` asset and its sensor call these functions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from docmost_pipeline import publish
from docmost_pipeline.publish import PublishResult, Stamp, publish_tree
from docmost_pipeline.publish.space import Layout, live_state
from docmost_pipeline.sitebuild import DEFAULT_SITE_DIR, SiteBuildResult, build_site, has_docs

SITE_NAME = "live"
BUILD_DIR = ".build"
# Environment the site's config reads that changes the built pages (docusaurus.config.mjs).
SITE_ENV = ("SITE_URL", "SITE_BASE_URL")
# Site folders that are not its code: installed packages, build outputs, generated files.
_NOT_SITE_CODE = ("node_modules", "build")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteInputs:
    """What a build of the site is made from, read from OUTPUT_DIR and the site's folder."""

    spaces: dict[str, str]  # space -> live version (every space with a live version)
    trees: dict[str, Path]  # space -> the directory of that version (what the build reads)
    site_code: str  # digest of the site's code (site_code_digest)
    newest_switch: float | None  # when the most recently switched space went live (epoch seconds)

    @property
    def fingerprint(self) -> str:
        text = json.dumps({"spaces": self.spaces, "site": self.site_code}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def site_code_digest(site_dir: Path = DEFAULT_SITE_DIR, environ=os.environ) -> str:
    """SHA-256 of the site's own files (config, plugins, styles, lockfile; not node_modules or builds) and of the
    environment its config reads: a change to any of them needs a new build even when no space changed."""
    digest = hashlib.sha256()
    site_dir = Path(site_dir)
    for current, dirs, files in os.walk(site_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.startswith(_NOT_SITE_CODE))
        for name in sorted(f for f in files if not f.startswith(".")):
            path = Path(current) / name
            digest.update(path.relative_to(site_dir).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in SITE_ENV:
        digest.update(f"{name}={environ.get(name, '')}\0".encode())
    return digest.hexdigest()


def site_inputs(output_dir: Path, site_dir: Path = DEFAULT_SITE_DIR) -> SiteInputs:
    """The live version of every space in OUTPUT_DIR (read without locks, like ``publish.status``) and the site
    code digest."""
    spaces, trees, switched = {}, {}, []
    for space in publish.status(Path(output_dir)):
        if space.live_version is None:
            continue
        spaces[space.space] = space.live_version
        layout = Layout(Path(output_dir), space.space)
        # A symlink-mode space is read from its version directory, so a publish during the build cannot mix two
        # versions into it; an exchange-mode space only has its live directory.
        trees[space.space] = layout.versions / space.live_version if space.mode == "symlink" else layout.live
        # The live path is created (symlink) or renamed (exchange) by the switch: its ctime is when it went live.
        switched.append(os.lstat(layout.live).st_ctime)
    return SiteInputs(spaces=spaces, trees=trees, site_code=site_code_digest(site_dir),
                      newest_switch=max(switched, default=None))


def live_site(site_root: Path) -> Stamp | None:
    """The stamp of the live site under SITE_DIR (None when no site is live)."""
    return live_state(Layout(Path(site_root), SITE_NAME)).stamp


@dataclass(frozen=True)
class BuildDue:
    due: bool
    reason: str


def build_due(inputs: SiteInputs, live: Stamp | None, *, syncs_running: int, quiet_seconds: float,
              now: float | None = None) -> BuildDue:
    """Whether the site should be built now: its inputs differ from the live site's, no sync is queued or running
    (a backfill of every space then gives one build, after its last run), and no space went live in the last
    ``quiet_seconds`` (runs that follow each other closely are built together)."""
    if not inputs.spaces:
        return BuildDue(False, "no space is published yet")
    if not any(has_docs(tree) for tree in inputs.trees.values()):
        return BuildDue(False, "no published space has a page yet")
    if live is not None and live.source_sha256 == inputs.fingerprint:
        return BuildDue(False, f"the live site {live.version} was built from the spaces' live versions")
    if syncs_running:
        return BuildDue(False, f"waiting for {syncs_running} sync run(s) queued or in progress")
    quiet_for = (now if now is not None else time.time()) - (inputs.newest_switch or 0.0)
    if quiet_for < quiet_seconds:
        return BuildDue(False, f"a space went live {quiet_for:.0f} s ago; waiting for {quiet_seconds:g} s without "
                               "publishes")
    changed = "nothing live yet" if live is None else f"inputs changed since {live.version}"
    return BuildDue(True, f"{len(inputs.spaces)} space(s), {changed}")


@dataclass(frozen=True)
class SiteUpdate:
    """What ``update_site`` did: built and published, found the live site current (``unchanged``), or built and
    failed (``build`` not ok; nothing published)."""

    inputs: SiteInputs
    live_version: str | None  # live after the call
    previous_version: str | None
    build: SiteBuildResult | None = None  # None when unchanged
    published: PublishResult | None = None
    pages: int = 0  # HTML pages of the live site (of the failed build when it failed)
    bytes: int = 0

    @property
    def unchanged(self) -> bool:
        return self.build is None

    @property
    def failed(self) -> bool:
        return self.build is not None and not self.build.ok

    @property
    def errors(self) -> int:
        """Problems the build reported: MDX errors, broken links, anchors, Markdown links and images, KaTeX."""
        if self.build is None:
            return 0
        b = self.build
        found = (len(b.mdx_errors) + len(b.broken_links) + len(b.broken_anchors) + len(b.broken_markdown_links)
                 + b.katex_errors)
        return found or (0 if b.ok else 1)  # a failed build with no recognised problem is still one error


def html_pages(build_dir: Path) -> int:
    return sum(1 for _ in Path(build_dir).rglob("*.html"))


def update_site(output_dir: Path, site_root: Path, *, keep: int = 3, site_dir: Path = DEFAULT_SITE_DIR,
                force: bool = False, run_id: str | None = None, timeout: float = 1800.0,
                logger: logging.Logger | logging.LoggerAdapter | None = None) -> SiteUpdate:
    """Build the site over the spaces live in ``output_dir`` and make it live in ``site_root/live``; nothing is
    built when the live site has these inputs already (unless ``force``).

    A failed build is a result (``failed``), and the live site stays what it was. Raises
    ``sitebuild.SiteBuildError`` when no build could be attempted (no Node.js, no published page) and
    ``publish.PublishError`` when the built site could not be made live (the previous one then stays live).
    """
    logger = logger or log
    inputs = site_inputs(output_dir, site_dir)
    live = live_site(site_root)
    previous = live.version if live else None
    if not force and live is not None and live.source_sha256 == inputs.fingerprint:
        logger.info("site %s is current: built from the spaces' live versions", live.version)
        return SiteUpdate(inputs, previous, previous, pages=live.page_count or 0, bytes=live.bytes)
    build_dir = Path(site_root) / BUILD_DIR / uuid.uuid4().hex[:12]
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_builds(build_dir.parent, older_than=timeout)
    try:
        result = build_site(inputs.trees, out_dir=build_dir, site_dir=site_dir, timeout=timeout)
        pages = html_pages(build_dir) if build_dir.is_dir() else 0
        if not result.ok:
            logger.error("site build failed; %s stays live:\n%s", previous or "no site", result.summary())
            return SiteUpdate(inputs, previous, previous, build=result, pages=pages)
        published = publish_site(build_dir, site_root, inputs.fingerprint, pages=pages, keep=keep, run_id=run_id,
                                 logger=logger)
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)
    return SiteUpdate(inputs, published.version, previous, build=result, published=published, pages=pages,
                      bytes=published.bytes)


def remove_abandoned_builds(builds: Path, *, older_than: float) -> list[str]:
    """Remove builds a killed process left in SITE_DIR/.build: older than the build timeout, none can still run."""
    removed = []
    for entry in builds.iterdir():
        if time.time() - entry.lstat().st_mtime > older_than:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


def publish_site(build_dir: Path, site_root: Path, fingerprint: str, *, pages: int, keep: int = 3,
                 run_id: str | None = None,
                 logger: logging.Logger | logging.LoggerAdapter | None = None) -> PublishResult:
    """Make a built site live in ``site_root/live``, atomically, stamped with its inputs' fingerprint."""
    return publish_tree(build_dir, Path(site_root), SITE_NAME, run_id=run_id, source_sha256=fingerprint,
                        page_count=pages, keep=keep, logger=logger or log)
