"""A year's figures per enterprise (亩均效益 inputs), checked row by row.

The table's columns have a Chinese and an English header (:data:`COLUMNS`); :func:`parse_figures`
takes the rows as read (every cell text or None) and returns :class:`Figures` records, or raises
one :class:`gis.errors.InputFileError` listing every bad cell by row (as the spreadsheet numbers
it: the header is row 1) and column (as the file spells it) — all or nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from gis.errors import InputFileError
from gis.messages import Message, joined, msg

#: field → (Chinese header, English header). Numbers are in the units the Chinese header names.
COLUMNS: dict[str, tuple[str, str]] = {
    "enterprise": ("企业名称", "enterprise"),
    "land_mu": ("用地面积（亩）", "land_mu"),
    "tax_wan": ("税收（万元）", "tax_wan"),
    "value_added_wan": ("工业增加值（万元）", "value_added_wan"),
    "revenue_wan": ("营业收入（万元）", "revenue_wan"),
    "energy_tce": ("综合能耗（吨标准煤）", "energy_tce"),
    "power_10k_kwh": ("用电量（万千瓦时）", "power_10k_kwh"),
    "emissions_t": ("主要污染物排放（吨）", "emissions_t"),
    "employees": ("年平均职工人数", "employees"),
    "rnd_wan": ("研发经费（万元）", "rnd_wan"),
    "scale": ("规模", "scale"),
    "producing_year": ("投产年份", "producing_year"),
    "kind": ("行业类型", "kind"),
    # Beyond the evaluation (optional): for the zone report and 表6-1 progress.
    "output_wan": ("工业总产值（万元）", "output_wan"),
    "investment_wan": ("累计固定资产投资（万元）", "investment_wan"),
}
NUMBER_FIELDS = (
    "land_mu",
    "tax_wan",
    "value_added_wan",
    "revenue_wan",
    "energy_tce",
    "power_10k_kwh",
    "emissions_t",
    "employees",
    "rnd_wan",
    "output_wan",
    "investment_wan",
)
REQUIRED = ("enterprise", "land_mu", "scale")
#: 规模 as written → group id.
SCALES = {"规上": "above", "规下": "below", "above": "above", "below": "below"}


@dataclass(frozen=True)
class Figures:
    """One enterprise's figures for one year: land in 亩, money in 万元, energy in tce, power in
    万 kWh, emissions in t, employees as people, output (工业总产值) and cumulative fixed-asset
    investment in 万元; None where the table leaves the cell empty.
    ``scale`` is ``above`` (规上) or ``below`` (规下); ``kind`` e.g. 公用事业 or None."""

    enterprise: str
    land_mu: float
    scale: str
    tax_wan: float | None = None
    value_added_wan: float | None = None
    revenue_wan: float | None = None
    energy_tce: float | None = None
    power_10k_kwh: float | None = None
    emissions_t: float | None = None
    employees: float | None = None
    rnd_wan: float | None = None
    producing_year: int | None = None
    kind: str | None = None
    output_wan: float | None = None
    investment_wan: float | None = None

    def get(self, field: str) -> float | None:
        """Return the figure ``field`` (a number field), None when missing."""
        value = getattr(self, field)
        return None if value is None else float(value)

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a plain dict (field → value)."""
        return asdict(self)


def header_fields(headers: Sequence[str]) -> tuple[dict[str, str], list[Message]]:
    """Return {header as in the file → field} for the headers that name a column, and the
    problems: a required column missing, or a column given twice (Chinese and English)."""
    lookup: dict[str, str] = {}
    for name, (zh, en) in COLUMNS.items():
        lookup[zh] = name
        lookup[en.lower()] = name
    found: dict[str, str] = {}
    problems: list[Message] = []
    seen: dict[str, str] = {}
    for h in headers:
        field = lookup.get(h) or lookup.get(h.strip().lower()) or ""
        if not field:
            continue
        if field in seen:
            problems.append(msg("error.figures.column_twice", column=h, other=seen[field]))
            continue
        seen[field] = h
        found[h] = field
    for field in REQUIRED:
        if field not in seen:
            problems.append(
                msg("error.figures.column_missing", column=COLUMNS[field][0], en=COLUMNS[field][1])
            )
    return found, problems


