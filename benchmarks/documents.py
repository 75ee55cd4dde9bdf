"""Benchmark: what fetching each page's document (``POST /api/pages/info``) adds to a sync of a 2,000-page space.

    .venv/bin/python benchmarks/documents.py [--pages 2000] [--no-latency]

Starts the Docmost emulator in a child process with a generated space of ``--pages`` pages whose exports and
``info`` answers take as long as a real server's (the emulator's latency models: 0.15 s + 32 ms a page per export,
8 ms per ``info``), then, in the same run, syncs that space into two output folders, one with PAGE_DOCUMENTS=on and
one with PAGE_DOCUMENTS=off, each sync in a fresh process as ``docmost-pipeline sync`` runs it:

1. full: nothing published yet (after a warm-up sync of a small space that neither side counts; documents on
   first);
2. one edit: one page's content changed since.

Prints each sync's wall time, the ``info`` requests it made and the seconds storing the documents took inside it
(``documents.seconds`` of its ``raw-export.json``), and the cost of the documents: the full sync with them at most
15 % longer than without (the issue's target), the one-edit sync near zero (one request). Exit code 1
if the full-sync target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from incremental import (  # noqa: E402
    SLUG, add_generated_space, control, first_page, start_emulator, sync_env, timed_sync,
)

TARGET = 0.15
INFO = "/api/pages/info"


def info_requests(base_url: str) -> int:
    with urllib.request.urlopen(f"{base_url}/__control__/requests", timeout=60) as response:
        return sum(1 for r in json.loads(response.read()) if r["path"] == INFO)


def documents_seconds(output_dir: str) -> float:
    """The ``documents.seconds`` of the newest raw export (what storing the documents took inside the sync)."""
    manifests = sorted(Path(output_dir, ".pipeline", "raw", SLUG).glob("*/raw-export.json"),
                       key=lambda p: p.stat().st_mtime)
    documents = json.loads(manifests[-1].read_text(encoding="utf-8")).get("documents") if manifests else None
    return float(documents["seconds"]) if documents else 0.0


def measured_sync(env: dict, base_url: str, documents: str) -> dict:
    control(base_url, op="clear_requests")
    output_dir = f"{env['OUTPUT_DIR']}-{documents}"
    result = timed_sync({**env, "PAGE_DOCUMENTS": documents, "OUTPUT_DIR": output_dir}, SLUG)
    result["info_requests"] = info_requests(base_url)
    result["documents_seconds"] = documents_seconds(output_dir)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--no-latency", action="store_true", help="exports and info as fast as the emulator can")
    args = parser.parse_args()
    emulator, base_url = start_emulator()
    try:
        add_generated_space(base_url, args.pages, latency=not args.no_latency, info_latency=not args.no_latency)
        with tempfile.TemporaryDirectory(prefix="bench-documents-") as work:
            env = sync_env(base_url, work)
            # a first sync creates the Dagster instance's storage and warms the caches: not counted for either side
            timed_sync({**env, "OUTPUT_DIR": f"{work}/warm-up"}, "collisions")
            full = {mode: measured_sync(env, base_url, mode) for mode in ("on", "off")}
            edited = first_page(env, base_url)
            control(base_url, op="append_text", page_id=edited, text="An edit made by the benchmark.")
            edit = {mode: measured_sync(env, base_url, mode) for mode in ("on", "off")}
            return report(args.pages, full, edit)
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)


def report(pages: int, full: dict, edit: dict) -> int:
    concurrency = os.environ.get("DOCUMENT_FETCH_CONCURRENCY", "4")
    print(f"space {SLUG!r}: {pages} pages; DOCUMENT_FETCH_CONCURRENCY={concurrency}")
    print(f"{'sync':<16}{'documents off':>15}{'documents on':>14}{'added':>10}{'added %':>9}{'target':>9}"
          f"{'info requests':>15}{'storing them':>14}")
    missed = 0
    for name, runs, target in (("full", full, TARGET), ("one edit", edit, None)):
        off, on = runs["off"]["seconds"], runs["on"]["seconds"]
        share = (on - off) / off
        ok = target is None or share <= target
        missed += 0 if ok else 1
        print(f"{name:<16}{off:>14.2f}s{on:>13.2f}s{on - off:>9.2f}s{share:>9.1%}"
              f"{(f'<= {target:.0%}' if target else ''):>9}{runs['on']['info_requests']:>15}"
              f"{runs['on']['documents_seconds']:>13.2f}s" + ("" if ok else "  MISSED"))
        print("    on:  " + " | ".join(runs["on"]["summary"]))
        print("    off: " + " | ".join(runs["off"]["summary"]))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
