"""SIGKILL the publisher at every step (DOCMOST_PUBLISH_KILL_AT): the live tree is exactly the old or the new
version, and the next publish succeeds and leaves no leftovers. Also for rollback and unpublish."""

from __future__ import annotations

import signal

import pytest

from docmost_pipeline.publish import clean_leftovers, publish_tree, rollback, status, unpublish
from docmost_pipeline.publish.faults import KILL_STEPS
from docmost_pipeline_tests.publish.conftest import child_env, run_cli, run_module
from docmost_pipeline_tests.publish.trees import assert_store_consistent, live_generation, write_tree

SPACE = "engineering"
KEEP = 2

# (mode of the old live version, mode of the interrupted publish)
TRANSITIONS = [("symlink", "symlink"), ("exchange", "exchange"), ("symlink", "exchange"), ("exchange", "symlink")]


def publish_generation(output_dir, work_dir, generation, mode, keep=KEEP):
    tree = write_tree(work_dir / f"tree-{generation}", generation)
    return publish_tree(tree, output_dir, SPACE, run_id=str(generation), mode=mode, keep=keep)


# Steps before the stage rename do the same thing in every mode; the mode changes are exercised where they differ.
SWITCH_STEPS = ("after_stage_rename", "before_switch", "after_switch", "after_displaced_rename", "mid_prune")


def reached(step: str, old_mode: str, new_mode: str) -> bool:
    if old_mode != new_mode and step not in SWITCH_STEPS:
        return False
    # Only a switch that replaces a real directory or uses an exchange has a swapped-out entry to rename.
    return step != "after_displaced_rename" or (old_mode, new_mode) != ("symlink", "symlink")


CASES = [(step, old, new) for old, new in TRANSITIONS for step in KILL_STEPS if reached(step, old, new)]


@pytest.mark.parametrize("step,old_mode,new_mode", CASES, ids=[f"{s}-{o}-to-{n}" for s, o, n in CASES])
def test_kill_at_step_leaves_old_or_new_and_next_publish_recovers(tmp_path, step, old_mode, new_mode):
    output_dir, work = tmp_path / "output", tmp_path / "work"
    publish_generation(output_dir, work, 1, old_mode)
    publish_generation(output_dir, work, 2, old_mode)  # with keep=2, publishing 3 must prune generation 1

    killed = run_module("docmost_pipeline_tests.publish.writer", output_dir, SPACE, 3, 3, new_mode, KEEP, work,
                        env=child_env(DOCMOST_PUBLISH_KILL_AT=step))
    assert killed.returncode == -signal.SIGKILL, f"step {step} was not reached: {killed.stdout}{killed.stderr}"

    live = live_generation(output_dir, SPACE)
    switched = KILL_STEPS.index(step) >= KILL_STEPS.index("after_switch")
    assert live == (3 if switched else 2)

    result = publish_generation(output_dir, work, 4, new_mode)
    assert result.previous_version is not None
    assert live_generation(output_dir, SPACE) == 4
    assert_store_consistent(output_dir, SPACE, keep=KEEP)
    [space_status] = status(output_dir, SPACE)
    assert space_status.leftovers == [] and not space_status.locked
    assert space_status.mode == new_mode
    if step in ("after_lock", "after_cleanup", "after_prune"):
        assert result.cleaned == ()  # nothing was left to clean
    else:
        assert result.cleaned, f"kill at {step} should have left something to clean"


@pytest.mark.parametrize("mode", ["symlink", "exchange"])
@pytest.mark.parametrize("step", ["before_switch", "after_switch"])
def test_kill_during_rollback(tmp_path, mode, step):
    output_dir, work = tmp_path / "output", tmp_path / "work"
    for generation in (1, 2):
        publish_generation(output_dir, work, generation, mode, keep=3)
    killed = run_cli("rollback", SPACE, "--output-dir", output_dir, DOCMOST_PUBLISH_KILL_AT=step)
    assert killed.returncode == -signal.SIGKILL
    assert live_generation(output_dir, SPACE) == (1 if step == "after_switch" else 2)
    if (step, mode) == ("after_switch", "exchange"):
        # the swapped-out tree still sits under the rollback target's name until the next operation renames it
        assert status(output_dir, SPACE)[0].leftovers
    cleaned = clean_leftovers(output_dir, SPACE)
    # symlink mode leaves its temporary link before the switch; exchange mode the swapped-out tree after it
    assert bool(cleaned) == ((step, mode) in {("before_switch", "symlink"), ("after_switch", "exchange")}), cleaned
    [space_status] = status(output_dir, SPACE)
    assert space_status.leftovers == [] and len(space_status.kept_versions) == 1
    assert rollback(output_dir, SPACE, space_status.kept_versions[0]).version
    assert_store_consistent(output_dir, SPACE)
    assert len(status(output_dir, SPACE)[0].kept_versions) == 1


@pytest.mark.parametrize("mode", ["symlink", "exchange"])
def test_kill_during_unpublish_then_unpublish_again(tmp_path, mode):
    output_dir, work = tmp_path / "output", tmp_path / "work"
    publish_generation(output_dir, work, 1, mode)
    publish_generation(output_dir, work, 2, mode)
    killed = run_cli("unpublish", SPACE, "--output-dir", output_dir, DOCMOST_PUBLISH_KILL_AT="after_switch")
    assert killed.returncode == -signal.SIGKILL
    assert not (output_dir / SPACE).exists() and not (output_dir / SPACE).is_symlink()  # gone in one step
    [space_status] = status(output_dir, SPACE)
    assert space_status.mode == "missing" and space_status.live_version is None
    unpublish(output_dir, SPACE)
    assert status(output_dir) == []
    assert not (output_dir / ".versions" / SPACE).exists() and not (output_dir / ".staging" / SPACE).exists()
