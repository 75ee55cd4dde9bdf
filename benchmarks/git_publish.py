"""Benchmark of the git target: a generated 2,000-page published space committed to a local bare repository.

Measures, in the same run and on the same tree:
  * the floor: plain ``git add --all`` + ``git commit`` of the tree copied into a fresh repository, then ``git push``,
  * ``publish_to_git`` (docmost_pipeline.gitpublish): the first publish (clone, mirror, commit, push), an unchanged
    re-publish (fetch, compare: no commit), and one page edited (one commit of one file).
Prints seconds for each and the ratio first publish / floor (target: <= 2; the re-publishes should take well under
the floor, since they rewrite nothing).

    .venv/bin/python benchmarks/git_publish.py [--pages 2000] [--attachments 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from docmost_pipeline.gitpublish import GitTarget, SpaceSource, publish_to_git
from docmost_pipeline.publish import publish_tree, read_stamp

GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


def generate_tree(root: Path, pages: int, attachments: int, seed: int = 7) -> None:
    """Pages in folders of 20 (each with its _category_.json) and binary attachments, like a converted space."""
    rng = random.Random(seed)
    for n in range(pages):
        folder = root / f"section-{n // 20:03d}"
        if not folder.is_dir():
            folder.mkdir(parents=True)
            (folder / "_category_.json").write_text(f'{{"label": "Section {n // 20}"}}\n')
        body = " ".join(rng.choice(("docs", "배포를", "release", "검색은", "pipeline")) for _ in range(400))
        (folder / f"page-{n:04d}.md").write_text(f"---\ntitle: Page {n}\n---\n\n# Page {n}\n\n{body}\n")
    attachments_dir = root / "_attachments"
    attachments_dir.mkdir()
    for n in range(attachments):
        (attachments_dir / f"image-{n:03d}.png").write_bytes(rng.randbytes(20_000))


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def floor(tree: Path, work: Path) -> float:
    """Plain git: copy the tree into a fresh clone, add, commit, push."""
    bare = work / "floor.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))

    def commit_and_push() -> None:
        clone = work / "floor-clone"
        git("clone", "--quiet", str(bare), str(clone))
        shutil.copytree(tree, clone / "docs" / "bench", ignore=shutil.ignore_patterns("_publish.json"))
        git("add", "--all", cwd=clone)
        git("commit", "--quiet", "-m", "floor", cwd=clone)
        git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=clone)

    return timed(commit_and_push)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--attachments", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="work in this folder and leave it (default: a temporary one)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="git-publish-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        tree, output = work / "tree", work / "output"
        generate_tree(tree, args.pages, args.attachments)
        publish_tree(tree, output, "bench", page_count=args.pages)
        live = (output / "bench").resolve()
        source = SpaceSource(space="bench", name="Bench", tree=live, version=read_stamp(live).version,
                             pages_live=args.pages)
        floor_seconds = floor(live, work)

        bare = work / "target.git"
        git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
        target = GitTarget(repo=str(bare))
        first, result = timed(lambda: publish_to_git(source, target, work / "clone"))
        assert result.changes.added == args.pages, result
        unchanged, result = timed(lambda: publish_to_git(source, target, work / "clone"))
        assert result.commit is None, result

        (tree / "section-000" / "page-0000.md").write_text("# Page 0\n\nEdited.\n")
        publish_tree(tree, output, "bench", page_count=args.pages)
        live = (output / "bench").resolve()
        edited = SpaceSource(space="bench", name="Bench", tree=live, version=read_stamp(live).version)
        one_page, result = timed(lambda: publish_to_git(edited, target, work / "clone"))
        assert (result.changes.changed, result.changes.files) == (1, 1), result

        print(f"{args.pages} pages + {args.attachments} attachments into a local bare repository")
        print(f"  floor (plain git add, commit, push):   {floor_seconds:6.2f} s")
        print(f"  publish_to_git, first publish:         {first:6.2f} s  ({first / floor_seconds:.2f} x the floor)")
        print(f"  publish_to_git, unchanged (no commit): {unchanged:6.2f} s")
        print(f"  publish_to_git, one page edited:       {one_page:6.2f} s")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
