"""The plan report: the plan's own projects run through the recommendation, one row each.

:func:`plan_report` runs every :class:`scoring.plan_projects.PlanProject` through
:func:`scoring.recommend.recommend` and returns one :class:`PlanReportRow` per project: the
largest justified area, the best parcels/groups, the verdict and why (a message).
:meth:`PlanReport.to_records` gives the rows by column key (:data:`COLUMNS`, each with the message
id of its header); rendering them in a language — the CSV/XLSX file and the printed table — is
:mod:`app.exports.plan_report`.

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

from gis.messages import Joined, Message, Name, msg
from scoring.capacity import CapacityLedger
from scoring.industry import classify_industry
from scoring.plan_allocation import Allocation, AllocationSummary, allocate_projects, miss_reason
from scoring.plan_projects import PlanProject
from scoring.recommend import Recommendation, recommend
from scoring.zone import ZoneConfig

#: The report's columns: key and the message id of its header (units in it).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "plan.col.number"),
    ("name", "plan.col.name"),
    ("group", "plan.col.group"),
    ("industry", "plan.col.industry"),
    ("phase", "plan.col.phase"),
    ("investment_yi", "plan.col.investment_yi"),
    ("output_yi", "plan.col.output_yi"),
    ("investment_wan", "plan.col.investment_wan"),
    ("output_wan", "plan.col.output_wan"),
    ("plan_land_mu", "plan.col.plan_land_mu"),
    ("max_justified_mu", "plan.col.max_justified_mu"),
    ("intensity_basis", "plan.col.intensity_basis"),
    ("demand_mu", "plan.col.demand_mu"),
    ("best_sites", "plan.col.best_sites"),
    ("best_area_mu", "plan.col.best_area_mu"),
    ("best_score", "plan.col.best_score"),
    ("best_weakest", "plan.col.best_weakest"),
    ("verdict", "plan.col.verdict"),
    ("reason", "plan.col.reason"),
    ("mapping_note", "plan.col.mapping_note"),
)
#: The columns added in allocate mode.
ALLOC_COLUMNS: tuple[tuple[str, str], ...] = (
    ("allocation", "plan.col.allocation"),
    ("allocated_parcels", "plan.col.allocated_parcels"),
    ("allocated_park", "plan.col.allocated_park"),
    ("allocated_cluster", "plan.col.allocated_cluster"),
    ("allocated_mu", "plan.col.allocated_mu"),
    ("allocated_investment_wan_per_mu", "plan.col.allocated_investment_wan_per_mu"),
    ("allocated_output_wan_per_mu", "plan.col.allocated_output_wan_per_mu"),
    ("capacity_drawn", "plan.col.capacity_drawn"),
    ("allocation_reason", "plan.col.allocation_reason"),
)
#: A verdict as message ids.
VERDICT_IDS: dict[str, str] = {"pass": "status.pass", "review": "status.review", "fail": "status.fail"}
#: The plan's 建设时序 as message ids.
PHASE_IDS: dict[str, str] = {
    "计划实施": "plan.phase.planned",
    "谋划储备": "plan.phase.prepared",
    "前期储备": "plan.phase.early",
}


@dataclass(frozen=True)
class PlanReportRow:
    """One plan project's outcome: its industry label and the reason are messages."""

    plan: PlanProject
    industry_label: Message | Name | str
    recommendation: Recommendation
    verdict: str
    reason: Message | Joined
    allocation: Allocation | None = None

    @property
    def max_justified_mu(self) -> float | None:
        return self.recommendation.max_justified_mu

    def best(self, n: int = 3) -> list[str]:
        """Return the ``n`` best sites as "A" or "A+B" strings."""
        return ["+".join(c.parcel_ids) for c in self.recommendation.candidates[:n]]


@dataclass(frozen=True)
class PlanReport:
    zone: str
    rows: tuple[PlanReportRow, ...]
    summary: AllocationSummary | None = None

    @property
    def allocated(self) -> bool:
        """Return True for a report made with ``allocate=True``."""
        return self.summary is not None

    def columns(self) -> tuple[tuple[str, str], ...]:
        """Return the columns (key, header message id); the allocation columns in allocate mode."""
        return COLUMNS + (ALLOC_COLUMNS if self.allocated else ())

    def counts(self) -> dict[str, int]:
        """Return how many projects got each verdict."""
        out = {"pass": 0, "review": 0, "fail": 0}
        for r in self.rows:
            out[r.verdict] += 1
        return out

    def to_records(self) -> list[dict[str, Any]]:
        """Return one dict per project by column key: figures (亿元, 万元, 亩 rounded to 0.01) and
        texts as messages or names (render them at the edge)."""
        keys = [k for k, _ in self.columns()]
        recs = []
        for r in self.rows:
            p, rec = r.plan, r.recommendation
            best = rec.candidates[0] if rec.candidates else None
            values = [
                p.number,
                p.name,
                p.group,
                r.industry_label,
                msg(PHASE_IDS[p.phase], phase=p.phase) if p.phase in PHASE_IDS else p.phase,
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
                msg(VERDICT_IDS[r.verdict]),
                r.reason,
                p.note,
            ]
            if self.allocated:
                values += _allocation_values(r.allocation, p)
            recs.append(dict(zip(keys, values)))
        return recs

    def to_dataframe(self) -> pd.DataFrame:
        """Return :meth:`to_records` as a DataFrame (texts still messages)."""
        return pd.DataFrame.from_records(self.to_records())


def plan_report(
    zone: ZoneConfig,
    parcels: pd.DataFrame,
    projects: list[PlanProject],
    *,
    ledger: CapacityLedger | None = None,
    top: int = 3,
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
            zone, parcels, converted, ledger=ledger, classifications=classes, top=top, **recommend_options
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
                classification=cls,
                **recommend_options,
            )
            for pr, cls in zip(converted, classes)
        ]
        allocations = [None] * len(plans)
    rows = []
    for plan, cls, rec, alloc in zip(plans, classes, recs, allocations):
        reason: Message | Joined
        if rec.candidates:
            best = rec.candidates[0]
            verdict, reason = best.verdict, best.reason
        else:
            verdict, reason = "fail", miss_reason(rec)
        rows.append(PlanReportRow(plan, cls.label(), rec, verdict, reason, alloc))
    return PlanReport(zone.zone.id, tuple(rows), summary)


def _allocation_values(a: Allocation | None, p: PlanProject) -> list[Any]:
    """Return the allocation columns of one row (see :data:`ALLOC_COLUMNS`)."""
    if a is None:
        return [None] * len(ALLOC_COLUMNS)
    if not a.placed:
        return [a.cause_label(), None, None, None, None, None, None, None, a.reason]
    return [
        a.cause_label(),
        "+".join(a.parcel_ids),
        a.park_name or a.park,
        a.cluster_name or a.cluster,
        round(a.area_mu, 2),
        round(p.investment_wan / a.area_mu, 1) if a.area_mu > 0 else None,
        round(p.output_wan / a.area_mu, 1) if a.area_mu > 0 else None,
        a.drawn_text(),
        a.reason,
    ]
