"""标准地 sheets: the control indicators an investor commits to before a vacant parcel is offered
as "standard land" (land sold with its indicators fixed in advance, 承诺制).

For each industry (and 二级产业方向) the parcel's cluster admits (表8-1; none, with a note first,
for a cluster whose admits are not set yet), the sheet gives the 表9-6
row that applies and, for this parcel's area, the minimum total fixed-asset investment
(area × investment intensity, 万元) and annual output (area × output intensity, 万元/年), the online
monitoring and 三废 requirements; industries without a 表9-6 row show the 表6-1 targets as
reference. The zone's ``land_controls`` (building coefficient, admin/living share, green ratio)
close the sheet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gis.errors import ConflictError, SchemaError
from gis.messages import Joined, Message, Name, joined, msg
from scoring.admission import fmt, unset_admits_message
from scoring.citations import cite
from scoring.rules_site import parcel_status
from scoring.zone import AdmissionCondition, Cluster, Industry, ZoneConfig


@dataclass(frozen=True)
class IndicatorRow:
    """The indicators for one industry (some or all of its branches) on one parcel."""

    industry: str
    industry_en: str
    branches: tuple[str, ...]  # empty: all branches of the industry
    condition: str | None  # 表9-6 row name; None: no row (reference targets shown)
    investment_intensity_wan_per_mu: float | None
    output_intensity_wan_per_mu: float | None
    min_investment_wan: float | None
    min_output_wan: float | None
    online_monitoring_required: bool | None
    waste_treatment_pct_min: float | None
    water_energy: str | None
    reference: bool
    source: Joined
    review: bool = False  # admitted only under review (产业备用地)

    def to_dict(self) -> dict[str, Any]:
        return {
            "industry": self.industry,
            "industry_en": self.industry_en,
            "branches": list(self.branches),
            "condition": self.condition,
            "investment_intensity_wan_per_mu": self.investment_intensity_wan_per_mu,
            "output_intensity_wan_per_mu": self.output_intensity_wan_per_mu,
            "min_investment_wan": _r(self.min_investment_wan),
            "min_output_wan": _r(self.min_output_wan),
            "online_monitoring_required": self.online_monitoring_required,
            "waste_treatment_pct_min": self.waste_treatment_pct_min,
            "water_energy": self.water_energy,
            "reference": self.reference,
            "review": self.review,
            "source": self.source,
        }


@dataclass(frozen=True)
class StandardLandSheet:
    """A vacant parcel's 标准地 sheet."""

    parcel_id: str
    park: str | None
    cluster: str
    cluster_name: Name
    area_mu: float
    score: float | None
    score_class: str | None
    excluded: bool | None
    rows: tuple[IndicatorRow, ...]
    land_controls: dict[str, Any] | None
    notes: tuple[Message, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Return the sheet as JSON data (money in 万元, areas in 亩); texts are still messages."""
        return {
            "parcel_id": self.parcel_id,
            "park": self.park,
            "cluster": self.cluster,
            "cluster_name": self.cluster_name,
            "area_mu": _r(self.area_mu),
            "score": None if self.score is None else round(self.score, 2),
            "class": self.score_class,
            "excluded": self.excluded,
            "industries": [r.to_dict() for r in self.rows],
            "land_controls": self.land_controls,
            "notes": list(self.notes),
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _admitted_industries(zone: ZoneConfig, cl: Cluster) -> list[tuple[Industry, list[str] | None]]:
    """Return the industries a cluster admits, each once (entries of one industry merged), with
    the admitted 二级产业方向 in the entries' order (None: all of them)."""
    merged: dict[str, tuple[Industry, list[str] | None]] = {}
    for adm in cl.admits or []:
        ind = zone.find_industry(adm.industry)
        if ind is None:
            continue
        _, had = merged.get(ind.name, (ind, []))
        brs = None if had is None or adm.branches is None else had + [b for b in adm.branches if b not in had]
        merged[ind.name] = (ind, brs)
    return [
        (ind, None if brs is not None and set(brs) == {b.name for b in ind.branches} else brs)
        for ind, brs in merged.values()
    ]


def _rows_for_industry(
    zone: ZoneConfig, ind: Industry, branches: list[str] | None, area: float, source: Name
) -> list[IndicatorRow]:
    """Return one IndicatorRow per 表9-6 row that applies to the admitted branches."""
    names = branches if branches is not None else [b.name for b in ind.branches]
    by_cond: dict[str | None, list[str]] = {}
    for name in names:
        cond = zone.admission_for(ind, ind.branch(name))
        by_cond.setdefault(cond.industry if cond else None, []).append(name)
    out = []
    for cond_name, brs in by_cond.items():
        cond = next((a for a in zone.admission if a.industry == cond_name), None)
        all_branches = branches is None and len(by_cond) == 1
        out.append(
            _row(zone, ind.name, ind.name_en, tuple() if all_branches else tuple(brs), cond, area, source)
        )
    return out


def _row(
    zone: ZoneConfig,
    name: str,
    name_en: str,
    branches: tuple[str, ...],
    cond: AdmissionCondition | None,
    area: float,
    source: Name,
    review: bool = False,
) -> IndicatorRow:
    if cond is not None:
        inv, out = cond.investment_intensity_wan_per_mu, cond.output_intensity_wan_per_mu
        return IndicatorRow(
            name,
            name_en,
            branches,
            cond.industry,
            inv,
            out,
            inv * area,
            out * area,
            cond.online_monitoring_required,
            cond.waste_treatment_pct_min,
            cond.water_energy,
            False,
            joined([source, cite(cond.source)], "semicolon"),
            review,
        )
    t = zone.targets
    target_inv = t.investment_intensity_wan_per_mu if t else None
    target_out = t.output_intensity_wan_per_mu if t else None
    return IndicatorRow(
        name,
        name_en,
        branches,
        None,
        target_inv,
        target_out,
        None if target_inv is None else target_inv * area,
        None if target_out is None else target_out * area,
        None,
        None,
        None,
        True,
        joined([source, msg("source.reference", cite=cite(t.source))] if t else [source], "semicolon"),
        review,
    )


def standard_land_sheet(zone: ZoneConfig, parcel_row: pd.Series) -> StandardLandSheet:
    """Return the 标准地 sheet of a vacant parcel (a row of the scored parcel table).

    Raises ConflictError if the parcel is neither vacant nor reserved (reserved land gets a note:
    it is offered only after review), SchemaError if its cluster is unknown."""
    pid = str(parcel_row["parcel_id"])
    status = str(parcel_row.get("status"))
    if status not in ("vacant", "reserved"):
        ent = parcel_row.get("enterprise")
        ent = ent if isinstance(ent, str) and ent else None
        raise ConflictError(
            f"parcel {pid} is {status}"
            + (f" ({ent})" if ent else "")
            + "; 标准地 sheets are for vacant parcels",
            where=f"parcel {pid}",
            hint="choose a vacant parcel (status = vacant)",
            msg=msg(
                "error.standard_land.not_vacant",
                parcel=pid,
                status=msg(
                    "rule.parcel_vacant.item_enterprise",
                    parcel=pid,
                    status=parcel_status(status),
                    enterprise=ent,
                )
                if ent
                else msg("rule.parcel_vacant.item", parcel=pid, status=parcel_status(status)),
            ),
        )
    cluster_id = parcel_row.get("cluster")
    cl: Cluster | None = next((c for _, c in zone.clusters() if c.id == cluster_id), None)
    if cl is None:
        raise SchemaError(
            f"parcel {pid} lies in cluster {cluster_id!r}, which is not in zone {zone.zone.id}",
            where=f"parcel {pid}: cluster",
            msg=msg(
                "error.standard_land.unknown_cluster", parcel=pid, cluster=str(cluster_id), zone=zone.zone.id
            ),
        )
    area = float(parcel_row["area_mu"])
    if not area > 0:
        raise SchemaError(
            f"area_mu must be > 0, got {area}",
            where=f"parcel {pid}: area_mu",
            msg=msg("error.standard_land.area", parcel=pid, area=area),
        )

    rows: list[IndicatorRow] = []
    for ind, branches in _admitted_industries(zone, cl):
        rows += _rows_for_industry(zone, ind, branches, area, cite(cl.source))
    ca = zone.positive_list.catch_all
    for adm in cl.admits or []:
        if zone.is_catch_all(adm.industry) and adm.encouraged and ca is not None:
            # 表8-1's words for catch-all projects (3D打印 …): admitted, the positive list under review
            words = tuple(adm.encouraged)
            rows.append(_row(zone, ca.name, ca.name_en, words, None, area, cite(cl.source), review=True))
    name = Name(cl.name, cl.name_en)
    notes: list[Message] = []
    if cl.admits_unset:
        notes.append(unset_admits_message(cl))
    if status == "reserved":
        notes.append(msg("standard_land.reserved"))
    if cl.admits_encouraged_under_review:
        ca = zone.positive_list.catch_all
        rows.append(
            _row(
                zone,
                ca.name if ca else "其它国家鼓励发展的产业项目",
                ca.name_en if ca else "Other nationally encouraged projects",
                (),
                None,
                area,
                cite(cl.source),
                review=True,
            )
        )
        notes.append(msg("standard_land.encouraged", cluster=name))
    if any(r.reference and not r.review for r in rows):
        year = zone.targets.year if zone.targets is not None else "—"
        notes.append(msg("standard_land.reference", year=year))

    score = _float_or_none(parcel_row.get("score"))
    excluded = parcel_row.get("excluded")
    excluded = (
        None if excluded is None or (isinstance(excluded, float) and math.isnan(excluded)) else bool(excluded)
    )
    if excluded:
        notes.append(msg("standard_land.excluded"))
    elif score is not None and score < zone.scoring.min_score:
        notes.append(
            msg("standard_land.low_score", score=fmt(score, 1), threshold=fmt(zone.scoring.min_score, 1))
        )
    lc = zone.land_controls
    controls = (
        None
        if lc is None
        else {
            "building_coefficient_min_pct": lc.building_coefficient_min_pct,
            "admin_living_max_pct": lc.admin_living_max_pct,
            "green_ratio_max_pct": lc.green_ratio_max_pct,
            "source": cite(lc.source),
        }
    )
    klass = parcel_row.get("class")
    return StandardLandSheet(
        parcel_id=pid,
        park=None if parcel_row.get("park") is None else str(parcel_row.get("park")),
        cluster=cl.id,
        cluster_name=name,
        area_mu=area,
        score=score,
        score_class=klass if isinstance(klass, str) else None,
        excluded=excluded,
        rows=tuple(rows),
        land_controls=controls,
        notes=tuple(notes),
    )


def _float_or_none(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x
