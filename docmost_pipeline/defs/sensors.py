"""Dagster sensors: Docmost space discovery, change detection, and failure / recovery alerts to webhooks.

Changes (every CHANGE_POLL_INTERVAL): each known space's page manifest is compared with its live version's
source (:mod:`docmost_pipeline.syncstate`); a space that changed gets a sync run, keyed by its new state.

Discovery (every DISCOVERY_INTERVAL) keeps the ``docmost_spaces`` partitions in step with Docmost: a new selected
space gets a partition and its first run; a space gone from Docmost (or no longer selected by
DOCMOST_SPACES_INCLUDE/EXCLUDE) is reported once, and pruned (partition deleted, tree unpublished) only with
PRUNE_DELETED_SPACES=1.

Alerts: one Slack-compatible POST per failed run to every ALERT_WEBHOOK_URLS URL, and one recovery POST when a
space that failed succeeds again. Which runs were alerted and which spaces are failing is kept in the instance's
key-value store, so an alert is never repeated for the same run (even across daemon restarts); posting failures
are logged and never fail the sensor. The alert sensors watch every run of the instance, whatever launched it: a run
of this code location, of the same code under another location name (``dagster job backfill -m ...``), or in-process
without any (``docmost-pipeline sync``, ``dagster asset materialize``); they alert the runs of this pipeline (its jobs,
or a run materializing its assets) and leave other projects' runs alone.
"""


import json
from collections.abc import Iterable
from dataclasses import dataclass

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunStatusSensorContext,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from docmost_pipeline.alerts import (
    FailureAlert,
    redact,
    failure_text,
    innermost_error,
    post_alert,
    recovery_text,
    run_url,
    slack_payload,
    summarize_error,
)
from docmost_pipeline.defs.assets import PIPELINE_ASSET_NAMES
from docmost_pipeline.defs.jobs import PIPELINE_JOB_NAMES, runs_in_progress, spaces_in_progress
from docmost_pipeline.defs.partitions import PARTITION_TAG, SPACES_PARTITIONS
from docmost_pipeline.defs.resources import AlertResource, DocmostResource, OutputResource, WebsiteResource
from docmost_pipeline.docmost.errors import DocmostError
from docmost_pipeline.export.incremental import find_base
from docmost_pipeline.export.manifest import diff_manifests, read_manifest
from docmost_pipeline.publish import unpublish
from docmost_pipeline.settings import Settings, space_selected
from docmost_pipeline.syncstate import live_source, source_digest
from docmost_pipeline.website import build_due, live_site, site_inputs

SITE_SENSOR_INTERVAL = 15
_ALERTED_KEY = "docmost_pipeline/alerted/{run_id}"
# set on a failed run by Dagster when its run retries (dagster.yaml) mean to launch it again; the alert says so (the
# retry may still not happen: a run of a code location the daemon does not know is not relaunched)
WILL_RETRY_TAG = "dagster/will_retry"
_STATE_KEY = "docmost_pipeline/state/{subject}"


@dataclass(frozen=True)
class DiscoveryPlan:
    new: list  # Space objects to add
    gone: list[str]  # partition keys no longer in Docmost (or no longer selected)
    selected: list  # every selected Space


def plan_discovery(spaces: Iterable, known: Iterable[str], include: Iterable[str], exclude: Iterable[str]) -> DiscoveryPlan:
    selected = [s for s in spaces if space_selected(s.slug, s.name, include, exclude)]
    known = set(known)
    selected_slugs = {s.slug for s in selected}
    return DiscoveryPlan(
        new=[s for s in selected if s.slug not in known],
        gone=sorted(known - selected_slugs),
        selected=selected,
    )


def _running_if_configured(settings: Settings) -> DefaultSensorStatus:
    # Without a Docmost the UI still shows the pipeline; sensors that poll Docmost stay off.
    return DefaultSensorStatus.RUNNING if settings.docmost_configured else DefaultSensorStatus.STOPPED


