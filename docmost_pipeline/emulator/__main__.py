"""Run the Docmost test server standalone: ``python -m docmost_pipeline.emulator --port PORT``.

Prints the base URL on the first line of stdout (so a parent process can read it) and, on stderr, which
recordings it serves (the directory, so an installed copy is told apart from a checkout), then serves until
interrupted. Used by ``make run`` (``docmost_pipeline.devrun``) as the demo Docmost when none is configured, and by
``benchmarks/download.py``. Needs nothing but the installed package: the recordings are its package data.
"""

from __future__ import annotations

import argparse
import sys

from docmost_pipeline.emulator.docmark import APP_URL
from docmost_pipeline.emulator.recordings import RECORDINGS_DIR
from docmost_pipeline.emulator.server import DEFAULT_EMAIL, DEFAULT_PASSWORD, DocmostTestServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docmost_pipeline.emulator",
                                     description="Serve the recorded Docmost 0.95 spaces on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = a free one)")
    parser.add_argument("--email", default=DEFAULT_EMAIL, help=f"accepted login email (default {DEFAULT_EMAIL})")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="accepted login password")
    parser.add_argument("--auth-window", type=float, default=60.0,
                        help="seconds of the auth rate-limit window (10 logins per window, as Docmost)")
    parser.add_argument("--app-url", default=APP_URL,
                        help=f"public address published by GET / as window.CONFIG.APP_URL (default {APP_URL}, the "
                             "recordings' APP_URL); 'none' serves the page without window.CONFIG")
    args = parser.parse_args(argv)
    server = DocmostTestServer(port=args.port, email=args.email, password=args.password,
                               auth_window_seconds=args.auth_window,
                               app_url=None if args.app_url.lower() == "none" else args.app_url)
    print(server.base_url, flush=True)
    print(f"Docmost test server (recorded Docmost 0.95 responses) serving on {server.base_url}; "
          f"login email {args.email}; recordings {RECORDINGS_DIR}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
