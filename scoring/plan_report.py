"""The plan report: the plan's own projects run through the recommendation, one row each.

:func:`plan_report` runs every :class:`scoring.plan_projects.PlanProject` through
:func:`scoring.recommend.recommend` and returns one :class:`PlanReportRow` per project: the
largest justified area, the best parcels/groups, the verdict and why. :meth:`PlanReport.to_records`
gives the rows with Chinese or English headers and units; :func:`plan_report_table` renders a rich
table. Writing it to CSV or XLSX is :func:`app.exports.plan_report.write_plan_report`.

By default each project is evaluated on its own (a fresh view of the capacity ledger): the report
answers "where could this project go", not "where would all 47 go together". With
``allocate=True`` the projects are placed one after another by
:func:`scoring.plan_allocation.allocate_projects`, sharing the land and one copy of the ledger;
each row then carries an :class:`~scoring.plan_allocation.Allocation` and the report an
:class:`~scoring.plan_allocation.AllocationSummary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from scoring.admission import fmt
from scoring.capacity import CapacityLedger
from scoring.plan_allocation import Allocation, AllocationSummary, allocate_projects, miss_reason
from scoring.plan_projects import PlanProject
from scoring.project import classify_industry
from scoring.recommend import Recommendation, recommend
from scoring.zone import ZoneConfig


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
            reason_zh, reason_en = miss_reason(rec)
        rows.append(PlanReportRow(plan, cls.label(lang), rec, verdict, reason_zh, reason_en, alloc))
    return PlanReport(zone.zone.id, tuple(rows), lang, summary)


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
    for head, numeric in (
        ("序号" if zh else "No", True),
        ("项目名称" if zh else "Project", False),
        ("投资 万元" if zh else "Invest 万元", True),
        ("产值 万元/年" if zh else "Output 万元/yr", True),
        ("可支撑 亩" if zh else "Justified 亩", True),
        ("推荐地块" if zh else "Best sites", False),
        ("结论" if zh else "Verdict", False),
    ):
        table.add_column(head, justify="right" if numeric else "left")
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
