"""``docmost-pipeline convert``: offline conversion of one Docmost space export ZIP into a Docusaurus docs tree.

No server and no Dagster: titles come from the pages' ``# Title`` lines and pages the export dropped cannot be
recovered (the report says so). Exit 0 on success, 2 with a one-line reason on bad input.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

_EXPORT_SUFFIX = re.compile(r"-space-export$", re.IGNORECASE)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="convert one Docmost space export ZIP into a Docusaurus docs tree (offline)",
        description="Convert one Docmost space export ZIP (Markdown format) into a Docusaurus 3 docs tree in "
                    "OUT_DIR, which must not exist or be empty. Prints the conversion report.",
    )
    parser.add_argument("export_zip", metavar="EXPORT.zip", type=Path, help="space export ZIP from Docmost")
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="output folder (absent or empty)")
    parser.add_argument("--space-name", help="space name shown as the sidebar category (default: from the ZIP name)")
    parser.add_argument("--space-slug", help="the space's Docmost slug, used in edit URLs (default: from the name)")
    parser.add_argument("--base-url", help="Docmost base URL for edit links and links into other spaces")
    parser.add_argument("--documents", type=Path, metavar="DIR",
                        help="folder of the pages' own documents (<pageId>.json, as POST /api/pages/info returns "
                             "them): what the Markdown export lost is rendered from them")
    parser.set_defaults(func=run)


def default_space_name(zip_path: Path) -> str:
    """``Engineering-space-export.zip`` (Docmost's download name) -> ``Engineering``."""
    return _EXPORT_SUFFIX.sub("", zip_path.stem) or zip_path.stem


def _fail(message: str) -> int:
    print(f"docmost-pipeline convert: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from docmost_pipeline.convert.space import ConversionError, check_out_dir, convert_space
    from docmost_pipeline.convert.slugs import slugify
    from docmost_pipeline.export.extract import ExtractionError, extract_zip

    zip_path: Path = args.export_zip
    out_dir: Path = args.out_dir
    if not zip_path.is_file():
        return _fail(f"{zip_path} is not a file")
    try:
        check_out_dir(out_dir)  # before the extraction, which can take a while
    except ConversionError as exc:
        return _fail(str(exc))
    space_name = args.space_name or default_space_name(zip_path)
    space_slug = args.space_slug or slugify(space_name) or "space"
    if args.base_url and not re.match(r"^https?://[^/\s]+", args.base_url):
        return _fail(f"--base-url {args.base_url!r} is not an http(s) URL")
    documents = getattr(args, "documents", None)
    if documents is not None and not documents.is_dir():
        return _fail(f"--documents {documents} is not a folder")
    created = not out_dir.exists()
    try:
        with tempfile.TemporaryDirectory(prefix="docmost-convert-") as tmp:
            export = extract_zip(zip_path, Path(tmp) / "export")
            report = convert_space(export, out_dir, space_slug=space_slug, space_name=space_name,
                                   base_url=args.base_url, documents_dir=documents)
    except (ExtractionError, ConversionError) as exc:
        _clean(out_dir, created)
        return _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    print(report.summary())
    print(f"Docs tree written to {out_dir}")
    return 0


def _clean(out_dir: Path, created: bool) -> None:
    """Leave OUT_DIR as it was found (absent or empty) after a failed conversion."""
    import shutil

    if out_dir.is_dir():
        for child in out_dir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        if created:
            out_dir.rmdir()
