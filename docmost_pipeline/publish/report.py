"""What is published, read without taking any lock: the live version, the kept ones and the leftovers of
operations running or interrupted, per space."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from docmost_pipeline.publish.lock import is_locked
from docmost_pipeline.publish.space import STAGING_DIR, VERSIONS_DIR, Layout, Live, check_space_name, live_state
from docmost_pipeline.publish.stamp import read_stamp
from docmost_pipeline.publish.versions import kept_versions


@dataclass
class SpaceStatus:
    space: str
    path: Path
    mode: str  # "symlink", "exchange", "missing", or "broken" (the live path is not ours; see problem)
    live_version: str | None
    stamp: dict | None
    kept_versions: list[str] = field(default_factory=list)  # versions kept besides the live one, oldest first
    leftovers: list[str] = field(default_factory=list)  # staging entries (an operation running or interrupted)
    locked: bool = False
    problem: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def status(output_dir: Path, space: str | None = None) -> list[SpaceStatus]:
    """What is published: one SpaceStatus per space (or just ``space``), sorted by name. Takes no lock."""
    output_dir = Path(output_dir)
    if space is not None:
        check_space_name(space)
        names = [space]
    else:
        names = set()
        versions_root = output_dir / VERSIONS_DIR
        if versions_root.is_dir():
            names.update(p.name for p in versions_root.iterdir() if p.is_dir())
        if output_dir.is_dir():
            for entry in output_dir.iterdir():
                if entry.name.startswith("."):
                    continue
                if entry.is_symlink() and os.readlink(entry).startswith(f"{VERSIONS_DIR}/"):
                    names.add(entry.name)
                elif entry.is_dir() and not entry.is_symlink() and read_stamp(entry) is not None:
                    names.add(entry.name)
        names = sorted(names)
    result = []
    for name in names:
        layout = Layout(output_dir, name)
        live = live_state(layout)
        mode = live.mode or ("missing" if live.kind == "missing" else "broken")
        kept = [v for v in kept_versions(layout) if v != live.version]
        leftovers = [f"{STAGING_DIR}/{name}/{p.name}" for p in sorted(layout.staging.iterdir())
                     ] if layout.staging.is_dir() else []
        leftovers += _version_anomalies(layout, live)
        result.append(SpaceStatus(
            space=name, path=layout.live, mode=mode, live_version=live.version,
            stamp=live.stamp.to_dict() if live.stamp else None, kept_versions=kept, leftovers=leftovers,
            locked=is_locked(layout.lock_path), problem=live.problem,
        ))
    return result


def _version_anomalies(layout: Layout, live: Live) -> list[str]:
    """Entries under .versions/<space> that the next operation's cleanup would remove or rename."""
    if not layout.versions.is_dir():
        return []
    found = []
    for entry in sorted(layout.versions.iterdir()):
        if entry.is_symlink() or not entry.is_dir():
            found.append(entry.name)
        elif entry.name != (live.version if live.kind == "symlink" else None):
            stamp = read_stamp(entry)
            if stamp is None or stamp.version != entry.name:
                found.append(entry.name)
    return [f"{VERSIONS_DIR}/{layout.space}/{name}" for name in found]
