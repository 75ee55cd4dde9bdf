"""``benchmarks/convert.py`` on a tiny generated export: it runs end to end and measures a clean conversion."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "convert.py"


def test_benchmark_converts_its_generated_export_with_every_link_resolved(tmp_path):
    result = subprocess.run([sys.executable, str(BENCHMARK), "--pages-per-level", "2", "2", "2", "--attachments", "3",
                             "--repeat", "1", "--keep", str(tmp_path)], capture_output=True, text=True, timeout=300)
    # exit 1 also means "targets missed", which depends on the machine: the printed figures are what must be there
    assert result.returncode in (0, 1), result.stderr
    assert "generated bench-space-export.zip: 14 pages, 3 attachments" in result.stdout, result.stderr
    # 9 = lost_page_offline + 8 transliterated Hangul titles: no link or attachment of the generated pages is lost
    assert "(14 pages, 3 attachments, 9 warnings)" in result.stdout, result.stdout + result.stderr
    assert "ratio to extractall:" in result.stdout and "peak RSS" in result.stdout
    out = tmp_path / "run0-convert" / "bench"
    assert len(list(out.rglob("*.md"))) == 14
    assert len(list((out / "_attachments").rglob("*.png"))) == 3
