"""``docmost-pipeline sync [SPACE...]``: run the four sync assets in-process, without the Dagster daemon.

The old tool's ``-once``: discovers the selected Docmost spaces (or takes the given slugs), registers them as
``docmost_spaces`` partitions, materializes raw_export -> published_space for each, prints one summary line per
space and exits non-zero if any space failed. Up to MAX_CONCURRENT_EXPORTS spaces sync at once, each in its own
process (as the daemon runs them), so the wall time follows the slowest exports, not their sum. Runs are recorded in the Dagster
instance of DAGSTER_HOME when it is set (so they show in the UI), else in a temporary one.

Each sync exports only what changed since the live version (see ``raw_export``); ``--full`` exports every space
whole again. Without DOCMOST_BASE_URL it syncs from the demo Docmost of a ``make run`` serving the same OUTPUT_DIR
(:mod:`docmost_pipeline.demo`), else it stops with one line saying what to set.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from contextlib import ExitStack


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="export, convert and publish Docmost spaces once, in-process (no daemon)",
        description="Materialize raw_export -> published_space for each space (all selected spaces by default).",
    )
    parser.add_argument("spaces", nargs="*", metavar="SPACE", help="space slugs (default: every selected space)")
    parser.add_argument("--full", action="store_true",
                        help="export each space whole, even when only some pages (or none) changed")
    parser.add_argument("--partitions-only", action="store_true",
                        help="only register the spaces as docmost_spaces partitions in the Dagster instance (for "
                             "`dagster asset materialize --partition` and backfills), sync nothing")
    parser.set_defaults(func=run)


def _summary(slug: str, result, seconds: float) -> tuple[bool, str]:
    from dagster import DagsterEventType

    from docmost_pipeline.alerts import innermost_error

    published = result.asset_materializations_for_node("published_space")
    if result.success and published:
        meta = published[0].metadata
        pages = meta["pages_live"].value
        version = meta["version"].value
        if meta["unchanged"].value:
            return True, f"{slug}: unchanged, {pages} pages live, version {version}{_git_note(result)}, {seconds:.1f}s"
        raw = result.asset_materializations_for_node("raw_export")[0].metadata
        mode = raw["sync_mode"].value
        how = f"incremental: {raw['pages_exported'].value} exported, {raw['pages_reused'].value} reused, " \
              f"{raw['pages_deleted'].value} deleted" if mode == "incremental" else "full export"
        empty = " (empty space)" if meta["empty_space"].value else ""
        return True, (f"{slug}: published{empty} {pages} pages, version {version} ({how}){_git_note(result)}, "
                      f"{seconds:.1f}s")
    failed_checks = [c.check_name for c in result.get_asset_check_evaluations() if not c.passed]
    failures = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    if failed_checks:
        reason = "blocking check failed: " + ", ".join(failed_checks) + " (previous version stays live)"
    elif failures:
        event = failures[-1]
        error = innermost_error(event.step_failure_data.error if event.step_failure_data else None)
        message = (error.message.strip().splitlines()[0] if error and error.message.strip() else event.message) or ""
        reason = f"{event.step_key} failed: {message}"
    else:
        reason = "failed"
    return False, f"{slug}: FAILED {reason}, {seconds:.1f}s"


def _git_note(result) -> str:
    """What the git target did, when it is set (GIT_PUBLISH_REPO)."""
    materializations = result.asset_materializations_for_node("git_published_space")
    if not materializations:
        return ""
    meta = materializations[0].metadata
    if meta["commit"].value:
        return f", git: committed {meta['commit'].value[:12]} to {meta['branch'].value}"
    return f", git: {meta['folder'].value} on {meta['branch'].value} already up to date"


def _sync_spaces(slugs: list[str], *, full: bool, workers: int, instance):
    """(ok, summary line) per space, in the order given. Several spaces run in up to ``workers`` processes at once
    (each with its own Docmost session), one space in this process with ``instance``."""
    if len(slugs) == 1 or workers == 1:
        for slug in slugs:
            yield sync_space(slug, full=full, instance=instance)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(slugs)), mp_context=get_context("spawn")) as pool:
        # each line prints as soon as it and those before it are done
        for future in [pool.submit(sync_space, slug, full=full) for slug in slugs]:
            yield future.result()


def sync_space(slug: str, *, full: bool = False, instance=None) -> tuple[bool, str]:
    """Materialize the assets of one space (the four, and the git target when set) in this process; ``instance``
    None: DAGSTER_HOME's, else a temporary one. Returns (ok, summary line)."""
    from dagster import DagsterInstance, materialize

    from docmost_pipeline.defs.assets import ASSET_NAMES, GIT_ASSET_NAME
    from docmost_pipeline.defs.definitions import build_definitions
    from docmost_pipeline.defs.partitions import SPACES_PARTITIONS
    from docmost_pipeline.defs.resources import build_resources, close_cached_clients
    from docmost_pipeline.settings import load_settings

    settings = load_settings()
    resources = build_resources(settings, env_vars=False)
    definitions = build_definitions(settings, resources)
    names = (*ASSET_NAMES, GIT_ASSET_NAME) if settings.git_publish_repo else ASSET_NAMES
    assets = [definitions.get_assets_def(name) for name in names]
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}},
                  "ops": {"raw_export": {"config": {"full": bool(full)}}}}
    with ExitStack() as stack:
        if instance is None:
            home = os.environ.get("DAGSTER_HOME")
            instance = stack.enter_context(DagsterInstance.get() if home else DagsterInstance.ephemeral())
            stack.callback(close_cached_clients)
        if slug not in instance.get_dynamic_partitions(SPACES_PARTITIONS.name):
            instance.add_dynamic_partitions(SPACES_PARTITIONS.name, [slug])
        started = time.monotonic()
        result = materialize(assets, instance=instance, resources=resources, partition_key=slug,
                             raise_on_error=False, tags={"docmost/trigger": "cli"}, run_config=run_config)
        return _summary(slug, result, time.monotonic() - started)


