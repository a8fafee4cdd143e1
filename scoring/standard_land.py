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
from scoring.admission import fmt, unset_admits_message
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
    source: str
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
    cluster_name: str
    cluster_name_en: str
    area_mu: float
    score: float | None
    score_class: str | None
    excluded: bool | None
    rows: tuple[IndicatorRow, ...]
    land_controls: dict[str, Any] | None
    notes_zh: tuple[str, ...] = field(default_factory=tuple)
    notes_en: tuple[str, ...] = field(default_factory=tuple)

    def notes(self, lang: str = "zh") -> tuple[str, ...]:
        return self.notes_zh if lang == "zh" else self.notes_en

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "parcel_id": self.parcel_id,
            "park": self.park,
            "cluster": self.cluster,
            "cluster_name": self.cluster_name if lang == "zh" else self.cluster_name_en,
            "area_mu": _r(self.area_mu),
            "score": None if self.score is None else round(self.score, 2),
            "class": self.score_class,
            "excluded": self.excluded,
            "industries": [r.to_dict() for r in self.rows],
            "land_controls": self.land_controls,
            "notes": list(self.notes(lang)),
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _rows_for_industry(
    zone: ZoneConfig, ind: Industry, branches: list[str] | None, area: float, source: str
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
    source: str,
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
            f"{source}; {cond.source}",
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
        f"{source}; {t.source} (reference)" if t else source,
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
        raise ConflictError(
            f"parcel {pid} is {status}"
            + (f" ({ent})" if isinstance(ent, str) and ent else "")
            + "; 标准地 sheets are for vacant parcels",
            where=f"parcel {pid}",
            hint="choose a vacant parcel (status = vacant)",
        )
    cluster_id = parcel_row.get("cluster")
    cl: Cluster | None = next((c for _, c in zone.clusters() if c.id == cluster_id), None)
    if cl is None:
        raise SchemaError(
            f"parcel {pid} lies in cluster {cluster_id!r}, which is not in zone {zone.zone.id}",
            where=f"parcel {pid}: cluster",
        )
    area = float(parcel_row["area_mu"])
    if not area > 0:
        raise SchemaError(f"area_mu must be > 0, got {area}", where=f"parcel {pid}: area_mu")

    rows: list[IndicatorRow] = []
    for adm in cl.admits or []:
        ind = zone.find_industry(adm.industry)
        if ind is not None:
            rows += _rows_for_industry(zone, ind, adm.branches, area, cl.source)
    notes_zh, notes_en = [], []
    if cl.admits_unset:
        notes_zh.append(unset_admits_message(cl, "zh"))
        notes_en.append(unset_admits_message(cl, "en"))
    if status == "reserved":
        notes_zh.append("该地块为预留用地，复核后方可作为标准地出让")
        notes_en.append("the parcel is reserved land: it may be offered as standard land only after review")
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
                cl.source,
                review=True,
            )
        )
        notes_zh.append(
            f"{cl.name}预留给国家鼓励发展的产业项目，逐项复核；表9-6 无对应行，投资、产出强度按表6-1参考值"
        )
        notes_en.append(
            f"{cl.name_en} is reserved for nationally encouraged projects, reviewed case by case; "
            "表9-6 has no row: intensities are the 表6-1 reference targets"
        )
    if any(r.reference and not r.review for r in rows):
        notes_zh.append("标注“参考”的产业在表9-6中无准入条件，投资、产出强度按表6-1 2025年目标参考")
        notes_en.append("industries marked 'reference' have no 表9-6 row: intensities are the 表6-1 targets")

    score = _float_or_none(parcel_row.get("score"))
    excluded = parcel_row.get("excluded")
    excluded = (
        None if excluded is None or (isinstance(excluded, float) and math.isnan(excluded)) else bool(excluded)
    )
    if excluded:
        notes_zh.append("注意：该地块被选址硬约束排除，不宜作为标准地出让")
        notes_en.append(
            "warning: the parcel is excluded by the site constraints; not fit to offer as standard land"
        )
    elif score is not None and score < zone.scoring.min_score:
        notes_zh.append(f"注意：适宜性得分 {fmt(score, 1)} 低于最低分 {fmt(zone.scoring.min_score, 1)}")
        notes_en.append(
            f"warning: suitability {fmt(score, 1)} is below the minimum {fmt(zone.scoring.min_score, 1)}"
        )
    lc = zone.land_controls
    controls = (
        None
        if lc is None
        else {
            "building_coefficient_min_pct": lc.building_coefficient_min_pct,
            "admin_living_max_pct": lc.admin_living_max_pct,
            "green_ratio_max_pct": lc.green_ratio_max_pct,
            "source": lc.source,
        }
    )
    klass = parcel_row.get("class")
    return StandardLandSheet(
        parcel_id=pid,
        park=None if parcel_row.get("park") is None else str(parcel_row.get("park")),
        cluster=cl.id,
        cluster_name=cl.name,
        cluster_name_en=cl.name_en,
        area_mu=area,
        score=score,
        score_class=klass if isinstance(klass, str) else None,
        excluded=excluded,
        rows=tuple(rows),
        land_controls=controls,
        notes_zh=tuple(notes_zh),
        notes_en=tuple(notes_en),
    )


def _float_or_none(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x
