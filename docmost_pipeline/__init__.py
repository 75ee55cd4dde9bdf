"""docmost_pipeline: keep a Docusaurus docs tree in sync with Docmost spaces.

Layers, in the direction data flows:
  docmost/   HTTP client for Docmost's API (login, spaces, page tree, exports)
  export/    raw export on disk -> safely extracted page list + attachments
  convert/   extracted pages -> a Docusaurus 3 docs tree (pure functions, no Dagster)
  publish/   atomic switch of a converted tree into OUTPUT_DIR/<space>
and a thin Dagster layer on top (resources, assets, checks, sensors, schedules, definitions).
"""
