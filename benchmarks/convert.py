"""Benchmark of the converter: a generated 2,000-page Docmost export (3 levels, 200 attachments).

Measures, in the same run and on the same ZIP:
  * bare extraction: Python's ``zipfile.ZipFile.extractall`` (the floor any conversion pays),
  * safe extraction + conversion: ``extract_zip`` then ``convert_space`` (what ``docmost-pipeline convert`` does).
Each measured step runs in a fresh child process so its peak RSS is its own. Prints pages/s, peak RSS and the
ratio conversion/extractall (targets: ratio <= 3, peak RSS < 200 MB), and the parse floor: markdown-it-py's parse of
every page with the renderer's parser configuration, which alone costs more than three extractalls here.

    .venv/bin/python benchmarks/convert.py [--pages-per-level 20 10 9] [--attachments 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

LOREM = ("Docmost keeps the team's knowledge in one place; this paragraph is long enough to look like prose and "
         "carries {braces}, a < b, `code spans` and **bold** text so the renderer has real work to do. ")


def _key(path: str) -> str:
    return "/".join(quote(seg, safe="()'!*~-_.") for seg in path.split("/"))


def generate_export(zip_path: Path, levels: tuple[int, int, int], attachments: int, seed: int = 7) -> int:
    """Write a Docmost-0.95-shaped space export; returns the page count."""
    rng = random.Random(seed)
    metadata: dict[str, dict] = {}
    pages: list[tuple[str, str, str | None]] = []  # (zip path, title, parent zip path)
    for a in range(levels[0]):
        top = f"Section {a:02d} & Overview"
        pages.append((f"{top}.md", top, None))
        for b in range(levels[1]):
            mid = f"Topic {a:02d}-{b:02d} (guide)"
            pages.append((f"{top}/{mid}.md", mid, f"{top}.md"))
            for c in range(levels[2]):
                leaf = f"페이지 {a:02d}-{b:02d}-{c:02d} notes"
                pages.append((f"{top}/{mid}/{leaf}.md", leaf, f"{top}/{mid}.md"))
    leaf_pages = [p for p in pages if p[0].count("/") == 2]
    attach_for: dict[str, list[tuple[str, str]]] = {}
    for n in range(attachments):
        page = leaf_pages[(n * 7) % len(leaf_pages)][0]
        attach_for.setdefault(page, []).append((f"01a20070-{n:04x}-7000-8000-{n:012x}", f"diagram {n} (v2).png"))
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for index, (path, title, parent) in enumerate(pages):
            folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
            lines = [f"# {title}", "", LOREM * 3, ""]
            if parent:
                rel_parent = "../" + quote(parent.rsplit("/", 1)[-1]).replace("(", "%28").replace(")", "%29")
                lines += [f"Back to [the parent]({rel_parent}).", ""]
            lines += [f"An [absolute link](http://localhost:3000/s/bench/p/x-B{index - 1 if index else 0:09d}).", ""]
            lines += ["| Key | Value |", "| --- | --- |", "| `a` | {b} |", "", "```python", "print('x')", "```", ""]
            lines += [":::info", "A callout.", ":::", "", LOREM * 2, ""]
            for att_id, name in attach_for.get(path, []):
                lines += [f"![{name}](files/{att_id}/{quote(name)})", ""]
                data = rng.randbytes(20_000)
                zf.writestr(f"{folder}/files/{att_id}/{name}" if folder else f"/files/{att_id}/{name}", data)
            zf.writestr(path, "\n".join(lines))
            metadata[_key(path)] = {
                "pageId": f"01a20070-0000-7000-8000-{index:012x}", "slugId": f"B{index:09d}", "icon": None,
                "position": f"a{index:05d}", "parentPath": _key(parent) if parent else None,
                "createdAt": "2026-11-21T23:27:49.069Z", "updatedAt": "2026-11-21T23:27:52.760Z",
            }
        zf.writestr("docmost-metadata.json", json.dumps(
            {"exportedAt": "2026-11-21T23:29:40.729Z", "source": "docmost", "version": "0.95.0", "pages": metadata}))
    return len(pages)


def _child(mode: str, zip_path: str, work: str) -> None:
    """Runs in a child process: one measured step, prints JSON {seconds, peak_rss_mb}."""
    work_dir = Path(work)
    start = time.perf_counter()
    if mode == "extractall":
        with zipfile.ZipFile(zip_path) as zf:
            # the ZIP's names start with "/" or contain "//" like Docmost's; extractall strips/normalises them
            zf.extractall(work_dir / "bare")
        extra = {}
    elif mode == "parse":
        # The floor for this converter: markdown-it-py's block+inline parse of every page with the renderer's own
        # parser configuration (GFM tables, strikethrough, footnotes, $ math, ::: callouts, ==mark==), nothing
        # else (no escaping, no link resolution, no writing).
        from docmost_pipeline.convert.markdown.parsing import parser as markdown_parser

        parser = markdown_parser()
        with zipfile.ZipFile(zip_path) as zf:
            texts = [zf.read(name).decode("utf-8") for name in zf.namelist() if name.endswith(".md")]
        start = time.perf_counter()
        for text in texts:
            parser.parse(text)
        extra = {}
    else:
        from docmost_pipeline.convert import convert_space
        from docmost_pipeline.export.extract import extract_zip

        import_done = time.perf_counter()
        export = extract_zip(Path(zip_path), work_dir / "extracted")
        extracted = time.perf_counter()
        report = convert_space(export, work_dir / "bench", space_slug="bench", space_name="Bench",
                               base_url="http://localhost:3000")
        extra = {"pages": report.pages_written, "attachments": report.attachments_written,
                 "import_seconds": import_done - start, "extract_seconds": extracted - import_done,
                 "convert_seconds": time.perf_counter() - extracted, "warnings": len(report.warnings)}
        start = import_done  # imports are a fixed interpreter cost, not conversion work
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, **extra}))


def _measure(mode: str, zip_path: Path, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([sys.executable, __file__, "--child", mode, str(zip_path), str(work)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages-per-level", nargs=3, type=int, default=[20, 10, 9], metavar=("ROOTS", "CHILDREN",
                        "GRANDCHILDREN"), help="20 10 9 gives 20 + 200 + 1800 = 2020 pages")
    parser.add_argument("--attachments", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the best time is reported")
    parser.add_argument("--keep", type=Path, help="keep the generated ZIP and outputs in this directory")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0

    base = Path(tempfile.mkdtemp(prefix="docmost-bench-")) if not args.keep else args.keep
    base.mkdir(parents=True, exist_ok=True)
    try:
        zip_path = base / "bench-space-export.zip"
        pages = generate_export(zip_path, tuple(args.pages_per_level), args.attachments)
        print(f"generated {zip_path.name}: {pages} pages, {args.attachments} attachments, "
              f"{zip_path.stat().st_size / 1e6:.1f} MB")
        bare_runs, conv_runs, parse_runs = [], [], []
        for run in range(args.repeat):
            bare_runs.append(_measure("extractall", zip_path, base / f"run{run}-bare"))
            parse_runs.append(_measure("parse", zip_path, base / f"run{run}-parse"))
            conv_runs.append(_measure("convert", zip_path, base / f"run{run}-convert"))
            if not args.keep:
                shutil.rmtree(base / f"run{run}-bare")
                shutil.rmtree(base / f"run{run}-convert")
                shutil.rmtree(base / f"run{run}-parse")
        bare = min(bare_runs, key=lambda r: r["seconds"])
        conv = min(conv_runs, key=lambda r: r["seconds"])
        parse = min(parse_runs, key=lambda r: r["seconds"])
        ratio = conv["seconds"] / bare["seconds"]
        peak = max(r["peak_rss_mb"] for r in conv_runs)
        print(f"zipfile extractall : {bare['seconds']:.3f} s (peak RSS {bare['peak_rss_mb']:.0f} MB)")
        print(f"extract + convert  : {conv['seconds']:.3f} s = extract {conv['extract_seconds']:.3f} s + convert "
              f"{conv['convert_seconds']:.3f} s (imports {conv['import_seconds']:.2f} s not counted)")
        print(f"pages/s            : {conv['pages'] / conv['seconds']:.0f} ({conv['pages']} pages, "
              f"{conv['attachments']} attachments, {conv['warnings']} warnings)")
        print(f"peak RSS           : {peak:.0f} MB (target < 200 MB)")
        print(f"ratio to extractall: {ratio:.2f} (target <= 3)")
        print(f"parse floor        : markdown-it-py parse of every page alone {parse['seconds']:.3f} s "
              f"= ratio {parse['seconds'] / bare['seconds']:.2f} to extractall; extract + convert = "
              f"{conv['seconds'] / parse['seconds']:.2f} x the parse floor")
        ok = ratio <= 3 and peak < 200
        print("targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
