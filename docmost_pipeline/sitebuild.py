"""Build the repository's Docusaurus site (``site/``) over a docs directory and report what went wrong, parsed.

Owns: installing the site's node_modules from its lockfile (``npm ci``) when they are missing or stale, running
``docusaurus build`` with ``DOCS_DIR`` pointing at a docs tree (normally OUTPUT_DIR), and turning the build's
output into a ``SiteBuildResult``: MDX compilation errors, broken links, broken anchors, broken Markdown links and
images, and KaTeX error spans found in the built HTML (KaTeX renders bad TeX as an error span instead of failing).

Pure Python plus the ``node``/``npm`` executables; no Dagster imports, so tests, the CLI and assets can all use it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from docmost_pipeline.settings import site_source_dir_setting

# site/ of the checkout, or SITE_SOURCE_DIR (the container image sets it to its own copy of the site)
DEFAULT_SITE_DIR = site_source_dir_setting(os.environ)
MIN_NODE_MAJOR = 20
NPM_CI_TIMEOUT = 900.0

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_MDX_FAILURE = re.compile(r'MDX compilation failed for file "([^"\n]+)"')
_MARKDOWN_LINK = re.compile(
    r"Markdown (link|image) with URL `(.*?)` in source file \"?([^\"\n]+?)\"?(?: \((\d+):(\d+)\))? couldn't be resolved"
)
_BROKEN_SECTION = re.compile(r"Exhaustive list of all broken (links|anchors) found:")
_SOURCE_PAGE = re.compile(r"^\s*- (?:Broken (?:link|anchor) )?on source page path = (.+?):?\s*$")
_LINKING_TO = re.compile(r"^\s*-> linking to (.+?)\s*$")
# KaTeX (through rehype-katex) never fails the build on bad TeX. A parse error becomes a `katex-error` span; an
# undefined control sequence is rendered as its own name in KaTeX's errorColor (#cc0000), visible in the MathML
# as <mstyle mathcolor="#cc0000"><mtext>\name</mtext>. Both are errors a reader sees.
# Attribute quotes are optional: an HTML minifier may drop them (`class=katex-error`).
_KATEX_ERROR = re.compile(
    r"""class=["']?[^"'>]*?\bkatex-error\b|<mstyle mathcolor=["']?#cc0000["']?><mtext>\\"""
)


class SiteBuildError(RuntimeError):
    """The site could not even be attempted: node/npm missing or too old, no site directory, npm ci failed."""


class SiteBuildProblems(RuntimeError):
    """Raised by ``SiteBuildResult.raise_for_problems()``; the message is the result's summary."""


@dataclass(frozen=True)
class MdxError:
    """A doc the MDX compiler rejected (not counting broken Markdown links, which are reported on their own)."""

    file: str
    cause: str


@dataclass(frozen=True)
class BrokenLink:
    """A link in a built page (``source_page`` is a route, e.g. /docs/space/page) to a route or anchor that does
    not exist."""

    source_page: str
    target: str


@dataclass(frozen=True)
class BrokenMarkdownLink:
    """A relative Markdown link (``kind`` "link") or image (``kind`` "image") that resolves to no file."""

    source_file: str
    url: str
    kind: str
    line: int | None = None


@dataclass
class SiteBuildResult:
    """What one ``docusaurus build`` produced; ``ok`` is the build's own verdict (exit status 0)."""

    ok: bool
    returncode: int
    output: str
    build_dir: Path
    docs_dir: Path
    seconds: float
    mdx_errors: list[MdxError] = field(default_factory=list)
    broken_links: list[BrokenLink] = field(default_factory=list)
    broken_anchors: list[BrokenLink] = field(default_factory=list)
    broken_markdown_links: list[BrokenMarkdownLink] = field(default_factory=list)
    katex_errors: int = 0
    katex_error_pages: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        """Built, and nothing a reader would see as broken: no MDX/link/anchor problem and no KaTeX error span."""
        return (
            self.ok
            and not self.mdx_errors
            and not self.broken_links
            and not self.broken_anchors
            and not self.broken_markdown_links
            and self.katex_errors == 0
        )

    def raise_for_problems(self) -> SiteBuildResult:
        """Return self when clean, else raise SiteBuildProblems naming every problem (for callers that want a
        failing build to be an exception, e.g. an asset check)."""
        if not self.clean:
            raise SiteBuildProblems(self.summary())
        return self

    def summary(self) -> str:
        """A few lines naming every problem found, for logs and assertion messages."""
        lines = [
            f"docusaurus build {'succeeded' if self.ok else f'FAILED (exit {self.returncode})'} in {self.seconds:.0f}s"
            f" for {self.docs_dir}: {len(self.mdx_errors)} MDX errors, {len(self.broken_links)} broken links,"
            f" {len(self.broken_anchors)} broken anchors, {len(self.broken_markdown_links)} broken markdown links,"
            f" {self.katex_errors} KaTeX errors"
        ]
        lines += [f"  MDX error in {e.file}: {e.cause}" for e in self.mdx_errors]
        lines += [f"  broken link on {b.source_page} -> {b.target}" for b in self.broken_links]
        lines += [f"  broken anchor on {b.source_page} -> {b.target}" for b in self.broken_anchors]
        lines += [
            f"  broken markdown {m.kind} in {m.source_file}{f':{m.line}' if m.line else ''} -> {m.url}"
            for m in self.broken_markdown_links
        ]
        lines += [f"  {n} KaTeX error span(s) in {page}" for page, n in sorted(self.katex_error_pages.items())]
        if not self.ok and len(lines) == 1:
            lines.append("  (no known error pattern recognised; last output lines follow)")
            lines += ["  " + line for line in self.output.strip().splitlines()[-30:]]
        return "\n".join(lines)


