"""The plan report for people: records, a CSV (UTF-8 with BOM, for Excel) or XLSX (openpyxl)
file, and a rich table for the terminal — headers and texts in one language.

:func:`report_records` renders a :class:`scoring.plan_report.PlanReport` (its headers with units
and its messages) in ``lang``; :func:`write_plan_report` writes it, the XLSX with the verdicts
(and in allocate mode the allocation outcomes) coloured and a summary sheet;
:func:`plan_report_table` prints it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from app.i18n import render, render_value, text
from gis.errors import InputFileError
from gis.messages import msg
from scoring.admission import fmt
from scoring.plan_report import VERDICT_IDS, PlanReport

#: Column widths in the XLSX (characters), by column key; others are 14.
WIDTHS: dict[str, int] = {
    "name": 36,
    "reason": 80,
    "mapping_note": 50,
    "best_sites": 30,
    "industry": 28,
    "allocation_reason": 80,
    "capacity_drawn": 30,
}
#: Fill colours of the verdicts.
FILLS: dict[str, str] = {"pass": "C6EFCE", "review": "FFEB9C", "needs_data": "D9E1F2", "fail": "FFC7CE"}


def headers(report: PlanReport, lang: str = "zh") -> list[str]:
    """Return the report's column headers in ``lang``."""
    return [text(m, lang) for _, m in report.columns()]


def report_records(report: PlanReport, lang: str = "zh") -> list[dict[str, Any]]:
    """Return one dict per project, keyed by the headers in ``lang``, texts rendered in ``lang``."""
    heads = dict(zip([k for k, _ in report.columns()], headers(report, lang)))
    return [{heads[k]: render_value(v, lang) for k, v in rec.items()} for rec in report.to_records()]


def write_plan_report(report: PlanReport, path: Path | str, *, lang: str = "zh") -> Path:
    """Write the report in ``lang`` to ``path`` (.csv or .xlsx, by suffix) and return the path.

    CSV is UTF-8 with a BOM so that Excel shows the Chinese headers."""
    path = Path(path)
    records = report_records(report, lang)
    heads = headers(report, lang)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputFileError(
            f"unknown report format {path.suffix!r}",
            where=str(path),
            hint="write .xlsx or .csv",
            msg=msg("error.output.report_format", suffix=path.suffix or "—"),
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
    ws.title = text("plan.sheet.projects", lang)
    ws.append(heads)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    keys = [k for k, _ in report.columns()]
    verdict_col = keys.index("verdict") + 1
    alloc_col = keys.index("allocation") + 1 if report.allocated else None
    for row, rec in zip(report.rows, records):
        ws.append([rec[h] for h in heads])
        c = ws.cell(row=ws.max_row, column=verdict_col)
        c.fill = PatternFill("solid", fgColor=FILLS[row.verdict])
        if alloc_col is not None:
            placed = row.allocation is not None and row.allocation.placed
            a = ws.cell(row=ws.max_row, column=alloc_col)
            a.fill = PatternFill("solid", fgColor=FILLS["pass"] if placed else FILLS["fail"])
    for i, key in enumerate(keys, start=1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(key, 14)
    ws.freeze_panes = "C2"
    counts = report.counts()
    summary = wb.create_sheet(text("plan.sheet.summary", lang))
    summary.append([text("plan.summary.zone", lang), report.zone])
    for k in ("pass", "needs_data", "review", "fail"):
        summary.append([text(VERDICT_IDS[k], lang), counts[k]])
    groups = report.reasons()
    if groups:  # why, grouped by verdict: a sheet of its own (verdict, how many, why)
        why = wb.create_sheet(text("plan.summary.why", lang))
        for g in groups:
            why.append([text(VERDICT_IDS[g.verdict], lang), len(g.numbers), render(g.message(), lang)])
            why.cell(row=why.max_row, column=1).fill = PatternFill("solid", fgColor=FILLS[g.verdict])
        why.column_dimensions["C"].width = 100
    if report.summary is not None:  # allocate mode
        summary.append([])
        for row_values in report.summary.rows():
            summary.append([render_value(v, lang) for v in row_values])
    wb.save(path)
    return path


def plan_report_table(report: PlanReport, lang: str = "zh") -> Any:
    """Return a rich Table of the report in ``lang`` (number, name, justified area, best sites,
    verdict; in allocate mode also the allocated parcels, their 亩 and the outcome)."""
    from rich.table import Table

    table = Table(title=text("plan.table.title", lang), show_lines=False)
    for head, numeric in (
        ("plan.table.number", True),
        ("plan.table.project", False),
        ("plan.table.investment", True),
        ("plan.table.output", True),
        ("plan.table.justified", True),
        ("plan.table.best_sites", False),
        ("plan.table.verdict", False),
    ):
        table.add_column(text(head, lang), justify="right" if numeric else "left")
    if report.allocated:
        table.add_column(text("plan.table.allocated", lang))
        table.add_column(text("plan.table.allocated_mu", lang), justify="right")
        table.add_column(text("plan.table.allocation", lang))
    colors = {"pass": "green", "review": "yellow", "needs_data": "magenta", "fail": "red"}
    for r in report.rows:
        p = r.plan
        cells = [
            str(p.number),
            p.name,
            fmt(p.investment_wan, 0),
            fmt(p.output_wan, 0),
            fmt(r.max_justified_mu, 1),
            "; ".join(r.best()) or "—",
            f"[{colors[r.verdict]}]{text(VERDICT_IDS[r.verdict], lang)}[/]",
        ]
        if report.allocated:
            a = r.allocation
            if a is not None and a.placed:
                cells += [
                    "+".join(a.parcel_ids),
                    fmt(a.area_mu, 1),
                    f"[green]{render(a.cause_label(), lang)}[/]",
                ]
            else:
                cells += ["—", "—", f"[red]{render(a.cause_label(), lang) if a else '—'}[/]"]
        table.add_row(*cells)
    return table
