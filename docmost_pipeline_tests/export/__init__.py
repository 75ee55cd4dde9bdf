"""Tests of the export layer: safe extraction (and the download step, owned by the client engineer)."""
