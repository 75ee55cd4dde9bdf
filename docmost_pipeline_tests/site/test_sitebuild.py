"""docmost_pipeline.sitebuild against real Docusaurus builds of hand-written docs trees: what fails the build is
reported by name, a valid tree builds (also through a symlinked space folder, as the publisher leaves OUTPUT_DIR),
dot-directories and `_` files are not rendered, and bad TeX is counted from the built HTML."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from docmost_pipeline import sitebuild


def test_broken_link_fails_the_build_and_is_named(broken_link_build):
    result = broken_link_build
    assert not result.ok and result.returncode != 0
    assert result.broken_links == [sitebuild.BrokenLink("/docs/space/page", "/docs/space/no-such-page")], \
        result.summary()
    assert not result.clean
    assert "/docs/space/no-such-page" in result.summary()
    with pytest.raises(sitebuild.SiteBuildProblems, match="no-such-page"):
        result.raise_for_problems()


def test_mdx_error_and_broken_markdown_link_are_named(broken_source_build):
    result = broken_source_build
    assert not result.ok
    assert [Path(e.file).name for e in result.mdx_errors] == ["mdx.md"], result.summary()
    assert "{" in result.mdx_errors[0].cause or "expression" in result.mdx_errors[0].cause
    assert [(Path(m.source_file).name, m.url, m.kind) for m in result.broken_markdown_links] == \
        [("links.md", "./missing-page.md", "link")], result.summary()
    assert Path(result.broken_markdown_links[0].source_file).is_absolute()


def test_valid_tree_builds_through_a_symlinked_space(valid_build):
    result = valid_build
    assert result.ok, result.summary()
    assert not result.mdx_errors and not result.broken_links and not result.broken_markdown_links
    assert not result.broken_anchors
    pages = sorted(p.relative_to(result.build_dir).as_posix() for p in result.build_dir.rglob("*.html"))
    assert "docs/demo/intro/index.html" in pages
    assert "docs/demo/guide/index.html" in pages
    assert "docs/demo/guide/math/index.html" in pages
    # Nothing from .versions (older version) and no `_` partial became a page.
    assert not [p for p in pages if "old" in p or "partial" in p or "versions" in p], pages
    intro = (result.build_dir / "docs/demo/intro/index.html").read_text(encoding="utf-8")
    assert 'href="/docs/demo/guide/"' in intro or 'href="/docs/demo/guide"' in intro
    assert 'class="katex"' in intro  # remark-math + rehype-katex rendered the good TeX
    home = (result.build_dir / "index.html").read_text(encoding="utf-8")
    assert "Demo Space" in home and 'href="/docs/demo/intro"' in home


def test_bad_tex_is_counted_per_page(valid_build):
    result = valid_build
    assert result.ok, result.summary()
    assert result.katex_errors == 2, result.summary()
    assert set(result.katex_error_pages) == {"docs/demo/guide/math/index.html"}
    assert not result.clean and "KaTeX" in result.summary()


def test_katex_stylesheet_and_fonts_are_served_locally(valid_build):
    build_dir = valid_build.build_dir
    css = "\n".join(p.read_text(encoding="utf-8") for p in build_dir.rglob("*.css"))
    assert ".katex" in css
    assert list(build_dir.rglob("KaTeX_Main-Regular*.woff2")), "KaTeX fonts are bundled with the site"
    everything = css + "\n".join(p.read_text(encoding="utf-8") for p in build_dir.rglob("*.html"))
    assert "cdn.jsdelivr.net" not in everything and "unpkg.com" not in everything


def test_missing_docs_dir_is_a_clear_error(tmp_path):
    with pytest.raises(sitebuild.SiteBuildError, match="does not exist"):
        sitebuild.build_site(tmp_path / "no-output-here")


def test_missing_node_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "docs" / "space").mkdir(parents=True)
    (tmp_path / "docs" / "space" / "page.md").write_text("# A page\n")
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no node or npm on it
    with pytest.raises(sitebuild.SiteBuildError, match="`node` was not found on PATH"):
        sitebuild.build_site(tmp_path / "docs")
    with pytest.raises(sitebuild.SiteBuildError, match="`node` was not found on PATH"):
        sitebuild.ensure_node_modules()


def test_wrong_site_dir_is_a_clear_error(tmp_path):
    (tmp_path / "docs").mkdir()
    with pytest.raises(sitebuild.SiteBuildError, match="package.json is missing"):
        sitebuild.build_site(tmp_path / "docs", site_dir=tmp_path)


def test_node_modules_staleness_follows_the_lockfile(tmp_path):
    (tmp_path / "package-lock.json").write_text("{}")
    assert not sitebuild.node_modules_current(tmp_path)
    installed = tmp_path / "node_modules" / ".package-lock.json"
    installed.parent.mkdir()
    installed.write_text("{}")
    assert sitebuild.node_modules_current(tmp_path)
    os.utime(installed, (1, 1))
    assert not sitebuild.node_modules_current(tmp_path)


def test_docs_dir_without_pages_is_a_clear_error(tmp_path):
    docs = tmp_path / "output"
    (docs / ".versions" / "space" / "v1").mkdir(parents=True)
    (docs / ".versions" / "space" / "v1" / "page.md").write_text("# Hidden in a dot-directory\n")
    (docs / "space" / "_attachments").mkdir(parents=True)
    (docs / "space" / "_attachments" / "note.md").write_text("# Not a doc\n")
    (docs / "space" / "_category_.json").write_text('{"label": "Space"}\n')
    with pytest.raises(sitebuild.SiteBuildError, match="contains no .md/.mdx page"):
        sitebuild.build_site(docs)
    (docs / "space" / "page.md").write_text("# A page\n")
    assert sitebuild.has_docs(docs)


def test_out_dir_holding_the_docs_is_refused(tmp_path):
    docs = tmp_path / "output"
    (docs / "space").mkdir(parents=True)
    (docs / "space" / "page.md").write_text("# A page\n")
    for out_dir in (docs, tmp_path, sitebuild.DEFAULT_SITE_DIR):
        with pytest.raises(sitebuild.SiteBuildError, match="would be emptied"):
            sitebuild.build_site(docs, out_dir=out_dir)
    assert (docs / "space" / "page.md").is_file()


def test_build_output_is_parsed_without_a_build(tmp_path):
    """parse_build_output alone: ANSI colours stripped, client and server reports de-duplicated, a failure without a
    `Cause:` line keeps its first line, a markdown-link failure is reported only as a broken markdown link."""
    output = (
        '\x1b[31m[ERROR]\x1b[39m Client bundle compiled with errors\n'
        'Error: MDX compilation failed for file "docs/space/a.md"\n'
        'Cause: Could not parse expression with acorn\n'
        'Error: MDX compilation failed for file "docs/space/a.md"\n'
        'Cause: Could not parse expression with acorn\n'
        'Error: MDX compilation failed for file "docs/space/b.md"\n'
        '   Unexpected end of file in expression\n'
        'Error: MDX compilation failed for file "docs/space/c.md"\n'
        'Cause: Markdown link with URL `./gone.md` in source file "docs/space/c.md" (3:5) couldn\'t be resolved.\n'
    )
    mdx, links, anchors, markdown = sitebuild.parse_build_output(output, tmp_path)
    assert mdx == [
        sitebuild.MdxError("docs/space/a.md", "Could not parse expression with acorn"),
        sitebuild.MdxError("docs/space/b.md", "Unexpected end of file in expression"),
    ]
    assert markdown == [
        sitebuild.BrokenMarkdownLink(str(tmp_path / "docs/space/c.md"), "./gone.md", "link", 3)
    ]
    assert links == [] and anchors == []


def test_cli_exits_2_when_the_site_cannot_be_built_and_reads_output_dir_from_dot_env(tmp_path):
    """`python -m docmost_pipeline.sitebuild` (what `make site` runs): exit 2 and a message when there is nothing to
    build; without DOCS_DIR it renders OUTPUT_DIR as the pipeline reads it, `.env` included."""
    env = {k: v for k, v in os.environ.items() if k != "OUTPUT_DIR"}
    env["PYTHONPATH"] = str(Path(sitebuild.__file__).resolve().parents[1])
    (tmp_path / ".env").write_text("OUTPUT_DIR=published-here\n")
    result = subprocess.run([sys.executable, "-m", "docmost_pipeline.sitebuild"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"docs directory {tmp_path / 'published-here'} does not exist" in result.stderr


def test_make_site_says_how_to_serve_the_build_on_127_0_0_1_away_from_docmosts_port(site_ready, tmp_path):
    """`make site` (``python -m docmost_pipeline.sitebuild``) ends with a serve command; that command, run as
    printed (only its port moved to a free one, 3041 may be taken here), serves the built site."""
    import re
    import shlex
    import socket
    import time
    import urllib.request

    docs = tmp_path / "output"
    (docs / "space").mkdir(parents=True)
    (docs / "space" / "_category_.json").write_text('{"label": "Space"}\n', encoding="utf-8")
    (docs / "space" / "page.md").write_text("---\ntitle: 'A page'\n---\n\nServed text of the page.\n",
                                            encoding="utf-8")
    built = subprocess.run([sys.executable, "-m", "docmost_pipeline.sitebuild", str(docs),
                            "--out-dir", str(tmp_path / "build")], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    serve_line, open_line = built.stdout.strip().splitlines()[-2:]
    assert serve_line == (f"Serve it:  python3 -m http.server 3041 --bind 127.0.0.1 --directory "
                          f"{tmp_path / 'build'}"), built.stdout
    assert open_line == "then open http://127.0.0.1:3041/"
    assert "3000" not in built.stdout  # Docmost's usual port

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = shlex.split(serve_line.removeprefix("Serve it:"))
    command[command.index("3041")] = str(port)
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the serve command did not serve"
                time.sleep(0.2)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/docs/space/page", timeout=5).read().decode()
    finally:
        server.kill()  # this test's own server, by its process
        server.wait(timeout=10)
    assert re.search(r"<title[^>]*>", home)
    assert "Served text of the page." in page


def test_npm_ci_accepts_the_lockfile(tmp_path):
    # A fresh machine installs the site with `npm ci`, which refuses a lockfile that lacks any platform package of
    # an optional dependency; a worktree with node_modules already installed never notices (see docs/site.md).
    for name in ("package.json", "package-lock.json"):
        (tmp_path / name).write_bytes((sitebuild.DEFAULT_SITE_DIR / name).read_bytes())
    done = subprocess.run(["npm", "ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
