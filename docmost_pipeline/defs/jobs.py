"""Dagster jobs: the partitioned space sync, the website build, publish status and rollback, the daily maintenance.

``sync_space`` materializes the four assets for one space partition; ``build_site`` the website (with SITE_DIR).
``publish_status`` and ``publish_rollback`` wrap :mod:`docmost_pipeline.publish` (the same functions as
``docmost-pipeline status|rollback``).
``maintenance`` removes stale working data (staging and extraction areas of runs no longer in progress, raw exports
beyond the last RAW_EXPORT_KEEP per space), cleans what interrupted publishes left, prunes published versions
beyond PUBLISH_KEEP, and reports everything it removed.
"""


from collections.abc import Iterable

from dagster import (
    AssetSelection,
    DagsterInstance,
    Config,
    DagsterRunStatus,
    MetadataValue,
    OpExecutionContext,
    Output,
    RunsFilter,
    define_asset_job,
    in_process_executor,
    job,
    op,
)

from docmost_pipeline import publish
from docmost_pipeline.defs.metadata import markdown_table
from docmost_pipeline.defs.partitions import GROUP_NAME, PARTITION_TAG
from docmost_pipeline.defs.resources import OutputResource
from docmost_pipeline.workdir import clean_working_data

SYNC_JOB_NAME = "sync_space"
SITE_JOB_NAME = "build_site"
# every job of the pipeline (the alert sensors tell its runs from other projects' by these names)
PIPELINE_JOB_NAMES = frozenset({SYNC_JOB_NAME, SITE_JOB_NAME, "publish_status", "publish_rollback", "maintenance"})
IN_PROGRESS_STATUSES = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]

def spaces_in_progress(instance: DagsterInstance, keys: Iterable[str]) -> set[str]:
    """Partition keys among ``keys`` that have a run queued or in progress (one query for every space)."""
    records = instance.get_run_records(RunsFilter(statuses=IN_PROGRESS_STATUSES))
    return set(keys) & {record.dagster_run.tags.get(PARTITION_TAG) for record in records}


SYNC_RETRY_TAGS = {"dagster/max_retries": "2", "dagster/retry_strategy": "ALL_STEPS"}


# The four steps run one after another in the run worker's own process: the default multiprocess executor would
# start one more Python process per step (each importing Dagster and the project) for no parallelism at all.
sync_job = define_asset_job(
    name=SYNC_JOB_NAME,
    selection=AssetSelection.groups(GROUP_NAME),
    executor_def=in_process_executor,
    description="Export, extract, convert, check and publish one Docmost space (one partition = one space).",
    # A run whose worker died (killed, out of memory) is run again by the daemon's run retries (dagster.yaml), whole:
    # a new run starts from a fresh export check, publishing is idempotent, and nothing of the dead run is reused.
    tags=SYNC_RETRY_TAGS,
)


def runs_in_progress(instance: DagsterInstance) -> tuple[int, int]:
    """(space sync runs, site builds) queued or in progress: partitioned runs are space syncs, whatever launched
    them (a backfill, a sensor, the CLI); site builds are runs of ``build_site`` or of the ``docusaurus_site``
    asset."""
    syncs = builds = 0
    for record in instance.get_run_records(RunsFilter(statuses=IN_PROGRESS_STATUSES)):
        run = record.dagster_run
        if run.job_name == SITE_JOB_NAME or any(key.to_user_string() == "docusaurus_site"
                                                 for key in run.asset_selection or ()):
            builds += 1
        elif run.job_name == SYNC_JOB_NAME or PARTITION_TAG in run.tags:
            syncs += 1
    return syncs, builds


# The website, built over every published space (only with SITE_DIR). Its own job: it is unpartitioned.
site_job = define_asset_job(
    name=SITE_JOB_NAME,
    selection=AssetSelection.assets("docusaurus_site"),
    executor_def=in_process_executor,
    description="Build the Docusaurus site over every live space and switch it live into SITE_DIR/live.",
)


class StatusConfig(Config):
    space: str | None = None


@op(description="Report what is published in OUTPUT_DIR (live version, kept versions, leftovers) per space.")
def publish_status_op(context: OpExecutionContext, config: StatusConfig, output: OutputResource) -> Output:
    spaces = publish.status(output.root, config.space)
    rows = [s.to_dict() for s in spaces]
    for s in spaces:
        context.log.info(
            f"{s.space}: {s.mode}, live {s.live_version or '-'}, kept {len(s.kept_versions)}"
            + (f", problem: {s.problem}" if s.problem else "")
        )
    table = markdown_table(
        [{"space": s.space, "mode": s.mode, "live version": s.live_version or "", "kept versions": len(s.kept_versions),
          "problem": s.problem or ""} for s in spaces],
        ["space", "mode", "live version", "kept versions", "problem"],
    )
    return Output(rows, metadata={"spaces": len(spaces), "status": MetadataValue.md(table)})


@job(name="publish_status", description="What is published: live and kept versions per space (docmost-pipeline status).")
def status_job():
    publish_status_op()


class RollbackConfig(Config):
    space: str
    to_version: str | None = None


@op(description="Switch a space back to a kept version (the previous one by default).")
def publish_rollback_op(context: OpExecutionContext, config: RollbackConfig, output: OutputResource) -> Output:
    result = publish.rollback(output.root, config.space, config.to_version)
    context.log.info(f"rolled back {config.space} to {result.version} (was {result.previous_version})")
    return Output(
        result.version,
        metadata={"space": config.space, "version": result.version,
                  "previous_version": result.previous_version or "", "seconds": round(float(result.seconds), 3)},
    )


@job(name="publish_rollback", description="Roll a space back to a kept version (docmost-pipeline rollback).")
def rollback_job():
    publish_rollback_op()


@op(description="Remove stale staging/extraction areas and old raw exports, clean interrupted publishes, "
                "prune published versions beyond PUBLISH_KEEP; report what was removed.")
def maintenance_op(context: OpExecutionContext, output: OutputResource) -> Output:
    active = {
        record.dagster_run.run_id
        for record in context.instance.get_run_records(RunsFilter(statuses=IN_PROGRESS_STATUSES))
    }
    active.discard(context.run_id)
    report = clean_working_data(output.work_dirs.root, raw_keep=output.raw_keep, active_run_ids=active)
    pruned = 0
    for space in publish.status(output.root):
        if space.locked:
            context.log.info(f"{space.space}: a publish is in progress, skipped")
            continue
        for item in publish.clean_leftovers(output.root, space.space, logger=context.log):
            report.add(f"publish leftover {space.space}: {item}")
        for version in publish.prune_versions(output.root, space.space, keep=output.publish_keep,
                                              logger=context.log):
            pruned += 1
            report.add(f"published version {space.space}/{version}")
    for line in report.removed:
        context.log.info(f"removed {line}")
    context.log.info(f"maintenance removed {len(report.removed)} item(s)")
    listing = "\n".join(f"- {line}" for line in report.removed) or "_nothing to remove_"
    return Output(
        report.removed,
        metadata={"removed": len(report.removed), "pruned_versions": pruned, "raw_exports_kept": report.kept_raw,
                  "removed_items": MetadataValue.md(listing)},
    )


@job(name="maintenance", description="Daily clean-up of working data and old published versions.")
def maintenance_job():
    maintenance_op()
