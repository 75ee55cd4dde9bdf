"""``docusaurus_site_sensor``: one site build after spaces published changes, debounced, on a real Dagster instance.

Spaces are published into OUTPUT_DIR by the real publisher and runs are recorded in a real instance the way the
daemon records them (queued, started, finished); the sensor is evaluated with ``build_sensor_context``. No site is
built here (the build itself is tested in ``site/test_website.py`` and ``site/test_site_asset.py``): a live site is
stood in for by publishing a folder into SITE_DIR with the fingerprint a build would record.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from dagster import DagsterRun, DagsterRunStatus, build_sensor_context, instance_for_test

from docmost_pipeline.defs.jobs import SITE_JOB_NAME, SYNC_JOB_NAME, site_job
from docmost_pipeline.defs.partitions import PARTITION_TAG
from docmost_pipeline.defs.resources import OutputResource, WebsiteResource
from docmost_pipeline.defs.sensors import build_site_sensor
from docmost_pipeline.publish import publish_tree, rollback
from docmost_pipeline.website import publish_site, site_inputs

SPACES = ("alpha", "beta", "gamma")


def publish_space(output: Path, slug: str, text: str, tmp_path: Path) -> None:
    tree = tmp_path / "trees" / f"{slug}-{uuid.uuid4().hex[:8]}"
    tree.mkdir(parents=True)
    (tree / "index.md").write_text(f"# {slug}\n\n{text}\n", encoding="utf-8")
    publish_tree(tree, output, slug)


def add_run(instance, job_name: str, status: DagsterRunStatus, partition: str | None = None) -> str:
    run_id = str(uuid.uuid4())
    tags = {PARTITION_TAG: partition} if partition else {}
    instance.add_run(DagsterRun(job_name=job_name, run_id=run_id, status=status, tags=tags))
    return run_id


def set_status(instance, run_id: str, status: DagsterRunStatus) -> None:
    """The run's record with a new status (what the daemon's events leave in run storage)."""
    run = instance.get_run_by_id(run_id)
    instance.run_storage.delete_run(run_id)
    instance.add_run(run.with_status(status))


def tick(instance, output: Path, site: Path, quiet: int):
    resources = {"output": OutputResource(output_dir=str(output)),
                 "website": WebsiteResource(site_dir=str(site), quiet_period_seconds=quiet)}
    return build_site_sensor(site_job).evaluate_tick(build_sensor_context(instance=instance, resources=resources))


def skipped(result) -> str:
    assert not result.run_requests, result.run_requests
    return result.skip_message


def test_a_backfill_of_every_space_gives_one_build_after_its_last_run(tmp_path):
    output, site = tmp_path / "output", tmp_path / "site"
    with instance_for_test() as instance:
        assert "no space is published" in skipped(tick(instance, output, site, quiet=0))
        empty = tmp_path / "empty"
        empty.mkdir()
        (empty / "_category_.json").write_text('{"label": "General"}\n', encoding="utf-8")
        publish_tree(empty, output, "general")  # an empty space: nothing a site could show
        assert "no published space has a page yet" in skipped(tick(instance, output, site, quiet=0))

        # a backfill: a run created for every space (queued runs need a code location here); they start and
        # publish one after another
        runs = {slug: add_run(instance, SYNC_JOB_NAME, DagsterRunStatus.NOT_STARTED, slug) for slug in SPACES}
        for slug in SPACES:
            set_status(instance, runs[slug], DagsterRunStatus.STARTED)
            publish_space(output, slug, "first version", tmp_path)
            set_status(instance, runs[slug], DagsterRunStatus.SUCCESS)
            waiting = sum(1 for s in SPACES if instance.get_run_by_id(runs[s]).status != DagsterRunStatus.SUCCESS)
            if waiting:
                assert f"waiting for {waiting} sync run(s)" in skipped(tick(instance, output, site, quiet=0))

        # every run is over, but the last space went live just now: wait for the quiet period
        assert "waiting for 3600 s without publishes" in skipped(tick(instance, output, site, quiet=3600))
        [request] = tick(instance, output, site, quiet=0).run_requests
        inputs = site_inputs(output)
        assert sorted(inputs.spaces) == [*SPACES, "general"]
        assert request.run_key == f"site:{inputs.fingerprint[:24]}:none"
        assert tick(instance, output, site, quiet=0).run_requests[0].run_key == request.run_key  # same state, same key

        # the build is queued, then running: no second request
        build = add_run(instance, SITE_JOB_NAME, DagsterRunStatus.NOT_STARTED)
        assert "a site build is queued or in progress" in skipped(tick(instance, output, site, quiet=0))
        set_status(instance, build, DagsterRunStatus.STARTED)
        assert "a site build is queued or in progress" in skipped(tick(instance, output, site, quiet=0))

        # it made a site live from these inputs: nothing to do until a space changes
        built = tmp_path / "built"
        built.mkdir()
        (built / "index.html").write_text("<!doctype html><title>site</title>\n", encoding="utf-8")
        publish_site(built, site, inputs.fingerprint, pages=1)
        set_status(instance, build, DagsterRunStatus.SUCCESS)
        assert "was built from the spaces' live versions" in skipped(tick(instance, output, site, quiet=0))

        publish_space(output, "beta", "second version", tmp_path)
        [again] = tick(instance, output, site, quiet=0).run_requests
        assert again.run_key != request.run_key

        # that build goes live; then beta is rolled back: the inputs of the first build, requested again (the
        # first request's key is used up, and this one names the live site too)
        publish_site(built, site, site_inputs(output).fingerprint, pages=1)
        rollback(output, "beta")
        [back] = tick(instance, output, site, quiet=0).run_requests
        assert back.run_key.split(":")[1] == request.run_key.split(":")[1] and back.run_key != request.run_key


def test_a_sync_started_from_the_cli_or_a_schedule_also_holds_the_build(tmp_path):
    # Partitioned runs are space syncs whatever job launched them (e.g. `dagster asset materialize`).
    output, site = tmp_path / "output", tmp_path / "site"
    publish_space(output, "alpha", "first version", tmp_path)
    with instance_for_test() as instance:
        run = add_run(instance, "__ASSET_JOB", DagsterRunStatus.STARTED, "beta")
        assert "waiting for 1 sync run(s)" in skipped(tick(instance, output, site, quiet=0))
        set_status(instance, run, DagsterRunStatus.FAILURE)
        assert len(tick(instance, output, site, quiet=0).run_requests) == 1
