"""The ``docmost_spaces`` dynamic partitions (one per Docmost space, key = the space's slug) and the asset group."""

from dagster import DynamicPartitionsDefinition

SPACES_PARTITIONS = DynamicPartitionsDefinition(name="docmost_spaces")
GROUP_NAME = "docmost_sync"
# The tag Dagster puts on a partitioned run; the run queue allows one run per value (dagster.yaml).
PARTITION_TAG = "dagster/partition"
