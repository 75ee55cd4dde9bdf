"""Fixtures of the site tests: node_modules installed once per session (npm ci from the committed lockfile, as CI
does from a clean clone), and session-shared Docusaurus builds (each takes 1-2 minutes on 2 cores).

Builds are lazy: a fixture builds only when a selected test asks for it. Node.js 20+ and npm are required; the
tests fail with the helper's message when they are missing (set DOCMOST_SKIP_SITE_TESTS=1 to skip them instead).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from docmost_pipeline import sitebuild
from docmost_pipeline.convert import convert_space
from docmost_pipeline.emulator.recordings import RECORDINGS_DIR
from docmost_pipeline.publish import publish_tree
from docmost_pipeline.export.extract import extract_zip

FIXTURES = RECORDINGS_DIR
# Space slug -> space name, as the recorded server lists them (api/spaces-list.*.json and the Collisions addendum).
SPACES = {
    "engineering": "Engineering",
    "hangul-docs": "한글 문서",
    "content-gallery": "Content Gallery",
    "collisions": "Collisions",
}
# The recorded server's APP_URL: absolute page links in the exports use it, so Engineering's links to 한글 문서 pages
# are recognised as this Docmost's and go through the site's /docmost/p/<slugId> routes (never contacted).
BASE_URL = "http://localhost:3000"


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DOCMOST_SKIP_SITE_TESTS") == "1":
        skip = pytest.mark.skip(reason="DOCMOST_SKIP_SITE_TESTS=1")
        for item in items:
            if Path(str(item.fspath)).parent == Path(__file__).parent:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def site_ready() -> Path:
    """The site directory with node_modules current (npm ci once per session when needed)."""
    try:
        sitebuild.ensure_node_modules(sitebuild.DEFAULT_SITE_DIR)
    except sitebuild.SiteBuildError as exc:
        pytest.fail(f"cannot prepare the Docusaurus site: {exc}")
    return sitebuild.DEFAULT_SITE_DIR


def write_doc(path: Path, title: str, body: str, position: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    front = f"title: {title!r}\n" + (f"sidebar_position: {position}\n" if position is not None else "")
    path.write_text(f"---\n{front}---\n\n{body}", encoding="utf-8")
    return path


def publish_space(output: Path, slug: str, label: str, pages: dict[str, str], tmp_path: Path):
    """Publish a hand-written docs tree as ``slug`` with the real publisher (symlink mode)."""
    tree = tmp_path / "trees" / f"{slug}-{uuid.uuid4().hex[:8]}"
    tree.mkdir(parents=True)
    (tree / "_category_.json").write_text(f'{{"label": "{label}"}}\n', encoding="utf-8")
    for index, (name, body) in enumerate(pages.items(), start=1):
        write_doc(tree / f"{name}.md", name.title(), body, position=index)
    return publish_tree(tree, output, slug)


@pytest.fixture(scope="session")
def valid_build(site_ready, tmp_path_factory):
    """A hand-written OUTPUT_DIR laid out as the publisher leaves it: space `demo` is a symlink to
    .versions/demo/v2; .versions also holds an older version whose docs would not compile, and the live version
    has a `_`-prefixed partial that would not compile either. One page has TeX KaTeX cannot parse."""
    root = tmp_path_factory.mktemp("valid-site")
    docs = root / "output"
    live = docs / ".versions" / "demo" / "v2"
    (live).mkdir(parents=True)
    (live / "_category_.json").write_text('{"label": "Demo Space"}\n', encoding="utf-8")
    write_doc(live / "intro.md", "Intro", position=1, body=
              "The demo intro page links to [the guide](./guide/index.md) and [math](./guide/math.md).\n\n"
              "Inline $E = mc^2$ and a block:\n\n$$\n\\frac{a_{i}}{b^{2}}\n$$\n\n"
              "```mermaid\ngraph TD;\n  A-->B;\n```\n")
    write_doc(live / "guide" / "index.md", "Guide", "Guide overview, back to [intro](../intro.md).\n")
    write_doc(live / "guide" / "math.md", "Bad math",
              "An unknown macro: $\\nosuchmacro{x}$.\n\nAn unclosed group:\n\n$$\n\\frac{a}{\n$$\n")
    (live / "_partial.md").write_text("# partial\n\n{never compiled\n", encoding="utf-8")
    old = docs / ".versions" / "demo" / "v1"
    old.mkdir(parents=True)
    (old / "old.md").write_text("# Old\n\n{would not compile\n\n[gone](./missing.md)\n", encoding="utf-8")
    (docs / "demo").symlink_to(Path(".versions") / "demo" / "v2", target_is_directory=True)
    return sitebuild.build_site(docs, out_dir=root / "build", site_dir=site_ready)


@pytest.fixture(scope="session")
def broken_link_build(site_ready, tmp_path_factory):
    """A doc linking to a route that does not exist: compiles, then fails the broken-link check."""
    root = tmp_path_factory.mktemp("broken-link-site")
    write_doc(root / "output" / "space" / "page.md", "Page",
              "Fine text, then [a dead route](/docs/space/no-such-page) in a sentence.\n")
    return sitebuild.build_site(root / "output", out_dir=root / "build", site_dir=site_ready)


@pytest.fixture(scope="session")
def broken_source_build(site_ready, tmp_path_factory):
    """One doc with an MDX syntax error and one with a relative Markdown link to a missing file."""
    root = tmp_path_factory.mktemp("broken-source-site")
    write_doc(root / "output" / "space" / "mdx.md", "MDX", "An unclosed {expression here.\n")
    write_doc(root / "output" / "space" / "links.md", "Links", "See [the missing page](./missing-page.md).\n")
    return sitebuild.build_site(root / "output", out_dir=root / "build", site_dir=site_ready)


@dataclass
class FixtureSite:
    """Every recorded space export converted into one OUTPUT_DIR, and the one build of it."""

    output_dir: Path
    extracted: dict  # slug -> ExtractedExport
    reports: dict  # slug -> ConversionReport
    result: sitebuild.SiteBuildResult


@pytest.fixture(scope="session")
def fixture_site(site_ready, tmp_path_factory) -> FixtureSite:
    root = tmp_path_factory.mktemp("fixture-site")
    output_dir = root / "output"
    output_dir.mkdir()
    extracted, reports = {}, {}
    for slug, name in SPACES.items():
        zip_path = FIXTURES / f"{slug}.zip"
        assert zip_path.is_file(), f"recorded export {zip_path} is missing"
        extracted[slug] = extract_zip(zip_path, root / "extracted" / slug)
        reports[slug] = convert_space(extracted[slug], output_dir / slug, space_slug=slug, space_name=name,
                                      base_url=BASE_URL)
    result = sitebuild.build_site(output_dir, out_dir=root / "build", site_dir=site_ready)
    if not result.ok:
        print(result.summary())
    return FixtureSite(output_dir, extracted, reports, result)

