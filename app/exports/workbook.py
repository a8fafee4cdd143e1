"""The zone as an Excel workbook a zone office files (openpyxl), in one language (Chinese by default).

Sheets: ``汇总`` / Summary (per park: parcels, areas in 亩, count per score class), one sheet per
park named by the park (its parcels: headers with units, e.g. 面积（亩）, 投资强度（万元/亩）),
``项目审查`` / Project checks and ``说明`` / Notes (zone, export time, score run, units). Every
table has a bold header row that stays frozen while scrolling, an auto-filter, number formats
and column widths fitted to the content (a Chinese character counts two).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.exports.data import ZoneData
from app.exports.gpkg import info_rows
from app.exports.labels import CHECK_HEADERS, ROUNDING, SCORE_HEADERS
from app.exports.tables import Lang, atomic_path, check_rows, labelled, score_rows
from app.i18n import text
from scoring.suitability import EXCLUDED_CLASS, EXCLUDED_CLASS_EN

#: Number format of the columns rounded for people (:data:`app.exports.labels.ROUNDING`).
_FORMAT = "#,##0.00"
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _clean(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def write_table(ws: Worksheet, df: pd.DataFrame, decimal_columns: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Write ``df`` (headers = its columns) to ``ws``: frozen bold header, filter, widths, and the
    number format "#,##0.00" in ``decimal_columns`` (headers)."""
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append([_clean(v) for v in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.freeze_panes = "A2"
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{max(1, len(df) + 1)}"
    for j, header in enumerate(df.columns, start=1):
        letter = get_column_letter(j)
        if header in decimal_columns:
            for cell in ws[letter][1:]:
                cell.number_format = _FORMAT
        longest = max([_width(header)] + [_width(v) for v in df.iloc[:, j - 1]])
        ws.column_dimensions[letter].width = min(MAX_WIDTH, longest + 2)


def sheet_title(name: str, taken: set[str]) -> str:
    """Return a valid, unused sheet title (≤ 31 characters, no []:*?/\\) for ``name``."""
    base = _SHEET_BAD.sub("_", name)[:31] or "Sheet"
    title, n = base, 1
    while title in taken:
        n += 1
        title = f"{base[:28]}_{n}"
    taken.add(title)
    return title


def _decimal_headers(headers: dict[str, str], lang: Lang) -> set[str]:
    return {text(v, lang) for k, v in headers.items() if k in ROUNDING}


def summary_rows(data: ZoneData, rows: pd.DataFrame, lang: Lang = "zh") -> pd.DataFrame:
    """Return per park: parcels, total and vacant area (亩), and parcels per score class."""
    classes = [*data.class_names, EXCLUDED_CLASS]
    shown = {**data.class_names_en, EXCLUDED_CLASS: EXCLUDED_CLASS_EN} if lang == "en" else {}
    names = {**data.park_names, **(data.park_names_en if lang == "en" else {})}
    out = []
    for park, grp in rows.groupby("park", sort=True):
        rec: dict[str, Any] = {
            text("export.summary.park", lang): names.get(park, park),
            text("export.summary.parcels", lang): len(grp),
            text("export.summary.area_mu", lang): round(float(grp["area_mu"].sum()), 2),
            text("export.summary.vacant_mu", lang): round(
                float(grp.loc[grp["status"] == "vacant", "area_mu"].sum()), 2
            ),
        }
        for c in classes:
            klass = shown.get(c, c)
            rec[text("export.summary.class_count", lang, klass=klass)] = int(
                (grp["score_class"] == klass).sum()
            )
        rec[text("export.summary.unscored", lang)] = int(grp["score_class"].isna().sum())
        out.append(rec)
    return pd.DataFrame(out)


def write_workbook(data: ZoneData, out: str | Path, lang: Lang = "zh") -> Path:
    """Write the zone's workbook (.xlsx) in ``lang`` to ``out``; return its path."""
    rows = score_rows(data, lang)
    wb = Workbook()
    summary = wb.active
    summary.title = text("export.sheet.summary", lang)
    checks_title, notes_title = text("export.sheet.checks", lang), text("export.sheet.notes", lang)
    taken = {summary.title, checks_title, notes_title}
    area_headers = {text("export.summary.area_mu", lang), text("export.summary.vacant_mu", lang)}
    write_table(summary, summary_rows(data, rows, lang), area_headers)
    names = {**data.park_names, **(data.park_names_en if lang == "en" else {})}
    for park in sorted(set(rows["park"]) | set(data.park_names)):
        ws = wb.create_sheet(sheet_title(names.get(park, park), taken))
        write_table(
            ws,
            labelled(rows[rows["park"] == park], SCORE_HEADERS, lang),
            _decimal_headers(SCORE_HEADERS, lang),
        )
    write_table(
        wb.create_sheet(checks_title),
        labelled(check_rows(data, lang), CHECK_HEADERS, lang),
        _decimal_headers(CHECK_HEADERS, lang),
    )
    item, value = text("export.notes.item", lang), text("export.notes.value", lang)
    info = info_rows(data).rename(columns={"key": item, "value": value})
    info = pd.concat(
        [
            info,
            pd.DataFrame(
                [
                    (text("export.notes.area_unit", lang), text("export.notes.area_unit_value", lang)),
                    (text("export.notes.money_unit", lang), text("export.notes.money_unit_value", lang)),
                    (text("export.notes.score", lang), text("export.notes.score_value", lang)),
                    (text("export.notes.intensity", lang), text("export.notes.intensity_value", lang)),
                ],
                columns=[item, value],
            ),
        ],
        ignore_index=True,
    )
    write_table(wb.create_sheet(notes_title), info)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return Path(out)