def _require_executable(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise SiteBuildError(
            f"`{name}` was not found on PATH: the Docusaurus site needs Node.js {MIN_NODE_MAJOR}+ with npm installed"
        )
    return found


def _check_node() -> str:
    node = _require_executable("node")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    if not match or int(match.group(1)) < MIN_NODE_MAJOR:
        raise SiteBuildError(f"Node.js {MIN_NODE_MAJOR}+ is required to build the site, found {version or 'unknown'!r}")
    return node


def _check_site_dir(site_dir: Path) -> Path:
    site_dir = Path(site_dir).resolve()
    for needed in ("package.json", "package-lock.json"):
        if not (site_dir / needed).is_file():
            raise SiteBuildError(f"{site_dir} is not the Docusaurus site directory: {needed} is missing")
    return site_dir


def node_modules_current(site_dir: Path = DEFAULT_SITE_DIR) -> bool:
    """True when node_modules was installed from the current package-lock.json.

    npm writes node_modules/.package-lock.json on every install; it is older than package-lock.json exactly when
    the lockfile changed since (or missing when nothing was installed).
    """
    site_dir = Path(site_dir)
    installed = site_dir / "node_modules" / ".package-lock.json"
    if not installed.is_file():
        return False
    return installed.stat().st_mtime >= (site_dir / "package-lock.json").stat().st_mtime


def ensure_node_modules(site_dir: Path = DEFAULT_SITE_DIR, *, timeout: float = NPM_CI_TIMEOUT) -> bool:
    """Run ``npm ci --no-audit --no-fund`` in site_dir when node_modules is missing or older than the lockfile.

    Returns True when it installed, False when node_modules was already current. Concurrent callers (two test
    sessions, a test and a pipeline run) are serialised by a lock so only one of them installs.
    """
    site_dir = _check_site_dir(site_dir)
    _check_node()
    return _install_node_modules(site_dir, timeout)


def _install_node_modules(site_dir: Path, timeout: float) -> bool:
    """``ensure_node_modules`` once the site directory and Node.js are checked."""
    npm = _require_executable("npm")
    lock_name = "docmost-site-npm-ci-" + hashlib.sha256(str(site_dir).encode()).hexdigest()[:16] + ".lock"
    with open(Path(tempfile.gettempdir()) / lock_name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if node_modules_current(site_dir):
            return False
        completed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=site_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"},
        )
        if completed.returncode != 0:
            tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-20:])
            raise SiteBuildError(f"npm ci failed in {site_dir} (exit {completed.returncode}):\n{tail}")
        return True


