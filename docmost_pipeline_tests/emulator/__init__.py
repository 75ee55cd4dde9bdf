"""Tests of the Docmost emulator (docmost_pipeline.emulator): the test server and its packaging."""
