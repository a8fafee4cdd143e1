"""Land contracts as offices keep them in spreadsheets: the columns, reading and checking the rows,
and the 标准地 indicators a contract commits to at signing.

:func:`parse_contracts` takes a table already read (every cell as text, :func:`gis.tables.read_table`)
and the parcel ids the zone knows, and returns one record per row — or raises
:class:`gis.errors.SchemaError` listing every bad row with its row number (as the spreadsheet
shows it: the header is row 1), its column (as the file writes it) and what is wrong
(``problems``: ``[(row, column, Message)]``). Nothing is half read: one bad row refuses the table.

Money in 万元, areas in 亩 (floor areas in m²), dates ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from gis.errors import SchemaError
from gis.messages import Message, joined, msg
from scoring.project import Project
from scoring.zone import ZoneConfig


@dataclass(frozen=True)
class Column:
    """A column of the contracts table: its field, Chinese header, kind and whether required."""

    field: str
    zh: str
    kind: str  # text, parcels, number, date
    required: bool = False
    aliases: tuple[str, ...] = ()  # other headers offices write (e.g. ㎡ for 平方米)


#: The columns, Chinese or English header (issue 17's interface); the first six are required.
COLUMNS: tuple[Column, ...] = (
    Column("enterprise", "企业名称", "text", True),
    Column("parcel_ids", "地块编号", "parcels", True),
    Column("area_mu", "面积（亩）", "number", True),
    Column("signed", "签订日期", "date", True),
    Column("price_wan", "出让价款（万元）", "number", True),
    Column("agreed_start", "约定开工日期", "date", True),
    Column("agreed_completion", "约定竣工日期", "date"),
    Column("started", "实际开工日期", "date"),
    Column("completed", "实际竣工日期", "date"),
    Column("producing", "投产日期", "date"),
    Column("planned_investment_wan", "计划总投资（万元）", "number"),
    Column("investment_wan", "已完成投资（万元）", "number"),
    Column("developed_mu", "已开发面积（亩）", "number"),
    Column("stopped", "停工日期", "date"),
    Column(
        "floor_area_m2",
        "建筑面积（平方米）",
        "number",
        aliases=("建筑面积（㎡）", "建筑面积（m²）", "建筑面积（m2）"),
    ),
    Column(
        "footprint_m2",
        "建筑基底面积（平方米）",
        "number",
        aliases=("建筑基底面积（㎡）", "建筑基底面积（m²）", "建筑基底面积（m2）"),
    ),
)
#: The fields a row holds besides the enterprise and its parcels.
PROGRESS_FIELDS: tuple[str, ...] = tuple(
    c.field for c in COLUMNS if c.field not in ("enterprise", "parcel_ids")
)
DATE_FIELDS: tuple[str, ...] = tuple(c.field for c in COLUMNS if c.kind == "date")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")
#: Pairs of dates that must not be in the reverse order (earlier, later).
_ORDER: tuple[tuple[str, str], ...] = (
    ("agreed_start", "agreed_completion"),
    ("started", "completed"),
    ("completed", "producing"),
    ("started", "stopped"),
)
#: A date that needs another one first (completion needs a start, …).
_NEEDS: tuple[tuple[str, str], ...] = (
    ("completed", "started"),
    ("producing", "completed"),
    ("stopped", "started"),
)


def _norm(header: str) -> str:
    """Return a header compared loosely: full-width brackets as ASCII, no spaces, lower case."""
    return re.sub(r"\s+", "", str(header)).replace("（", "(").replace("）", ")").lower()


_BY_HEADER: dict[str, Column] = {_norm(h): c for c in COLUMNS for h in (c.zh, c.field, *c.aliases)}


@dataclass(frozen=True)
class ContractRecord:
    """One row of the table: the spreadsheet row, enterprise, parcels and the other fields."""

    row: int
    enterprise: str
    parcel_ids: tuple[str, ...]
    values: dict[str, Any]

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """Return what identifies the contract: the enterprise and its parcels (sorted)."""
        return self.enterprise, tuple(sorted(self.parcel_ids))


Problem = tuple[int, str, Message]


def _cell(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _number(text: str) -> float | Message:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return msg("error.land.number", value=text)
    if not math.isfinite(value):
        return msg("error.land.number", value=text)
    if value < 0:
        return msg("error.land.negative", value=text)
    return value


def _date(text: str) -> dt.date | Message:
    m = _DATE.match(text)
    if m is None:
        return msg("error.land.date", value=text)
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return msg("error.land.date", value=text)


def parse_contracts(frame: pd.DataFrame, known_parcels: set[str]) -> list[ContractRecord]:
    """Return the table's rows as records, or raise SchemaError naming every bad row.

    Headers are matched in Chinese or English (full- or half-width brackets, spaces ignored);
    columns not listed in :data:`COLUMNS` are ignored. A parcel id not in ``known_parcels``, a
    parcel in two rows, or the same enterprise and parcels twice is an error of that row."""
    columns: dict[str, str] = {}
    for header in frame.columns:
        col = _BY_HEADER.get(_norm(header))
        if col is not None and col.field not in columns:
            columns[col.field] = str(header)
    missing = [c for c in COLUMNS if c.required and c.field not in columns]
    if missing:
        names = [f"{c.zh} ({c.field})" for c in missing]
        raise SchemaError(
            f"the contracts table has no column {', '.join(names)}",
            where="header",
            hint="name the columns as parksite land import lists them (Chinese or English)",
            msg=msg("error.land.columns", columns=joined(names)),
        )
    problems: list[Problem] = []
    records: list[ContractRecord] = []
    seen_parcels: dict[str, int] = {}
    seen_keys: dict[tuple[str, tuple[str, ...]], int] = {}
    for i, raw in enumerate(frame.to_dict("records")):
        row = i + 2
        values: dict[str, Any] = {}
        bad: list[Problem] = []
        for c in COLUMNS:
            header = columns.get(c.field)
            text = None if header is None else _cell(raw.get(header))
            where = header or c.zh
            if text is None:
                if c.required:
                    bad.append((row, where, msg("error.land.required")))
                values[c.field] = None
                continue
            if c.kind == "text":
                values[c.field] = text
            elif c.kind == "parcels":
                ids = tuple(dict.fromkeys(p.strip() for p in re.split(r"[;；]", text) if p.strip()))
                unknown = [p for p in ids if p not in known_parcels]
                if unknown:
                    bad.append((row, where, msg("error.land.parcel_unknown", parcels=joined(unknown))))
                for p in ids:
                    if p in seen_parcels:
                        bad.append(
                            (row, where, msg("error.land.parcel_twice", parcel=p, other=seen_parcels[p]))
                        )
                values[c.field] = ids
            else:
                parsed: float | dt.date | Message = _number(text) if c.kind == "number" else _date(text)
                if isinstance(parsed, Message):
                    bad.append((row, where, parsed))
                values[c.field] = None if isinstance(parsed, Message) else parsed
        if values.get("area_mu") == 0:
            bad.append((row, columns["area_mu"], msg("error.land.area_zero")))
        for field, needed in _NEEDS:
            if (
                values.get(field) is not None
                and values.get(needed) is None
                and (row, columns.get(needed)) not in {(r, col) for r, col, _ in bad}
            ):
                bad.append((row, columns[field], msg("error.land.needs", needed=_header(columns, needed))))
        for early, late in _ORDER:
            a, b = values.get(early), values.get(late)
            if a is not None and b is not None and b < a:
                bad.append(
                    (
                        row,
                        columns[late],
                        msg("error.land.before", value=b.isoformat(), other=_header(columns, early)),
                    )
                )
        area, developed = values.get("area_mu"), values.get("developed_mu")
        if area is not None and developed is not None and developed > area:
            bad.append((row, columns["developed_mu"], msg("error.land.developed_over", area=f"{area:g}")))
        if bad:
            problems.extend(bad)
            continue
        record = ContractRecord(row, values.pop("enterprise"), values.pop("parcel_ids"), values)
        if record.key in seen_keys:
            problems.append(
                (row, columns["parcel_ids"], msg("error.land.row_twice", other=seen_keys[record.key]))
            )
            continue
        seen_keys[record.key] = row
        for p in record.parcel_ids:
            seen_parcels[p] = row
        records.append(record)
    if problems:
        raise contract_rows_error(problems)
    return records


def _header(columns: dict[str, str], field: str) -> str:
    return columns.get(field) or next(c.zh for c in COLUMNS if c.field == field)


def contract_rows_error(problems: list[Problem]) -> SchemaError:
    """Return the error refusing a table for ``problems`` (row, column, what is wrong), which it
    keeps as ``problems`` for callers that list them (and as ``details["problems"]``, JSON: row,
    column, the problem as ``{id, params}`` and as ``text`` (rendered in the answer's language), which the API adds to its error body)."""
    lines = [msg("error.land.row", row=r, column=col, problem=m) for r, col, m in problems]
    err = SchemaError(
        f"{len(problems)} problem(s) in the contracts table; nothing was imported",
        where=f"row {problems[0][0]}, column {problems[0][1]}",
        hint="correct the rows named and import the file again",
        msg=msg("error.land.rows", count=len(problems), problems=joined(lines, "line")),
    )
    err.problems = problems  # type: ignore[attr-defined]
    err.details = {  # type: ignore[attr-defined]
        "problems": [{"row": r, "column": col, "problem": m.to_dict(), "text": m} for r, col, m in problems]
    }
    return err


def committed_indicators(
    zone: ZoneConfig, project: Project | None, project_id: int | None = None
) -> dict[str, Any]:
    """Return the 标准地 indicators a contract commits to, copied at signing.

    From the admitted ``project`` on its parcels when there is one (its own investment, output
    and tax per 亩, and the 表9-6 minimum intensities of its industry); otherwise the zone's 表6-1
    per-亩 targets as the minimums. ``land_controls`` add the building coefficient. Money per 亩
    in 万元/亩; ``basis`` says which (``admission`` or ``targets``) and ``source`` where from."""
    out: dict[str, Any] = {"basis": "targets", "source": []}
    if project is not None and project.land_mu:
        out.update(
            basis="admission",
            project_id=project_id,
            project=project.name,
            industry=project.industry,
            project_investment_intensity_wan_per_mu=project.investment_wan / project.land_mu,
            project_output_intensity_wan_per_mu=project.output_wan / project.land_mu,
            project_tax_per_mu_wan=None if project.tax_wan is None else project.tax_wan / project.land_mu,
        )
        industry = zone.find_industry(project.industry) if project.industry else None
        branch = industry.branch(project.branch) if industry is not None and project.branch else None
        cond = zone.admission_for(industry, branch) if industry is not None else None
        if cond is not None:
            out["investment_intensity_wan_per_mu"] = cond.investment_intensity_wan_per_mu
            out["output_intensity_wan_per_mu"] = cond.output_intensity_wan_per_mu
            out["source"].append(cond.source)
    if "investment_intensity_wan_per_mu" not in out and zone.targets is not None:
        out["investment_intensity_wan_per_mu"] = zone.targets.investment_intensity_wan_per_mu
        out["output_intensity_wan_per_mu"] = zone.targets.output_intensity_wan_per_mu
        out["source"].append(zone.targets.source)
    if zone.land_controls is not None:
        out["building_coefficient_min_pct"] = zone.land_controls.building_coefficient_min_pct
        out["source"].append(zone.land_controls.source)
    out["source"] = "; ".join(out["source"])
    return out
