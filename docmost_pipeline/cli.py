"""The ``docmost-pipeline`` console script.

Each subcommand lives in ``docmost_pipeline.commands.<name>`` and exposes ``register(subparsers)``, which adds
its parser and sets ``func`` (called with the parsed args, returning the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from docmost_pipeline import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docmost-pipeline",
        description="Export Docmost spaces and publish them as a Docusaurus docs tree.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
