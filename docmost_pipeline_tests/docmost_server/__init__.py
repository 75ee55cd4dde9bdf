"""The project's Docmost 0.95 test server (real HTTP on 127.0.0.1, built from the recorded fixtures).

``DocmostTestServer`` is the server; ``Faults`` its fault-injection switches; run it standalone with
``python -m docmost_pipeline_tests.docmost_server --port PORT``.
"""

from docmost_pipeline_tests.docmost_server.faults import Faults
from docmost_pipeline_tests.docmost_server.server import (
    DEFAULT_EMAIL,
    DEFAULT_PASSWORD,
    DocmostTestServer,
    RequestRecord,
)

__all__ = ["DEFAULT_EMAIL", "DEFAULT_PASSWORD", "DocmostTestServer", "Faults", "RequestRecord"]
