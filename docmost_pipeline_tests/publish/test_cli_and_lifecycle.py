"""The publish, rollback, status and unpublish commands end to end (real console entry point, real files), and
the lifecycle rules behind them: stamps, retention, mode changes, adopting an unmanaged folder, refusals."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from docmost_pipeline.publish import PublishError, prune_versions, publish_tree, read_stamp, rollback, status
from docmost_pipeline_tests.publish.conftest import run_cli
from docmost_pipeline_tests.publish.trees import (
    assert_store_consistent, expected_files, live_generation, read_tree, write_tree,
)

SPACE = "engineering"


def cli_status(output_dir: Path, *args: str) -> list[dict]:
    result = run_cli("status", *args, "--json", "--output-dir", output_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_publish_rollback_status_from_the_cli(tmp_path):
    output_dir = tmp_path / "output"
    versions = []
    for generation in (1, 2, 3):
        tree = write_tree(tmp_path / f"tree-{generation}", generation)
        result = run_cli("publish", tree, SPACE, "--run-id", str(generation), "--page-count", "7",
                         "--source-sha256", "ab" * 32, "--json", OUTPUT_DIR=str(output_dir))
        assert result.returncode == 0, result.stderr
        published = json.loads(result.stdout)
        assert published["mode"] == "symlink" and published["path"] == str(output_dir / SPACE)
        versions.append(published["version"])
        assert read_tree(tree) == expected_files(generation)  # the caller's tree is left as it was
    assert versions == sorted(versions) and len(set(versions)) == 3

    [space] = cli_status(output_dir)
    assert space["space"] == SPACE and space["mode"] == "symlink" and space["live_version"] == versions[2]
    assert space["kept_versions"] == versions[:2] and space["leftovers"] == [] and space["locked"] is False
    stamp = space["stamp"]
    assert (stamp["version"], stamp["run_id"], stamp["page_count"], stamp["source_sha256"]) == (
        versions[2], "3", 7, "ab" * 32)
    assert stamp["published_at"].endswith("Z") and stamp["files"] == len(expected_files(3))

    table = run_cli("status", "--output-dir", output_dir)
    assert table.returncode == 0
    assert SPACE in table.stdout and versions[2] in table.stdout and versions[0] in table.stdout

    back = run_cli("rollback", SPACE, "--output-dir", output_dir)
    assert back.returncode == 0, back.stderr
    assert f"version {versions[1]}" in back.stdout and live_generation(output_dir, SPACE) == 2
    to_first = run_cli("rollback", SPACE, "--to", versions[0], "--output-dir", output_dir)
    assert to_first.returncode == 0 and live_generation(output_dir, SPACE) == 1
    [space] = cli_status(output_dir, SPACE)
    assert space["live_version"] == versions[0] and space["kept_versions"] == versions[1:]

    nothing_older = run_cli("rollback", SPACE, "--output-dir", output_dir)
    assert nothing_older.returncode == 1 and "keeps no version older than the live" in nothing_older.stderr
    assert f"newer kept: {versions[1]}, {versions[2]} (roll forward with --to VERSION)" in nothing_older.stderr
    unknown = run_cli("rollback", SPACE, "--to", "20200101T000000.000000Z-abcdef", "--output-dir", output_dir)
    assert unknown.returncode == 1
    assert "no kept version '20200101T000000.000000Z-abcdef'" in unknown.stderr and versions[2] in unknown.stderr
    forward = run_cli("rollback", SPACE, "--to", versions[2], "--output-dir", output_dir)
    assert forward.returncode == 0 and live_generation(output_dir, SPACE) == 3
    assert_store_consistent(output_dir, SPACE, keep=3)


def test_rollback_with_only_the_live_version_says_there_is_no_older_version(tmp_path):
    output_dir = tmp_path / "output"
    published = run_cli("publish", write_tree(tmp_path / "tree", 1), SPACE, "--run-id", "1", "--json",
                        "--output-dir", output_dir)
    version = json.loads(published.stdout)["version"]
    only_live = run_cli("rollback", SPACE, "--output-dir", output_dir)
    assert only_live.returncode == 1 and only_live.stdout == ""
    [line] = only_live.stderr.splitlines()
    assert f"has no older version to roll back to: only the live version {version} is kept" in line
    # no advice to use --to when there is no version to name
    assert "--to" not in line and "kept: none" not in line
    assert live_generation(output_dir, SPACE) == 1


def test_cli_usage_errors_exit_2_and_failures_exit_1(tmp_path):
    output_dir = tmp_path / "output"
    tree = write_tree(tmp_path / "tree", 1)
    for args, env, message in [
        (("publish", tree, SPACE, "--keep", "0"), {}, "--keep must be at least 1"),
        (("publish", tree, SPACE), {"PUBLISH_MODE": "copy"}, "PUBLISH_MODE='copy': expected one of symlink, exchange"),
        (("publish", tree, SPACE), {"PUBLISH_KEEP": "three"}, "PUBLISH_KEEP='three': expected a whole number >= 1"),
        (("publish", tree, "../escape"), {}, "invalid space folder name '../escape'"),
        (("publish", tree, ".versions"), {}, "invalid space folder name '.versions'"),
        (("publish", tree, SPACE, "--mode", "copy"), {}, "invalid choice: 'copy'"),
        (("rollback",), {}, "the following arguments are required: SPACE"),
    ]:
        result = run_cli(*args, "--output-dir", output_dir, **env)
        assert (result.returncode, message in result.stderr) == (2, True), (args, result.stderr)
    missing_tree = run_cli("publish", tmp_path / "nope", SPACE, "--output-dir", output_dir)
    assert missing_tree.returncode == 1 and "nope is not a directory" in missing_tree.stderr
    not_published = run_cli("rollback", SPACE, "--output-dir", output_dir)
    assert not_published.returncode == 1 and "is not published" in not_published.stderr
    assert run_cli("status", "--output-dir", output_dir).stdout.startswith("no published spaces")


def test_env_settings_choose_mode_and_retention(tmp_path):
    output_dir = tmp_path / "output"
    for generation in (1, 2, 3):
        result = run_cli("publish", write_tree(tmp_path / f"t{generation}", generation), SPACE, "--run-id",
                         str(generation), OUTPUT_DIR=str(output_dir), PUBLISH_MODE="exchange", PUBLISH_KEEP="2")
        assert result.returncode == 0, result.stderr
    live = output_dir / SPACE
    assert live.is_dir() and not live.is_symlink() and live_generation(output_dir, SPACE) == 3
    assert len(assert_store_consistent(output_dir, SPACE, keep=2)) == 1  # live at OUTPUT_DIR/<space> + one kept


def test_cli_reads_settings_from_dot_env_like_the_pipeline(tmp_path):
    (tmp_path / ".env").write_text("OUTPUT_DIR=from-dotenv\nPUBLISH_KEEP=1\nPUBLISH_MODE=exchange\n")
    for generation in (1, 2):
        result = run_cli("publish", write_tree(tmp_path / f"t{generation}", generation), SPACE,
                         "--run-id", generation, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    output_dir = tmp_path / "from-dotenv"
    assert not (output_dir / SPACE).is_symlink() and live_generation(output_dir, SPACE) == 2
    assert status(output_dir, SPACE)[0].kept_versions == []  # PUBLISH_KEEP=1 from .env


def test_keep_one_prunes_everything_but_live_and_mode_changes_keep_history(tmp_path):
    output_dir = tmp_path / "output"
    first = publish_tree(write_tree(tmp_path / "t1", 1), output_dir, SPACE, run_id="1", keep=1)
    second = publish_tree(write_tree(tmp_path / "t2", 2), output_dir, SPACE, run_id="2", keep=1)
    assert second.pruned == (first.version,) and status(output_dir, SPACE)[0].kept_versions == []
    # symlink -> exchange -> symlink: every switch atomic (renameat2 swaps the link and the directory)
    third = publish_tree(write_tree(tmp_path / "t3", 3), output_dir, SPACE, run_id="3", mode="exchange")
    assert not (output_dir / SPACE).is_symlink() and live_generation(output_dir, SPACE) == 3
    assert status(output_dir, SPACE)[0].kept_versions == [second.version]
    fourth = publish_tree(write_tree(tmp_path / "t4", 4), output_dir, SPACE, run_id="4", mode="symlink")
    assert (output_dir / SPACE).is_symlink() and live_generation(output_dir, SPACE) == 4
    assert status(output_dir, SPACE)[0].kept_versions == [second.version, third.version]
    assert rollback(output_dir, SPACE).version == third.version and live_generation(output_dir, SPACE) == 3
    assert fourth.mode == "symlink" and assert_store_consistent(output_dir, SPACE, keep=3)


def test_prune_versions_keeps_the_newest_and_never_the_live_one(tmp_path):
    output_dir = tmp_path / "output"
    versions = [publish_tree(write_tree(tmp_path / f"t{g}", g), output_dir, SPACE, run_id=str(g), keep=5).version
                for g in (1, 2, 3, 4)]
    rollback(output_dir, SPACE, to_version=versions[0])  # live is now the oldest version
    pruned = prune_versions(output_dir, SPACE, keep=2)
    assert pruned == versions[1:3]
    assert status(output_dir, SPACE)[0].kept_versions == [versions[3]] and live_generation(output_dir, SPACE) == 1
    assert prune_versions(output_dir, SPACE, keep=2) == []
    with pytest.raises(PublishError, match="keep=0"):
        prune_versions(output_dir, SPACE, keep=0)
    assert prune_versions(output_dir, "never-published", keep=1) == []


def test_an_unmanaged_live_folder_is_adopted_as_a_kept_version(tmp_path):
    output_dir = tmp_path / "output"
    legacy = output_dir / SPACE
    (legacy / "old").mkdir(parents=True)
    (legacy / "old" / "page.md").write_text("from the old system\n")
    result = publish_tree(write_tree(tmp_path / "t1", 1), output_dir, SPACE, run_id="1")
    assert result.previous_version and result.previous_version.endswith("-adopted")
    assert (output_dir / SPACE).is_symlink() and live_generation(output_dir, SPACE) == 1
    rollback(output_dir, SPACE)
    assert (output_dir / SPACE / "old" / "page.md").read_text() == "from the old system\n"
    assert read_stamp(output_dir / SPACE).source == "adopted unmanaged directory"


def test_refusals_name_what_is_wrong_and_change_nothing(tmp_path):
    output_dir = tmp_path / "output"
    tree = write_tree(tmp_path / "tree", 1)
    os.symlink("/etc/hostname", tree / "section-1" / "escape.md")
    with pytest.raises(PublishError, match=r"section-1/escape.md is a symlink"):
        publish_tree(tree, output_dir, SPACE)
    assert not os.path.lexists(output_dir / SPACE)
    assert status(output_dir, SPACE)[0].leftovers == []

    (output_dir / "notes").write_text("a file where a space would go\n")
    with pytest.raises(PublishError, match="neither a directory nor a symlink"):
        publish_tree(write_tree(tmp_path / "t2", 2), output_dir, "notes")
    os.symlink("/tmp", output_dir / "foreign")
    with pytest.raises(PublishError, match="is a symlink to /tmp, not to a kept version"):
        publish_tree(write_tree(tmp_path / "t3", 3), output_dir, "foreign")
    assert os.readlink(output_dir / "foreign") == "/tmp"
    assert (output_dir / "notes").read_text() == "a file where a space would go\n"


def test_tree_on_another_filesystem_is_copied_and_a_published_version_can_be_republished(tmp_path):
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on a filesystem other than the test's temporary directory")
    output_dir = tmp_path / "output"
    source = write_tree(shm / f"publish-test-{os.getpid()}", 5)
    try:
        publish_tree(source, output_dir, SPACE, run_id="5")
        assert read_tree(source) == expected_files(5)
    finally:
        shutil.rmtree(source)
    # republishing the live tree itself (its old stamp is replaced, not copied)
    again = publish_tree(output_dir / SPACE, output_dir, SPACE, run_id="5")
    assert read_stamp(output_dir / SPACE).version == again.version and live_generation(output_dir, SPACE) == 5


def test_an_identical_tree_is_not_published_again_so_history_holds_real_changes(tmp_path):
    output_dir = tmp_path / "output"
    tree = write_tree(tmp_path / "tree", 1)
    first = publish_tree(tree, output_dir, SPACE, run_id="1", keep=2)
    stamp = read_stamp(output_dir / SPACE)
    assert stamp is not None and stamp.tree_sha256 is not None and len(stamp.tree_sha256) == 64

    again = run_cli("publish", tree, SPACE, "--keep", "2", "--json", "--output-dir", output_dir)
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)
    assert result["unchanged"] is True and result["version"] == first.version
    assert result["files"] == first.files and result["bytes"] == first.bytes
    assert sorted(p.name for p in (output_dir / ".versions" / SPACE).iterdir()) == [first.version]
    text = run_cli("publish", tree, SPACE, "--output-dir", output_dir)
    assert text.returncode == 0 and f"unchanged {output_dir / SPACE}: version {first.version} stays live" in text.stdout

    # any change a reader could see makes a new version: one byte, a renamed file, an empty folder
    (tree / "page-0-g1.md").write_bytes((tree / "page-0-g1.md").read_bytes().replace(b"END", b"ENd"))
    changed = publish_tree(tree, output_dir, SPACE, run_id="2", keep=2)
    assert not changed.unchanged and changed.version != first.version and changed.previous_version == first.version
    (tree / "page-0-g1.md").rename(tree / "page-0-renamed.md")
    renamed = publish_tree(tree, output_dir, SPACE, run_id="3", keep=2)
    (tree / "empty-folder").mkdir()
    folder = publish_tree(tree, output_dir, SPACE, run_id="4", keep=2)
    assert not renamed.unchanged and not folder.unchanged
    assert len({first.version, changed.version, renamed.version, folder.version}) == 4
    # --force, and a change of publish mode, publish the same tree anyway
    forced = run_cli("publish", tree, SPACE, "--force", "--keep", "2", "--json", "--output-dir", output_dir)
    assert forced.returncode == 0 and json.loads(forced.stdout)["unchanged"] is False
    exchanged = publish_tree(tree, output_dir, SPACE, mode="exchange", keep=2)
    assert not exchanged.unchanged and not (output_dir / SPACE).is_symlink()
    assert publish_tree(tree, output_dir, SPACE, mode="exchange", keep=2).unchanged
    assert read_tree(output_dir / SPACE) == read_tree(tree)
    assert len([p for p in (output_dir / ".versions" / SPACE).iterdir() if p.is_dir()]) == 1  # keep=2: live + one


def test_a_live_version_stamped_before_tree_digests_is_republished(tmp_path):
    output_dir = tmp_path / "output"
    tree = write_tree(tmp_path / "tree", 1)
    first = publish_tree(tree, output_dir, SPACE)
    stamp_path = output_dir / ".versions" / SPACE / first.version / "_publish.json"
    old = json.loads(stamp_path.read_text())
    del old["tree_sha256"]
    stamp_path.write_text(json.dumps(old))
    assert read_stamp(output_dir / SPACE).tree_sha256 is None
    second = publish_tree(tree, output_dir, SPACE)
    assert not second.unchanged and second.previous_version == first.version
    assert publish_tree(tree, output_dir, SPACE).unchanged
