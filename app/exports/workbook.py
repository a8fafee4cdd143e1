"""The zone as an Excel workbook a zone office files (openpyxl).

Sheets: ``汇总`` (per park: parcels, areas in 亩, count per score class), one sheet per park named
by the park (its parcels: Chinese headers with units, e.g. 面积（亩）, 投资强度（万元/亩）),
``项目审查`` (project verdicts) and ``说明`` (zone, export time, score run, units). Every table
has a bold header row that stays frozen while scrolling, an auto-filter, number formats and
column widths fitted to the content (a Chinese character counts two).
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
from app.exports.labels import CHECK_HEADERS, SCORE_HEADERS
from app.exports.tables import atomic_path, check_rows, labelled, score_rows
from scoring.suitability import EXCLUDED_CLASS

#: Number formats by header unit.
_FORMATS = {
    "（亩）": "#,##0.00",
    "（m²）": "#,##0.00",
    "（万元/亩）": "#,##0.00",
    "（万元）": "#,##0.00",
    "（0–100）": "0.00",
}
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


def write_table(ws: Worksheet, df: pd.DataFrame) -> None:
    """Write ``df`` (headers = its columns) to ``ws``: frozen bold header, filter, formats, widths."""
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
        fmt = next((f for unit, f in _FORMATS.items() if str(header).endswith(unit)), None)
        letter = get_column_letter(j)
        if fmt:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
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


def summary_rows(data: ZoneData, rows: pd.DataFrame) -> pd.DataFrame:
    """Return per park: parcels, total and vacant area (亩), and parcels per score class."""
    classes = [*data.class_names, EXCLUDED_CLASS]
    out = []
    for park, grp in rows.groupby("park", sort=True):
        rec: dict[str, Any] = {
            "园区": data.park_names.get(park, park),
            "地块数": len(grp),
            "总面积（亩）": float(grp["area_mu"].sum()),
            "空闲面积（亩）": float(grp.loc[grp["status_label"] == "空闲", "area_mu"].sum()),
        }
        for c in classes:
            rec[f"{c}（块）"] = int((grp["score_class"] == c).sum())
        rec["未评分（块）"] = int(grp["score_class"].isna().sum())
        out.append(rec)
    return pd.DataFrame(out)


def write_workbook(data: ZoneData, out: str | Path) -> Path:
    """Write the zone's workbook (.xlsx) to ``out``; return its path."""
    rows = score_rows(data)
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    taken = {"汇总", "项目审查", "说明"}
    write_table(summary, summary_rows(data, rows))
    for park in sorted(set(rows["park"]) | set(data.park_names)):
        ws = wb.create_sheet(sheet_title(data.park_names.get(park, park), taken))
        write_table(ws, labelled(rows[rows["park"] == park], SCORE_HEADERS))
    write_table(wb.create_sheet("项目审查"), labelled(check_rows(data), CHECK_HEADERS))
    info = info_rows(data).rename(columns={"key": "项目", "value": "内容"})
    info = pd.concat(
        [
            info,
            pd.DataFrame(
                [
                    ("面积单位", "亩（1 亩 = 10000/15 m²）与 m²"),
                    ("金额单位", "万元"),
                    ("适宜性得分", "0–100，越高越适宜；排除的地块不参与排序"),
                    ("投资/产出/税收强度", "企业最近一年数据 ÷ 用地面积（万元/亩）"),
                ],
                columns=["项目", "内容"],
            ),
        ],
        ignore_index=True,
    )
    write_table(wb.create_sheet("说明"), info)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return Path(out)
