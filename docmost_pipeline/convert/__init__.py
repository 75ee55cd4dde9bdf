"""The conversion core: an extracted Docmost space export -> a Docusaurus 3 docs tree (no Dagster here).

Public entry point: ``convert_space``; its result is a ``ConversionReport``.
"""

from docmost_pipeline.convert.report import ConversionReport, ConversionWarning
from docmost_pipeline.convert.space import ConversionError, convert_space

__all__ = ["ConversionError", "ConversionReport", "ConversionWarning", "convert_space"]
