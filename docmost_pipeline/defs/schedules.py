"""Dagster schedules: the space sync from SYNC_INTERVAL, and the daily maintenance.

The sync schedule exists only when SYNC_INTERVAL is set (unset: manual and CLI runs only) and is RUNNING by default.
Each tick requests one run per ``docmost_spaces`` partition, with a run key made of the space and the tick time so a
re-evaluated tick never launches twice; a space with a run already queued or in progress is skipped and named in
the tick's log (or in the SkipReason when every space is skipped).
"""


from datetime import datetime

from dagster import (
    DagsterInstance,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from docmost_pipeline.defs.jobs import maintenance_job, spaces_in_progress
from docmost_pipeline.defs.partitions import SPACES_PARTITIONS
from docmost_pipeline.settings import Settings

MAINTENANCE_CRON = "17 3 * * *"


def plan_sync_tick(instance: DagsterInstance, tick_time: datetime) -> tuple[list[RunRequest], list[str]]:
    """(one RunRequest per idle space, the spaces skipped because a run is queued or in progress)."""
    keys = sorted(instance.get_dynamic_partitions(SPACES_PARTITIONS.name))
    busy = spaces_in_progress(instance, keys)
    stamp = tick_time.strftime("%Y-%m-%dT%H:%M")
    requests = [
        RunRequest(run_key=f"sync:{key}:{stamp}", partition_key=key, tags={"docmost/trigger": "schedule"})
        for key in keys
        if key not in busy
    ]
    return requests, sorted(busy)


def build_sync_schedule(settings: Settings, job) -> ScheduleDefinition | None:
    """The sync schedule, or None when SYNC_INTERVAL is unset."""
    interval = settings.sync_interval
    if interval is None:
        return None
    crons = list(interval.crons)
    note = "" if interval.note in ("exact", "cron") else f" ({interval.note})"

    @schedule(
        name="docmost_sync_schedule",
        job=job,
        cron_schedule=crons if len(crons) > 1 else crons[0],
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Syncs every Docmost space: SYNC_INTERVAL={interval.raw}{note}.",
    )
    def docmost_sync_schedule(context: ScheduleEvaluationContext):
        tick_time = context.scheduled_execution_time or datetime.now()
        requests, busy = plan_sync_tick(context.instance, tick_time)
        if busy:
            context.log.info("skipped, a run is queued or in progress: " + ", ".join(busy))
        if not requests:
            if busy:
                return SkipReason("every space already has a run queued or in progress: " + ", ".join(busy))
            return SkipReason("no spaces known yet (the discovery sensor adds them)")
        return requests

    return docmost_sync_schedule


maintenance_schedule = ScheduleDefinition(
    name="docmost_daily_maintenance",
    job=maintenance_job,
    cron_schedule=MAINTENANCE_CRON,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Daily: removes stale staging areas and old raw exports, prunes published versions beyond PUBLISH_KEEP.",
)