def postgres_home(stack: ExitStack, settings) -> None:
    """Without DAGSTER_HOME but with Postgres configured: a temporary DAGSTER_HOME over that Postgres (its runs are
    recorded there, as the deployment's), for this process and the ones it starts; removed at the end."""
    import tempfile
    from pathlib import Path

    from docmost_pipeline.instance import write_instance_settings

    home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="docmost-sync-home-")))
    write_instance_settings(home, settings, dict(os.environ), writer="docmost-pipeline sync")
    os.environ["DAGSTER_HOME"] = str(home)
    stack.callback(os.environ.pop, "DAGSTER_HOME", None)


def storage_mismatch(settings, instance) -> str | None:
    """Why ``instance`` is not the Postgres-backed instance the settings ask for (None: it is, or none is asked):
    runs recorded in a SQLite (or throwaway) instance beside a Postgres deployment would be invisible to it."""
    if settings.postgres_url is None:
        return None
    from dagster_postgres import PostgresRunStorage

    if isinstance(instance.run_storage, PostgresRunStorage):
        return None
    return (f"DAGSTER_POSTGRES_URL/DAGSTER_PG_HOST is set but DAGSTER_HOME={os.environ.get('DAGSTER_HOME')} stores "
            "runs in SQLite: point DAGSTER_HOME at the instance `docmost-pipeline serve` (or `make run`) writes for "
            "Postgres, or unset it")


def run(args) -> int:
    from dagster import DagsterInstance

    from docmost_pipeline.alerts import redact
    from docmost_pipeline.demo import not_configured_message, use_running_demo
    from docmost_pipeline.defs.partitions import SPACES_PARTITIONS
    from docmost_pipeline.defs.resources import build_resources, close_cached_clients
    from docmost_pipeline.settings import SettingsError, load_settings, space_selected

    try:
        settings = load_settings()
        if not settings.docmost_configured:
            demo = use_running_demo()  # the demo Docmost of a `make run` in another terminal
            if demo is None:
                print(f"configuration error: {not_configured_message()}", file=sys.stderr)
                return 2
            print(f"demo mode: DOCMOST_BASE_URL is not set: using the demo Docmost of `make run` at {demo.base_url}",
                  file=sys.stderr)
            settings = load_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    os.environ.setdefault("MAX_CONCURRENT_EXPORTS", str(settings.max_concurrent_exports))
    resources = build_resources(settings, env_vars=False)
    secrets = settings.secrets()

    with ExitStack() as stack:
        if settings.postgres_url and not os.environ.get("DAGSTER_HOME"):
            postgres_home(stack, settings)
        if os.environ.get("DAGSTER_HOME"):
            instance = stack.enter_context(DagsterInstance.get())
        else:
            instance = stack.enter_context(DagsterInstance.ephemeral())
        stack.callback(close_cached_clients)
        mismatch = storage_mismatch(settings, instance)
        if mismatch:
            print(f"configuration error: {mismatch}", file=sys.stderr)
            return 2
        try:
            spaces = resources["docmost"].get_client().list_spaces()
        except Exception as exc:  # a login or connection problem: one clear line, no traceback, no secret
            print(f"cannot list Docmost spaces: {redact(str(exc), secrets)}", file=sys.stderr)
            return 1
        by_slug = {s.slug: s for s in spaces}
        if args.spaces:
            unknown = [slug for slug in args.spaces if slug not in by_slug]
            if unknown:
                print(f"unknown space(s): {', '.join(unknown)}; Docmost has: {', '.join(sorted(by_slug))}",
                      file=sys.stderr)
                return 2
            slugs = list(dict.fromkeys(args.spaces))
        else:
            slugs = sorted(s.slug for s in spaces
                           if space_selected(s.slug, s.name, settings.spaces_include, settings.spaces_exclude))
        known = set(instance.get_dynamic_partitions(SPACES_PARTITIONS.name))
        new = [slug for slug in slugs if slug not in known]
        if new:
            instance.add_dynamic_partitions(SPACES_PARTITIONS.name, new)
        if args.partitions_only:
            print(f"{len(slugs)} space partition(s) registered ({len(new)} new): {', '.join(slugs)}")
            return 0
        failed = 0
        for ok, line in _sync_spaces(slugs, full=args.full, workers=settings.max_concurrent_exports,
                                     instance=instance):
            failed += 0 if ok else 1
            print(redact(line, secrets), flush=True)
        print(f"{len(slugs) - failed} of {len(slugs)} space(s) synced" + (f", {failed} failed" if failed else ""))
        return 1 if failed else 0
