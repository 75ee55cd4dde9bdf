"""Rollback: make a kept version live again through the same atomic switch as a publish, in the space's mode."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from docmost_pipeline.publish.exchange import exchange_supported
from docmost_pipeline.publish.publisher import PublishResult
from docmost_pipeline.publish.space import (
    DEFAULT_LOCK_TIMEOUT, Layout, PublishError, check_space_name, live_state, locked, log, prepare_dirs,
)
from docmost_pipeline.publish.switch import switch
from docmost_pipeline.publish.versions import clean_leftovers_locked, kept_versions


def rollback(output_dir: Path, space: str, to_version: str | None = None, *,
             lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
             logger: logging.Logger | logging.LoggerAdapter | None = None) -> PublishResult:
    """Make a kept version live again, atomically, in the space's current mode.

    Without ``to_version``: the newest kept version older than the live one. Nothing is pruned.
    """
    logger = logger or log
    started = time.monotonic()
    check_space_name(space)
    layout = Layout(Path(output_dir), space)
    if not layout.versions.is_dir() and not os.path.lexists(layout.live):
        raise PublishError(f"space {space!r} is not published under {layout.output_dir}")
    prepare_dirs(layout)
    with locked(layout, lock_timeout, "rollback", logger):
        clean_leftovers_locked(layout, logger)
        live = live_state(layout)
        if live.kind == "missing":
            raise PublishError(f"space {space!r} has no live version under {layout.output_dir}; publish it first")
        if live.kind in ("foreign", "unmanaged"):
            raise PublishError(f"refusing to roll back {space!r}: {live.problem}")
        kept = [v for v in kept_versions(layout) if v != live.version]
        if to_version is not None:
            if to_version == live.version:
                raise PublishError(f"version {to_version} of {space!r} is already live")
            if to_version not in kept:
                raise PublishError(f"space {space!r} has no kept version {to_version!r}; "
                                   f"kept: {', '.join(kept) or 'none'} (live: {live.version})")
            target = to_version
        else:
            older = [v for v in kept if v < live.version]
            if not older and not kept:
                raise PublishError(f"space {space!r} has no older version to roll back to: only the live version "
                                   f"{live.version} is kept (each publish of a changed tree keeps one more, "
                                   f"up to PUBLISH_KEEP)")
            if not older:
                raise PublishError(f"space {space!r} keeps no version older than the live {live.version} to roll "
                                   f"back to; newer kept: {', '.join(kept)} (roll forward with --to VERSION)")
            target = older[-1]
        mode = live.mode
        if mode == "exchange":
            supported, reason = exchange_supported(layout.staging)
            if not supported:
                raise PublishError(f"rolling back {space!r} needs renameat2(RENAME_EXCHANGE): {reason}")
        switch(layout, target, mode, live, logger)
    seconds = time.monotonic() - started
    logger.info("rolled %s back from %s to %s in %.2f s (%s mode)", space, live.version, target, seconds, mode)
    return PublishResult(version=target, previous_version=live.version, path=layout.live, seconds=seconds,
                         mode=mode)
