"""CLI subcommands ``publish``, ``rollback``, ``status`` and ``unpublish``: thin wrappers over
``docmost_pipeline.publish`` (exactly the code the pipeline runs).

Settings come from options, else the environment and ``.env`` (OUTPUT_DIR, PUBLISH_MODE, PUBLISH_KEEP, parsed by
``docmost_pipeline.settings`` exactly as the pipeline parses them), else defaults (./output, symlink, 3). Exit codes: 0 done, 1 the operation failed (PublishError), 2 bad usage or settings.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from tabulate import tabulate

from docmost_pipeline import settings
from docmost_pipeline.publish import (
    DEFAULT_KEEP, DEFAULT_LOCK_TIMEOUT, DEFAULT_MODE, MODES, PublishError, check_space_name, publish_tree, rollback,
    status, unpublish,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A setting from the environment or the command line is not usable."""


def register(subparsers: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--output-dir", type=Path, default=None,
                        help="directory holding the published spaces (default: $OUTPUT_DIR or ./output)")
    common.add_argument("--lock-timeout", type=float, default=DEFAULT_LOCK_TIMEOUT, metavar="SECONDS",
                        help=f"how long to wait for another publisher of the space (default {DEFAULT_LOCK_TIMEOUT:g})")

    parser = subparsers.add_parser("publish", parents=[common], help="publish a prepared docs tree atomically",
                                   description="Copy TREE_DIR into a new version of SPACE and switch "
                                               "OUTPUT_DIR/SPACE to it atomically. TREE_DIR is left untouched.")
    parser.add_argument("tree_dir", type=Path, metavar="TREE_DIR")
    parser.add_argument("space", metavar="SPACE")
    parser.add_argument("--mode", choices=MODES, default=None,
                        help=f"symlink or exchange (default: $PUBLISH_MODE or {DEFAULT_MODE})")
    parser.add_argument("--keep", type=int, default=None,
                        help=f"versions to keep, the live one included (default: $PUBLISH_KEEP or {DEFAULT_KEEP})")
    parser.add_argument("--run-id", default=None, help="recorded in the version's stamp")
    parser.add_argument("--source-sha256", default=None, help="hash of the source export, recorded in the stamp")
    parser.add_argument("--page-count", type=int, default=None, help="number of pages, recorded in the stamp")
    parser.add_argument("--force", action="store_true",
                        help="publish a new version even when the tree is identical to the live one")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=_run_publish)

    parser = subparsers.add_parser("rollback", parents=[common], help="make an older kept version live again",
                                   description="Switch OUTPUT_DIR/SPACE back atomically to a kept version: the "
                                               "newest one older than the live version, or --to VERSION.")
    parser.add_argument("space", metavar="SPACE")
    parser.add_argument("--to", dest="to_version", default=None, metavar="VERSION")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=_run_rollback)

    parser = subparsers.add_parser("status", parents=[common], help="list published spaces and kept versions")
    parser.add_argument("space", nargs="?", default=None, metavar="SPACE")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=_run_status)

    parser = subparsers.add_parser("unpublish", parents=[common], help="remove a space from the output atomically",
                                   description="Remove OUTPUT_DIR/SPACE in one atomic rename, then its kept versions.")
    parser.add_argument("space", metavar="SPACE")
    parser.add_argument("--missing-ok", action="store_true", help="succeed when the space is not published")
    parser.set_defaults(func=_run_unpublish)


def output_dir_setting(option: Path | None) -> Path:
    return option if option is not None else settings.output_dir_setting(settings.read_environment())


def mode_setting(option: str | None) -> str:
    if option is not None:
        return option
    try:
        return settings.publish_mode_setting(settings.read_environment())
    except settings.SettingsError as error:
        raise UsageError(str(error)) from None


def keep_setting(option: int | None) -> int:
    if option is None:
        try:
            return settings.publish_keep_setting(settings.read_environment())
        except settings.SettingsError as error:
            raise UsageError(str(error)) from None
    if option < 1:
        raise UsageError(f"--keep must be at least 1 (the live version counts), got {option}")
    return option


def _run_publish(args: argparse.Namespace) -> int:
    def action() -> int:
        result = publish_tree(
            args.tree_dir, output_dir_setting(args.output_dir), args.space, run_id=args.run_id,
            source_sha256=args.source_sha256, page_count=args.page_count, mode=mode_setting(args.mode),
            keep=keep_setting(args.keep), lock_timeout=args.lock_timeout, force=args.force,
        )
        _print_result(result, args.json, "published")
        return EXIT_OK
    return _guarded(action, args.space)


def _run_rollback(args: argparse.Namespace) -> int:
    def action() -> int:
        result = rollback(output_dir_setting(args.output_dir), args.space, args.to_version,
                          lock_timeout=args.lock_timeout)
        _print_result(result, args.json, "rolled back")
        return EXIT_OK
    return _guarded(action, args.space)


def _run_unpublish(args: argparse.Namespace) -> int:
    def action() -> int:
        unpublish(output_dir_setting(args.output_dir), args.space, missing_ok=args.missing_ok,
                  lock_timeout=args.lock_timeout)
        print(f"unpublished {args.space}")
        return EXIT_OK
    return _guarded(action, args.space)


def _run_status(args: argparse.Namespace) -> int:
    def action() -> int:
        output_dir = output_dir_setting(args.output_dir)
        spaces = status(output_dir, args.space)
        if args.json:
            print(json.dumps([s.to_dict() for s in spaces], indent=2, ensure_ascii=False))
            return EXIT_OK
        if not spaces:
            print(f"no published spaces under {output_dir}")
            return EXIT_OK
        rows = []
        for space in spaces:
            stamp = space.stamp or {}
            notes = [note for note in (
                space.problem, "locked" if space.locked else None,
                f"staging: {', '.join(space.leftovers)}" if space.leftovers else None,
            ) if note]
            rows.append([space.space, space.mode, space.live_version or "-", stamp.get("published_at", "-"),
                         stamp.get("run_id") or "-", "-" if stamp.get("page_count") is None else stamp["page_count"],
                         stamp.get("files", "-"), "\n".join(space.kept_versions) or "-", "; ".join(notes)])
        print(tabulate(rows, headers=["space", "mode", "live version", "published at", "run", "pages", "files",
                                      "older versions kept", "notes"]))
        return EXIT_OK
    return _guarded(action, args.space)


def _guarded(action, space: str | None = None) -> int:
    _configure_logging()
    try:
        if space is not None:
            try:
                check_space_name(space)
            except PublishError as error:
                raise UsageError(str(error)) from None
        return action()
    except UsageError as error:
        print(f"docmost-pipeline: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except PublishError as error:
        print(f"docmost-pipeline: {error}", file=sys.stderr)
        return EXIT_FAILED


def _print_result(result, as_json: bool, verb: str) -> None:
    if as_json:
        print(json.dumps({"version": result.version, "previous_version": result.previous_version,
                          "path": str(result.path), "seconds": round(result.seconds, 3), "mode": result.mode,
                          "pruned": list(result.pruned), "cleaned": list(result.cleaned), "files": result.files,
                          "bytes": result.bytes, "unchanged": result.unchanged}, indent=2))
    elif result.unchanged:
        print(f"unchanged {result.path}: version {result.version} stays live (the tree is identical; --force "
              f"publishes it anyway)")
    else:
        print(f"{verb} {result.path} -> version {result.version} (previous {result.previous_version or 'none'}, "
              f"{result.mode} mode, {result.seconds:.2f} s)")


def _configure_logging() -> None:
    # Warnings (fallback to symlink mode, cleaned leftovers) must reach a human running the command.
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
