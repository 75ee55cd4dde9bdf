"""Atomic publishing of converted docs trees into OUTPUT_DIR/<space> (see ``publisher`` for layout and guarantees).

No Dagster here: the Dagster layer and the ``docmost-pipeline publish|rollback|status|unpublish`` commands both
call these functions.
"""

from docmost_pipeline.publish.publisher import DEFAULT_MODE, MODES, PublishResult, publish_tree, unpublish
from docmost_pipeline.publish.report import SpaceStatus, status
from docmost_pipeline.publish.restore import rollback
from docmost_pipeline.publish.space import DEFAULT_KEEP, DEFAULT_LOCK_TIMEOUT, PublishError, check_space_name
from docmost_pipeline.publish.versions import clean_leftovers, prune_versions
from docmost_pipeline.publish.stamp import STAMP_NAME, Stamp, read_stamp

__all__ = [
    "DEFAULT_KEEP", "DEFAULT_LOCK_TIMEOUT", "DEFAULT_MODE", "MODES", "PublishError", "PublishResult", "STAMP_NAME",
    "SpaceStatus", "Stamp", "check_space_name", "clean_leftovers", "prune_versions", "publish_tree", "read_stamp", "rollback", "status",
    "unpublish",
]
