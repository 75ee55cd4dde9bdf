"""Durability of a publish: what must be on disk before and after the atomic switch (docs/publishing.md, "How a publish works").

A crash or power loss at any instant must leave the old or the new version live, complete. Renames are atomic but
not durable by themselves, and a file's data is not on disk until it is fsynced. So the publisher promises:

- step 3: every staged file is fsynced, the stamp written and fsynced, every directory fsynced bottom-up (a
  directory after everything in it), before the version is renamed out of staging;
- step 5: the switch happens only once all of that is done, and ``OUTPUT_DIR`` (the folder holding the live link or
  directory) is fsynced after it, so the switch itself survives a power loss.

Nothing can show a missing fsync by reading files back (the page cache answers), so these tests watch the calls:
``os.fsync`` is wrapped to record the path of each fsynced descriptor (``/proc/self/fd/<fd>``) before calling the
real fsync, and every rename, replace, symlink and ``renameat2`` exchange the publisher makes is recorded in the same
ordered log, during real publishes of a real tree.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from docmost_pipeline.publish import publish_tree, switch
from docmost_pipeline_tests.publish.trees import write_tree


class CallLog:
    """One ordered log of fsyncs (by resolved path) and directory-entry changes, from real calls."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str | None]] = []  # (operation, path, second path)

    def install(self, monkeypatch) -> None:
        real_fsync, real_rename, real_replace, real_symlink = os.fsync, os.rename, os.replace, os.symlink
        real_link, real_exchange = os.link, switch.exchange

        def fsync(fd):
            self.events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"), None))
            return real_fsync(fd)

        def entry_change(name, real):
            def wrapper(src, dst, *args, **kwargs):
                result = real(src, dst, *args, **kwargs)
                self.events.append((name, os.path.abspath(src), os.path.abspath(dst)))
                return result
            return wrapper

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "rename", entry_change("rename", real_rename))
        monkeypatch.setattr(os, "replace", entry_change("replace", real_replace))
        monkeypatch.setattr(os, "symlink", entry_change("symlink", real_symlink))
        monkeypatch.setattr(os, "link", entry_change("link", real_link))
        # the switch's renameat2(RENAME_EXCHANGE); exchange_supported's probe calls the module's own function
        monkeypatch.setattr(switch, "exchange", entry_change("exchange", real_exchange))

    def fsync_indexes(self, path: Path) -> list[int]:
        return [i for i, (op, p, _) in enumerate(self.events) if op == "fsync" and p == str(path)]

    def index_of(self, operation: str, src: Path | None = None, dst: Path | None = None) -> int:
        found = [i for i, (op, s, d) in enumerate(self.events)
                 if op == operation and (src is None or s == str(src)) and (dst is None or d == str(dst))]
        assert len(found) == 1, f"expected one {operation} {src} -> {dst}, found {len(found)} in:\n{self.dump()}"
        return found[0]

    def dump(self) -> str:
        return "\n".join(f"{i:3d} {op} {p}" + (f" -> {d}" if d else "") for i, (op, p, d) in enumerate(self.events))


def staged_paths(version_dir: Path) -> list[Path]:
    """Every directory and file of a published version, relative (the version directory itself as Path('.'))."""
    paths = [Path(".")]
    for dirpath, dirnames, filenames in os.walk(version_dir):
        base = Path(dirpath).relative_to(version_dir)
        paths += [base / name for name in dirnames + filenames]
    return paths