def parse_build_output(
    output: str, site_dir: Path = DEFAULT_SITE_DIR
) -> tuple[list[MdxError], list[BrokenLink], list[BrokenLink], list[BrokenMarkdownLink]]:
    """Extract (mdx_errors, broken_links, broken_anchors, broken_markdown_links) from docusaurus build output.

    The client and server compilers both report the same file, so entries are de-duplicated, order kept. File
    paths Docusaurus prints relative to the site directory are made absolute (symlinks are not resolved).
    """
    text = _ANSI_ESCAPE.sub("", output)

    markdown_links: dict[tuple[str, str, str], BrokenMarkdownLink] = {}
    for match in _MARKDOWN_LINK.finditer(text):
        kind, url, line = match.group(1), match.group(2), match.group(4)
        source = os.path.normpath(os.path.join(site_dir, match.group(3).strip()))
        key = (source, url, kind)
        markdown_links.setdefault(key, BrokenMarkdownLink(source, url, kind, int(line) if line else None))

    mdx_errors: dict[str, MdxError] = {}
    failures = list(_MDX_FAILURE.finditer(text))
    for index, match in enumerate(failures):
        end = failures[index + 1].start() if index + 1 < len(failures) else len(text)
        block = text[match.end() : end]
        cause_match = re.search(r"^\s*Cause: (.+)$", block, re.MULTILINE)
        if cause_match:
            cause = cause_match.group(1).strip()
        else:
            cause = next(iter(block.strip().splitlines()), "unknown cause")
        if _MARKDOWN_LINK.search(cause):
            continue  # reported as a broken markdown link
        mdx_errors.setdefault(match.group(1), MdxError(match.group(1), cause))

    broken: dict[str, dict[tuple[str, str], BrokenLink]] = {"links": {}, "anchors": {}}
    for section in _BROKEN_SECTION.finditer(text):
        bucket = broken[section.group(1)]
        source_page = None
        for line in text[section.end() :].splitlines()[1:]:
            if not line.strip():
                continue
            page = _SOURCE_PAGE.match(line)
            target = _LINKING_TO.match(line)
            if page:
                source_page = page.group(1).strip()
            elif target and source_page is not None:
                bucket.setdefault((source_page, target.group(1)), BrokenLink(source_page, target.group(1)))
            else:
                break
    return (
        list(mdx_errors.values()),
        list(broken["links"].values()),
        list(broken["anchors"].values()),
        list(markdown_links.values()),
    )


