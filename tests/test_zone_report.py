"""The zone report (scoring.zone_report): each TD/T 1029 indicator the data supports, computed on
a small synthetic zone by hand; those it does not support say "no data" with the reason; 表6-1
progress against the targets and the 2021 baseline of the zone file."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from scoring.evaluation_figures import Figures
from scoring.supervision import LandContract, supervise
from scoring.zone import load_zone
from scoring.zone_report import ParkArea, load_report_config, parks_of, supply_facts, zone_report

ZONE_FILE = "data/zones/jiaokou.yaml"


def _parcels() -> pd.DataFrame:
    rows = [
        ("p1", "existing", "industrial", 30, "甲"),
        ("p1", "existing", "industrial", 10, "乙"),
        ("p1", "existing", "commercial", 10, None),
        ("p1", "vacant", "industrial", 50, None),
        ("p2", "existing", "industrial", 20, "丙"),
        ("p2", "existing", "industrial", 5, "甲"),  # 甲 counts in p1 (30 亩 there against 5)
        ("p2", "public", "public_service", 10, None),  # not 'existing': not built land
    ]
    return pd.DataFrame(rows, columns=["park", "status", "land_use", "area_mu", "enterprise"])


FIGS = [
    Figures(
        "甲",
        land_mu=35,
        scale="above",
        tax_wan=70,
        investment_wan=7000,
        output_wan=10500,
        value_added_wan=3000,
    ),
    Figures("乙", land_mu=10, scale="below", tax_wan=10, investment_wan=1000),
    Figures("丙", land_mu=20, scale="above", tax_wan=40, output_wan=4000, value_added_wan=1000),
    Figures("丁", land_mu=5, scale="below", tax_wan=5),  # on no parcel: in 表6-1 totals only
]
PARKS = [ParkArea("p1", "一园", "P1", 1500), ParkArea("p2", "二园", "P2", 750)]


@pytest.fixture(scope="module")
def report() -> dict:
    return zone_report(load_report_config(ZONE_FILE), PARKS, _parcels(), FIGS, 2025)


def _ind(report: dict, area: str) -> dict:
    a = next(a for a in report["areas"] if a["id"] == area)
    return {i["id"]: i for i in a["indicators"]} | {"_inputs": a["inputs"]}


def test_indicators_per_park_and_zone(report):
    p1, p2, zone = _ind(report, "p1"), _ind(report, "p2"), _ind(report, "zone")
    # p1: built 30 + 10 + 10 = 50 亩, industrial 40 → 80 %; 甲 and 乙: (7000 + 1000) / 40 = 200
    # 万元/亩 investment, (70 + 10) / 40 = 2 万元/亩 tax.
    assert p1["_inputs"] == {
        "total_mu": 1500,
        "built_mu": 50,
        "industrial_built_mu": 40,
        "enterprises_with_figures": 2,
    }
    assert p1["industrial_share"]["value"] == 80
    assert p1["industrial_investment"]["value"] == 200 and p1["industrial_tax"]["value"] == 2
    # p2: built 20 + 5 = 25, all industrial → 100 %; 丙 gives no investment → no data; tax 40/25.
    assert p2["industrial_share"]["value"] == 100
    assert p2["industrial_investment"]["value"] is None
    assert p2["industrial_investment"]["no_data"].id == "zone_report.no_data.figures"
    assert p2["industrial_tax"]["value"] == 1.6
    # zone: built 75, industrial 65 → 86.67 %; 8000 / 65 = 123.08; (70 + 10 + 40) / 65 = 1.85.
    assert zone["_inputs"]["total_mu"] == 2250
    assert zone["industrial_share"]["value"] == 86.67
    assert zone["industrial_investment"]["value"] == 123.08 and zone["industrial_tax"]["value"] == 1.85


def test_indicators_without_data_say_so(report):
    zone = _ind(report, "zone")
    reasons = {
        "development_rate": "zone_report.no_data.serviced",
        "supply_rate": "zone_report.no_data.supply",
        "built_rate": "zone_report.no_data.contracts",
        "idle_rate": "zone_report.no_data.contracts",
        "floor_area_ratio": "zone_report.no_data.buildings",
        "building_density": "zone_report.no_data.buildings",
        "industrial_far": "zone_report.no_data.buildings",
        "industrial_coverage": "zone_report.no_data.buildings",
    }
    for iid, reason in reasons.items():
        assert zone[iid]["value"] is None and zone[iid]["no_data"].id == reason, iid
    assert len([k for k in zone if not k.startswith("_")]) == 11  # every TD/T 1029 indicator listed


def test_progress_against_table_6_1(report):
    got = {p["id"]: p for p in report["progress"]}
    assert got["output_total"]["current"] == 1.45  # (10500 + 4000) / 10⁴ 亿元
    assert got["output_total"]["target"] == 300 and got["output_total"]["met"] is False
    assert got["value_added_above"]["current"] == 0.4 and got["value_added_above"]["baseline"] == 8.08235
    assert got["tax_total"]["current"] == 0.0125  # 125 万元
    assert got["above_count"]["current"] == 2 and got["above_count"]["share_of_target"] == 0.08
    assert got["output_intensity"]["current"] == 263.6364  # 14500 / (35 + 20)
    assert got["output_intensity"]["baseline"] == 316.52 and got["output_intensity"]["met"] is False
    assert got["investment_intensity"]["current"] == 177.7778  # 8000 / (35 + 10)
    assert got["investment_intensity"]["baseline"] == 611.27
    assert got["tax_intensity"]["current"] == 1.7857 and got["tax_intensity"]["target"] is None
    assert got["developed_mu"]["current"] == 75 and got["developed_mu"]["baseline"] == 1092


def test_jiaokou_parks_areas():
    parks = {p.id: p.area_mu for p in parks_of(load_zone(ZONE_FILE))}
    assert parks == {"shuitou": pytest.approx(3.96 * 1500), "shuangchi": pytest.approx(6.53 * 1500)}


def test_built_and_idle_rates_from_the_land_contracts():
    # p1: A built 30; B contracted and completed 50; C contracted, never started 20 (idle);
    # D neither 40. p2: E built 20; F contracted, started, not completed 10.
    parcels = pd.DataFrame(
        [
            ("p1", "existing", "industrial", 30, "甲", "A"),
            ("p1", "vacant", "industrial", 50, None, "B"),
            ("p1", "vacant", "industrial", 20, None, "C"),
            ("p1", "vacant", "industrial", 40, None, "D"),
            ("p2", "existing", "industrial", 20, "丙", "E"),
            ("p2", "vacant", "industrial", 10, None, "F"),
        ],
        columns=["park", "status", "land_use", "area_mu", "enterprise", "parcel_id"],
    )
    d = dt.date
    contracts = [
        LandContract(
            "乙", ("B",), 50, 500, agreed_start=d(2021, 3, 1), started=d(2021, 3, 1), completed=d(2022, 9, 1)
        ),
        LandContract("丁", ("C",), 20, 200, agreed_start=d(2022, 1, 1)),
        LandContract("戊", ("F",), 10, 100, agreed_start=d(2023, 3, 1), started=d(2023, 4, 1)),
    ]
    as_of = d(2023, 6, 1)
    cases = supervise(contracts, load_zone(ZONE_FILE).supervision, as_of)
    assert [(c.enterprise, c.rule) for c in cases] == [("丁", "idle_not_started")]  # 1 year past 2022-01-01
    supply = supply_facts(contracts, cases, as_of)
    assert (supply.contracted, supply.completed, supply.idle) == ({"B", "C", "F"}, {"B"}, {"C"})

    report = zone_report(load_report_config(ZONE_FILE), PARKS, parcels, [], 2023, supply)
    p1, p2, zone = _ind(report, "p1"), _ind(report, "p2"), _ind(report, "zone")
    # p1: supplied 30 + 50 + 20 = 100 亩, built 30 + 50 = 80 → 80 %, idle 20 → 20 %
    assert (p1["_inputs"]["supplied_mu"], p1["_inputs"]["idle_mu"]) == (100, 20)
    assert (p1["built_rate"]["value"], p1["idle_rate"]["value"]) == (80, 20)
    # p2: supplied 20 + 10 = 30, built 20 → 66.67 %, none idle
    assert (p2["built_rate"]["value"], p2["idle_rate"]["value"]) == (66.67, 0)
    # zone: 100 of 130 built → 76.92 %; 20 of 130 idle → 15.38 %
    assert (zone["built_rate"]["value"], zone["idle_rate"]["value"]) == (76.92, 15.38)
    assert zone["supply_rate"]["no_data"].id == "zone_report.no_data.supply"  # still needs serviced land
    # completion reported after the date does not count yet
    early = supply_facts(contracts, cases, d(2022, 8, 31))
    assert early.completed == frozenset()
