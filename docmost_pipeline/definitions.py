"""The Dagster code location (``workspace.yaml``, ``[tool.dagster]`` and ``[tool.dg]`` in pyproject.toml).

Settings are read once, here, when the location loads: invalid configuration fails with one line naming the
variable. It loads with no Docmost configured too (the UI shows the pipeline; discovery stays stopped and runs fail
with a clear missing-variable message).
"""

import os

import dagster as dg

from docmost_pipeline.defs.definitions import build_definitions
from docmost_pipeline.settings import load_settings


@dg.definitions
def defs() -> dg.Definitions:
    settings = load_settings()
    # dagster.yaml reads the run queue limit from this variable; commands that load the instance in this process
    # (`dagster asset materialize`, `dagster job backfill`) need it even when the operator did not set it.
    os.environ.setdefault("MAX_CONCURRENT_EXPORTS", str(settings.max_concurrent_exports))
    return build_definitions(settings)