def _number(text: str) -> float:
    value = float(text.replace(",", ""))
    if math.isnan(value) or math.isinf(value):
        raise ValueError(text)
    return value


def _cell(raw: Any) -> str | None:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    return text or None


def figures_rows_error(problems: Sequence[tuple[int, str, Message]], where: str) -> InputFileError:
    """Return the error refusing a figures table for ``problems`` (row, column header, what is
    wrong), which it keeps as ``details["problems"]`` (JSON: row, column and the problem as
    ``{id, params}``, added to the API's error body) beside the message listing them."""
    lines = [msg("error.figures.cell", row=r, column=col, problem=m) for r, col, m in problems]
    err = InputFileError(
        f"{len(problems)} problem(s) in the figures table",
        where=where,
        hint="correct the cells named and import the whole file again; nothing was written",
        msg=msg("error.figures.bad", path=where, problems=joined(lines, "line")),
    )
    err.details = {  # type: ignore[attr-defined]
        "problems": [{"row": r, "column": col, "problem": m.to_dict(), "text": m} for r, col, m in problems]
    }
    return err


def parse_figures(
    rows: Sequence[Mapping[str, Any]], headers: Sequence[str], *, year: int, where: str
) -> list[Figures]:
    """Return the rows of a figures table as :class:`Figures` (rows with every cell empty are
    skipped). ``headers`` are the file's column names, ``year`` the evaluated year (a 投产年份 after
    it is an error), ``where`` the file named in errors. Raises InputFileError listing every
    problem (row, column, what is wrong) when there is any: nothing is returned partly."""
    columns, problems = header_fields(headers)
    if problems:
        raise InputFileError(
            "the figures table lacks columns",
            where=where,
            msg=msg("error.figures.bad", path=where, problems=joined(problems, "line")),
        )
    out: list[Figures] = []
    names: dict[str, int] = {}
    cells_bad: list[tuple[int, str, Message]] = []
    for i, row in enumerate(rows):
        rownum = i + 2
        cells = {field: _cell(row.get(h)) for h, field in columns.items()}
        if all(v is None for v in cells.values()):
            continue

        def bad(field: str, what: Message, _rownum: int = rownum) -> None:
            header = next((h for h, f in columns.items() if f == field), COLUMNS[field][0])
            problems.append(msg("error.figures.cell", row=_rownum, column=header, problem=what))
            cells_bad.append((_rownum, header, what))

        values: dict[str, Any] = {}
        for field in REQUIRED:
            if cells.get(field) is None:
                bad(field, msg("error.figures.empty"))
        name = cells.get("enterprise")
        if name is not None:
            if name in names:
                bad("enterprise", msg("error.figures.repeated", first=names[name]))
            names.setdefault(name, rownum)
            values["enterprise"] = name
        for field in NUMBER_FIELDS:
            text = cells.get(field)
            if text is None:
                continue
            try:
                number = _number(text)
            except ValueError:
                bad(field, msg("error.figures.not_number", value=text))
                continue
            if number < 0:
                bad(field, msg("error.figures.negative", value=text))
                continue
            values[field] = number
        if values.get("land_mu") == 0:
            bad("land_mu", msg("error.figures.zero_land"))
        scale = cells.get("scale")
        if scale is not None:
            if scale.lower() not in SCALES and scale not in SCALES:
                bad("scale", msg("error.figures.scale", value=scale))
            else:
                values["scale"] = SCALES.get(scale, SCALES.get(scale.lower()))
        py = cells.get("producing_year")
        if py is not None:
            try:
                pyear = int(_number(py))
                if pyear != _number(py) or not 1900 <= pyear <= year:
                    raise ValueError(py)
                values["producing_year"] = pyear
            except ValueError:
                bad("producing_year", msg("error.figures.producing_year", value=py, year=year))
        if cells.get("kind") is not None:
            values["kind"] = cells["kind"]
        if not problems:
            out.append(Figures(**values))
    if problems:
        raise figures_rows_error(cells_bad, where)
    if not out:
        raise InputFileError(
            "the figures table has no rows", where=where, msg=msg("error.figures.no_rows", path=where)
        )
    return out
