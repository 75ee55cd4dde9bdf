"""Dagster jobs: the partitioned space sync, publish status and rollback, and the daily maintenance.

``sync_space`` materializes the four assets for one space partition. ``publish_status`` and ``publish_rollback``
wrap :mod:`docmost_pipeline.publish` (the same functions as ``docmost-pipeline status|rollback``).
``maintenance`` removes stale working data (staging and extraction areas of runs no longer in progress, raw exports
beyond the last RAW_EXPORT_KEEP per space), cleans what interrupted publishes left, prunes published versions
beyond PUBLISH_KEEP, and reports everything it removed.
"""


import shutil
from dataclasses import dataclass, field
from pathlib import Path

from dagster import (
    AssetSelection,
    Config,
    DagsterRunStatus,
    MetadataValue,
    OpExecutionContext,
    Output,
    RunsFilter,
    define_asset_job,
    job,
    op,
)

from docmost_pipeline.assets import GROUP_NAME, markdown_table
from docmost_pipeline.resources import OutputResource

SYNC_JOB_NAME = "sync_space"
IN_PROGRESS_STATUSES = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]

sync_job = define_asset_job(
    name=SYNC_JOB_NAME,
    selection=AssetSelection.groups(GROUP_NAME),
    description="Export, extract, convert, check and publish one Docmost space (one partition = one space).",
)


class StatusConfig(Config):
    space: str | None = None


@op(description="Report what is published in OUTPUT_DIR (live version, kept versions, leftovers) per space.")
def publish_status_op(context: OpExecutionContext, config: StatusConfig, output: OutputResource) -> Output:
    from docmost_pipeline.publish import status

    spaces = status(output.root, config.space)
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
    from docmost_pipeline.publish import rollback

    result = rollback(output.root, config.space, config.to_version)
    context.log.info(f"rolled back {config.space} to {result.version} (was {result.previous_version})")
    return Output(
        result.version,
        metadata={"space": config.space, "version": result.version,
                  "previous_version": result.previous_version or "", "seconds": round(float(result.seconds), 3)},
    )


@job(name="publish_rollback", description="Roll a space back to a kept version (docmost-pipeline rollback).")
def rollback_job():
    publish_rollback_op()


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
            runs = sorted((p for p in space_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                          reverse=True)
            keep = {p.name for p in runs[:raw_keep]} | active_run_ids
            for run_dir in runs:
                if run_dir.name in keep:
                    report.kept_raw += 1
                else:
                    shutil.rmtree(run_dir, ignore_errors=True)
                    report.add(f"raw/{space_dir.name}/{run_dir.name}")
    return report


@op(description="Remove stale staging/extraction areas and old raw exports, clean interrupted publishes, "
                "prune published versions beyond PUBLISH_KEEP; report what was removed.")
def maintenance_op(context: OpExecutionContext, output: OutputResource) -> Output:
    from docmost_pipeline import publish

    active = {
        record.dagster_run.run_id
        for record in context.instance.get_run_records(RunsFilter(statuses=IN_PROGRESS_STATUSES))
    }
    active.discard(context.run_id)
    report = clean_working_data(output.work_root, raw_keep=output.raw_keep, active_run_ids=active)
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
