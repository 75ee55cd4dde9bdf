"""The Dagster code location (``workspace.yaml``, ``[tool.dagster]`` and ``[tool.dg]`` in pyproject.toml).

Settings are read once, here, when the location loads: invalid configuration fails with one line naming the
variable. Without DOCMOST_BASE_URL, a ``make run`` demo serving the same OUTPUT_DIR is used (the Dagster CLI in
another terminal: ``dagster job backfill -w workspace.yaml``, ``dagster asset materialize``; see
:mod:`docmost_pipeline.demo`). It loads with no Docmost at all too (the UI shows the pipeline; the sensors that poll
Docmost stay stopped and runs fail naming DOCMOST_BASE_URL).
"""

import os
import sys

import dagster as dg

from docmost_pipeline.defs.definitions import build_definitions
from docmost_pipeline.demo import use_running_demo
from docmost_pipeline.settings import load_settings


@dg.definitions
def defs() -> dg.Definitions:
    settings = load_settings()
    if not settings.docmost_configured:
        demo = use_running_demo()
        if demo is not None:
            print(f"docmost_pipeline: DOCMOST_BASE_URL is not set: using the demo Docmost of `make run` at "
                  f"{demo.base_url}", file=sys.stderr)
            settings = load_settings()
    # dagster.yaml reads the run queue limit from this variable; commands that load the instance in this process
    # (`dagster asset materialize`, `dagster job backfill`) need it even when the operator did not set it.
    os.environ.setdefault("MAX_CONCURRENT_EXPORTS", str(settings.max_concurrent_exports))
    return build_definitions(settings)
