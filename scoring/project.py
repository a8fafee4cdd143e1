"""A project that asks for land: the :class:`Project` model, its file format, and its industry
classification against a zone's positive list (表9-5).

File format (YAML or JSON, one mapping), money in 万元, areas in 亩::

    name: 年产10万吨铝基新材料项目
    industry: 铝镁新材料            # 产业大类 (name or alias from the positive list)
    branch: 铝基新材料              # 二级产业方向 (optional: without it the positive-list rule is "needs_data")
    investment_wan: 60000          # total fixed-asset investment, 万元 (required, > 0)
    output_wan: 150000             # expected annual output, 万元/年 (required, > 0)
    tax_wan: 3000                  # annual tax, 万元/年 (optional)
    land_mu: 200                   # land demand, 亩 (optional: undeclared → "needs_data")
    water_m3_per_day: 500          # water demand, m³/d (optional)
    power_kw: 8000                 # power load, kW (optional)
    online_monitoring: true        # main pollutants monitored online (optional: yes/no/是/否)
    waste_treatment_pct: 98        # 三废达标处理率, percent 0–100 (optional)
    energy_tce_per_wan: 0.3        # optional: energy use, tce per 万元 of output
    water_m3_per_wan: 2.0          # optional: water use, m³ per 万元 of output
    park: 双池镇园区                 # optional: the park it is planned for (id or name); only there

An existing enterprise's expansion (现有企业扩建, :mod:`scoring.expansion`) is a project with
``expansion_of`` (the enterprise's name: a row of the zone's 表2-1 or an enterprise with land in
the zone); its ``investment_wan`` / ``output_wan`` are the *added* amounts and ``land_mu`` the new
land; ``existing_land_mu``, ``existing_investment_wan`` and ``existing_output_wan`` give what the
enterprise has now when the data does not (its parcels, 表2-1's 占地面积, its yearly figures)::

    expansion_of: 交口县天鹏冶炼有限公司
    existing_investment_wan: 10000  # optional: the enterprise's fixed-asset investment so far, 万元
    existing_output_wan: 12000      # optional: its annual output now, 万元/年
    existing_land_mu: 50            # optional: its land now, 亩

A project outside the positive list is written with its own industry name (e.g. ``industry:
煤焦化``) and is *checkable*: it classifies as ``outside`` and the check fails. A project of the
plan's catch-all "其它国家鼓励发展的产业项目" gives ``industry:`` that name (or ``other``) and
describes itself in ``encouraged_description``.

The model keeps the industry text as written; :func:`classify_industry` resolves it against a
zone into a separate :class:`Classification`. Text that is *almost* a listed name (a typo, a
branch given as industry, a branch of another industry) cannot be classified and raises
:class:`gis.errors.SchemaError` with the close names.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gis.errors import InputFileError, SchemaError
from gis.messages import Message, joined, msg
from scoring.industry import classify_industry
from scoring.zone import ZoneConfig

#: Below this an investment in 万元 is implausible for an industrial park (probably 亿元).
PLAUSIBLE_MIN_INVESTMENT_WAN: float = 100.0

MONEY_FIELDS = ("investment_wan", "output_wan", "tax_wan")
_FIELD_UNITS: dict[str, str] = {
    "investment_wan": "万元",
    "output_wan": "万元/年",
    "tax_wan": "万元/年",
    "land_mu": "亩",
    "water_m3_per_day": "m³/d",
    "power_kw": "kW",
    "waste_treatment_pct": "%",
    "energy_tce_per_wan": "tce/万元",
    "water_m3_per_wan": "m³/万元",
    "existing_land_mu": "亩",
    "existing_investment_wan": "万元",
    "existing_output_wan": "万元/年",
}

# unit written in a string → (canonical unit of the field, factor to it)
_UNIT_FACTORS: dict[str, tuple[str, float]] = {
    "亿元": ("万元", 10_000.0),
    "亿": ("万元", 10_000.0),
    "万元": ("万元", 1.0),
    "万": ("万元", 1.0),
    "元": ("万元", 1e-4),
    "亩": ("亩", 1.0),
    "公顷": ("亩", 15.0),
    "ha": ("亩", 15.0),
    "hm2": ("亩", 15.0),
    "hm²": ("亩", 15.0),
    "m2": ("亩", 1 / (10000 / 15)),
    "m²": ("亩", 1 / (10000 / 15)),
    "平方米": ("亩", 1 / (10000 / 15)),
    "km2": ("亩", 1500.0),
    "km²": ("亩", 1500.0),
    "kw": ("kW", 1.0),
    "千瓦": ("kW", 1.0),
    "mw": ("kW", 1000.0),
    "兆瓦": ("kW", 1000.0),
    "m3/d": ("m³/d", 1.0),
    "m³/d": ("m³/d", 1.0),
    "t/d": ("m³/d", 1.0),
    "吨/天": ("m³/d", 1.0),
    "立方米/天": ("m³/d", 1.0),
    "方/天": ("m³/d", 1.0),
    "%": ("%", 1.0),
    "％": ("%", 1.0),
}
#: The unit of each figure as people read it (message ids where the unit is a word).
FIELD_UNIT_IDS: dict[str, str] = {
    "investment_wan": "unit.wan",
    "output_wan": "unit.wan_per_year",
    "tax_wan": "unit.wan_per_year",
    "land_mu": "unit.mu",
    "energy_tce_per_wan": "unit.tce_per_wan",
    "water_m3_per_wan": "unit.m3_per_wan",
    "existing_land_mu": "unit.mu",
    "existing_investment_wan": "unit.wan",
    "existing_output_wan": "unit.wan_per_year",
}

#: The form label of each project figure (message ids of the web form, used by ``needs_data``
#: outcomes to name the field to fill).
FIELD_LABEL_IDS: dict[str, str] = {
    "industry": "project.industry",
    "branch": "project.branch",
    "encouraged_description": "project.encouraged",
    "investment_wan": "project.investment",
    "output_wan": "project.output",
    "tax_wan": "project.tax",
    "land_mu": "project.land",
    "water_m3_per_day": "project.water",
    "power_kw": "project.power",
    "online_monitoring": "project.monitoring",
    "waste_treatment_pct": "project.waste",
    "energy_tce_per_wan": "project.energy_per_wan",
    "water_m3_per_wan": "project.water_per_wan",
    "expansion_of": "project.expansion_of",
    "existing_land_mu": "project.existing_land",
    "existing_investment_wan": "project.existing_investment",
    "existing_output_wan": "project.existing_output",
}


def field_unit(field: str) -> Message | str:
    """Return the unit of a project figure as people read it (万元 / wan yuan, m³/d …)."""
    return msg(FIELD_UNIT_IDS[field]) if field in FIELD_UNIT_IDS else _FIELD_UNITS[field]


class InvalidValue(ValueError):
    """A project value pydantic refuses, with the message users read (``msg``)."""

    def __init__(self, text: str, message: Message):
        super().__init__(text)
        self.msg = message


_NUMBER_WITH_UNIT = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(\S.*?)?\s*$")


class Project(BaseModel):
    """A project asking for land. Money in 万元, land in 亩, water in m³/d, power in kW.

    ``None`` for an optional figure means "not declared": the rule that needs it returns
    "needs_data" naming the field, never a guessed pass. ``park`` (a park id or name of the zone,
    optional) keeps the project to that park (:func:`project_park`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(min_length=1)
    industry: str | None = Field(None, description="产业大类 as written (name or alias, or the catch-all)")
    branch: str | None = Field(None, description="二级产业方向 as written")
    encouraged_description: str | None = Field(
        None, description="what the project is, when it is an 'other nationally encouraged' project"
    )
    investment_wan: float = Field(gt=0, description="total fixed-asset investment, 万元")
    output_wan: float = Field(gt=0, description="expected annual output, 万元/年")
    tax_wan: float | None = Field(None, ge=0, description="annual tax, 万元/年")
    land_mu: float | None = Field(None, gt=0, description="land demand, 亩")
    water_m3_per_day: float | None = Field(None, ge=0, description="water demand, m³/d")
    power_kw: float | None = Field(None, ge=0, description="power load, kW")
    online_monitoring: bool | None = Field(None, description="online pollutant monitoring installed")
    waste_treatment_pct: float | None = Field(None, ge=0, le=100, description="三废达标处理率, %")
    energy_tce_per_wan: float | None = Field(None, ge=0, description="energy use, tce per 万元 output")
    water_m3_per_wan: float | None = Field(None, ge=0, description="water use, m³ per 万元 output")
    park: str | None = Field(
        None, description="the park the project is planned for (park id or name): it is placed only there"
    )
    expansion_of: str | None = Field(
        None,
        description="the existing enterprise this project expands (现有企业扩建); amounts are then the added ones",
    )
    existing_land_mu: float | None = Field(None, gt=0, description="expansion: the enterprise's land now, 亩")
    existing_investment_wan: float | None = Field(
        None, ge=0, description="expansion: the enterprise's fixed-asset investment so far, 万元"
    )
    existing_output_wan: float | None = Field(
        None, ge=0, description="expansion: its annual output now, 万元/年"
    )
    note: str | None = None

    @field_validator(
        "name", "industry", "branch", "encouraged_description", "park", "expansion_of", mode="before"
    )
    @classmethod
    def _strip(cls, v: object) -> object:
        if isinstance(v, str):
            v = v.strip()
            return v or None
        return v

    @field_validator(*_FIELD_UNITS, mode="before")
    @classmethod
    def _plain_number(cls, v: object, info: Any) -> object:
        """Accept numbers (and plain numeric strings); explain strings that carry a unit."""
        field = info.field_name
        if isinstance(v, bool):
            raise InvalidValue(
                f"{v!r} is a yes/no value; give a number in {_FIELD_UNITS[field]}",
                msg("error.project.bool_for_number", value=repr(v), unit=field_unit(field)),
            )
        if isinstance(v, str):
            return _number_from_text(v, field)
        return v

    @field_validator("waste_treatment_pct", mode="after")
    @classmethod
    def _percent_not_fraction(cls, v: float | None) -> float | None:
        if v is not None and 0 < v <= 1:
            raise InvalidValue(
                f"{v} looks like a fraction; 三废达标处理率 is a percentage 0–100 "
                f"(write {_fmt(v * 100)} for {_fmt(v * 100)} %)",
                msg("error.project.fraction", value=_fmt(v), pct=_fmt(v * 100)),
            )
        return v

    @field_validator("online_monitoring", mode="before")
    @classmethod
    def _yes_no(cls, v: object) -> object:
        if isinstance(v, str):
            word = v.strip().lower()
            if word in {"yes", "y", "true", "1", "是", "有", "安装", "已安装"}:
                return True
            if word in {"no", "n", "false", "0", "否", "无", "未安装", "没有"}:
                return False
            raise InvalidValue(
                f"{v!r} is not yes/no; write true or false (是/否)",
                msg("error.project.not_yes_no", value=repr(v)),
            )
        return v


def _number_from_text(text: str, field: str) -> float:
    """Return a plain numeric string as a float; raise ValueError naming the unit fix otherwise."""
    unit = _FIELD_UNITS[field]
    try:
        return float(text)
    except ValueError:
        pass
    m = _NUMBER_WITH_UNIT.match(text)
    if m and m.group(2):
        written = m.group(2).strip()
        found = _UNIT_FACTORS.get(written) or _UNIT_FACTORS.get(written.lower())
        base = "万元" if unit.startswith("万元") else unit
        if found and found[0] == base:
            value = float(m.group(1)) * found[1]
            raise InvalidValue(
                f"{text!r} is text with a unit; give a plain number in {unit}: {_fmt(value)}",
                msg("error.project.unit_convert", text=repr(text), unit=field_unit(field), value=_fmt(value)),
            )
        raise InvalidValue(
            f"{text!r} is text with the unit {written!r}; give a plain number in {unit}",
            msg("error.project.unit_text", text=repr(text), written=repr(written), unit=field_unit(field)),
        )
    raise InvalidValue(
        f"{text!r} is not a number; give a plain number in {unit}",
        msg("error.project.not_number", text=repr(text), unit=field_unit(field)),
    )


def _fmt(x: float) -> str:
    """Return ``x`` with at most 4 decimals and no trailing zeros."""
    s = f"{x:.4f}".rstrip("0").rstrip(".")
    return s if s != "-0" else "0"


# --------------------------------------------------------------------------- parsing files


def parse_project(data: object, *, where: str = "<project>") -> Project:
    """Return the validated Project for parsed YAML/JSON ``data``; SchemaError naming each field."""
    if not isinstance(data, dict):
        raise SchemaError(
            "a project file must be one mapping of name, industry, branch, investment_wan, …",
            where=where,
            msg=msg("error.project.not_mapping"),
        )
    try:
        return Project.model_validate(data)
    except ValidationError as exc:
        text, message = _format_errors(exc, data)
        raise SchemaError(text, where=where, msg=message) from None


def _format_errors(exc: ValidationError, data: dict) -> tuple[str, Message]:
    """Return the problems of a project as English text (for logs) and as a message."""
    lines = [f"{exc.error_count()} problem(s) in the project"]
    items: list[Message] = []
    known = list(Project.model_fields)
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        kind = err["type"]
        text = err["msg"].removeprefix("Value error, ")
        problem: Message = msg("error.project.invalid", detail=text)
        if kind == "extra_forbidden":
            # the expansion fields (existing_*, expansion_of) are offered only for typos of them
            own = loc.startswith(("exist", "expan"))
            names = [k for k in known if own or not k.startswith(("existing_", "expansion_"))]
            close = difflib.get_close_matches(loc, names, n=2, cutoff=0.5)
            text = "unknown field" + (f"; did you mean {' or '.join(close)}?" if close else "")
            yi = loc.endswith("_yi") or "亿" in loc
            if yi:
                text += " (amounts are written in 万元: 1 亿元 = 10000 万元)"
            problem = msg(
                "error.project.unknown_field",
                close=msg("error.project.did_you_mean", names=close) if close else "",
                yi=msg("error.project.yi_note") if yi else "",
            )
        elif kind == "missing":
            unit = _FIELD_UNITS.get(loc)
            text = "required" + (f"; give the amount in {unit}" if unit else "")
            problem = msg(
                "error.project.required",
                unit=msg("error.project.give_unit", unit=field_unit(loc)) if unit else "",
            )
        elif kind in {"greater_than", "greater_than_equal"}:
            text = f"{data.get(loc)!r} is not allowed: {text.lower()}"
            money = loc in MONEY_FIELDS or loc == "land_mu"
            if money:
                text += f" (money and land cannot be negative or zero; unit {_FIELD_UNITS[loc]})"
            limit = (err.get("ctx") or {}).get("gt", (err.get("ctx") or {}).get("ge"))
            problem = msg(
                "error.project.greater_than" if kind == "greater_than" else "error.project.at_least",
                value=repr(data.get(loc)),
                limit=limit,
                note=msg("error.project.money_note", unit=field_unit(loc)) if money else "",
            )
        elif kind == "less_than_equal" and loc == "waste_treatment_pct":
            text = f"{data.get(loc)!r} %: a percentage cannot exceed 100"
            problem = msg("error.project.pct_over", value=repr(data.get(loc)))
        elif kind == "value_error" and isinstance((err.get("ctx") or {}).get("error"), InvalidValue):
            problem = err["ctx"]["error"].msg
        lines.append(f"  - {loc}: {text}")
        items.append(msg("error.project.problem", field=loc, problem=problem))
    return "\n".join(lines), msg(
        "error.project.problems", n=exc.error_count(), problems=joined(items, "line")
    )


def read_project_file(path: Path | str) -> dict:
    """Return the parsed mapping of a YAML/JSON project file; InputFileError if unreadable."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(
            "project file not found",
            where=str(path),
            hint="give a YAML or JSON project file (see tests/data/projects/)",
            msg=msg("error.project.not_found"),
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputFileError(
            "not UTF-8 text", where=str(path), hint="save the file as UTF-8", msg=msg("error.file.not_utf8")
        ) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"not valid JSON: {exc.msg}",
            where=f"{path}:{exc.lineno}:{exc.colno}",
            msg=msg("error.file.bad_json", detail=exc.msg),
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = str(getattr(exc, "problem", exc))
        raise InputFileError(
            f"not valid YAML: {problem}", where=where, msg=msg("error.file.bad_yaml", detail=problem)
        ) from None
    if data is None:
        raise InputFileError("the project file is empty", where=str(path), msg=msg("error.project.empty"))
    return data


def load_project(path: Path | str, zone: ZoneConfig | None = None) -> Project:
    """Read and validate a project file; with ``zone``, also classify its industry and resolve
    its park.

    Returns the Project. Raises InputFileError (missing/unreadable file) or SchemaError (bad
    fields, an industry/branch that cannot be classified against ``zone``, an unknown park)."""
    path = Path(path)
    project = parse_project(read_project_file(path), where=str(path))
    if zone is not None:
        classify_industry(zone, project, where=str(path))
        project_park(zone, project, where=str(path))
    return project


def project_park(zone: ZoneConfig, project: Project, *, where: str | None = None) -> str | None:
    """Return the id of the park ``project`` names (by id, name or English name), None when it
    names none. SchemaError naming ``where`` (the file or row) and the zone's parks otherwise."""
    if project.park is None:
        return None
    key = project.park.strip()
    for p in zone.parks:
        if key in {p.id, p.name, p.name_en} or key.lower() in {p.id.lower(), p.name_en.lower()}:
            return p.id
    known = [f"{p.id} ({p.name})" for p in zone.parks]
    raise SchemaError(
        f"park {key!r} is not a park of zone {zone.zone.id}",
        where=f"{where or f'project {project.name!r}'}: park",
        hint=f"give one of {', '.join(known)}, or leave park out",
        msg=msg("error.project.unknown_park", park=key, parks=joined(known)),
    )


def project_warnings(project: Project) -> list[Message]:
    """Return plausibility warnings that are not errors, e.g. money that looks like 亿元."""
    out = []
    if project.investment_wan < PLAUSIBLE_MIN_INVESTMENT_WAN:
        out.append(
            msg(
                "project.warning.yi",
                value=_fmt(project.investment_wan),
                wan=_fmt(project.investment_wan * 10_000),
            )
        )
    return out
