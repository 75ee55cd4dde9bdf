"""The publish_status and publish_rollback Dagster jobs: the same operations as ``docmost-pipeline status|rollback``,
run in process against a real OUTPUT_DIR filled by the publisher."""

from __future__ import annotations

import re
from pathlib import Path

from dagster import instance_for_test

from docmost_pipeline.defs.jobs import rollback_job, status_job
from docmost_pipeline.publish import PublishError, publish_tree, read_stamp, status
from docmost_pipeline.defs.resources import OutputResource


def publish_generations(tmp_path: Path, output: Path, space: str, count: int) -> list[str]:
    versions = []
    for generation in range(1, count + 1):
        tree = tmp_path / f"{space}-{generation}"
        tree.mkdir()
        (tree / "page.md").write_text(f"generation {generation}\n")
        versions.append(publish_tree(tree, output, space, run_id=str(generation)).version)
    return versions


def test_status_job_reports_every_space(tmp_path):
    output = tmp_path / "output"
    alpha = publish_generations(tmp_path, output, "alpha", 2)
    beta = publish_generations(tmp_path, output, "beta", 1)
    with instance_for_test() as instance:
        result = status_job.execute_in_process(
            instance=instance, resources={"output": OutputResource(output_dir=str(output))})
    assert result.success
    rows = {row["space"]: row for row in result.output_for_node("publish_status_op")}
    assert rows["alpha"]["live_version"] == alpha[1] and rows["alpha"]["kept_versions"] == [alpha[0]]
    assert rows["beta"]["live_version"] == beta[0] and rows["beta"]["kept_versions"] == []
    (materialization_metadata,) = [e.step_output_data.metadata for e in result.all_events
                                   if e.is_successful_output]
    assert materialization_metadata["spaces"].value == 2
    # one table row per space (cells padded by the table builder)
    assert re.search(rf"^\| alpha +\| symlink +\| {re.escape(alpha[1])} +\| +1 +\| +\|$",
                     materialization_metadata["status"].value, re.MULTILINE)


def test_rollback_job_switches_back_and_fails_clearly_without_a_version(tmp_path):
    output = tmp_path / "output"
    versions = publish_generations(tmp_path, output, "alpha", 3)
    resources = {"output": OutputResource(output_dir=str(output))}
    with instance_for_test() as instance:
        result = rollback_job.execute_in_process(
            instance=instance, resources=resources,
            run_config={"ops": {"publish_rollback_op": {"config": {"space": "alpha", "to_version": versions[0]}}}})
        assert result.success and result.output_for_node("publish_rollback_op") == versions[0]
        assert read_stamp(output / "alpha").version == versions[0]
        assert (output / "alpha" / "page.md").read_text() == "generation 1\n"
        # no version of that name: the run fails with the publisher's message and the live tree stays as it is
        failed = rollback_job.execute_in_process(
            instance=instance, resources=resources, raise_on_error=False,
            run_config={"ops": {"publish_rollback_op": {"config": {"space": "alpha", "to_version": "nope"}}}})
    assert not failed.success
    (failure,) = [e for e in failed.all_events if e.is_step_failure]
    error = failure.step_failure_data.error
    assert PublishError.__name__ in error.cause.cls_name and "has no kept version 'nope'" in error.cause.message
    assert status(output, "alpha")[0].live_version == versions[0]
