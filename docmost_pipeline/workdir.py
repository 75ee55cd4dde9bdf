"""Where a sync run keeps its working data under ``OUTPUT_DIR/.pipeline``, and the clean-up of what is stale.

Working data lives beside the published tree (same filesystem, so publishing is an atomic rename) in a hidden
folder Docusaurus never reads: ``raw/<space>/<run_id>`` (the downloaded export, kept for the next incremental
sync), ``extract/<space>/<run_id>`` and ``staging/<space>/<run_id>`` (removed once the run is over), and
``cache/<space>/pages.json`` (the rendered pages of the last conversion), and ``git/`` (the working clones of the
git target and what each space last pushed, :mod:`docmost_pipeline.gitpublish`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

WORK_DIR_NAME = ".pipeline"
AREAS = ("raw", "extract", "staging")


@dataclass(frozen=True)
class WorkDirs:
    """The working folders of one OUTPUT_DIR."""

    output_root: Path

    @property
    def root(self) -> Path:
        return self.output_root / WORK_DIR_NAME

    def raw(self, space: str, run_id: str) -> Path:
        return self.root / "raw" / space / run_id

    def extract(self, space: str, run_id: str) -> Path:
        return self.root / "extract" / space / run_id

    def staging(self, space: str, run_id: str) -> Path:
        return self.root / "staging" / space / run_id

    def page_cache(self, space: str) -> Path:
        """The rendered pages of the space's last conversion (docmost_pipeline.convert.cache)."""
        return self.root / "cache" / space / "pages.json"

    def check_facts(self, space: str) -> Path:
        """What the checks read of each doc of the space's last tree (docmost_pipeline.checks.DocFacts)."""
        return self.root / "cache" / space / "check-facts.json"

    @property
    def git_root(self) -> Path:
        """The working clones of the git target (docmost_pipeline.gitpublish), one per repository and branch."""
        return self.root / "git"

    def git_marker(self, space: str) -> Path:
        """What the space's last successful git publish pushed (docmost_pipeline.gitpublish.write_marker)."""
        return self.root / "git" / "pushed" / f"{space}.json"


def fresh_dir(path: Path) -> Path:
    """``path`` as a new empty directory: a retried step reuses the run id and must not see a half-written attempt."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


@dataclass
class MaintenanceReport:
    removed: list[str] = field(default_factory=list)
    kept_raw: int = 0

    def add(self, what: str) -> None:
        self.removed.append(what)


def clean_working_data(work_root: Path, *, raw_keep: int, active_run_ids: set[str],
                       report: MaintenanceReport | None = None) -> MaintenanceReport:
    """Remove stale per-run working dirs under ``OUTPUT_DIR/.pipeline`` (never those of runs still in progress).

    staging/ and extract/ of finished runs are removed; raw/ keeps the newest ``raw_keep`` exports per space.
    """
    report = report or MaintenanceReport()
    for area in ("staging", "extract"):
        root = work_root / area
        if not root.is_dir():
            continue
        for space_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            for run_dir in sorted(p for p in space_dir.iterdir() if p.is_dir()):
                if run_dir.name not in active_run_ids:
                    shutil.rmtree(run_dir, ignore_errors=True)
                    report.add(f"{area}/{space_dir.name}/{run_dir.name}")
            if not any(space_dir.iterdir()):
                space_dir.rmdir()
    raw_root = work_root / "raw"
    if raw_root.is_dir():
        for space_dir in sorted(p for p in raw_root.iterdir() if p.is_dir()):
            _clean_raw_space(space_dir, raw_keep, active_run_ids, report)
    return report


def _clean_raw_space(space_dir: Path, raw_keep: int, active_run_ids: set[str], report: MaintenanceReport) -> None:
    runs = sorted((p for p in space_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    keep = {p.name for p in runs[:raw_keep]} | active_run_ids
    for run_dir in runs:
        if run_dir.name in keep:
            report.kept_raw += 1
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
            report.add(f"raw/{space_dir.name}/{run_dir.name}")
