"""Benchmark: the Docusaurus build of a 2,000-page space with Docusaurus Faster (Rspack, SWC) and without (webpack).

    .venv/bin/python benchmarks/site_build.py [--pages 2000] [--keep DIR]

Starts the Docmost emulator in a child process with a generated space of ``--pages`` pages, publishes it into a
temporary OUTPUT_DIR with ``docmost-pipeline sync`` (the real conversion), then builds the site over it twice in the
same run, in this order: with the faster bundler (``DOCUSAURUS_FASTER=1``, the default) and without
(``DOCUSAURUS_FASTER=0``). Each build runs in a fresh child process calling ``sitebuild.build_site`` (no persistent
cache, as the pipeline builds); prints its wall time, the peak RSS of the build (its largest process: node), the
HTML pages built and the problems found, and the speed-up. Exit code 1 if a build is not clean or the two builds do
not produce the same pages.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from incremental import SLUG, control, start_emulator, sync_env  # noqa: E402  (the emulator helpers of the sync benchmark)

REPO = Path(__file__).resolve().parent.parent


def child(docs_dir: str, out_dir: str) -> None:
    from docmost_pipeline.sitebuild import build_site

    result = build_site(Path(docs_dir), out_dir=Path(out_dir))
    pages = sorted(p.relative_to(out_dir).as_posix() for p in Path(out_dir).rglob("*.html"))
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest waited-for process: node
    print(json.dumps({"seconds": result.seconds, "clean": result.clean, "summary": result.summary(),
                      "pages": pages, "peak_rss_mb": peak_kb / 1024}))


def timed_build(docs_dir: Path, out_dir: Path, faster: bool) -> dict:
    env = {**os.environ, "DOCUSAURUS_FASTER": "1" if faster else "0"}
    completed = subprocess.run([sys.executable, __file__, "--child", str(docs_dir), str(out_dir)], env=env,
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"the build could not run:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def publish_generated(work: Path, pages: int) -> Path:
    """The generated space, synced into work/output by ``docmost-pipeline sync``; returns OUTPUT_DIR."""
    emulator, base_url = start_emulator()
    try:
        control(base_url, op="add_generated_space", slug=SLUG, pages=pages)
        env = sync_env(base_url, work)
        env.setdefault("MAX_CONCURRENT_EXPORTS", "2")
        synced = subprocess.run([str(Path(sys.executable).parent / "docmost-pipeline"), "sync", SLUG], env=env,
                                capture_output=True, text=True, check=False)
        if synced.returncode != 0:
            raise SystemExit(f"sync failed:\n{synced.stdout}{synced.stderr}")
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    return work / "output"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="keep the published tree and both builds in this folder")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    work = Path(tempfile.mkdtemp(prefix="bench-site-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    try:
        output = publish_generated(work, args.pages)
        docs = sum(1 for p in (output / SLUG).rglob("*.md") if not p.name.startswith("_"))
        print(f"space {SLUG!r}: {args.pages} generated pages, {docs} docs published")
        faster = timed_build(output, work / "build-faster", faster=True)
        webpack = timed_build(output, work / "build-webpack", faster=False)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{'build':<28}{'seconds':>9}{'peak RSS':>11}{'HTML pages':>12}  problems")
    for name, result in (("Docusaurus Faster (Rspack)", faster), ("webpack (DOCUSAURUS_FASTER=0)", webpack)):
        print(f"{name:<28}{result['seconds']:>9.1f}{result['peak_rss_mb']:>9.0f}MB{len(result['pages']):>12}  "
              + result["summary"].splitlines()[0].split(": ", 1)[-1])
    print(f"speed-up: {webpack['seconds'] / faster['seconds']:.1f}x; same pages: {faster['pages'] == webpack['pages']}")
    problems = [r["summary"] for r in (faster, webpack) if not r["clean"]]
    for summary in problems:
        print(summary)
    return 1 if problems or faster["pages"] != webpack["pages"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
