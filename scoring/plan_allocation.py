"""Allocate mode of the plan report: the plan's projects placed one after another.

:func:`allocate_projects` places projects in the order given (the plan report gives them in the
plan's 建设时序 — 计划实施, 谋划储备, 前期储备, as the zone file's ``project_phases`` lists them — and
by 序号 within each, :func:`scoring.plan_report.allocation_order`): each sees only the
parcels still free and ONE shared copy of the capacity ledger; its top candidate (verdict not
fail) is allocated — its parcels leave the table and its demand is drawn down with
:meth:`scoring.capacity.CapacityLedger.admit`. Each project gets an :class:`Allocation` saying
which parcels it got or why none (:data:`CAUSES`), and :class:`AllocationSummary` totals the land
(亩) per park and the spare capacity left per park and service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from gis.errors import ConflictError
from gis.messages import Joined, Message, Name, joined, msg
from scoring.admission import AVAILABLE_STATUSES, cluster_admits, fmt, rule_label
from scoring.capacity import SERVICE_IDS, SERVICE_UNITS, SERVICES, CapacityLedger
from scoring.industry import Classification, classify_industry
from scoring.project import Project, project_park
from scoring.recommend import Recommendation, recommend
from scoring.zone import ZoneConfig

#: Allocation outcomes: placed, or why not; each with the message id naming it.
CAUSES: dict[str, str] = {
    "placed": "plan.cause.placed",
    "no_land": "plan.cause.no_land",
    "land_taken": "plan.cause.land_taken",
    "capacity": "plan.cause.capacity",
    "rules": "plan.cause.rules",
}


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
    park_name: Name | None = None
    cluster_name: Name | None = None
    area_mu: float = 0.0
    drawn: dict[str, float] = field(default_factory=dict)
    drawn_units: dict[str, str] = field(default_factory=dict)
    reason: Message | None = None
    #: The project's place in the allocation order (1 = first placed; 0 when not set).
    order: int = 0

    def cause_label(self) -> Message:
        """Return the outcome as a message (已分配 / placed, or why not)."""
        return msg(CAUSES[self.cause])

    def drawn_text(self) -> Joined | None:
        """Return "facility amount unit; …" as joined items, or None when nothing was drawn."""
        if not self.drawn:
            return None
        return joined(
            (
                msg("plan.drawn_item", facility=name, amount=fmt(v), unit=self.drawn_units.get(name, ""))
                for name, v in self.drawn.items()
            ),
            "semicolon",
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
    park_name: Name
    service: str
    unit: str
    spare_before: float | None
    spare_after: float | None
    reason: Message | Joined | None = None


@dataclass(frozen=True)
class AllocationSummary:
    """Totals of an allocation: projects placed / not placed (by cause), land allocated per park
    (亩; key ``None`` for parcels in no park), the spare capacity left per park and service, and
    ``drawn``: the total drawn per facility (MVA or m³/d)."""

    placed: int
    not_placed: int
    causes: dict[str, int]
    land_mu: dict[str | None, float]
    park_names: dict[str | None, Name | Message]
    capacity: tuple[CapacityLeft, ...]
    drawn: dict[str, float] = field(default_factory=dict)

    @property
    def total_mu(self) -> float:
        return sum(self.land_mu.values())

    def rows(self) -> list[list[Any]]:
        """Return the summary as label/value rows (a sheet or a printed list); labels (and values
        that are texts) are messages, areas in 亩 rounded to 0.01."""
        out: list[list[Any]] = [
            [msg("plan.summary.placed"), self.placed],
            [msg("plan.summary.not_placed"), self.not_placed],
        ]
        for cause, n in self.causes.items():
            if cause != "placed" and n:
                out.append([msg("plan.summary.not_placed_cause", cause=msg(CAUSES[cause])), n])
        for park, mu in self.land_mu.items():
            out.append([msg("plan.summary.land", park=self.park_names[park]), round(mu, 2)])
        out.append([msg("plan.summary.total_land"), round(self.total_mu, 2)])
        for c in self.capacity:
            label = msg(
                "plan.summary.spare", park=c.park_name, service=msg(SERVICE_IDS[c.service]), unit=c.unit
            )
            if c.spare_after is None:
                out.append([label, msg("plan.summary.unknown", reason=c.reason)])
            else:
                out.append([label, round(c.spare_after, 2)])
        if self.capacity and self.placed and not self.drawn:
            out.append([msg("plan.summary.note"), msg("plan.summary.nothing_drawn")])
        return out


def allocate_projects(
    zone: ZoneConfig,
    parcels: pd.DataFrame,
    projects: Sequence[Project],
    *,
    ledger: CapacityLedger | None = None,
    classifications: Sequence[Classification] | None = None,
    top: int = 3,
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
        rec = recommend(zone, free, project, ledger=shared, top=top, classification=cls, **recommend_options)
        best = rec.candidates[0] if rec.candidates else None
        if best is not None and best.verdict != "fail":
            alloc = _place(shared, parks, clusters, project, best)
            if alloc.placed:
                taken.update({pid: project.name for pid in best.parcel_ids})
        elif best is not None:  # not reached: candidates fail no rule
            alloc = Allocation(False, "rules", reason=msg("plan.best_fails"))
        else:
            alone = recommend(
                zone,
                table,
                project,
                ledger=None if ledger is None else ledger.copy(),
                top=top,
                classification=cls,
                **recommend_options,
            )
            alloc = _not_placed(zone, table, taken, shared, project, cls, rec, alone)
        steps.append(AllocationStep(project, rec, alloc))
    return steps, _summary(zone, ledger, shared, steps)


def _names(
    zone_parks: dict[str, Any], clusters: dict[str, Any], park: str | None, cluster: str | None
) -> tuple[Name | None, Name | None]:
    p, c = zone_parks.get(park or ""), clusters.get(cluster or "")
    return (
        Name(p.name, p.name_en) if p is not None else None,
        Name(c.name, c.name_en) if c is not None else None,
    )


def _place(
    shared: CapacityLedger | None,
    parks: dict[str, Any],
    clusters: dict[str, Any],
    project: Project,
    best: Any,
) -> Allocation:
    """Allocate ``best`` (a Candidate) to ``project``; draw its demand from ``shared``."""
    park_name, cluster_name = _names(parks, clusters, best.park, best.cluster)
    where = msg(
        "plan.where",
        park=park_name or best.park or "—",
        cluster=cluster_name or best.cluster or "—",
    )
    ids = "+".join(best.parcel_ids)
    drawn: dict[str, float] = {}
    note: Message | str = ""
    if shared is None:
        note = msg("plan.note.no_capacity_data")
    elif best.park not in parks:
        note = msg("plan.note.no_park")
    else:
        try:
            record = shared.admit(best.park, project, best.parcel_ids)
        except ConflictError as exc:
            return Allocation(
                False, "capacity", reason=msg("plan.not_placed_capacity", reason=exc.user_message())
            )
        drawn = dict(record.drawn)
        if not drawn:
            note = msg("plan.note.nothing_drawn")
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
        note = msg("plan.note.drew", drawn=alloc.drawn_text())
    return replace(
        alloc, reason=msg("plan.allocated", parcels=ids, where=where, area=fmt(best.area_mu), note=note)
    )


def _admitting_parks(
    zone: ZoneConfig, table: pd.DataFrame, cls: Classification, park: str | None = None
) -> dict[str, str | None]:
    """Return the available parcels (id → park) of ``table`` whose cluster admits the project
    (anything but fail), only those in ``park`` when the project names one."""
    avail = table[table["status"].astype(str).isin(AVAILABLE_STATUSES)]
    if "admitted_project" in avail.columns:
        avail = avail[avail["admitted_project"].isna()]
    clusters = {c.id: c for _, c in zone.clusters()}
    out: dict[str, str | None] = {}
    for pid, cl, pk in zip(avail["parcel_id"], avail["cluster"], avail.get("park", [None] * len(avail))):
        c = clusters.get(str(cl))
        if c is not None and cluster_admits(zone, c, cls) != "fail":
            out[str(pid)] = None if pk is None or (isinstance(pk, float) and pd.isna(pk)) else str(pk)
    if park is not None:
        out = {k: v for k, v in out.items() if v == park}
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
    miss = miss_reason(rec)
    why: Message | Joined
    if not _admitting_parks(zone, table, cls, project_park(zone, project)):
        cause = "no_land"
        why = msg("plan.why.no_land")
    elif not alone.candidates:
        cause = "rules"
        why = msg("plan.why.rules")
    elif all(any(pid in taken for pid in c.parcel_ids) for c in alone.candidates):
        sites = ["+".join(c.parcel_ids) for c in alone.candidates]
        takers = list(
            dict.fromkeys(taken[pid] for c in alone.candidates for pid in c.parcel_ids if pid in taken)
        )
        cause = "land_taken"
        why = msg("plan.why.land_taken", sites=sites, takers=takers)
    else:
        free_parks = {
            c.park
            for c in alone.candidates
            if c.park is not None and not any(pid in taken for pid in c.parcel_ids)
        }
        short = _capacity_short(shared, zone, project, free_parks)
        cause = "capacity"
        if short:
            why = joined(short.values(), "semicolon")
        else:  # not expected: a free site that passed alone fails now only through the shared ledger
            why = msg("plan.why.capacity_used")
    return Allocation(
        False, cause, reason=msg("plan.not_placed", cause=msg(CAUSES[cause]), why=why, miss=miss)
    )


def _capacity_short(
    shared: CapacityLedger | None, zone: ZoneConfig, project: Project, park_ids: set[str]
) -> dict[str, Message] | None:
    """Return, for each park of ``park_ids`` where some known demand exceeds the spare capacity
    left, the shortfall as a message; None without a ledger."""
    if shared is None or not park_ids:
        return None
    names = {p.id: p for p in zone.parks}
    demand = shared.demand(project)
    out: dict[str, Message] = {}
    for pid in sorted(park_ids):
        if pid not in names:
            continue
        fits = shared.fits(pid, project)
        over = [s for s in SERVICES if fits[s] is False]
        if not over:
            continue
        parts = [
            msg(
                "plan.shortfall_part",
                what=msg(SERVICE_IDS[s]),
                need=fmt(demand.of(s)),
                spare=fmt(shared.supply(pid, s).spare),
                unit=SERVICE_UNITS[s],
            )
            for s in over
        ]
        out[pid] = msg("plan.shortfall", park=Name(names[pid].name, names[pid].name_en), parts=parts)
    return out


def _summary(
    zone: ZoneConfig, before: CapacityLedger | None, after: CapacityLedger | None, steps: list[AllocationStep]
) -> AllocationSummary:
    causes = {k: 0 for k in CAUSES}
    land: dict[str | None, float] = {p.id: 0.0 for p in zone.parks}
    names: dict[str | None, Name | Message] = {p.id: Name(p.name, p.name_en) for p in zone.parks}
    for st in steps:
        a = st.allocation
        causes[a.cause] += 1
        if a.placed:
            key = a.park if a.park in land else None
            land[key] = land.get(key, 0.0) + a.area_mu
            names.setdefault(key, a.park_name or msg("plan.no_park"))
    cap: list[CapacityLeft] = []
    if before is not None and after is not None:
        for p in zone.parks:
            for s in SERVICES:
                was, left = before.supply(p.id, s), after.supply(p.id, s)
                cap.append(
                    CapacityLeft(
                        p.id, Name(p.name, p.name_en), s, SERVICE_UNITS[s], was.spare, left.spare, left.reason
                    )
                )
    drawn: dict[str, float] = {}
    for st in steps:
        for name, v in st.allocation.drawn.items():
            drawn[name] = drawn.get(name, 0.0) + v
    placed = causes["placed"]
    return AllocationSummary(placed, len(steps) - placed, causes, land, names, tuple(cap), drawn)


def miss_reason(rec: Recommendation) -> Joined:
    """Return why ``rec`` has no candidate: its note and the nearest miss's failing rules, or the
    nearest miss's area against the demand (亩), as sentences."""
    parts: list[Message] = [rec.note] if rec.note is not None else []
    if rec.closest is not None:
        c = rec.closest
        fails = [r for r in c.rules if r.status == "fail"]
        ids = "+".join(c.parcel_ids)
        if fails:
            rules = joined(
                (msg("plan.rule_failed", rule=msg(rule_label(r.rule)), message=r.message) for r in fails),
                "semicolon",
            )
            parts.append(msg("plan.miss_rules", parcels=ids, rules=rules))
        else:
            parts.append(msg("plan.miss_area", parcels=ids, area=fmt(c.area_mu), demand=fmt(rec.demand_mu)))
    return joined(parts, "sentence")