def has_docs(docs_dir: Path) -> bool:
    """True when docs_dir holds a doc the site would render: a .md/.mdx file outside dot- and `_`-folders and not
    `_`-prefixed itself (the site's include/exclude rules). Space folders that are symlinks are followed."""
    for current, dirs, files in os.walk(docs_dir, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        if any(f.endswith((".md", ".mdx")) and not f.startswith((".", "_")) for f in files):
            return True
    return False


def count_katex_errors(build_dir: Path) -> dict[str, int]:
    """Pages of a built site that show KaTeX errors (error spans, undefined macros): {path relative to build_dir:
    count}."""
    pages: dict[str, int] = {}
    for html in sorted(Path(build_dir).rglob("*.html")):
        count = len(_KATEX_ERROR.findall(html.read_text(encoding="utf-8", errors="replace")))
        if count:
            pages[html.relative_to(build_dir).as_posix()] = count
    return pages


def build_site(
    docs_dir: Path | Mapping[str, Path],
    out_dir: Path | None = None,
    site_dir: Path = DEFAULT_SITE_DIR,
    *,
    timeout: float = 1800.0,
    persistent_cache: bool = False,
) -> SiteBuildResult:
    """Run ``docusaurus build`` of site_dir over docs_dir (DOCS_DIR) into out_dir (default site_dir/build).

    docs_dir is an OUTPUT_DIR-like directory (one folder or symlink per space), or a mapping {space slug: tree
    directory} to build just those trees (they are linked into a temporary docs directory under their slugs).

    A failing build is a result (ok False, problems parsed), not an exception; SiteBuildError means the build could
    not be attempted. Each build uses its own generated-files directory, so concurrent builds of the same site do
    not overwrite each other's generated routes. webpack's on-disk cache (node_modules/.cache) is off unless
    persistent_cache is True: it is shared by every build of the site whatever its DOCS_DIR, and concurrent or
    earlier builds were seen to leak stale modules into a build.
    """
    if isinstance(docs_dir, Mapping):
        with tempfile.TemporaryDirectory(prefix="docmost-site-docs-") as linked:
            for slug, tree in docs_dir.items():
                if not slug or "/" in slug or slug.startswith((".", "_")):
                    raise SiteBuildError(f"{slug!r} is not usable as a space folder name")
                if not Path(tree).is_dir():
                    raise SiteBuildError(f"docs tree {tree} for space {slug!r} is not a directory")
                (Path(linked) / slug).symlink_to(Path(tree).resolve(), target_is_directory=True)
            return build_site(
                Path(linked), out_dir, site_dir, timeout=timeout, persistent_cache=persistent_cache
            )
    site_dir = _check_site_dir(site_dir)
    docs_dir = Path(docs_dir).absolute()
    if not docs_dir.is_dir():
        raise SiteBuildError(f"docs directory {docs_dir} does not exist (nothing has been published there yet?)")
    if not has_docs(docs_dir):
        # Docusaurus itself only says 'Docs version "current" has no docs!' after a slow start.
        raise SiteBuildError(f"docs directory {docs_dir} contains no .md/.mdx page: publish a space into it first")
    build_dir = Path(out_dir).resolve() if out_dir is not None else site_dir / "build"
    # Docusaurus empties its output directory first: never let that be the docs, the site, or a folder holding them.
    for precious in (docs_dir.resolve(), site_dir):
        if build_dir == precious or build_dir in precious.parents:
            raise SiteBuildError(f"output directory {build_dir} would be emptied by the build but holds {precious}")
    node = _check_node()
    _install_node_modules(site_dir, NPM_CI_TIMEOUT)
    cli = site_dir / "node_modules" / "@docusaurus" / "core" / "bin" / "docusaurus.mjs"
    if not cli.is_file():
        raise SiteBuildError(f"{cli} is missing: run `npm ci` in {site_dir}")

    generated_dir = f".docusaurus-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DOCS_DIR": str(docs_dir),
        "DOCUSAURUS_GENERATED_FILES_DIR_NAME": generated_dir,
        "NO_COLOR": "1",
        "FORCE_COLOR": "0",
        "CI": "1",
        # The build must not need the network: Docusaurus' CLI otherwise asks the npm registry for a newer version.
        "NO_UPDATE_NOTIFIER": "1",
    }
    if not persistent_cache:
        env["DOCUSAURUS_NO_PERSISTENT_CACHE"] = "1"
    started = time.monotonic()
    try:
        completed = subprocess.run(
            [node, str(cli), "build", "--out-dir", str(build_dir)],
            cwd=site_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SiteBuildError(f"docusaurus build of {docs_dir} did not finish within {timeout:.0f}s") from exc
    finally:
        shutil.rmtree(site_dir / generated_dir, ignore_errors=True)
    seconds = time.monotonic() - started

    mdx_errors, broken_links, broken_anchors, broken_markdown_links = parse_build_output(completed.stdout, site_dir)
    katex_pages = count_katex_errors(build_dir) if completed.returncode == 0 and build_dir.is_dir() else {}
    return SiteBuildResult(
        ok=completed.returncode == 0,
        returncode=completed.returncode,
        output=completed.stdout,
        build_dir=build_dir,
        docs_dir=docs_dir,
        seconds=seconds,
        mdx_errors=mdx_errors,
        broken_links=broken_links,
        broken_anchors=broken_anchors,
        broken_markdown_links=broken_markdown_links,
        katex_errors=sum(katex_pages.values()),
        katex_error_pages=katex_pages,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m docmost_pipeline.sitebuild [DOCS_DIR] [--out-dir DIR]``: what ``make site`` runs.

    Exit 0 when the site built clean, 1 when it built with problems or failed (each named), 2 when it could not be
    attempted (no Node.js, no docs directory).
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m docmost_pipeline.sitebuild",
        description="Build the Docusaurus site in site/ over a docs directory (OUTPUT_DIR) and report problems.",
    )
    parser.add_argument("docs_dir", nargs="?", default=None, type=Path,
                        help="docs directory to render (default: $OUTPUT_DIR, also from .env, or ./output)")
    parser.add_argument("--out-dir", type=Path, default=None, help="where to write the site (default: site/build)")
    args = parser.parse_args(argv)
    if args.docs_dir is None:
        from docmost_pipeline import settings  # the pipeline's own OUTPUT_DIR parsing, .env included

        args.docs_dir = settings.output_dir_setting(settings.read_environment())
    try:
        result = build_site(args.docs_dir, out_dir=args.out_dir)
    except SiteBuildError as exc:
        print(f"site build: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    if not result.ok:
        print("\n".join(result.output.strip().splitlines()[-40:]), file=sys.stderr)
        return 1
    print(f"\nSite written to {result.build_dir}")
    print(serve_hint(result.build_dir))
    return 0 if result.clean else 1


# Not 3000: Docmost's usual port (a Docmost running beside the site must stay reachable), nor 3030 and 3040 (`make
# run`'s Dagster UI and website).
SERVE_PORT = 3041


def serve_hint(build_dir: Path, port: int = SERVE_PORT) -> str:
    """How to look at a built site: a static file server on 127.0.0.1 (the build is plain HTML, CSS and JS)."""
    return (f"Serve it:  python3 -m http.server {port} --bind 127.0.0.1 --directory {Path(build_dir).resolve()}\n"
            f"then open http://127.0.0.1:{port}/")


if __name__ == "__main__":
    raise SystemExit(main())
