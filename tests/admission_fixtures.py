"""Factories for the admission/recommendation tests: scored parcels, capacity layers, projects.

Parcels are squares in EPSG:4546 laid on a grid whose pitch leaves a road corridor between
neighbours; each row has the columns the scoring pipeline produces (``parcel_id``, ``park``,
``cluster``, ``status``, ``area_mu``, ``area_m2``, ``enterprise``, ``score``, ``class``,
``excluded``, ``reasons``, ``weakest``). Import with ``from tests.admission_fixtures import …``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import yaml
from shapely.geometry import Point, box

from gis.units import MU_M2
from scoring.capacity import CapacityLedger
from scoring.project import Project
from scoring.zone import ZoneConfig, load_zone

ROOT = Path(__file__).resolve().parent.parent
ZONE_FILE = ROOT / "data" / "zones" / "jiaokou.yaml"
PROJECTS_DIR = Path(__file__).resolve().parent / "data" / "projects"
CRS = "EPSG:4546"
X0, Y0 = 560_000.0, 4_095_000.0  # somewhere east of 111°E, near 37°N
ROAD_M = 20.0  # corridor between neighbouring parcels


@lru_cache(maxsize=1)
def jiaokou() -> ZoneConfig:
    """Return the bundled Jiaokou zone config (loaded once)."""
    return load_zone(ZONE_FILE)


def side_m(mu: float) -> float:
    """Return the side (m) of a square of ``mu`` 亩."""
    return math.sqrt(mu * MU_M2)


def parcel(
    pid: str,
    *,
    mu: float = 20.0,
    cluster: str | None = "sc-almg",
    park: str | None = None,
    status: str = "vacant",
    score: float = 70.0,
    excluded: bool | None = False,
    reasons: str = "",
    weakest: str | None = "slope",
    enterprise: str | None = None,
    col: int = 0,
    row: int = 0,
    pitch: float | None = None,
) -> dict[str, Any]:
    """Return one scored parcel record: a square of ``mu`` 亩 at grid cell (col, row).

    ``pitch`` (m) defaults to the square's side + a 20 m road; ``park`` follows the cluster id
    prefix (sc- → shuangchi, st- → shuitou)."""
    s = side_m(mu)
    p = pitch if pitch is not None else s + ROAD_M
    if park is None and cluster is not None:
        park = "shuangchi" if cluster.startswith("sc-") else "shuitou"
    x, y = X0 + col * p, Y0 + row * p
    klass = (
        "排除"
        if excluded
        else ("优" if score >= 80 else "良" if score >= 65 else "中" if score >= 50 else "差")
    )
    return {
        "parcel_id": pid,
        "park": park,
        "cluster": cluster,
        "status": status,
        "area_mu": mu,
        "area_m2": mu * MU_M2,
        "enterprise": enterprise,
        "score": score,
        "class": klass,
        "excluded": excluded,
        "reasons": reasons,
        "weakest": weakest,
        "geometry": box(x, y, x + s, y + s),
    }


def make_parcels(*records: dict[str, Any], crs: str | None = CRS) -> gpd.GeoDataFrame:
    """Return a GeoDataFrame of parcel records (in the zone CRS unless told otherwise)."""
    return gpd.GeoDataFrame(list(records), geometry="geometry", crs=crs)


def layers(
    *,
    sc_capacity_mva: float = 50.0,
    sc_load_mva: float = 40.0,
    st_status: str = "planned",
    well_capacity: float = 3000.0,
    well_used: float = 1000.0,
    plant_capacity: float = 6000.0,
    plant_used: float = 5000.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (substations, water) layer tables for both parks (fields of docs/architecture.md)."""
    subs = gpd.GeoDataFrame(
        [
            {
                "substation_id": "S1",
                "name": "双池110kV变电站",
                "voltage_kv": 110,
                "status": "in_service",
                "capacity_mva": sc_capacity_mva,
                "load_mva": sc_load_mva,
                "geometry": Point(X0, Y0),
            },
            {
                "substation_id": "S2",
                "name": "水头110kV变电站",
                "voltage_kv": 110,
                "status": st_status,
                "capacity_mva": 50.0,
                "load_mva": 0.0,
                "geometry": Point(X0 - 30_000, Y0),
            },
        ],
        crs=CRS,
    )
    water = gpd.GeoDataFrame(
        [
            {
                "water_id": "W1",
                "name": "双池岩溶水井",
                "kind": "well",
                "status": "in_service",
                "capacity_m3_per_day": well_capacity,
                "used_m3_per_day": well_used,
                "geometry": Point(X0, Y0 - 500),
            },
            {
                "water_id": "W2",
                "name": "交口县第二污水处理厂",
                "kind": "wastewater_plant",
                "status": "in_service",
                "capacity_m3_per_day": plant_capacity,
                "used_m3_per_day": plant_used,
                "geometry": Point(X0 + 900, Y0),
            },
            {
                "water_id": "W3",
                "name": "西山水库",
                "kind": "reservoir",
                "status": "planned",
                "capacity_m3_per_day": None,
                "used_m3_per_day": None,
                "geometry": Point(X0 - 30_000, Y0 + 900),
            },
        ],
        crs=CRS,
    )
    return subs, water


def ledger(**kw: Any) -> CapacityLedger:
    """Return a capacity ledger over :func:`layers` (keyword arguments pass through)."""
    subs, water = layers(**kw)
    return CapacityLedger.from_layers(jiaokou(), subs, water)


def project(**overrides: Any) -> Project:
    """Return plan project №1 (年产10万吨铝基新材料项目, 6 亿元, 15 亿元/年) with every figure
    declared so that it can pass; keyword arguments override fields."""
    base: dict[str, Any] = {
        "name": "年产10万吨铝基新材料项目",
        "industry": "铝镁新材料",
        "branch": "铝基新材料",
        "investment_wan": 60_000,
        "output_wan": 150_000,
        "land_mu": 20,
        "water_m3_per_day": 500,
        "power_kw": 4_500,
        "online_monitoring": True,
        "waste_treatment_pct": 98,
    }
    base.update(overrides)
    return Project(**{k: v for k, v in base.items() if v is not None or k in overrides})


def write_zone_with_layers(tmp_path: Path, subs: pd.DataFrame, water: pd.DataFrame) -> Path:
    """Write a copy of the Jiaokou zone file whose ``data.layers`` is a GeoPackage in ``tmp_path``
    holding ``subs`` and ``water``; return the zone file's path."""
    gpkg = tmp_path / "layers.gpkg"
    subs.to_file(gpkg, layer="substations", driver="GPKG")
    water.to_file(gpkg, layer="water", driver="GPKG")
    data = yaml.safe_load(ZONE_FILE.read_text(encoding="utf-8"))
    data["data"] = {"layers": gpkg.name, "dems": []}
    zone_file = tmp_path / "zone.yaml"
    zone_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return zone_file