def check_durable_publish(log: CallLog, output: Path, space: str, version: str, version_dir: Path) -> None:
    """The ordering promised for one publish whose new version is ``version`` (its tree now at ``version_dir``)."""
    staged = output / ".staging" / space / version
    kept = output / ".versions" / space / version
    live = output / space
    stage_rename = log.index_of("rename", staged, kept)
    switches = [i for i, (op, _, dst) in enumerate(log.events)
                if op in ("replace", "rename", "exchange") and dst == str(live)]
    assert len(switches) == 1, f"expected one switch of {live}:\n{log.dump()}"
    switch = switches[0]
    assert stage_rename < switch

    relative_paths = staged_paths(version_dir)
    assert Path("_publish.json") in relative_paths and any(p.suffix == ".md" for p in relative_paths)
    # a file identical to the live version's is a hard link to it: its data is on disk already
    published = (str(output / ".versions" / space) + os.sep, str(live) + os.sep)
    linked = {dst for op, src, dst in log.events if op == "link" and src.startswith(published)}
    not_durable = [str(rel) for rel in relative_paths if str(staged / rel) not in linked
                   and not [i for i in log.fsync_indexes(staged / rel) if i < stage_rename]]
    assert not not_durable, (f"staged entries of version {version} not fsynced before it left staging (and so "
                             f"before the switch): {not_durable}\ncalls:\n{log.dump()}")
    # bottom-up: a directory's fsync comes after the fsync of everything in it
    for rel in relative_paths:
        if (version_dir / rel).is_dir():
            children = [child for child in relative_paths if child != rel and child.parent == rel]
            last_dir_fsync = max(i for i in log.fsync_indexes(staged / rel) if i < stage_rename)
            for child in children:
                if str(staged / child) in linked:
                    continue
                first_child_fsync = min(log.fsync_indexes(staged / child))
                assert first_child_fsync < last_dir_fsync, f"{rel} fsynced before its entry {child}:\n{log.dump()}"
    # the rename out of staging is made durable (the versions folder fsynced) before the switch
    versions_dir = output / ".versions" / space
    assert [i for i in log.fsync_indexes(versions_dir) if stage_rename < i < switch], (
        f"{versions_dir} not fsynced between the stage rename and the switch:\n{log.dump()}")
    # the switch is made durable: OUTPUT_DIR, which holds the live entry, is fsynced after it
    assert [i for i in log.fsync_indexes(output) if i > switch], (
        f"{output} (parent of the live {space}) not fsynced after the switch:\n{log.dump()}")


@pytest.mark.parametrize("mode", ["symlink", "exchange"])
def test_every_staged_entry_is_fsynced_before_the_switch_and_output_dir_after(tmp_path, monkeypatch, mode):
    output = (tmp_path / "output").resolve()
    space = "durable"
    for generation in (1, 2):  # first publish (nothing live yet), then a replacement of a live version
        tree = write_tree(tmp_path / f"tree-{generation}", generation)
        log = CallLog()
        with monkeypatch.context() as patched:
            log.install(patched)
            result = publish_tree(tree, output, space, run_id=str(generation), mode=mode)
        assert result.mode == mode and not result.unchanged
        live = output / space
        if mode == "symlink":
            assert live.is_symlink()
            version_dir = output / ".versions" / space / result.version
        else:
            assert live.is_dir() and not live.is_symlink()
            version_dir = live
        if mode == "exchange" and generation == 2:
            assert any(op == "exchange" for op, _, _ in log.events)  # the renameat2 switch was the one watched
        check_durable_publish(log, output, space, result.version, version_dir)


@pytest.mark.parametrize("mode", ["symlink", "exchange"])
def test_files_unchanged_since_the_live_version_are_linked_not_copied(tmp_path, monkeypatch, mode):
    output = (tmp_path / "output").resolve()
    first = write_tree(tmp_path / "tree-1", 1)
    publish_tree(first, output, "space", mode=mode)
    second = tmp_path / "tree-2"
    shutil.copytree(first, second)
    changed = next(p for p in sorted(second.rglob("*.md")))
    changed.write_text("an edited page\n")
    log = CallLog()
    with monkeypatch.context() as patched:
        log.install(patched)
        result = publish_tree(second, output, "space", mode=mode)
    version_dir = output / "space" if mode == "exchange" else output / ".versions" / "space" / result.version
    previous = output / ".versions" / "space" / result.previous_version
    check_durable_publish(log, output, "space", result.version, version_dir)
    relative_changed = changed.relative_to(second)
    for path in sorted(second.rglob("*")):
        if path.is_file():
            rel = path.relative_to(second)
            same_inode = (version_dir / rel).stat().st_ino == (previous / rel).stat().st_ino
            assert same_inode == (rel != relative_changed), rel
    # the older version keeps its own content: linking never shares a file that differs
    assert (previous / relative_changed).read_bytes() != (version_dir / relative_changed).read_bytes()
