"""The Dagster code location (loaded by workspace.yaml and ``dagster ... -m docmost_pipeline.definitions``).

Builds everything from the validated environment (:func:`docmost_pipeline.settings.load_settings`): invalid
configuration fails here, at load, with one line naming the variable. Loads with no Docmost configured too (the UI
shows the pipeline; discovery stays stopped and runs fail with a clear missing-variable message).
"""


import os

from dagster import Definitions, json_console_logger

from docmost_pipeline.assets import build_assets
from docmost_pipeline.jobs import maintenance_job, rollback_job, status_job, sync_job
from docmost_pipeline.resources import build_resources
from docmost_pipeline.schedules import build_sync_schedule, maintenance_schedule
from docmost_pipeline.sensors import build_alert_sensors, build_discovery_sensor
from docmost_pipeline.settings import Settings, load_settings


def build_definitions(settings: Settings, resources: dict | None = None) -> Definitions:
    sync_schedule = build_sync_schedule(settings, sync_job)
    schedules = [maintenance_schedule] + ([sync_schedule] if sync_schedule is not None else [])
    loggers = {"console": json_console_logger} if settings.log_format == "json" else None
    return Definitions(
        assets=build_assets(settings),
        jobs=[sync_job, status_job, rollback_job, maintenance_job],
        schedules=schedules,
        sensors=[build_discovery_sensor(settings, sync_job), *build_alert_sensors(settings)],
        resources=resources if resources is not None else build_resources(settings),
        loggers=loggers,
    )


settings = load_settings()
# dagster.yaml reads the run queue limit from this variable; commands that load the instance in this process
# (`dagster asset materialize`, `dagster job backfill`) need it even when the operator did not set it.
os.environ.setdefault("MAX_CONCURRENT_EXPORTS", str(settings.max_concurrent_exports))
defs = build_definitions(settings)
