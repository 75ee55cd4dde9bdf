"""The Dagster layer: assets, checks, resources, sensors, schedules and jobs over the pure core.

One module per kind of definition; :func:`docmost_pipeline.defs.definitions.build_definitions` assembles them from
the validated settings, and ``docmost_pipeline.definitions`` (the code location) calls it once at load.
Nothing outside this folder imports Dagster, except the ``docmost-pipeline sync`` command that runs these assets.
"""
