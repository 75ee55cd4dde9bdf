"""Benchmark: download a generated 500 MB space export from the Docmost test server through DocmostClient.

Starts ``python -m docmost_pipeline.emulator`` in a child process (so the generator's work and memory
are not counted), asks it over ``POST /__control__/faults`` for a large generated space, downloads the export
with :class:`DocmostClient` and prints wall time, throughput and this process's peak RSS. Exit status 1 when the
peak RSS reaches the budget (default 150 MB).

    .venv/bin/python benchmarks/download.py [--size-mb 500] [--max-rss-mb 150]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

from docmost_pipeline.docmost import DocmostClient
from docmost_pipeline.emulator import DEFAULT_EMAIL, DEFAULT_PASSWORD


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--max-rss-mb", type=float, default=150.0)
    args = parser.parse_args()

    server = subprocess.Popen([sys.executable, "-m", "docmost_pipeline.emulator", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base_url = server.stdout.readline().strip()
        if not base_url.startswith("http://127.0.0.1:"):
            print(f"test server did not start (first line {base_url!r})", file=sys.stderr)
            return 2
        size = args.size_mb * 1024 * 1024
        added = httpx.post(f"{base_url}/__control__/faults",
                           json={"op": "add_large_space", "size_bytes": size}).json()["result"]
        rss_before = peak_rss_mb()
        with tempfile.TemporaryDirectory() as tmp, DocmostClient(base_url, DEFAULT_EMAIL, DEFAULT_PASSWORD) as client:
            started = time.monotonic()
            download = client.export_space(added["id"], Path(tmp) / "large.zip")
            wall = time.monotonic() - started
            with zipfile.ZipFile(download.path) as zf:
                entries = len(zf.namelist())
        peak = peak_rss_mb()
    finally:
        server.terminate()
        server.wait(timeout=10)
    megabytes = download.bytes / 1024 / 1024
    print(f"downloaded {download.bytes:,} bytes ({megabytes:.1f} MiB, {entries} ZIP entries) "
          f"sha256 {download.sha256[:16]}…")
    print(f"wall time {wall:.2f} s, {megabytes / wall:.1f} MiB/s")
    print(f"peak RSS {peak:.1f} MiB (before download {rss_before:.1f} MiB), budget {args.max_rss_mb:.0f} MiB")
    return 0 if peak < args.max_rss_mb else 1


if __name__ == "__main__":
    sys.exit(main())