def build_discovery_sensor(settings: Settings, job) -> SensorDefinition:
    @sensor(
        name="docmost_space_discovery",
        job=job,
        minimum_interval_seconds=settings.discovery_interval_seconds,
        default_status=_running_if_configured(settings),
        description=(
            "Lists Docmost spaces every DISCOVERY_INTERVAL: adds a partition and requests a first run for each new "
            "selected space; reports spaces gone from Docmost and prunes them only with PRUNE_DELETED_SPACES=1."
        ),
    )
    def docmost_space_discovery(context: SensorEvaluationContext, docmost: DocmostResource, output: OutputResource):
        known = context.instance.get_dynamic_partitions(SPACES_PARTITIONS.name)
        plan = plan_discovery(docmost.get_client().list_spaces(), known, settings.spaces_include,
                              settings.spaces_exclude)
        reported = set(json.loads(context.cursor)["reported_gone"]) if context.cursor else set()
        run_requests = [
            RunRequest(partition_key=s.slug, run_key=f"first-sync:{s.slug}:{s.id}", tags={"docmost/trigger": "discovery"})
            for s in plan.new
        ]
        partition_requests = []
        if plan.new:
            partition_requests.append(SPACES_PARTITIONS.build_add_request([s.slug for s in plan.new]))
            context.log.info("new spaces: " + ", ".join(s.slug for s in plan.new))
        if plan.gone and settings.prune_deleted_spaces:
            partition_requests.append(SPACES_PARTITIONS.build_delete_request(plan.gone))
            for slug in plan.gone:
                unpublish(output.root, slug, missing_ok=True)
            context.log.warning("pruned spaces gone from Docmost (partition deleted, unpublished): "
                                + ", ".join(plan.gone))
            reported -= set(plan.gone)
        elif plan.gone:
            fresh = [slug for slug in plan.gone if slug not in reported]
            if fresh:
                context.log.warning(
                    "spaces gone from Docmost or no longer selected (kept, set PRUNE_DELETED_SPACES=1 to prune): "
                    + ", ".join(fresh)
                )
            reported |= set(plan.gone)
        reported &= set(plan.gone)
        skip = None
        if not run_requests:
            skip = f"no new spaces ({len(plan.selected)} selected"
            skip += f", gone: {', '.join(plan.gone)})" if plan.gone else ")"
        return SensorResult(
            run_requests=run_requests,
            dynamic_partitions_requests=partition_requests,
            cursor=json.dumps({"reported_gone": sorted(reported)}),
            skip_reason=skip,
        )

    return docmost_space_discovery


@dataclass(frozen=True)
class SpaceChange:
    slug: str
    digest: str
    summary: str  # what changed, for the run's docmost/change tag


def detect_change(client, space, output: OutputResource, public_url: str | None) -> SpaceChange | None:
    """The change of one space since its live version (None: unchanged), from its page manifest alone (and
    Docmost's public address, which shapes the tree too)."""
    manifest = read_manifest(client, space.id)
    digest = source_digest(manifest.digest, space_name=space.name, base_url=output.base_url, public_url=public_url,
                           page_documents=output.page_documents)
    live_version, live_digest = live_source(output.root, space.slug)
    if live_digest == digest:
        return None
    if live_version is None:
        return SpaceChange(space.slug, digest, "nothing published yet")
    base = find_base(output.work_dirs.root / "raw" / space.slug)
    if base is None:
        return SpaceChange(space.slug, digest, f"changed since version {live_version}")
    diff = diff_manifests(base.manifest, manifest)
    counts = f"{len(diff.updated)} updated, {len(diff.added)} added, {len(diff.deleted)} deleted"
    return SpaceChange(space.slug, digest, counts if not diff.empty else "pipeline or settings changed")


def build_change_sensor(settings: Settings, job) -> SensorDefinition:
    @sensor(
        name="docmost_change_sensor",
        job=job,
        minimum_interval_seconds=settings.change_poll_interval_seconds,
        default_status=_running_if_configured(settings),
        description=(
            "Every `CHANGE_POLL_INTERVAL`, reads each known space's page list (one request per 100 pages) and "
            "requests a sync of the spaces whose pages changed since their live version. The run key is made "
            "from the new state, so one change is synced once; the schedule stays the safety net."
        ),
    )
    def docmost_change_sensor(context: SensorEvaluationContext, docmost: DocmostResource, output: OutputResource):
        keys = sorted(context.instance.get_dynamic_partitions(SPACES_PARTITIONS.name))
        busy = spaces_in_progress(context.instance, keys)
        client = docmost.get_client()
        spaces = {s.slug: s for s in client.list_spaces()}
        try:
            public_url = docmost.get_public_url().url
        except DocmostError as exc:
            return SkipReason(f"cannot learn Docmost's public address: {redact(str(exc), docmost.secrets())}")
        requests, unchanged = [], []
        for key in keys:
            if key in busy or key not in spaces:
                continue  # a run is on its way; a space gone from Docmost is the discovery sensor's to report
            try:
                change = detect_change(client, spaces[key], output, public_url)
            except DocmostError as exc:
                context.log.warning(f"{key}: cannot read its page list: {redact(str(exc), docmost.secrets())}")
                continue
            if change is None:
                unchanged.append(key)
                continue
            context.log.info(f"{key}: {change.summary}")
            requests.append(RunRequest(run_key=f"change:{key}:{change.digest[:20]}", partition_key=key,
                                       tags={"docmost/trigger": "change", "docmost/change": change.summary}))
        if requests:
            return SensorResult(run_requests=requests)
        skipped = f", in progress: {', '.join(sorted(busy))}" if busy else ""
        return SkipReason(f"no space changed ({len(unchanged)} unchanged{skipped})")

    return docmost_change_sensor


