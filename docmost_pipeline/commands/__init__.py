"""Subcommands of the ``docmost-pipeline`` CLI, one module each (see ``docmost_pipeline.cli``)."""
