"""The project's Docmost 0.95 emulator: a test server (real HTTP on 127.0.0.1) built from recorded responses.

Part of the installed package, with the recordings it serves as package data (``data/docmost-0.95/``, see
:data:`~docmost_pipeline.emulator.recordings.RECORDINGS_DIR`), so the demo Docmost of ``make run`` and the test
suite's server work from a checkout and from an installed wheel alike. ``DocmostTestServer`` is the server;
``Faults`` its fault-injection switches; run it standalone with ``python -m docmost_pipeline.emulator --port PORT``.
"""

from docmost_pipeline.emulator.faults import Faults
from docmost_pipeline.emulator.server import (
    DEFAULT_EMAIL,
    DEFAULT_PASSWORD,
    DocmostTestServer,
    RequestRecord,
)

__all__ = ["DEFAULT_EMAIL", "DEFAULT_PASSWORD", "DocmostTestServer", "Faults", "RequestRecord"]