def build_site_sensor(job) -> SensorDefinition:
    @sensor(
        name="docusaurus_site_sensor",
        job=job,
        minimum_interval_seconds=SITE_SENSOR_INTERVAL,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Requests one build of `docusaurus_site` when the spaces live in `OUTPUT_DIR` (or the site's code) "
            "differ from what the live site was built from, once no sync run is queued or in progress and no space "
            "went live for `SITE_QUIET_PERIOD`: a backfill of every space gives one build, after its last run. "
            "The run key is the inputs' fingerprint and the live site's version, so a failed build is not retried "
            "until something changes (launch `build_site` by hand to retry)."
        ),
    )
    def docusaurus_site_sensor(context: SensorEvaluationContext, output: OutputResource, website: WebsiteResource):
        syncs, builds = runs_in_progress(context.instance)
        if builds:
            return SkipReason(f"a site build is queued or in progress ({builds})")
        inputs, live = site_inputs(output.root), live_site(website.root)
        decision = build_due(inputs, live, syncs_running=syncs, quiet_seconds=website.quiet_period_seconds)
        if not decision.due:
            return SkipReason(decision.reason)
        context.log.info(f"site build due: {decision.reason}")
        # A failed build leaves both as they were: the same key, not requested again. A space rolled back to
        # versions built before gives a new key, since the live site is another build.
        return RunRequest(run_key=f"site:{inputs.fingerprint[:24]}:{live.version if live else 'none'}",
                          tags={"docmost/trigger": "site", "docmost/site-spaces": str(len(inputs.spaces))})

    return docusaurus_site_sensor


def is_pipeline_run(instance: DagsterInstance, run: DagsterRun) -> bool:
    """A run of this pipeline, whatever launched it: one of its jobs (by name: the code location it was launched
    from may carry another name), or any asset job materializing its assets (``__ASSET_JOB`` of ``dagster asset
    materialize``, the ephemeral job of ``docmost-pipeline sync``)."""
    if run.job_name in PIPELINE_JOB_NAMES:
        return True
    if any(key.to_user_string() in PIPELINE_ASSET_NAMES for key in run.asset_selection or ()):
        return True
    snapshot = instance.get_job_snapshot(run.job_snapshot_id) if run.job_snapshot_id else None
    return snapshot is not None and any(op.name in PIPELINE_ASSET_NAMES
                                        for op in snapshot.node_defs_snapshot.op_def_snaps)


def _subject(run: DagsterRun) -> str:
    return run.tags.get(PARTITION_TAG) or f"job:{run.job_name}"


def _kv_get(instance: DagsterInstance, key: str) -> str | None:
    return instance.run_storage.get_cursor_values({key}).get(key)


def _kv_set(instance: DagsterInstance, key: str, value: str) -> None:
    instance.run_storage.set_cursor_values({key: value})


_STEP_BEGINS = {DagsterEventType.STEP_START, DagsterEventType.STEP_RESTARTED}
_STEP_ENDS = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_UP_FOR_RETRY,
              DagsterEventType.STEP_SKIPPED}
_CRASH_PREFIX = "Run execution process for"  # Dagster's code server reports a run worker's death with this


def _interrupted_step(instance: DagsterInstance, run_id: str) -> tuple[str | None, str | None]:
    """(the step still running when the run stopped, Dagster's report of the run worker's death), each or None.

    Steps run in the run worker's process (in-process executor), so a step that kills its process (the
    out-of-memory killer, a segfault) kills the run worker: no step failure is recorded, the code server fails
    the run from outside."""
    running: dict[str, None] = {}
    crash = None
    for record in instance.all_logs(run_id, of_type=_STEP_BEGINS | _STEP_ENDS | {DagsterEventType.ENGINE_EVENT}):
        event = record.dagster_event
        if event.event_type in _STEP_BEGINS and event.step_key:
            running[event.step_key] = None
        elif event.event_type in _STEP_ENDS:
            running.pop(event.step_key, None)
        elif _CRASH_PREFIX in (record.message or ""):
            crash = record.message[record.message.index(_CRASH_PREFIX):]  # without the "[DagsterApiServer] " tag
    return (next(reversed(running), None), crash)


