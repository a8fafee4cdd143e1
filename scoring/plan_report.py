"""The plan's own 47 projects (appendix 产业发展项目汇总表) run through the recommendation.

:func:`load_plan_projects` reads ``data/projects/plan_projects.yaml`` (figures in 亿元, as printed
in the plan) into :class:`PlanProject` records; :meth:`PlanProject.to_project` converts them to a
:class:`scoring.project.Project` in 万元 (``gis.units.yi_to_wan``). :func:`plan_report` runs every
project through :func:`scoring.recommend.recommend` and returns one :class:`PlanReportRow` per
project: the largest justified area, the best parcels/groups, the verdict and why.
:func:`write_plan_report` writes CSV (UTF-8 with BOM, for Excel) or XLSX (openpyxl) with Chinese
headers and units; :func:`plan_report_table` renders a rich table.

Each project is evaluated on its own (a fresh view of the capacity ledger): the report answers
"where could this project go", not "where would all 47 go together".
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gis.errors import InputFileError, SchemaError
from gis.units import yi_to_wan
from scoring.admission import fmt
from scoring.capacity import CapacityLedger
from scoring.project import Project, classify_industry
from scoring.recommend import Recommendation, recommend, rule_label
from scoring.zone import ZoneConfig

#: The bundled plan projects file.
PLAN_PROJECTS_FILE = Path(__file__).resolve().parent.parent / "data" / "projects" / "plan_projects.yaml"

Phase = Literal["计划实施", "谋划储备", "前期储备"]


class PlanProject(BaseModel):
    """One project of the plan's appendix, with the plan's figures in 亿元."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    number: int = Field(ge=1)
    name: str = Field(min_length=1)
    summary: str = Field(min_length=1, description="项目概况")
    group: str = Field(min_length=1, description="the appendix's industry heading")
    investment_yi: float = Field(gt=0, description="投资, 亿元")
    output_yi: float = Field(gt=0, description="年产值, 亿元/年")
    phase: Phase = Field(description="建设时序")
    industry: str
    branch: str | None = None
    encouraged_description: str | None = None
    land_mu: float | None = Field(None, gt=0, description="占地, 亩, where the plan gives it")
    note: str | None = None

    @property
    def investment_wan(self) -> float:
        """Return the investment in 万元."""
        return round(yi_to_wan(self.investment_yi), 4)

    @property
    def output_wan(self) -> float:
        """Return the annual output in 万元/年."""
        return round(yi_to_wan(self.output_yi), 4)

    def to_project(self) -> Project:
        """Return the project as a :class:`Project` (万元); undeclared figures stay None."""
        return Project(
            name=f"{self.number}. {self.name}", industry=self.industry, branch=self.branch,
            encouraged_description=self.encouraged_description, investment_wan=self.investment_wan,
            output_wan=self.output_wan, land_mu=self.land_mu, note=self.note,
        )


def load_plan_projects(path: Path | str = PLAN_PROJECTS_FILE) -> list[PlanProject]:
    """Read the plan projects file; return the projects ordered by number.

    Raises InputFileError (missing/unreadable) or SchemaError (bad record, naming its number and
    field; repeated numbers)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError("plan projects file not found", where=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputFileError(f"not valid YAML: {exc}", where=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("projects"), list):
        raise SchemaError("the file must be a mapping with a 'projects' list", where=str(path))
    out: list[PlanProject] = []
    for i, rec in enumerate(data["projects"]):
        label = f"{path}: projects[{i}]" + (f" (number {rec.get('number')})" if isinstance(rec, dict) else "")
        try:
            out.append(PlanProject.model_validate(rec))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise SchemaError(problems, where=label) from None
    numbers = [p.number for p in out]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        raise SchemaError(f"project numbers repeated: {repeated}", where=str(path))
    return sorted(out, key=lambda p: p.number)


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class PlanReportRow:
    """One plan project's outcome."""

    plan: PlanProject
    industry_label: str
    recommendation: Recommendation
    verdict: str
    reason_zh: str
    reason_en: str

    @property
    def max_justified_mu(self) -> float | None:
        return self.recommendation.max_justified_mu

    def best(self, n: int = 3) -> list[str]:
        """Return the ``n`` best sites as "A" or "A+B" strings."""
        return ["+".join(c.parcel_ids) for c in self.recommendation.candidates[:n]]

    def reason(self, lang: str = "zh") -> str:
        return self.reason_zh if lang == "zh" else self.reason_en


