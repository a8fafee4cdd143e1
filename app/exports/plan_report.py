"""The plan report as a file: CSV (UTF-8 with BOM, for Excel) or XLSX (openpyxl).

:func:`write_plan_report` writes a :class:`scoring.plan_report.PlanReport` with its Chinese or
English headers and units; the XLSX has the verdicts (and in allocate mode the allocation
outcomes) coloured, and a summary sheet.
"""

from __future__ import annotations

import csv
from pathlib import Path

from gis.errors import InputFileError
from scoring.plan_allocation import CAUSES
from scoring.plan_report import VERDICT_ZH, PlanReport


def write_plan_report(report: PlanReport, path: Path | str, *, lang: str | None = None) -> Path:
    """Write the report to ``path`` (.csv or .xlsx, by suffix) and return the path.

    CSV is UTF-8 with a BOM so that Excel shows the Chinese headers."""
    path = Path(path)
    records = report.to_records(lang)
    heads = list(report.headers(lang))
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputFileError(
            f"unknown report format {path.suffix!r}", where=str(path), hint="write .xlsx or .csv"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=heads)
            w.writeheader()
            for rec in records:
                w.writerow({k: ("" if v is None else v) for k, v in rec.items()})
        return path

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "规划项目选址" if (lang or report.lang) == "zh" else "plan projects"
    ws.append(heads)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    fills = {
        "pass": "C6EFCE",
        "review": "FFEB9C",
        "fail": "FFC7CE",
        "通过": "C6EFCE",
        "复核": "FFEB9C",
        "不通过": "FFC7CE",
    }
    zh = (lang or report.lang) == "zh"
    verdict_col = heads.index("结论" if zh else "verdict") + 1
    alloc_col = heads.index("分配结果" if zh else "allocation") + 1 if report.allocated else None
    placed_label = CAUSES["placed"][0 if zh else 1]
    for rec in records:
        ws.append([rec[h] for h in heads])
        c = ws.cell(row=ws.max_row, column=verdict_col)
        if c.value in fills:
            c.fill = PatternFill("solid", fgColor=fills[c.value])
        if alloc_col is not None:
            a = ws.cell(row=ws.max_row, column=alloc_col)
            a.fill = PatternFill("solid", fgColor="C6EFCE" if a.value == placed_label else "FFC7CE")
    widths = {
        "项目名称": 36,
        "name": 36,
        "说明": 80,
        "reason": 80,
        "产业归类备注": 50,
        "mapping_note": 50,
        "推荐地块/组合": 30,
        "best_sites": 30,
        "产业大类/二级产业方向": 28,
        "industry": 28,
        "分配说明": 80,
        "allocation_reason": 80,
        "扣减容量": 30,
        "capacity_drawn": 30,
    }
    for i, h in enumerate(heads, start=1):
        ws.column_dimensions[get_column_letter(i)].width = widths.get(h, 14)
    ws.freeze_panes = "C2"
    counts = report.counts()
    summary = wb.create_sheet("汇总" if (lang or report.lang) == "zh" else "summary")
    summary.append(["区划 zone", report.zone])
    for k in ("pass", "review", "fail"):
        summary.append([f"{VERDICT_ZH[k]} {k}", counts[k]])
    if report.summary is not None:  # allocate mode
        summary.append([])
        for row in report.summary.rows(lang or report.lang):
            summary.append(row)
    wb.save(path)
    return path
