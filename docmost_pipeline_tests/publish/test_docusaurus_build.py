"""The Docusaurus site (site/, built with docmost_pipeline.sitebuild) builds over an OUTPUT_DIR filled by the
publisher: a space in the default symlink mode, one in exchange mode, older versions kept under .versions.

One build (~1 minute on 2 cores, node_modules installed once by the site's helper), run through the exact command
``make site`` runs (``python -m docmost_pipeline.sitebuild OUTPUT_DIR --out-dir DIR``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from docmost_pipeline import sitebuild
from docmost_pipeline.publish import DEFAULT_MODE, publish_tree, status


def write_space(root: Path, label: str, generation: int) -> Path:
    root.mkdir(parents=True)
    (root / "_category_.json").write_text(f'{{"label": "{label}"}}\n')
    (root / "intro.md").write_text(
        f"---\ntitle: {label} intro\n---\n\n{label} intro at generation {generation}.\n\nSee [the guide](./guide.md).\n"
    )
    (root / "guide.md").write_text(f"---\ntitle: {label} guide\n---\n\n{label} guide at generation {generation}.\n")
    return root


def built_text(build_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(build_dir)): p.read_text(errors="replace") for p in build_dir.rglob("*.html")}


def test_site_builds_from_published_spaces_in_both_modes(tmp_path):
    assert DEFAULT_MODE == "symlink"
    output_dir = tmp_path / "output"
    for generation in (1, 2):
        publish_tree(write_space(tmp_path / f"alpha-{generation}", "Alpha", generation), output_dir, "alpha",
                     run_id=str(generation))
        publish_tree(write_space(tmp_path / f"beta-{generation}", "Beta", generation), output_dir, "beta",
                     run_id=str(generation), mode="exchange")
    modes = {s.space: (s.mode, len(s.kept_versions)) for s in status(output_dir)}
    assert modes == {"alpha": ("symlink", 1), "beta": ("exchange", 1)}
    assert (output_dir / "alpha").is_symlink()

    sitebuild.ensure_node_modules()
    build_dir = tmp_path / "build"
    result = subprocess.run([sys.executable, "-m", "docmost_pipeline.sitebuild", str(output_dir),
                             "--out-dir", str(build_dir)], capture_output=True, text=True, timeout=1800)

    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "0 MDX errors, 0 broken links" in result.stdout and "python3 -m http.server 3041" in result.stdout
    pages = built_text(build_dir)
    for space, label in (("alpha", "Alpha"), ("beta", "Beta")):
        intro = next(text for path, text in pages.items() if path.startswith(f"docs/{space}/intro"))
        assert f"{label} intro at generation 2." in intro
        assert f'href="/docs/{space}/guide"' in intro
    everything = "\n".join(pages.values())
    # Only live versions are rendered: nothing from .versions, no stamp file turned into a page.
    assert "generation 1." not in everything
    assert not [path for path in pages if "versions" in path or "_publish" in path or "staging" in path]
