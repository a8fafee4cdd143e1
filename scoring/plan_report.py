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

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from gis.messages import Joined, Message, Name, msg
from scoring.admission import CheckResult, rule_label
from scoring.capacity import CapacityLedger
from scoring.industry import classify_industry
from scoring.plan_allocation import Allocation, AllocationSummary, allocate_projects, miss_reason
from scoring.plan_projects import PlanProject
from scoring.project import project_park
from scoring.recommend import Recommendation, recommend
from scoring.rulebook import SEVERITY, STATUS_IDS, STATUSES, field_labels
from scoring.zone import ZoneConfig

#: The report's columns: key and the message id of its header (units in it).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "plan.col.number"),
    ("name", "plan.col.name"),
    ("group", "plan.col.group"),
    ("industry", "plan.col.industry"),
    ("phase", "plan.col.phase"),
    ("named_park", "plan.col.named_park"),
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
    ("allocation_order", "plan.col.allocation_order"),
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
VERDICT_IDS: dict[str, str] = dict(STATUS_IDS)
#: The plan's 建设时序 as message ids.
PHASE_IDS: dict[str, str] = {
    "计划实施": "plan.phase.planned",
    "谋划储备": "plan.phase.prepared",
    "前期储备": "plan.phase.early",
}


@dataclass(frozen=True)
class ReasonGroup:
    """Projects with the same verdict for the same reason: ``key`` is the rule ids (fail,
    review; ``no_site`` when there is no parcel at all, ``too_small`` when no site is large
    enough) or the project fields to fill
    (needs_data); ``numbers`` the projects' 序号."""

    verdict: str
    key: tuple[str, ...]
    numbers: tuple[int, ...]

    def message(self) -> Message:
        """Return the group as a sentence: the verdict, how many, why, which projects."""
        if self.verdict == "needs_data":
            why: Message | Joined = msg("plan.why_group.fields", fields=field_labels(self.key))
        elif self.key == ("no_site",):
            why = msg("plan.why_group.no_site")
        elif self.key == ("too_small",):
            why = msg("plan.why_group.too_small")
        else:
            why = msg("plan.why_group.rules", rules=[msg(rule_label(k)) for k in self.key])
        return msg(
            "plan.why_group",
            verdict=msg(VERDICT_IDS[self.verdict]),
            n=len(self.numbers),
            why=why,
            numbers=", ".join(map(str, self.numbers)),
        )


@dataclass(frozen=True)
class PlanReportRow:
    """One plan project's outcome: its industry label and the reason are messages."""

    plan: PlanProject
    industry_label: Message | Name | str
    recommendation: Recommendation
    verdict: str
    reason: Message | Joined
    allocation: Allocation | None = None
    #: The park the project names (its name in each language), None when it names none.
    named_park: Name | None = None

    @property
    def max_justified_mu(self) -> float | None:
        return self.recommendation.max_justified_mu

    @property
    def check(self) -> CheckResult | None:
        """Return the check behind the verdict: the best candidate's, else the nearest miss's."""
        rec = self.recommendation
        return rec.candidates[0].check if rec.candidates else rec.closest

    @property
    def park(self) -> str | None:
        """Return the park of the best candidate (None without one)."""
        rec = self.recommendation
        return rec.candidates[0].park if rec.candidates else None

    def why_key(self) -> tuple[str, ...]:
        """Return what the verdict rests on: the missing fields (needs_data), else the ids of the
        rules with the verdict's status (``no_site``: no parcel at all; ``too_small``: the nearest
        miss fails no rule, it is only too small)."""
        chk = self.check
        if chk is None:
            return ("no_site",)
        if self.verdict == "needs_data":
            return tuple(chk.missing_fields())
        ids = tuple(r.rule for r in chk.rules if r.status == self.verdict)
        return ids or ("too_small",)  # the nearest miss fails no rule: it is too small

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
        """Return how many projects got each verdict (pass, review, needs_data, fail)."""
        out: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for r in self.rows:
            out[r.verdict] += 1
        return out

    def reasons(self) -> list[ReasonGroup]:
        """Return why the projects did not pass, grouped: per verdict (fail, needs_data, review),
        the projects sharing the same rules (fail, review) or missing fields (needs_data), the
        largest group first."""
        groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        for r in self.rows:
            if r.verdict == "pass":
                continue
            groups.setdefault((r.verdict, r.why_key()), []).append(r.plan.number)
        order: dict[str, int] = {s: -SEVERITY[s] for s in STATUSES}
        out = [
            ReasonGroup(verdict, key, tuple(numbers))
            for (verdict, key), numbers in sorted(
                groups.items(), key=lambda kv: (order[kv[0][0]], -len(kv[1]), kv[0][1])
            )
        ]
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
                r.named_park,
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
    verdict (pass, review or needs_data), or "fail" with the nearest miss's failing rules. By
    default each project sees its own copy of ``ledger`` (no draw-down between projects). With
    ``allocate``, the projects are placed in the zone file's 建设时序 order
    (:func:`allocation_order`; rows stay in 序号 order, each with its place), sharing the land and one copy of ``ledger``
    (:func:`allocate_projects`); rows carry an :class:`Allocation` and the report a
    :class:`AllocationSummary`. ``ledger`` itself is never changed."""
    plans = list(projects)
    converted = [p.to_project() for p in plans]
    classes = [
        classify_industry(zone, pr, where=f"plan project {p.number}") for p, pr in zip(plans, converted)
    ]
    for p, pr in zip(plans, converted):
        project_park(zone, pr, where=f"plan project {p.number}")
    if allocate:
        order = allocation_order(zone, plans)
        steps, summary = allocate_projects(
            zone,
            parcels,
            [converted[i] for i in order],
            ledger=ledger,
            classifications=[classes[i] for i in order],
            top=top,
            **recommend_options,
        )
        placed_at = {i: k for k, i in enumerate(order)}
        recs: list[Recommendation] = [steps[placed_at[i]].recommendation for i in range(len(plans))]
        allocations: list[Allocation | None] = [
            replace(steps[placed_at[i]].allocation, order=placed_at[i] + 1) for i in range(len(plans))
        ]
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
        pid = project_park(zone, plan.to_project())
        named = None if pid is None else Name(zone.park(pid).name, zone.park(pid).name_en)
        rows.append(PlanReportRow(plan, cls.label(), rec, verdict, reason, alloc, named))
    return PlanReport(zone.zone.id, tuple(rows), summary)


def allocation_order(zone: ZoneConfig, plans: list[PlanProject]) -> list[int]:
    """Return the indices of ``plans`` in the order they are placed: by the zone file's 建设时序
    (``project_phases``: 计划实施, then 谋划储备, then 前期储备), then by 序号; by 序号 alone when the
    zone file gives no order."""
    phases = zone.project_phases
    return sorted(
        range(len(plans)), key=lambda i: (phases.rank(plans[i].phase) if phases else 0, plans[i].number)
    )


def _allocation_values(a: Allocation | None, p: PlanProject) -> list[Any]:
    """Return the allocation columns of one row (see :data:`ALLOC_COLUMNS`)."""
    if a is None:
        return [None] * len(ALLOC_COLUMNS)
    if not a.placed:
        return [a.order, a.cause_label(), None, None, None, None, None, None, None, a.reason]
    return [
        a.order,
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