@dataclass(frozen=True)
class PlanReport:
    zone: str
    rows: tuple[PlanReportRow, ...]
    lang: str = "zh"

    def counts(self) -> dict[str, int]:
        """Return how many projects got each verdict."""
        out = {"pass": 0, "review": 0, "fail": 0}
        for r in self.rows:
            out[r.verdict] += 1
        return out

    def to_records(self, lang: str | None = None) -> list[dict[str, Any]]:
        """Return one dict per project with Chinese (``lang="zh"``) or English column names."""
        lang = lang or self.lang
        heads = HEADERS_ZH if lang == "zh" else HEADERS_EN
        recs = []
        for r in self.rows:
            p, rec = r.plan, r.recommendation
            best = rec.candidates[0] if rec.candidates else None
            values = [
                p.number, p.name, p.group, r.industry_label, p.phase, p.investment_yi, p.output_yi,
                p.investment_wan, p.output_wan, p.land_mu,
                None if r.max_justified_mu is None else round(r.max_justified_mu, 2),
                rec.justified.basis if rec.justified else None,
                round(rec.demand_mu, 2),
                "; ".join(r.best()) or None,
                None if best is None else round(best.area_mu, 2),
                None if best is None else round(best.score, 1),
                None if best is None else best.weakest,
                VERDICT_ZH[r.verdict] if lang == "zh" else r.verdict, r.reason(lang), p.note,
            ]
            recs.append(dict(zip(heads, values)))
        return recs

    def to_dataframe(self, lang: str | None = None) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.to_records(lang))


HEADERS_ZH: tuple[str, ...] = (
    "序号", "项目名称", "产业分组", "产业大类/二级产业方向", "建设时序", "投资（亿元）", "年产值（亿元/年）",
    "投资（万元）", "年产值（万元/年）", "规划占地（亩）", "最大可支撑用地（亩）", "强度依据", "用地需求（亩）",
    "推荐地块/组合", "首选面积（亩）", "首选适宜性得分", "首选最弱项", "结论", "说明", "产业归类备注",
)
HEADERS_EN: tuple[str, ...] = (
    "no", "name", "group", "industry", "phase", "investment_yi", "output_yi", "investment_wan",
    "output_wan", "plan_land_mu", "max_justified_mu", "intensity_basis", "demand_mu", "best_sites",
    "best_area_mu", "best_score", "best_weakest", "verdict", "reason", "mapping_note",
)
VERDICT_ZH = {"pass": "通过", "review": "复核", "fail": "不通过"}


def plan_report(
    zone: ZoneConfig,
    parcels: pd.DataFrame,
    projects: list[PlanProject],
    *,
    ledger: CapacityLedger | None = None,
    top: int = 3,
    lang: str = "zh",
    **recommend_options: Any,
) -> PlanReport:
    """Run every plan project through :func:`scoring.recommend.recommend` and return the report.

    Per project: largest justified area (亩), best ``top`` sites, verdict — the best candidate's
    verdict (pass or review), or "fail" with the nearest miss's failing rules. Each project sees
    its own copy of ``ledger`` (no draw-down between projects)."""
    rows = []
    for plan in projects:
        project = plan.to_project()
        cls = classify_industry(zone, project, where=f"plan project {plan.number}")
        rec = recommend(zone, parcels, project, ledger=None if ledger is None else ledger.copy(), top=top, lang=lang,
                        classification=cls, **recommend_options)
        if rec.candidates:
            best = rec.candidates[0]
            verdict = best.verdict
            reason_zh, reason_en = best.reason_zh, best.reason_en
        else:
            verdict = "fail"
            reason_zh, reason_en = _miss_reason(rec)
        rows.append(PlanReportRow(plan, cls.label(lang), rec, verdict, reason_zh, reason_en))
    return PlanReport(zone.zone.id, tuple(rows), lang)


