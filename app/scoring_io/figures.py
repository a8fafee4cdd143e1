"""Reading a year's 亩均效益 figures from an XLSX or CSV file (``parksite evaluate --figures``,
``parksite figures import``): the table read by :func:`gis.tables.read_table`, checked row by row
by :func:`scoring.evaluation_figures.parse_figures`."""

from __future__ import annotations

from pathlib import Path

from gis.tables import read_table
from scoring.evaluation_figures import Figures, parse_figures


def read_figures(path: Path | str, year: int) -> list[Figures]:
    """Return the figures in ``path`` (XLSX first sheet, or CSV) for ``year``. InputFileError
    naming every bad row and column, or an unreadable file; nothing is returned partly."""
    table, _ = read_table(path)
    rows = table.to_dict("records")
    return parse_figures(rows, list(table.columns), year=year, where=Path(path).name)
