"""The zone as a whole: 开发区土地集约利用评价 indicators (TD/T 1029-2015) per park and for the zone,
and progress toward the plan's 表6-1 targets against its 2021 baseline.

The indicators, targets and baseline are the zone's data (``data.zone_report``, for Jiaokou
``data/zones/jiaokou/zone_report.yaml``); the formulas are here, keyed by indicator id:

- land: 开发区土地总面积 = the park's ``area_km2`` × 1500 亩; 已建成城镇建设用地 = parcels with
  status ``existing`` (occupied and built); 已建成工业用地 = those whose land use is one of the
  file's ``industrial_land_uses`` (``industrial``, GB 50137 M/M1/M2/M3, 三调 0601);
- ``industrial_share`` 工业用地率 = 已建成工业用地 ÷ 已建成城镇建设用地 × 100 (%);
- ``industrial_investment`` 工业用地固定资产投入强度 = Σ 累计固定资产投资 of the enterprises on built
  industrial parcels ÷ 已建成工业用地 (万元/亩); ``industrial_tax`` 工业用地地均税收 likewise with
  税收. An enterprise counts in the park holding most of its built industrial land;
- with land contracts (:class:`SupplyFacts`): 已供应国有建设用地 = the built parcels (status
  ``existing``) and the contracted ones; ``built_rate`` 土地建成率 = (built + contracted and
  completed) ÷ 已供应 × 100; ``idle_rate`` 土地闲置率 = contracted parcels under an idle case
  (闲置土地: ``idle_not_started``, ``idle_takeback``, ``idle_stalled``) ÷ 已供应 × 100. Without
  any contract on record both are "no data";
- 已达到供地条件的土地 (serviced; TD/T 1029: 已办理征地手续, at least 三通一平): the supplied
  parcels (built or contracted) and the other parcels whose road, water and power lie within the
  zone file's ``serviced`` distances (the score run's ``road_dist_m``, ``water_dist_m``,
  ``power_dist_m``), counted on their buildable part (``buildable_share``); 不可建设土地 = the
  unbuildable part (1 − ``buildable_share``) of the parcels not supplied.
  ``development_rate`` 土地开发率 = serviced ÷ (开发区土地总面积 − 不可建设土地) × 100;
  ``supply_rate`` 土地供应率 = 已供应 ÷ serviced × 100 (已供应: built or contracted; it needs
  contracts on record, like 土地建成率). Without the rule or the measures: no data;
- 已建成城镇建设用地 for the building indicators = the built parcels (status ``existing``) and the
  contracted ones completed (as for 土地建成率); a parcel's 建筑面积 / 建筑基底面积 (m²) are its own
  (parcel layer fields ``floor_area_m2``, ``footprint_m2``) or, else, its share by area of what its
  contract's progress reports. ``floor_area_ratio`` 综合容积率 = Σ 建筑面积 ÷ built land (m²);
  ``building_density`` 建筑密度 = Σ 建筑基底面积 ÷ built land × 100; ``industrial_far`` and
  ``industrial_coverage`` (工业用地综合容积率, 建筑系数) likewise on the built 工业用地. Only when
  every built parcel of the area has the figure — else "no data" saying on how many 亩 of how
  many it is reported, never a partial ratio.

表6-1 progress (zone only) from the year's figures: 工业总产值 Σ output ÷ 10⁴ (亿元), 规上工业增加值
Σ value added of 规上 ÷ 10⁴, 税收 Σ tax ÷ 10⁴, 规上企业数量, 工业用地产出强度 / 投资强度 / 税收强度
= Σ output / investment / tax ÷ Σ 用地面积 over the enterprises that give both (万元/亩), 已开发面积
= Σ area of the parcels with status ``existing`` (亩).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import Field

from gis.errors import ConfigError
from gis.messages import Message, msg
from gis.units import MU_M2
from scoring.config_base import ConfigModel, NonNeg, Slug, Source, read_yaml, validate
from scoring.evaluation_figures import Figures
from scoring.supervision import Case, LandContract
from scoring.zone import ZoneConfig, load_zone, zone_data_path

MU_PER_KM2 = 1500.0
#: The score-run measures the serviced rule reads (m), keyed by the rule's field.
SERVICE_MEASURES: dict[str, str] = {
    "road_m": "road_dist_m",
    "water_m": "water_dist_m",
    "power_m": "power_dist_m",
}
IndicatorId = Literal[
    "development_rate",
    "supply_rate",
    "built_rate",
    "industrial_share",
    "floor_area_ratio",
    "building_density",
    "industrial_far",
    "industrial_coverage",
    "industrial_investment",
    "industrial_tax",
    "idle_rate",
]
ProgressId = Literal[
    "output_total",
    "value_added_above",
    "tax_total",
    "above_count",
    "output_intensity",
    "investment_intensity",
    "tax_intensity",
    "developed_mu",
]
#: Indicators whose inputs may be missing → the reason (message id) when they are.
NO_DATA: dict[str, str] = {
    "development_rate": "zone_report.no_data.serviced",
    "supply_rate": "zone_report.no_data.supply",
    "built_rate": "zone_report.no_data.contracts",
    "idle_rate": "zone_report.no_data.contracts",
    "floor_area_ratio": "zone_report.no_data.buildings",
    "building_density": "zone_report.no_data.buildings",
    "industrial_far": "zone_report.no_data.buildings",
    "industrial_coverage": "zone_report.no_data.buildings",
}
#: The building indicators: id → (parcel column summed, built land: all or industrial, scale).
BUILDING_INDICATORS: dict[str, tuple[str, bool, float]] = {
    "floor_area_ratio": ("floor_area_m2", False, 1.0),
    "building_density": ("footprint_m2", False, 100.0),
    "industrial_far": ("floor_area_m2", True, 1.0),
    "industrial_coverage": ("footprint_m2", True, 100.0),
}


class ReportIndicator(ConfigModel):
    """A TD/T 1029 indicator: its id (the formula), names, unit and source."""

    id: IndicatorId
    name: str
    name_en: str
    unit: str
    source: Source


class ProgressItem(ConfigModel):
    """A 表6-1 figure: the 2025 target (None: the plan sets none) and the 2021 baseline."""

    id: ProgressId
    name: str
    name_en: str
    unit: str
    target: NonNeg | None = None
    baseline: NonNeg | None = None
    attribute: str | None = Field(default=None, description="预期性 / 参考性 / 约束性")
    source: Source


class ServicedRule(ConfigModel):
    """Which land 达到供地条件 besides the supplied: a parcel whose nearest road, water source or
    main and substation are within these distances (m) of it (the score run's measures)."""

    road_m: NonNeg
    water_m: NonNeg
    power_m: NonNeg
    source: Source


class ZoneReportConfig(ConfigModel):
    """The zone report's file."""

    title: str
    source: Source
    indicators: list[ReportIndicator] = Field(min_length=1)
    targets_year: Annotated[int, Field(ge=2000)]
    baseline_year: Annotated[int, Field(ge=2000)]
    progress: list[ProgressItem] = Field(min_length=1)
    industrial_land_uses: list[str] = Field(
        min_length=1, description="parcel land_use values that are 工业用地"
    )
    industrial_land_uses_source: Source
    serviced: ServicedRule | None = Field(
        default=None, description="已达到供地条件: distances to road, water, power (m)"
    )


def load_report_config(zone_file: Path | str, zone: ZoneConfig | None = None) -> ZoneReportConfig:
    """Return the zone report's configuration (the zone file's ``data.zone_report``).
    ConfigError when the zone names none or the file is missing or invalid."""
    zone = zone if zone is not None else load_zone(zone_file)
    if zone.data.zone_report is None:
        raise ConfigError(
            "the zone file names no zone report (data.zone_report)",
            where=str(zone_file),
            hint="add data.zone_report: <file>.yaml to the zone file",
            msg=msg("error.zone_report.no_config", path=str(zone_file)),
        )
    path = zone_data_path(zone_file, zone.data.zone_report)
    data = read_yaml(path, "zone report file", f"fix data.zone_report in {zone_file}")
    return validate(ZoneReportConfig, data, path, "the zone report file")


@dataclass(frozen=True)
class ParkArea:
    """A park as the report needs it: id, names and its total area (亩)."""

    id: Slug
    name: str
    name_en: str
    area_mu: float


def parks_of(zone: ZoneConfig) -> list[ParkArea]:
    """Return the zone's parks with their total area: ``area_km2`` × 1500 亩."""
    return [ParkArea(p.id, p.name, p.name_en, p.area_km2 * MU_PER_KM2) for p in zone.parks]


def _ratio(num: float | None, den: float, scale: float = 1.0) -> float | None:
    return None if num is None or den <= 0 else scale * num / den


def _located(parcels: pd.DataFrame) -> dict[str, str]:
    """Return enterprise name → the park holding most of its built industrial land."""
    ind = parcels[(parcels["status"] == "existing") & parcels["industrial"]]
    ind = ind[ind["enterprise"].notna()]
    area = ind.groupby(["enterprise", "park"])["area_mu"].sum().reset_index()
    area = area.sort_values(["enterprise", "area_mu", "park"], ascending=[True, False, True])
    return dict(area.drop_duplicates("enterprise")[["enterprise", "park"]].itertuples(index=False, name=None))


def _sum(figures: Sequence[Figures], field: str) -> float | None:
    values = [f.get(field) for f in figures]
    given = [v for v in values if v is not None]
    return sum(given) if given else None


@dataclass(frozen=True)
class BuildingReport:
    """What a contract's progress reports of its buildings: its parcels, 建筑面积 and 建筑基底面积
    (m², None where not reported)."""

    parcel_ids: tuple[str, ...]
    floor_area_m2: float | None
    footprint_m2: float | None


@dataclass(frozen=True)
class SupplyFacts:
    """What the land contracts say on the report's date: ``contracted`` parcel ids (supplied),
    ``completed`` (their buildings completed), ``idle`` (a case of an idle rule applies) and
    ``buildings`` (the floor areas and footprints the contracts report)."""

    contracted: frozenset[str] = frozenset()
    completed: frozenset[str] = frozenset()
    idle: frozenset[str] = frozenset()
    buildings: tuple[BuildingReport, ...] = ()


#: The supervision rules whose cases make land idle (闲置土地) for 土地闲置率.
IDLE_RULES = frozenset({"idle_not_started", "idle_takeback", "idle_stalled"})


def supply_facts(contracts: Sequence[LandContract], cases: Sequence[Case], as_of: dt.date) -> SupplyFacts:
    """Return the parcels supplied by ``contracts``, those whose contract reported completion on
    or before ``as_of``, and those under an idle case in ``cases`` (the cases of that date)."""
    idle_contracts = {(c.enterprise, c.parcel_ids) for c in cases if c.rule in IDLE_RULES}
    return SupplyFacts(
        contracted=frozenset(p for c in contracts for p in c.parcel_ids),
        completed=frozenset(
            p for c in contracts if c.completed is not None and c.completed <= as_of for p in c.parcel_ids
        ),
        idle=frozenset(
            p for c in contracts if (c.enterprise, c.parcel_ids) in idle_contracts for p in c.parcel_ids
        ),
        buildings=tuple(
            BuildingReport(c.parcel_ids, c.floor_area_m2, c.footprint_m2)
            for c in contracts
            if c.floor_area_m2 is not None or c.footprint_m2 is not None
        ),
    )


def with_buildings(parcels: pd.DataFrame, supply: SupplyFacts | None) -> pd.DataFrame:
    """Return ``parcels`` with ``floor_area_m2`` and ``footprint_m2`` (m², NaN where unknown): a
    parcel's own figure where it has one, else its share by area (亩) of what its contract
    reports (a contract on parcels the table lacks reports nothing)."""
    out = parcels.copy()
    for col in ("floor_area_m2", "footprint_m2"):
        own = out[col] if col in out.columns else pd.Series(float("nan"), index=out.index)
        out[col] = pd.to_numeric(own, errors="coerce").astype(float)
    if supply is None or not supply.buildings or "parcel_id" not in out.columns:
        return out
    ids = out["parcel_id"].astype(str)
    for report in supply.buildings:
        mask = ids.isin(report.parcel_ids)
        if mask.sum() != len(set(report.parcel_ids)):
            continue
        area = out.loc[mask, "area_mu"].astype(float)
        share = area / area.sum() if area.sum() > 0 else area * 0 + 1 / len(area)
        for col, value in (("floor_area_m2", report.floor_area_m2), ("footprint_m2", report.footprint_m2)):
            if value is None:
                continue
            per_parcel = value * share
            todo = per_parcel.index[out.loc[per_parcel.index, col].isna()]
            out.loc[todo, col] = per_parcel[todo]
    return out


def _built(parcels: pd.DataFrame, supply: SupplyFacts | None) -> pd.Series:
    """Return the mask of 已建成城镇建设用地: status existing, or contracted and completed."""
    built = parcels["status"] == "existing"
    if supply is not None and supply.completed and "parcel_id" in parcels.columns:
        built = built | parcels["parcel_id"].astype(str).isin(supply.completed)
    return built


def _buildings(
    parcels: pd.DataFrame, supply: SupplyFacts | None
) -> tuple[dict[str, Any], dict[str, tuple[float | None, Message | None]]]:
    """综合容积率, 建筑密度, 工业用地综合容积率, 工业用地建筑系数 (see the module docstring): a
    value only when every built parcel of the area has the figure."""
    built = _built(parcels, supply)
    inputs: dict[str, Any] = {}
    out: dict[str, tuple[float | None, Message | None]] = {}
    for iid, (col, industrial_only, scale) in BUILDING_INDICATORS.items():
        rows = parcels[built & parcels["industrial"]] if industrial_only else parcels[built]
        land_mu = float(rows["area_mu"].sum())
        known = rows[col].notna() if col in rows.columns else pd.Series(False, index=rows.index)
        known_mu = float(rows.loc[known, "area_mu"].sum())
        if land_mu <= 0:
            out[iid] = (None, msg("zone_report.no_data.no_built"))
        elif not known.any():
            out[iid] = (None, msg("zone_report.no_data.buildings"))
        elif not known.all():
            out[iid] = (
                None,
                msg(
                    "zone_report.no_data.buildings_partial",
                    known=round(known_mu, 2),
                    built=round(land_mu, 2),
                ),
            )
        else:
            out[iid] = (scale * float(rows[col].sum()) / (land_mu * MU_M2), None)
        if not industrial_only:
            inputs[f"{col.removesuffix('_m2')}_m2"] = round(float(rows.loc[known, col].sum()), 2)
    inputs["built_with_buildings_mu"] = round(
        float(parcels.loc[built & parcels["floor_area_m2"].notna(), "area_mu"].sum()), 2
    )
    return inputs, out


def _serviced(
    cfg: ZoneReportConfig, total_mu: float, parcels: pd.DataFrame, supply: SupplyFacts | None
) -> tuple[dict[str, Any], dict[str, tuple[float | None, Message | None]]]:
    """土地开发率 and 土地供应率 (see the module docstring). No serviced rule in the file, or
    parcels without the measures (never scored) → no data."""
    rule = cfg.serviced
    cols = list(SERVICE_MEASURES.values())
    if rule is None or not set(cols) <= set(parcels.columns) or parcels[cols].isna().all(axis=None):
        return {}, {}
    ids = parcels["parcel_id"].astype(str) if "parcel_id" in parcels.columns else None
    supplied = parcels["status"] == "existing"
    if supply is not None and ids is not None:
        supplied = supplied | ids.isin(supply.contracted)
    near = pd.Series(True, index=parcels.index)
    for field, col in SERVICE_MEASURES.items():
        near = near & (pd.to_numeric(parcels[col], errors="coerce") <= getattr(rule, field))
    share = (
        pd.to_numeric(parcels["buildable_share"], errors="coerce").fillna(1.0).clip(0, 1)
        if "buildable_share" in parcels.columns
        else pd.Series(1.0, index=parcels.index)
    )
    area = parcels["area_mu"].astype(float)
    supplied_mu = float(area[supplied].sum())
    serviced_mu = supplied_mu + float((area * share)[~supplied & near].sum())
    unbuildable_mu = float((area * (1 - share))[~supplied].sum())
    available_mu = total_mu - unbuildable_mu
    development = _ratio(serviced_mu, available_mu, 100)
    inputs = {"serviced_mu": round(serviced_mu, 2), "unbuildable_mu": round(unbuildable_mu, 2)}
    out = {
        "development_rate": (
            development,
            None if development is not None else msg("zone_report.no_data.serviced"),
        ),
    }
    if supply is not None and supply.contracted:  # else 已供应 would be the built land alone
        rate = _ratio(supplied_mu, serviced_mu, 100)
        out["supply_rate"] = (rate, None if rate is not None else msg("zone_report.no_data.no_serviced"))
    return inputs, out


def _supply(
    parcels: pd.DataFrame, supply: SupplyFacts | None
) -> tuple[dict[str, Any], dict[str, tuple[float | None, Message | None]]]:
    """土地建成率 and 土地闲置率 from the contracts: supplied land is the built parcels (status
    existing) and the contracted ones; built is the existing and the contracted ones completed;
    idle the contracted ones under an idle case. No contracts at all → no data (built land
    alone would make every rate look perfect)."""
    if supply is None or not supply.contracted:
        return {}, {}
    ids = parcels["parcel_id"].astype(str)
    existing = parcels["status"] == "existing"
    supplied = existing | ids.isin(supply.contracted)
    built = existing | ids.isin(supply.completed)
    idle = ids.isin(supply.idle) & ~existing
    supplied_mu = float(parcels.loc[supplied, "area_mu"].sum())
    built_mu = float(parcels.loc[supplied & built, "area_mu"].sum())
    idle_mu = float(parcels.loc[idle, "area_mu"].sum())
    none = msg("zone_report.no_data.no_supplied")
    built_rate = _ratio(built_mu, supplied_mu, 100)
    idle_rate = _ratio(idle_mu, supplied_mu, 100)
    inputs = {"supplied_mu": round(supplied_mu, 2), "idle_mu": round(idle_mu, 2)}
    return inputs, {
        "built_rate": (built_rate, None if built_rate is not None else none),
        "idle_rate": (idle_rate, None if idle_rate is not None else none),
    }


def _indicators(
    cfg: ZoneReportConfig,
    total_mu: float,
    parcels: pd.DataFrame,
    figures: Sequence[Figures],
    supply: SupplyFacts | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    built = parcels[parcels["status"] == "existing"]
    built_mu = float(built["area_mu"].sum())
    ind_mu = float(built[built["industrial"]]["area_mu"].sum())
    supply_inputs, computed = _supply(parcels, supply)
    serviced_inputs, serviced = _serviced(cfg, total_mu, parcels, supply)
    building_inputs, buildings = _buildings(parcels, supply)
    has_buildings = building_inputs["built_with_buildings_mu"] > 0
    computed |= serviced | buildings
    inputs = {
        "total_mu": round(total_mu, 2),
        "built_mu": round(built_mu, 2),
        "industrial_built_mu": round(ind_mu, 2),
        "enterprises_with_figures": len(figures),
        **supply_inputs,
        **serviced_inputs,
        **(building_inputs if has_buildings else {}),
    }
    share = _ratio(ind_mu, built_mu, 100)
    computed["industrial_share"] = (share, None if share is not None else msg("zone_report.no_data.no_built"))
    for iid, field in (("industrial_investment", "investment_wan"), ("industrial_tax", "tax_wan")):
        total = _sum(figures, field)
        value = _ratio(total, ind_mu)
        reason = None
        if total is None:
            reason = msg("zone_report.no_data.figures")
        elif value is None:
            reason = msg("zone_report.no_data.no_built")
        computed[iid] = (value, reason)
    out = []
    for ind in cfg.indicators:
        value, reason = computed.get(ind.id, (None, msg(NO_DATA.get(ind.id, "zone_report.no_data.figures"))))
        out.append(
            {
                "id": ind.id,
                "name": ind.name,
                "name_en": ind.name_en,
                "unit": ind.unit,
                "value": None if value is None else round(value, 2),
                "no_data": reason,
                "source": ind.source,
            }
        )
    return inputs, out


def _progress(
    cfg: ZoneReportConfig, parcels: pd.DataFrame, figures: Sequence[Figures]
) -> list[dict[str, Any]]:
    def per_mu(field: str) -> float | None:
        both = [f for f in figures if f.get(field) is not None]
        return _ratio(sum(f.get(field) or 0.0 for f in both), sum(f.land_mu for f in both))

    above = [f for f in figures if f.scale == "above"]
    current: dict[str, float | None] = {
        "output_total": _ratio(_sum(figures, "output_wan"), 1e4),
        "value_added_above": _ratio(_sum(above, "value_added_wan"), 1e4),
        "tax_total": _ratio(_sum(figures, "tax_wan"), 1e4),
        "above_count": float(len(above)) if figures else None,
        "output_intensity": per_mu("output_wan"),
        "investment_intensity": per_mu("investment_wan"),
        "tax_intensity": per_mu("tax_wan"),
        "developed_mu": float(parcels[parcels["status"] == "existing"]["area_mu"].sum()),
    }
    out = []
    for p in cfg.progress:
        value = current[p.id]
        out.append(
            {
                "id": p.id,
                "name": p.name,
                "name_en": p.name_en,
                "unit": p.unit,
                "baseline": p.baseline,
                "target": p.target,
                "current": None if value is None else round(value, 4),
                "share_of_target": None if value is None or not p.target else round(value / p.target, 4),
                "met": None if value is None or p.target is None else value >= p.target,
                "attribute": p.attribute,
                "source": p.source,
            }
        )
    return out


def zone_report(
    cfg: ZoneReportConfig,
    parks: Sequence[ParkArea],
    parcels: pd.DataFrame,
    figures: Sequence[Figures],
    year: int,
    supply: SupplyFacts | None = None,
) -> dict[str, Any]:
    """Return the report for ``year``: ``{"year", "title", "source", "targets_year",
    "baseline_year", "areas": [{"id", "name", "name_en", "inputs", "indicators": [...]}, …] (each
    park, then ``zone``), "progress": [...]}``. ``parcels`` has columns park, status, land_use,
    area_mu (亩) and enterprise; ``figures`` are the year's. Indicators without data carry
    ``value`` None and ``no_data`` (a message). ``supply`` (:func:`supply_facts`; needs a
    ``parcel_id`` column in ``parcels``) gives 土地建成率 and 土地闲置率 and the contracts' floor
    areas; optional columns ``road_dist_m``, ``water_dist_m``, ``power_dist_m`` (m) and
    ``buildable_share`` give 土地开发率 and 土地供应率, ``floor_area_m2`` / ``footprint_m2`` (m²)
    a parcel's own buildings (see the module docstring)."""
    parcels = with_buildings(parcels, supply)
    parcels = parcels.assign(industrial=parcels["land_use"].isin(cfg.industrial_land_uses))
    located = _located(parcels)
    by_park: dict[str, list[Figures]] = defaultdict(list)
    for f in figures:
        if f.enterprise in located:
            by_park[located[f.enterprise]].append(f)
    areas = []
    for park in parks:
        inputs, rows = _indicators(
            cfg, park.area_mu, parcels[parcels["park"] == park.id], by_park.get(park.id, []), supply
        )
        areas.append(
            {"id": park.id, "name": park.name, "name_en": park.name_en, "inputs": inputs, "indicators": rows}
        )
    located_figs = [f for f in figures if f.enterprise in located]
    inputs, rows = _indicators(cfg, sum(p.area_mu for p in parks), parcels, located_figs, supply)
    areas.append(
        {"id": "zone", "name": "全区", "name_en": "whole zone", "inputs": inputs, "indicators": rows}
    )
    return {
        "year": year,
        "title": cfg.title,
        "source": cfg.source,
        "targets_year": cfg.targets_year,
        "baseline_year": cfg.baseline_year,
        "areas": areas,
        "progress": _progress(cfg, parcels, figures),
    }
