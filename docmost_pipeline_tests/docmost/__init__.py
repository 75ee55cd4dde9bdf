"""Tests of the Docmost client (against the Docmost test server, docmost_pipeline.emulator)."""
