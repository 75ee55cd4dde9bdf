"""``build_definitions``: every Dagster definition of the project, shaped by the validated settings."""

from dagster import Definitions, in_process_executor, json_console_logger

from docmost_pipeline.defs.assets import build_assets
from docmost_pipeline.defs.jobs import maintenance_job, rollback_job, site_job, status_job, sync_job
from docmost_pipeline.defs.resources import build_resources
from docmost_pipeline.defs.schedules import build_sync_schedule, maintenance_schedule
from docmost_pipeline.defs.sensors import (
    build_alert_sensors, build_change_sensor, build_discovery_sensor, build_site_sensor,
)
from docmost_pipeline.settings import Settings


def build_definitions(settings: Settings, resources: dict | None = None) -> Definitions:
    sync_schedule = build_sync_schedule(settings, sync_job)
    schedules = [maintenance_schedule] + ([sync_schedule] if sync_schedule is not None else [])
    loggers = {"console": json_console_logger} if settings.log_format == "json" else None
    website = settings.site_dir is not None  # the site asset, its job and its sensor only with SITE_DIR
    return Definitions(
        assets=build_assets(settings),
        jobs=[sync_job, status_job, rollback_job, maintenance_job, *([site_job] if website else [])],
        schedules=schedules,
        sensors=[build_discovery_sensor(settings, sync_job), build_change_sensor(settings, sync_job),
                 *([build_site_sensor(site_job)] if website else []), *build_alert_sensors(settings)],
        resources=resources if resources is not None else build_resources(settings),
        loggers=loggers,
        # also for materializations launched from the asset graph (same reason as the sync job's)
        executor=in_process_executor,
    )
