"""Tests of the Docmost client and the Docmost test server."""
