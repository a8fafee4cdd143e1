"""Allocate mode of the plan report: the plan's projects placed one after another.

:func:`allocate_projects` places projects in the order given (the appendix order, 序号 — the
plan file has no priority field; 建设时序 is shown, not used to reorder): each sees only the
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
from scoring.admission import AVAILABLE_STATUSES, cluster_admits, fmt
from scoring.capacity import SERVICE_UNITS, CapacityLedger
from scoring.project import Classification, Project, classify_industry
from scoring.recommend import Recommendation, recommend, rule_label
from scoring.zone import ZoneConfig

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
        note_zh = "；扣减 " + (alloc.drawn_text("zh") or "")
        note_en = "; drew " + (alloc.drawn_text("en") or "")
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
    miss_zh, miss_en = miss_reason(rec)
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
                was, left = before.supply(p.id, s), after.supply(p.id, s)
                cap.append(
                    CapacityLeft(
                        p.id,
                        (p.name, p.name_en),
                        s,
                        SERVICE_UNITS[s],
                        was.spare,
                        left.spare,
                        left.reason_zh,
                        left.reason_en,
                    )
                )
    drawn: dict[str, float] = {}
    for st in steps:
        for name, v in st.allocation.drawn.items():
            drawn[name] = drawn.get(name, 0.0) + v
    placed = causes["placed"]
    return AllocationSummary(placed, len(steps) - placed, causes, land, names, tuple(cap), drawn)


def miss_reason(rec: Recommendation) -> tuple[str, str]:
    """Return why ``rec`` has no candidate (zh, en): its note and the nearest miss's failing rules,
    or the nearest miss's area against the demand (亩)."""
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
