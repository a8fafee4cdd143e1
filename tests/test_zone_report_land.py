"""The zone report's land indicators from serviced land and buildings (scoring.zone_report):
土地开发率, 土地供应率, 综合容积率, 建筑密度, 工业用地综合容积率, 工业用地建筑系数 — each worked out
by hand on a small synthetic zone, per park and for the zone, and "no data" with the reason when
an input is missing (never a ratio over part of the land)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from gis.units import MU_M2
from scoring.supervision import LandContract
from scoring.zone_report import (
    BuildingReport,
    ParkArea,
    SupplyFacts,
    load_report_config,
    supply_facts,
    with_buildings,
    zone_report,
)

ZONE_FILE = "data/zones/jiaokou.yaml"
PARKS = [ParkArea("p1", "一园", "P1", 1500), ParkArea("p2", "二园", "P2", 750)]
COLUMNS = [
    "park",
    "status",
    "land_use",
    "area_mu",
    "enterprise",
    "parcel_id",
    "road_dist_m",
    "water_dist_m",
    "power_dist_m",
    "buildable_share",
    "floor_area_m2",
    "footprint_m2",
]
NAN = float("nan")


def _parcels() -> pd.DataFrame:
    # The zone file's serviced rule: road ≤ 200 m, water ≤ 1000 m, power ≤ 3000 m.
    rows = [
        # p1: A built, its own buildings; B contracted and completed (buildings from the contract),
        # far from everything but supplied; C near, half buildable; D far, 3/4 buildable.
        ("p1", "existing", "industrial", 30, "甲", "A", 10, 100, 500, 1.0, 30000, 12000),
        ("p1", "vacant", "industrial", 50, None, "B", 900, 5000, 9000, 1.0, NAN, NAN),
        ("p1", "vacant", "industrial", 20, None, "C", 100, 500, 2000, 0.5, NAN, NAN),
        ("p1", "vacant", "industrial", 40, None, "D", 800, 500, 2000, 0.75, NAN, NAN),
        # p2: E built (commercial), floor area known, footprint not; F contracted, not completed.
        ("p2", "existing", "commercial", 20, "丙", "E", 50, 50, 50, 1.0, 8000, NAN),
        ("p2", "vacant", "industrial", 10, None, "F", 50, 50, 50, 1.0, NAN, NAN),
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def _supply() -> SupplyFacts:
    d = dt.date
    contracts = [
        LandContract(
            "乙",
            ("B",),
            50,
            500,
            agreed_start=d(2021, 3, 1),
            started=d(2021, 3, 1),
            completed=d(2022, 9, 1),
            floor_area_m2=40000,
            footprint_m2=16000,
        ),
        LandContract("戊", ("F",), 10, 100, agreed_start=d(2023, 3, 1), started=d(2023, 4, 1)),
    ]
    return supply_facts(contracts, [], d(2023, 6, 1))


def _ind(report: dict, area: str) -> dict:
    a = next(a for a in report["areas"] if a["id"] == area)
    return {i["id"]: i for i in a["indicators"]} | {"_inputs": a["inputs"]}


@pytest.fixture(scope="module")
def report() -> dict:
    return zone_report(load_report_config(ZONE_FILE), PARKS, _parcels(), [], 2023, _supply())


def test_development_and_supply_rates(report):
    p1, p2, zone = _ind(report, "p1"), _ind(report, "p2"), _ind(report, "zone")
    # p1: supplied A 30 + B 50 = 80 亩; serviced 80 + C 20 × 0.5 = 90; 不可建设 C 10 + D 10 = 20;
    # 土地开发率 90 ÷ (1500 − 20) = 6.08 %, 土地供应率 80 ÷ 90 = 88.89 %.
    assert (p1["_inputs"]["serviced_mu"], p1["_inputs"]["unbuildable_mu"]) == (90, 20)
    assert p1["development_rate"]["value"] == 6.08 and p1["supply_rate"]["value"] == 88.89
    # p2: supplied E 20 + F 10 = 30 = serviced; 30 ÷ 750 = 4 %; 30 ÷ 30 = 100 %.
    assert p2["development_rate"]["value"] == 4 and p2["supply_rate"]["value"] == 100
    # zone: serviced 120, 不可建设 20: 120 ÷ 2230 = 5.38 %; supplied 110 ÷ 120 = 91.67 %.
    assert zone["development_rate"]["value"] == 5.38 and zone["supply_rate"]["value"] == 91.67
    assert zone["development_rate"]["no_data"] is None


def test_floor_area_ratio_and_density(report):
    p1, p2, zone = _ind(report, "p1"), _ind(report, "p2"), _ind(report, "zone")
    # p1 built: A (existing) 30 + B (completed) 50 = 80 亩 = 53 333.33 m², all industrial.
    # floor 30 000 + 40 000 = 70 000 → 1.3125; footprint 12 000 + 16 000 = 28 000 → 52.5 %.
    assert 80 * MU_M2 == pytest.approx(53333.333, abs=0.001)
    for iid, value in (
        ("floor_area_ratio", 1.31),
        ("building_density", 52.5),
        ("industrial_far", 1.31),
        ("industrial_coverage", 52.5),
    ):
        assert p1[iid]["value"] == value and p1[iid]["no_data"] is None, iid
    assert p1["_inputs"]["floor_area_m2"] == 70000 and p1["_inputs"]["footprint_m2"] == 28000
    # p2 built: E 20 亩 (F is not completed): 8 000 ÷ 13 333.33 = 0.6; no footprint at all; no
    # built industrial land.
    assert p2["floor_area_ratio"]["value"] == 0.6
    assert p2["building_density"]["no_data"].id == "zone_report.no_data.buildings"
    assert p2["industrial_far"]["no_data"].id == "zone_report.no_data.no_built"
    # zone: floor 78 000 ÷ (100 × 666.67) = 1.17; footprints known on 80 of the 100 亩 → no data,
    # saying so; industrial (A, B only) as in p1.
    assert zone["floor_area_ratio"]["value"] == 1.17
    density = zone["building_density"]
    assert density["value"] is None and density["no_data"].id == "zone_report.no_data.buildings_partial"
    assert (density["no_data"].params["known"], density["no_data"].params["built"]) == (80, 100)
    assert zone["industrial_far"]["value"] == 1.31 and zone["industrial_coverage"]["value"] == 52.5


def test_without_inputs_no_data():
    cfg = load_report_config(ZONE_FILE)
    parcels = _parcels()
    # no contracts: 土地供应率 needs them; 土地开发率 still computed from the rule (supplied = A, E).
    zone = _ind(zone_report(cfg, PARKS, parcels, [], 2023, None), "zone")
    # serviced: A 30 + E 20 + C 10 + F 10 (near) = 70; 不可建设 C 10 + D 10 = 20 → 70 ÷ 2230 = 3.14 %
    assert zone["development_rate"]["value"] == 3.14
    assert zone["supply_rate"]["no_data"].id == "zone_report.no_data.supply"
    # parcels never scored (no distances) → no data for both
    bare = parcels.drop(columns=["road_dist_m", "water_dist_m", "power_dist_m"])
    zone = _ind(zone_report(cfg, PARKS, bare, [], 2023, _supply()), "zone")
    for iid in ("development_rate", "supply_rate"):
        assert zone[iid]["value"] is None, iid
    assert zone["development_rate"]["no_data"].id == "zone_report.no_data.serviced"
    # a zone file without the serviced rule → no data
    no_rule = cfg.model_copy(update={"serviced": None})
    zone = _ind(zone_report(no_rule, PARKS, parcels, [], 2023, _supply()), "zone")
    assert zone["development_rate"]["no_data"].id == "zone_report.no_data.serviced"
    # no building figures anywhere → the buildings reason, and no building inputs
    plain = parcels.drop(columns=["floor_area_m2", "footprint_m2"])
    zone = _ind(zone_report(cfg, PARKS, plain, [], 2023, None), "zone")
    for iid in ("floor_area_ratio", "building_density", "industrial_far", "industrial_coverage"):
        assert zone[iid]["no_data"].id == "zone_report.no_data.buildings", iid
    assert "floor_area_m2" not in zone["_inputs"]


def test_contract_buildings_split_by_area():
    # a contract on X (30 亩) and Y (10 亩) reports 4 000 m² floor area: X 3 000, Y 1 000 — but Y's
    # own figure (500) is kept; a contract naming a parcel the table lacks reports nothing.
    parcels = pd.DataFrame(
        {"parcel_id": ["X", "Y", "Z"], "area_mu": [30.0, 10.0, 5.0], "floor_area_m2": [NAN, 500.0, NAN]}
    )
    supply = SupplyFacts(
        buildings=(BuildingReport(("X", "Y"), 4000.0, None), BuildingReport(("Z", "W"), 900.0, 300.0))
    )
    got = with_buildings(parcels, supply)
    assert got["floor_area_m2"].tolist()[:2] == [3000, 500]
    assert got["floor_area_m2"].isna().tolist() == [False, False, True]
    assert got["footprint_m2"].isna().all()