def _failure_details(instance: DagsterInstance, run: DagsterRun, step_failures, run_failure_message: str | None,
                     secrets: list[str]) -> tuple[str | None, str, int]:
    """(failed step, error summary, attempts made on that step)."""
    step_key = None
    message = run_failure_message
    if step_failures:
        last = step_failures[-1]
        step_key = last.step_key
        error = innermost_error(last.step_failure_data.error if last.step_failure_data else None)
        if error is not None:
            message = error.message
        elif last.message:
            message = last.message
    else:
        step_key, crash = _interrupted_step(instance, run.run_id)
        message = crash or message
    attempts = 1
    if step_key:
        retries = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY)
        attempts += sum(1 for record in retries if record.step_key == step_key)
    return step_key, summarize_error(message, secrets), attempts


def handle_run_failure(instance: DagsterInstance, run: DagsterRun, step_failures, run_failure_message: str | None,
                       alerts: AlertResource, secrets: list[str], log) -> bool:
    """Post the failure alert for ``run`` once; returns True when it was posted now (False: already alerted)."""
    alerted_key = _ALERTED_KEY.format(run_id=run.run_id)
    if _kv_get(instance, alerted_key) or not is_pipeline_run(instance, run):
        return False
    step, summary, attempts = _failure_details(instance, run, step_failures, run_failure_message, secrets)
    space = run.tags.get(PARTITION_TAG)
    alert = FailureAlert(space=space, job_name=run.job_name, run_id=run.run_id, failed_step=step,
                         error_summary=summary, attempts=attempts, link=run_url(alerts.webserver_url, run.run_id),
                         will_retry=run.tags.get(WILL_RETRY_TAG) == "true")
    # Mark first: a crash while posting must not lead to the same alert twice.
    _kv_set(instance, alerted_key, "failure")
    _kv_set(instance, _STATE_KEY.format(subject=_subject(run)), f"failed:{run.run_id}")
    log.info("sync summary: " + json.dumps({"space": space, "job": run.job_name, "result": "failed",
                                             "failed_step": step, "attempts": attempts}, ensure_ascii=False))
    urls = alerts.urls()
    if urls:
        for outcome in post_alert(urls, slack_payload(failure_text(alert)), timeout=alerts.timeout, logger=log):
            log.info(f"failure alert to {outcome.target}: {'sent' if outcome.ok else 'FAILED ' + outcome.detail}")
    return True


def handle_run_success(instance: DagsterInstance, run: DagsterRun, alerts: AlertResource, log) -> bool:
    """Post a recovery alert when ``run``'s space (or job) was failing; returns True when one was posted now."""
    state_key = _STATE_KEY.format(subject=_subject(run))
    state = _kv_get(instance, state_key)
    if not state or not state.startswith("failed:") or not is_pipeline_run(instance, run):
        return False
    alerted_key = _ALERTED_KEY.format(run_id=run.run_id)
    if _kv_get(instance, alerted_key):
        return False
    _kv_set(instance, alerted_key, "recovery")
    _kv_set(instance, state_key, f"ok:{run.run_id}")
    text = recovery_text(run.tags.get(PARTITION_TAG), run.job_name, run_url(alerts.webserver_url, run.run_id))
    urls = alerts.urls()
    if urls:
        for outcome in post_alert(urls, slack_payload(text), timeout=alerts.timeout, logger=log):
            log.info(f"recovery alert to {outcome.target}: {'sent' if outcome.ok else 'FAILED ' + outcome.detail}")
    return True


def build_alert_sensors(settings: Settings) -> list[SensorDefinition]:
    secrets = settings.secrets()

    # monitor_all_code_locations: without it a run status sensor sees only runs launched from its own code location
    # by name, and misses runs of the same jobs launched under another location name or in-process
    @run_failure_sensor(
        name="docmost_failure_alerts",
        default_status=DefaultSensorStatus.RUNNING,
        monitor_all_code_locations=True,
        description="Posts one Slack-compatible message per failed run of this pipeline (whatever launched it) to "
                    "every `ALERT_WEBHOOK_URLS` URL.",
    )
    def docmost_failure_alerts(context: RunFailureSensorContext, alerts: AlertResource):
        failure_message = context.failure_event.message if context.failure_event else None
        handle_run_failure(context.instance, context.dagster_run, context.get_step_failure_events(),
                           failure_message, alerts, secrets, context.log)

    @run_status_sensor(
        run_status=DagsterRunStatus.SUCCESS,
        name="docmost_recovery_alerts",
        default_status=DefaultSensorStatus.RUNNING,
        monitor_all_code_locations=True,
        description="Posts a recovery message when a space whose last run failed succeeds again.",
    )
    def docmost_recovery_alerts(context: RunStatusSensorContext, alerts: AlertResource):
        handle_run_success(context.instance, context.dagster_run, alerts, context.log)

    return [docmost_failure_alerts, docmost_recovery_alerts]
