"""Docmost HTTP API client: ``DocmostClient`` and its error types (no Dagster here)."""

from docmost_pipeline.docmost.client import DocmostClient, ExportDownload
from docmost_pipeline.docmost.errors import (
    DocmostAuthError,
    DocmostBadExport,
    DocmostEmptySpace,
    DocmostError,
    DocmostExportTooLarge,
    DocmostForbidden,
    DocmostNotFound,
    DocmostUnavailable,
)

__all__ = [
    "DocmostAuthError",
    "DocmostBadExport",
    "DocmostClient",
    "DocmostEmptySpace",
    "DocmostError",
    "DocmostExportTooLarge",
    "DocmostForbidden",
    "DocmostNotFound",
    "DocmostUnavailable",
    "ExportDownload",
]
