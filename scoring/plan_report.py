"""The plan's own 47 projects (appendix 产业发展项目汇总表) run through the recommendation.

:func:`load_plan_projects` reads ``data/projects/plan_projects.yaml`` (figures in 亿元, as printed
in the plan) into :class:`PlanProject` records; :meth:`PlanProject.to_project` converts them to a
:class:`scoring.project.Project` in 万元 (``gis.units.yi_to_wan``). :func:`plan_report` runs every
project through :func:`scoring.recommend.recommend` and returns one :class:`PlanReportRow` per
project: the largest justified area, the best parcels/groups, the verdict and why.
:func:`write_plan_report` writes CSV (UTF-8 with BOM, for Excel) or XLSX (openpyxl) with Chinese
headers and units; :func:`plan_report_table` renders a rich table.

By default each project is evaluated on its own (a fresh view of the capacity ledger): the report
answers "where could this project go", not "where would all 47 go together". With
``allocate=True`` (:func:`allocate_projects`) the projects are placed one after another in the
order given (the appendix order, 序号 — the plan file has no priority field; 建设时序 is shown, not
used to reorder): each sees only the parcels still free and ONE shared copy of the ledger; its top
candidate (verdict not fail) is allocated — its parcels leave the table and its demand is drawn
down with :meth:`CapacityLedger.admit`. Each row then says which parcels it got or why none
(:data:`CAUSES`), and :class:`AllocationSummary` totals the land (亩) per park and the spare
capacity left per park and service.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gis.errors import ConflictError, InputFileError, SchemaError
from gis.units import yi_to_wan
from scoring.admission import AVAILABLE_STATUSES, cluster_admits, fmt
from scoring.capacity import SERVICE_UNITS, CapacityLedger
from scoring.project import Classification, Project, classify_industry
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
            name=f"{self.number}. {self.name}",
            industry=self.industry,
            branch=self.branch,
            encouraged_description=self.encouraged_description,
            investment_wan=self.investment_wan,
            output_wan=self.output_wan,
            land_mu=self.land_mu,
            note=self.note,
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
    allocation: Allocation | None = None

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
    summary: AllocationSummary | None = None

    @property
    def allocated(self) -> bool:
        """Return True for a report made with ``allocate=True``."""
        return self.summary is not None

    def headers(self, lang: str | None = None) -> tuple[str, ...]:
        """Return the column names: the allocation columns are added in allocate mode."""
        zh = (lang or self.lang) == "zh"
        base = HEADERS_ZH if zh else HEADERS_EN
        return base + ((ALLOC_HEADERS_ZH if zh else ALLOC_HEADERS_EN) if self.allocated else ())

    def counts(self) -> dict[str, int]:
        """Return how many projects got each verdict."""
        out = {"pass": 0, "review": 0, "fail": 0}
        for r in self.rows:
            out[r.verdict] += 1
        return out

    def to_records(self, lang: str | None = None) -> list[dict[str, Any]]:
        """Return one dict per project with Chinese (``lang="zh"``) or English column names."""
        lang = lang or self.lang
        heads = self.headers(lang)
        recs = []
        for r in self.rows:
            p, rec = r.plan, r.recommendation
            best = rec.candidates[0] if rec.candidates else None
            values = [
                p.number,
                p.name,
                p.group,
                r.industry_label,
                p.phase,
                p.investment_yi,
                p.output_yi,
                p.investment_wan,
                p.output_wan,
                p.land_mu,
                None if r.max_justified_mu is None else round(r.max_justified_mu, 2),
                rec.justified.basis if rec.justified else None,
                round(rec.demand_mu, 2),
                "; ".join(r.best()) or None,
                None if best is None else round(best.area_mu, 2),
                None if best is None else round(best.score, 1),
                None if best is None else best.weakest,
                VERDICT_ZH[r.verdict] if lang == "zh" else r.verdict,
                r.reason(lang),
                p.note,
            ]
            if self.allocated:
                values += _allocation_values(r.allocation, p, lang)
            recs.append(dict(zip(heads, values)))
        return recs

    def to_dataframe(self, lang: str | None = None) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.to_records(lang))


HEADERS_ZH: tuple[str, ...] = (
    "序号",
    "项目名称",
    "产业分组",
    "产业大类/二级产业方向",
    "建设时序",
    "投资（亿元）",
    "年产值（亿元/年）",
    "投资（万元）",
    "年产值（万元/年）",
    "规划占地（亩）",
    "最大可支撑用地（亩）",
    "强度依据",
    "用地需求（亩）",
    "推荐地块/组合",
    "首选面积（亩）",
    "首选适宜性得分",
    "首选最弱项",
    "结论",
    "说明",
    "产业归类备注",
)
HEADERS_EN: tuple[str, ...] = (
    "no",
    "name",
    "group",
    "industry",
    "phase",
    "investment_yi",
    "output_yi",
    "investment_wan",
    "output_wan",
    "plan_land_mu",
    "max_justified_mu",
    "intensity_basis",
    "demand_mu",
    "best_sites",
    "best_area_mu",
    "best_score",
    "best_weakest",
    "verdict",
    "reason",
    "mapping_note",
)
VERDICT_ZH = {"pass": "通过", "review": "复核", "fail": "不通过"}


ALLOC_HEADERS_ZH: tuple[str, ...] = (
    "分配结果",
    "分配地块",
    "分配园区",
    "分配组团",
    "分配面积（亩）",
    "分配用地投资强度（万元/亩）",
    "分配用地产出强度（万元/亩）",
    "扣减容量",
    "分配说明",
)
ALLOC_HEADERS_EN: tuple[str, ...] = (
    "allocation",
    "allocated_parcels",
    "allocated_park",
    "allocated_cluster",
    "allocated_mu",
    "allocated_investment_wan_per_mu",
    "allocated_output_wan_per_mu",
    "capacity_drawn",
    "allocation_reason",
)

#: Allocation outcomes (zh, en): placed, or why not.
CAUSES: dict[str, tuple[str, str]] = {
    "placed": ("已分配", "placed"),
    "no_land": ("无准入用地", "no admitting land"),
    "land_taken": ("用地已被前序项目占用", "land taken by earlier projects"),
    "capacity": ("容量不足", "capacity"),
    "rules": ("单独也无合适地块", "no site even alone"),
}
SERVICE_NAMES: dict[str, tuple[str, str]] = {
    "power": ("供电", "power"),
    "water": ("供水", "water"),
    "wastewater": ("污水处理", "wastewater"),
}


def plan_report(
    zone: ZoneConfig,
    parcels: pd.DataFrame,
    projects: list[PlanProject],
    *,
    ledger: CapacityLedger | None = None,
    top: int = 3,
    lang: str = "zh",
    allocate: bool = False,
    **recommend_options: Any,
) -> PlanReport:
    """Run every plan project through :func:`scoring.recommend.recommend` and return the report.

    Per project: largest justified area (亩), best ``top`` sites, verdict — the best candidate's
    verdict (pass or review), or "fail" with the nearest miss's failing rules. By default each
    project sees its own copy of ``ledger`` (no draw-down between projects). With ``allocate``,
    the projects are placed in the order given, sharing the land and one copy of ``ledger``
    (:func:`allocate_projects`); rows carry an :class:`Allocation` and the report a
    :class:`AllocationSummary`. ``ledger`` itself is never changed."""
    plans = list(projects)
    converted = [p.to_project() for p in plans]
    classes = [
        classify_industry(zone, pr, where=f"plan project {p.number}") for p, pr in zip(plans, converted)
    ]
    if allocate:
        steps, summary = allocate_projects(
            zone,
            parcels,
            converted,
            ledger=ledger,
            classifications=classes,
            top=top,
            lang=lang,
            **recommend_options,
        )
        recs: list[Recommendation] = [st.recommendation for st in steps]
        allocations: list[Allocation | None] = [st.allocation for st in steps]
    else:
        summary = None
        recs = [
            recommend(
                zone,
                parcels,
                pr,
                ledger=None if ledger is None else ledger.copy(),
                top=top,
                lang=lang,
                classification=cls,
                **recommend_options,
            )
            for pr, cls in zip(converted, classes)
        ]
        allocations = [None] * len(plans)
    rows = []
    for plan, cls, rec, alloc in zip(plans, classes, recs, allocations):
        if rec.candidates:
            best = rec.candidates[0]
            verdict = best.verdict
            reason_zh, reason_en = best.reason_zh, best.reason_en
        else:
            verdict = "fail"
            reason_zh, reason_en = _miss_reason(rec)
        rows.append(PlanReportRow(plan, cls.label(lang), rec, verdict, reason_zh, reason_en, alloc))
    return PlanReport(zone.zone.id, tuple(rows), lang, summary)


# --------------------------------------------------------------------------- allocation


@dataclass(frozen=True)
class Allocation:
    """Where one project was placed in allocate mode, or why it was not.

    ``cause`` is a key of :data:`CAUSES`; ``area_mu`` in 亩 (0 when not placed); ``drawn`` maps a
    facility name to what was drawn from it, in ``drawn_units`` (MVA or m³/d)."""

    placed: bool
    cause: str
    parcel_ids: tuple[str, ...] = ()
    park: str | None = None
    cluster: str | None = None
    park_name: tuple[str, str] | None = None
    cluster_name: tuple[str, str] | None = None
    area_mu: float = 0.0
    drawn: dict[str, float] = field(default_factory=dict)
    drawn_units: dict[str, str] = field(default_factory=dict)
    reason_zh: str = ""
    reason_en: str = ""

    def reason(self, lang: str = "zh") -> str:
        return self.reason_zh if lang == "zh" else self.reason_en

    def cause_label(self, lang: str = "zh") -> str:
        zh, en = CAUSES[self.cause]
        return zh if lang == "zh" else en

    def drawn_text(self, lang: str = "zh") -> str | None:
        """Return "facility amount unit; …", or None when nothing was drawn."""
        if not self.drawn:
            return None
        sep = "；" if lang == "zh" else "; "
        return sep.join(
            f"{name} {fmt(v)} {self.drawn_units.get(name, '')}".rstrip() for name, v in self.drawn.items()
        )


@dataclass(frozen=True)
class AllocationStep:
    """One project's turn in :func:`allocate_projects`: its recommendation on the parcels still
    free (against the shared ledger) and the outcome."""

    project: Project
    recommendation: Recommendation
    allocation: Allocation


@dataclass(frozen=True)
class CapacityLeft:
    """Spare capacity of one service in one park before and after the allocation (None: unknown,
    with the reason)."""

    park: str
    park_name: tuple[str, str]
    service: str
    unit: str
    spare_before: float | None
    spare_after: float | None
    reason_zh: str | None = None
    reason_en: str | None = None


@dataclass(frozen=True)
class AllocationSummary:
    """Totals of an allocation: projects placed / not placed (by cause), land allocated per park
    (亩; key ``None`` for parcels in no park), the spare capacity left per park and service, and
    ``drawn``: the total drawn per facility (MVA or m³/d)."""

    placed: int
    not_placed: int
    causes: dict[str, int]
    land_mu: dict[str | None, float]
    park_names: dict[str | None, tuple[str, str]]
    capacity: tuple[CapacityLeft, ...]
    drawn: dict[str, float] = field(default_factory=dict)

    @property
    def total_mu(self) -> float:
        return sum(self.land_mu.values())

    def rows(self, lang: str = "zh") -> list[list[Any]]:
        """Return the summary as label/value rows (a sheet or a printed list)."""
        zh = lang == "zh"
        out: list[list[Any]] = [
            ["已分配项目" if zh else "projects placed", self.placed],
            ["未分配项目" if zh else "projects not placed", self.not_placed],
        ]
        for cause, n in self.causes.items():
            if cause != "placed" and n:
                label = CAUSES[cause][0 if zh else 1]
                out.append([f"未分配：{label}" if zh else f"not placed: {label}", n])
        for park, mu in self.land_mu.items():
            name = self.park_names[park][0 if zh else 1]
            out.append([f"{name} 分配用地（亩）" if zh else f"{name} land allocated (亩)", round(mu, 2)])
        out.append(["合计分配用地（亩）" if zh else "total land allocated (亩)", round(self.total_mu, 2)])
        for c in self.capacity:
            name = c.park_name[0 if zh else 1]
            svc = SERVICE_NAMES[c.service][0 if zh else 1]
            label = f"{name} {svc}剩余容量（{c.unit}）" if zh else f"{name} spare {svc} ({c.unit})"
            if c.spare_after is None:
                out.append([label, (f"未知：{c.reason_zh}" if zh else f"unknown: {c.reason_en}")])
            else:
                out.append([label, round(c.spare_after, 2)])
        if self.capacity and self.placed and not self.drawn:
            out.append(
                [
                    "说明" if zh else "note",
                    "未扣减任何容量：已分配项目均未申报用电、用水量（规划附件未给出），或容量未知"
                    if zh
                    else "no capacity was drawn: no placed project declares power or water (the plan's "
                    "appendix gives none), or the capacity is unknown",
                ]
            )
        return out


def allocate_projects(
    zone: ZoneConfig,
    parcels: pd.DataFrame,
    projects: Sequence[Project],
    *,
    ledger: CapacityLedger | None = None,
    classifications: Sequence[Classification] | None = None,
    top: int = 3,
    lang: str = "zh",
    **recommend_options: Any,
) -> tuple[list[AllocationStep], AllocationSummary]:
    """Place ``projects`` one after another, in the order given; return the steps and the summary.

    Each project is recommended (:func:`recommend`) on the parcels not yet allocated, against ONE
    shared copy of ``ledger`` (``ledger`` itself is not changed). When its top candidate's verdict
    is not fail, the candidate's parcels are allocated (removed from the table for the projects
    that follow) and its demand is drawn down with :meth:`CapacityLedger.admit`; a ConflictError
    from ``admit`` leaves the project not placed (cause "capacity"). Without a ledger only land
    is allocated. Areas in 亩."""
    shared = None if ledger is None else ledger.copy()
    table = parcels.reset_index(drop=True)
    ids = table["parcel_id"].astype(str)
    taken: dict[str, str] = {}  # parcel id → project name
    parks = {p.id: p for p in zone.parks}
    clusters = {c.id: c for _, c in zone.clusters()}
    steps: list[AllocationStep] = []
    for i, project in enumerate(projects):
        cls = classifications[i] if classifications is not None else classify_industry(zone, project)
        free = table[~ids.isin(taken)] if taken else table
        rec = recommend(
            zone, free, project, ledger=shared, top=top, lang=lang, classification=cls, **recommend_options
        )
        best = rec.candidates[0] if rec.candidates else None
        if best is not None and best.verdict != "fail":
            alloc = _place(shared, parks, clusters, project, best)
            if alloc.placed:
                taken.update({pid: project.name for pid in best.parcel_ids})
        elif best is not None:  # not reached: candidates fail no rule
            alloc = Allocation(
                False, "rules", reason_zh="首选地块结论为不通过", reason_en="the best site fails"
            )
        else:
            alone = recommend(
                zone,
                table,
                project,
                ledger=None if ledger is None else ledger.copy(),
                top=top,
                lang=lang,
                classification=cls,
                **recommend_options,
            )
            alloc = _not_placed(zone, table, taken, shared, project, cls, rec, alone)
        steps.append(AllocationStep(project, rec, alloc))
    return steps, _summary(zone, ledger, shared, steps)


def _names(
    zone_parks: dict[str, Any], clusters: dict[str, Any], park: str | None, cluster: str | None
) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    p, c = zone_parks.get(park or ""), clusters.get(cluster or "")
    return ((p.name, p.name_en) if p is not None else None, (c.name, c.name_en) if c is not None else None)


def _place(
    shared: CapacityLedger | None,
    parks: dict[str, Any],
    clusters: dict[str, Any],
    project: Project,
    best: Any,
) -> Allocation:
    """Allocate ``best`` (a Candidate) to ``project``; draw its demand from ``shared``."""
    park_name, cluster_name = _names(parks, clusters, best.park, best.cluster)
    park_zh = park_name[0] if park_name else best.park or "—"
    where_zh = park_zh + (cluster_name[0] if cluster_name else best.cluster or "")
    where_en = ", ".join(
        x
        for x in (park_name[1] if park_name else best.park, cluster_name[1] if cluster_name else best.cluster)
        if x
    )
    ids = "+".join(best.parcel_ids)
    drawn: dict[str, float] = {}
    note_zh, note_en = "", ""
    if shared is None:
        note_zh, note_en = "；未提供容量数据，未扣减容量", "; no capacity data: nothing drawn"
    elif best.park not in parks:
        note_zh, note_en = "；地块不属于任何园区，未扣减容量", "; the site lies in no park: nothing drawn"
    else:
        try:
            record = shared.admit(best.park, project, best.parcel_ids)
        except ConflictError as exc:
            return Allocation(
                False,
                "capacity",
                reason_zh=f"未分配：容量不足（{exc.message}）",
                reason_en=f"not placed: capacity ({exc.message})",
            )
        drawn = dict(record.drawn)
        if not drawn:
            note_zh, note_en = (
                "；未扣减容量（项目未申报用电、用水，或容量未知）",
                "; nothing drawn (no power or water declared, or capacity unknown)",
            )
    units = {} if shared is None else {n: SERVICE_UNITS[shared.facilities[n].service] for n in drawn}
    alloc = Allocation(
        True,
        "placed",
        tuple(best.parcel_ids),
        best.park,
        best.cluster,
        park_name,
        cluster_name,
        float(best.area_mu),
        drawn,
        units,
    )
    if drawn:
        note_zh = "；扣减 " + alloc.drawn_text("zh")
        note_en = "; drew " + alloc.drawn_text("en")
    return replace(
        alloc,
        reason_zh=f"分配 {ids}（{where_zh}，{fmt(best.area_mu)} 亩）{note_zh}",
        reason_en=f"allocated {ids} ({where_en}, {fmt(best.area_mu)} 亩){note_en}",
    )


def _admitting_parks(zone: ZoneConfig, table: pd.DataFrame, cls: Classification) -> dict[str, str | None]:
    """Return the available parcels (id → park) of ``table`` whose cluster admits the project
    (pass or review)."""
    avail = table[table["status"].astype(str).isin(AVAILABLE_STATUSES)]
    if "admitted_project" in avail.columns:
        avail = avail[avail["admitted_project"].isna()]
    clusters = {c.id: c for _, c in zone.clusters()}
    out: dict[str, str | None] = {}
    for pid, cl, park in zip(avail["parcel_id"], avail["cluster"], avail.get("park", [None] * len(avail))):
        c = clusters.get(str(cl))
        if c is not None and cluster_admits(zone, c, cls) != "fail":
            out[str(pid)] = None if park is None or (isinstance(park, float) and pd.isna(park)) else str(park)
    return out


def _not_placed(
    zone: ZoneConfig,
    table: pd.DataFrame,
    taken: dict[str, str],
    shared: CapacityLedger | None,
    project: Project,
    cls: Classification,
    rec: Recommendation,
    alone: Recommendation,
) -> Allocation:
    """Return why ``project`` got no site. ``alone`` is its recommendation on the whole table with
    the starting capacity (as in the independent report). Causes: no admitting land at all
    ("no_land"); no site even on its own ("rules"); its own best sites all went to earlier projects
    ("land_taken"); one of them is still free but now fails the capacity left ("capacity")."""
    miss_zh, miss_en = _miss_reason(rec)
    if not _admitting_parks(zone, table, cls):
        cause = "no_land"
        zh, en = "没有准入本项目的组团空闲地块", "no vacant parcel in a cluster that admits the project"
    elif not alone.candidates:
        cause = "rules"
        zh, en = "与其他项目的分配无关", "not due to the other projects"
    elif all(any(pid in taken for pid in c.parcel_ids) for c in alone.candidates):
        sites = ["+".join(c.parcel_ids) for c in alone.candidates]
        takers = list(
            dict.fromkeys(taken[pid] for c in alone.candidates for pid in c.parcel_ids if pid in taken)
        )
        cause = "land_taken"
        zh = f"单独评估时的推荐地块（{'、'.join(sites)}）已分配给前序项目（{'、'.join(takers)}）"
        en = f"its own best sites ({', '.join(sites)}) went to earlier projects ({', '.join(takers)})"
    else:
        free_parks = {
            c.park
            for c in alone.candidates
            if c.park is not None and not any(pid in taken for pid in c.parcel_ids)
        }
        short = _capacity_short(shared, zone, project, free_parks)
        cause = "capacity"
        if short:
            zh, en = "；".join(short[0].values()), "; ".join(short[1].values())
        else:  # not expected: a free site that passed alone fails now only through the shared ledger
            zh, en = (
                "前序项目用去的容量使其余地块不再满足规则",
                "the capacity used by earlier projects rules out the free sites",
            )
    label_zh, label_en = CAUSES[cause]
    return Allocation(
        False,
        cause,
        reason_zh=f"未分配（{label_zh}）：{zh}。{miss_zh}",
        reason_en=f"not placed ({label_en}): {en}. {miss_en}",
    )


def _capacity_short(
    shared: CapacityLedger | None, zone: ZoneConfig, project: Project, park_ids: set[str]
) -> tuple[dict[str, str], dict[str, str]] | None:
    """Return, for each park of ``park_ids`` where some known demand exceeds the spare capacity
    left, the shortfall text (zh, en); None without a ledger."""
    if shared is None or not park_ids:
        return None
    names = {p.id: p for p in zone.parks}
    demand = shared.demand(project)
    zh: dict[str, str] = {}
    en: dict[str, str] = {}
    for pid in sorted(park_ids):
        if pid not in names:
            continue
        over = [s for s, ok in shared.fits(pid, project).items() if ok is False]
        if not over:
            continue
        parts_zh, parts_en = [], []
        for s in over:
            unit, spare, need = SERVICE_UNITS[s], shared.supply(pid, s).spare, demand.of(s)
            parts_zh.append(f"{SERVICE_NAMES[s][0]}需 {fmt(need)} {unit} > 剩余 {fmt(spare)} {unit}")
            parts_en.append(f"{SERVICE_NAMES[s][1]} needs {fmt(need)} {unit} > {fmt(spare)} {unit} spare")
        zh[pid] = f"{names[pid].name}{'、'.join(parts_zh)}（已扣除前序项目用量）"
        en[pid] = f"{names[pid].name_en}: {', '.join(parts_en)} (after earlier projects)"
    return zh, en


def _summary(
    zone: ZoneConfig, before: CapacityLedger | None, after: CapacityLedger | None, steps: list[AllocationStep]
) -> AllocationSummary:
    causes = {k: 0 for k in CAUSES}
    land: dict[str | None, float] = {p.id: 0.0 for p in zone.parks}
    names: dict[str | None, tuple[str, str]] = {p.id: (p.name, p.name_en) for p in zone.parks}
    for st in steps:
        a = st.allocation
        causes[a.cause] += 1
        if a.placed:
            key = a.park if a.park in land else None
            land[key] = land.get(key, 0.0) + a.area_mu
            names.setdefault(key, a.park_name or ("无园区", "no park"))
    cap: list[CapacityLeft] = []
    if before is not None and after is not None:
        for p in zone.parks:
            for s in ("power", "water", "wastewater"):
                b, a = before.supply(p.id, s), after.supply(p.id, s)
                cap.append(
                    CapacityLeft(
                        p.id,
                        (p.name, p.name_en),
                        s,
                        SERVICE_UNITS[s],
                        b.spare,
                        a.spare,
                        a.reason_zh,
                        a.reason_en,
                    )
                )
    drawn: dict[str, float] = {}
    for st in steps:
        for name, v in st.allocation.drawn.items():
            drawn[name] = drawn.get(name, 0.0) + v
    placed = causes["placed"]
    return AllocationSummary(placed, len(steps) - placed, causes, land, names, tuple(cap), drawn)


def _allocation_values(a: Allocation | None, p: PlanProject, lang: str) -> list[Any]:
    """Return the allocation columns of one row (see :data:`ALLOC_HEADERS_ZH`)."""
    if a is None:
        return [None] * len(ALLOC_HEADERS_ZH)
    k = 0 if lang == "zh" else 1
    if not a.placed:
        return [a.cause_label(lang), None, None, None, None, None, None, None, a.reason(lang)]
    return [
        a.cause_label(lang),
        "+".join(a.parcel_ids),
        a.park_name[k] if a.park_name else a.park,
        a.cluster_name[k] if a.cluster_name else a.cluster,
        round(a.area_mu, 2),
        round(p.investment_wan / a.area_mu, 1) if a.area_mu > 0 else None,
        round(p.output_wan / a.area_mu, 1) if a.area_mu > 0 else None,
        a.drawn_text(lang),
        a.reason(lang),
    ]


def _miss_reason(rec: Recommendation) -> tuple[str, str]:
    zh, en = [rec.note_zh], [rec.note_en]
    if rec.closest is not None:
        c = rec.closest
        fails = [r for r in c.rules if r.status == "fail"]
        ids = "+".join(c.parcel_ids)
        if fails:
            zh.append(
                f"最接近的地块 {ids}："
                + "；".join(f"{rule_label(r.rule, 'zh')}：{r.message_zh}" for r in fails)
            )
            en.append(
                f"nearest miss {ids}: "
                + "; ".join(f"{rule_label(r.rule, 'en')}: {r.message_en}" for r in fails)
            )
        else:
            zh.append(f"最接近的地块 {ids} 面积 {fmt(c.area_mu)} 亩 < 需求 {fmt(rec.demand_mu)} 亩")
            en.append(f"nearest miss {ids} has {fmt(c.area_mu)} 亩 < demand {fmt(rec.demand_mu)} 亩")
    return "。".join(x for x in zh if x), ". ".join(x for x in en if x)


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


def plan_report_table(report: PlanReport, lang: str | None = None):
    """Return a rich Table of the report (number, name, justified area, best sites, verdict; in
    allocate mode also the allocated parcels, their 亩 and the outcome)."""
    from rich.table import Table

    lang = lang or report.lang
    zh = lang == "zh"
    table = Table(
        title="规划项目选址（附件 产业发展项目汇总表）" if zh else "Plan projects (appendix)",
        show_lines=False,
    )
    for head, kw in (
        ("序号" if zh else "No", {"justify": "right"}),
        ("项目名称" if zh else "Project", {}),
        ("投资 万元" if zh else "Invest 万元", {"justify": "right"}),
        ("产值 万元/年" if zh else "Output 万元/yr", {"justify": "right"}),
        ("可支撑 亩" if zh else "Justified 亩", {"justify": "right"}),
        ("推荐地块" if zh else "Best sites", {}),
        ("结论" if zh else "Verdict", {}),
    ):
        table.add_column(head, **kw)
    if report.allocated:
        table.add_column("分配地块" if zh else "Allocated")
        table.add_column("分配 亩" if zh else "Alloc. 亩", justify="right")
        table.add_column("分配结果" if zh else "Allocation")
    colors = {"pass": "green", "review": "yellow", "fail": "red"}
    for r in report.rows:
        p = r.plan
        v = VERDICT_ZH[r.verdict] if zh else r.verdict
        cells = [
            str(p.number),
            p.name,
            fmt(p.investment_wan, 0),
            fmt(p.output_wan, 0),
            fmt(r.max_justified_mu, 1),
            "; ".join(r.best()) or "—",
            f"[{colors[r.verdict]}]{v}[/]",
        ]
        if report.allocated:
            a = r.allocation
            if a is not None and a.placed:
                cells += ["+".join(a.parcel_ids), fmt(a.area_mu, 1), f"[green]{a.cause_label(lang)}[/]"]
            else:
                cells += ["—", "—", f"[red]{a.cause_label(lang) if a else '—'}[/]"]
        table.add_row(*cells)
    return table