def _miss_reason(rec: Recommendation) -> tuple[str, str]:
    zh, en = [rec.note_zh], [rec.note_en]
    if rec.closest is not None:
        c = rec.closest
        fails = [r for r in c.rules if r.status == "fail"]
        ids = "+".join(c.parcel_ids)
        if fails:
            zh.append(f"最接近的地块 {ids}：" + "；".join(f"{rule_label(r.rule, 'zh')}：{r.message_zh}" for r in fails))
            en.append(f"nearest miss {ids}: " + "; ".join(f"{rule_label(r.rule, 'en')}: {r.message_en}" for r in fails))
        else:
            zh.append(f"最接近的地块 {ids} 面积 {fmt(c.area_mu)} 亩 < 需求 {fmt(rec.demand_mu)} 亩")
            en.append(f"nearest miss {ids} has {fmt(c.area_mu)} 亩 < demand {fmt(rec.demand_mu)} 亩")
    return "。".join(x for x in zh if x), ". ".join(x for x in en if x)


def write_plan_report(report: PlanReport, path: Path | str, *, lang: str | None = None) -> Path:
    """Write the report to ``path`` (.csv or .xlsx, by suffix) and return the path.

    CSV is UTF-8 with a BOM so that Excel shows the Chinese headers."""
    path = Path(path)
    records = report.to_records(lang)
    heads = list(HEADERS_ZH if (lang or report.lang) == "zh" else HEADERS_EN)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputFileError(f"unknown report format {path.suffix!r}", where=str(path),
                             hint="write .xlsx or .csv")
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
    fills = {"pass": "C6EFCE", "review": "FFEB9C", "fail": "FFC7CE",
             "通过": "C6EFCE", "复核": "FFEB9C", "不通过": "FFC7CE"}
    verdict_col = heads.index("结论" if (lang or report.lang) == "zh" else "verdict") + 1
    for rec in records:
        ws.append([rec[h] for h in heads])
        c = ws.cell(row=ws.max_row, column=verdict_col)
        if c.value in fills:
            c.fill = PatternFill("solid", fgColor=fills[c.value])
    widths = {"项目名称": 36, "name": 36, "说明": 80, "reason": 80, "产业归类备注": 50, "mapping_note": 50,
              "推荐地块/组合": 30, "best_sites": 30, "产业大类/二级产业方向": 28, "industry": 28}
    for i, h in enumerate(heads, start=1):
        ws.column_dimensions[get_column_letter(i)].width = widths.get(h, 14)
    ws.freeze_panes = "C2"
    counts = report.counts()
    summary = wb.create_sheet("汇总" if (lang or report.lang) == "zh" else "summary")
    summary.append(["区划 zone", report.zone])
    for k in ("pass", "review", "fail"):
        summary.append([f"{VERDICT_ZH[k]} {k}", counts[k]])
    wb.save(path)
    return path


def plan_report_table(report: PlanReport, lang: str | None = None):
    """Return a rich Table of the report (number, name, justified area, best sites, verdict)."""
    from rich.table import Table

    lang = lang or report.lang
    zh = lang == "zh"
    table = Table(title="规划项目选址（附件 产业发展项目汇总表）" if zh else "Plan projects (appendix)",
                  show_lines=False)
    for head, kw in (("序号" if zh else "No", {"justify": "right"}), ("项目名称" if zh else "Project", {}),
                     ("投资 万元" if zh else "Invest 万元", {"justify": "right"}),
                     ("产值 万元/年" if zh else "Output 万元/yr", {"justify": "right"}),
                     ("可支撑 亩" if zh else "Justified 亩", {"justify": "right"}),
                     ("推荐地块" if zh else "Best sites", {}), ("结论" if zh else "Verdict", {})):
        table.add_column(head, **kw)
    colors = {"pass": "green", "review": "yellow", "fail": "red"}
    for r in report.rows:
        p = r.plan
        v = VERDICT_ZH[r.verdict] if zh else r.verdict
        table.add_row(str(p.number), p.name, fmt(p.investment_wan, 0), fmt(p.output_wan, 0),
                      fmt(r.max_justified_mu, 1), "; ".join(r.best()) or "—",
                      f"[{colors[r.verdict]}]{v}[/]")
    return table
