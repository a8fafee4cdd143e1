"""亩均效益综合评价 (scoring.evaluation): small tables whose items, scores, ranks and classes are
worked out by hand here — set and derived benchmarks, the cap, a missing item, ties, exemptions
(new and 公用事业), 规下 under the scope's 亩, and the class bands A/B/C/D."""

from __future__ import annotations

import math

import pytest

from gis.errors import InputFileError
from scoring.evaluation import evaluate
from scoring.evaluation_figures import Figures, parse_figures
from scoring.evaluation_method import EvaluationMethod, load_method

ZONE_FILE = "data/zones/jiaokou.yaml"


def _ind(id_: str, num: str, den: str, weight: float, bench: float, scale: float = 1.0) -> dict:
    return {
        "id": id_,
        "name": id_,
        "name_en": id_,
        "numerator": num,
        "denominator": den,
        "scale": scale,
        "unit": "u",
        "weight": weight,
        "benchmark": {"value": bench, "source": "test"},
        "source": "test",
    }


def _method(**over) -> EvaluationMethod:
    """A method with set benchmarks: 规上 亩均税收 60 (benchmark 10 万元/亩) + 单位能耗增加值 40
    (benchmark 2 万元/tce); 规下 亩均税收 100 (benchmark 10); cap 1; 规下 on ≥ 3 亩; exempt when
    producing < 2 years or 公用事业; classes A < 0.2, B < 0.6, C < 0.95, D."""
    data = {
        "title": "t",
        "source": "test",
        "cap": 1.0,
        "cap_source": "test",
        "missing": "zero",
        "missing_source": "test",
        "indicators": {
            "above": [
                _ind("tax_per_mu", "tax_wan", "land_mu", 60, 10),
                _ind("va_per_energy", "value_added_wan", "energy_tce", 40, 2),
            ],
            "below": [_ind("tax_per_mu", "tax_wan", "land_mu", 100, 10)],
        },
        "scope": {"below_min_mu": 3, "source": "test"},
        "exemptions": {"producing_years": 2, "kinds": ["公用事业"], "source": "test"},
        "classes": [
            {"id": c, "upto": u, "name": c, "name_en": c, "policy": "p", "policy_en": "p", "source": "t"}
            for c, u in (("A", 0.2), ("B", 0.6), ("C", 0.95), ("D", 1.0))
        ],
    }
    data.update(over)
    return EvaluationMethod.model_validate(data)


def _below(name: str, tax: float, land: float = 10, **kw) -> Figures:
    return Figures(enterprise=name, land_mu=land, scale="below", tax_wan=tax, **kw)


def test_ranks_ties_classes_exemptions_scope():
    # 20 ranked 规下 enterprises on 10 亩: points = 100 × min(tax ÷ 10 ÷ 10, 1) = tax (capped at 100).
    taxes = [150, 90, 80, 70, 70, 60, 55, 50, 45, 40, 35, 30, 25, 20, 15, 10, 8, 6, 4, 2]
    figs = [_below(f"E{i:02d}", t) for i, t in enumerate(taxes, start=1)]
    figs += [
        _below("New", 500, producing_year=2024),  # producing 2025 − 2024 = 1 < 2 years → T
        _below("Old", 20, producing_year=2023),  # 2 years: ranked like the others (ties E14 at 20)
        _below("Water", 1, kind="公用事业"),  # utility → T
        _below("Small", 40, land=2.9),  # 规下 under 3 亩 → out of scope
    ]
    ev = evaluate(_method(), 2025, {2025: figs})
    got = {e.name: e for e in ev.enterprises}
    # E01: 150 / 10 亩 = 15 万元/亩 ÷ 10 = 1.5, capped at 1 → 100 points.
    assert got["E01"].items["tax_per_mu"].value == 15
    assert got["E01"].score == 100 and got["E01"].rank == 1
    # 21 ranked: E01..E20 and Old. Scores 100, 90, 80, 70, 70, 60, 55, 50, 45, 40, 35, 30, 25,
    # 20 (E14 and Old), 15, 10, 8, 6, 4, 2. Competition ranks: E04 and E05 tie at 4, E06 is 6;
    # E14 and Old tie at 14, E15 is 16.
    expected_rank = {"E02": 2, "E03": 3, "E04": 4, "E05": 4, "E06": 6, "E13": 13, "E14": 14, "Old": 14}
    expected_rank |= {"E15": 16, "E20": 21}
    for name, rank in expected_rank.items():
        assert got[name].rank == rank, name
    # Class by share ahead = (rank − 1) ÷ 21: rank 4 → 3/21 = 0.143 < 0.2 → A (both tied);
    # rank 6 → 5/21 = 0.238 → B; rank 13 → 12/21 = 0.571 → B; rank 14 → 13/21 = 0.619 → C (both);
    # rank 20 → 19/21 = 0.905 → C; rank 21 → 20/21 = 0.952 → D.
    classes = {"E04": "A", "E05": "A", "E06": "B", "E13": "B", "E14": "C", "Old": "C", "E19": "C", "E20": "D"}
    for name, klass in classes.items():
        assert got[name].klass == klass, name
    assert got["New"].klass == "T" and got["New"].exempt == "new" and got["New"].rank is None
    assert got["New"].score == 100  # scored all the same
    assert got["Water"].klass == "T" and got["Water"].exempt == "kind" and got["Water"].score == 1
    assert got["Small"].scope == "out" and got["Small"].score is None and got["Small"].klass is None
    assert ev.class_counts() == {"A": 5, "B": 8, "C": 7, "D": 1, "T": 2}
    assert [e.name for e in ev.d_list()] == ["E20"]
    # Order: ranked by rank (ties by name: E14 before Old), then T, then out of scope.
    names = [e.name for e in ev.enterprises]
    assert names.index("E14") + 1 == names.index("Old")
    assert names[-3:] == ["New", "Water", "Small"]


def test_missing_item_and_zero_denominator_above():
    # 规上: 亩均税收 60 × min(tax/land/10, 1) + 单位能耗增加值 40 × min(va/energy/2, 1).
    figs = [
        # 40/10 = 4 → 0.4 × 60 = 24; 30/20 = 1.5 → 0.75 × 40 = 30 → 54.
        Figures("A1", land_mu=10, scale="above", tax_wan=40, value_added_wan=30, energy_tce=20),
        # energy missing → the item scores 0 (missing: zero): 60/10 = 6 → 36 points.
        Figures("A2", land_mu=10, scale="above", tax_wan=60, value_added_wan=30),
        # energy 0 under a positive value added → the cap: 40; tax 10/5 = 2 → 12 → 52.
        Figures("A3", land_mu=5, scale="above", tax_wan=10, value_added_wan=5, energy_tce=0),
    ]
    ev = evaluate(_method(), 2025, {2025: figs})
    got = {e.name: e for e in ev.enterprises}
    assert got["A1"].items["tax_per_mu"].points == pytest.approx(24)
    assert got["A1"].items["va_per_energy"].points == pytest.approx(30)
    assert got["A1"].score == 54
    assert got["A2"].items["va_per_energy"].value is None and got["A2"].items["va_per_energy"].points == 0
    assert got["A2"].score == 36
    assert got["A3"].items["va_per_energy"].points == 40 and got["A3"].score == 52
    assert [(e.name, e.rank, e.klass) for e in ev.enterprises] == [
        ("A1", 1, "A"),  # share ahead 0/3
        ("A3", 2, "B"),  # 1/3 = 0.33
        ("A2", 3, "C"),  # 2/3 = 0.67
    ]


def test_jiaokou_method_derived_benchmarks():
    """The zone file's method: benchmarks 2 × the group's zone value of the year."""
    method = load_method(ZONE_FILE)
    figs = [
        Figures(
            "甲",
            land_mu=10,
            tax_wan=100,
            value_added_wan=500,
            revenue_wan=2000,
            energy_tce=100,
            emissions_t=5,
            employees=50,
            rnd_wan=40,
            producing_year=2015,
            scale="above",
        ),
        Figures(
            "乙",
            land_mu=20,
            tax_wan=100,
            value_added_wan=400,
            revenue_wan=1000,
            energy_tce=200,
            emissions_t=10,
            employees=40,
            rnd_wan=10,
            producing_year=2016,
            scale="above",
        ),
    ]
    ev = evaluate(method, 2025, {2025: figs})
    b = ev.benchmarks["above"]
    # Zone values: tax 200/30 亩; va 900/30; va/energy 900/300; va/emissions 900/15;
    # va/employee 900/90; R&D 100 × 50/3000 %. Benchmarks twice that.
    assert b["tax_per_mu"] == pytest.approx(2 * 200 / 30)
    assert b["va_per_mu"] == pytest.approx(60)
    assert b["va_per_energy"] == pytest.approx(6)
    assert b["va_per_emission"] == pytest.approx(120)
    assert b["labour_productivity"] == pytest.approx(20)
    assert b["rnd_share"] == pytest.approx(2 * 100 * 50 / 3000)
    got = {e.name: e for e in ev.enterprises}
    # 甲: 30×10/13.33 + 20×50/60 + 20×5/6 + 10×100/120 + 10×10/20 + 10×2/3.33
    #   = 22.5 + 16.667 + 16.667 + 8.333 + 5 + 6 = 75.17
    assert got["甲"].score == 75.17 and got["甲"].klass == "A"
    # 乙: 11.25 + 6.667 + 6.667 + 3.333 + 5 + 3 = 35.92; share ahead 1/2 → B.
    assert got["乙"].score == 35.92 and got["乙"].klass == "B"
    data = ev.to_dict()
    ind = {(i["group"], i["id"]): i for i in data["method"]["indicators"]}
    assert set(ind[("above", "tax_per_mu")]) >= {"id", "name", "weight", "benchmark", "cap", "unit"}
    assert ind[("above", "tax_per_mu")]["weight"] == 30 and ind[("below", "tax_per_mu")]["weight"] == 50
    assert sum(i["weight"] for i in data["method"]["indicators"] if i["group"] == "above") == 100
    e = data["enterprises"][0]
    assert set(e) >= {"name", "scope", "score", "rank", "class", "items"}
    assert set(e["items"]["tax_per_mu"]) == {"value", "benchmark", "weight", "points"}
    assert e["items"]["tax_per_mu"]["points"] == 22.5


def test_derived_benchmark_needs_the_year():
    method = _method(
        indicators={
            "above": [_ind("tax_per_mu", "tax_wan", "land_mu", 100, 10)],
            "below": [
                {
                    **_ind("tax_per_mu", "tax_wan", "land_mu", 100, 10),
                    "benchmark": {"factor": 2, "year_offset": -1, "source": "t"},
                }
            ],
        }
    )
    this = [_below("B1", 30)]
    with pytest.raises(InputFileError) as err:
        evaluate(method, 2025, {2025: this})
    assert err.value.msg.id == "error.evaluation.no_benchmark"
    # Last year: 2 × (20 + 40) / (10 + 10) = 6 万元/亩; B1: 3 / 6 → 50 points.
    ev = evaluate(method, 2025, {2025: this, 2024: [_below("B1", 20), _below("B2", 40)]})
    assert ev.benchmarks["below"]["tax_per_mu"] == 6 and ev.enterprises[0].score == 50


HEAD = ["企业名称", "用地面积（亩）", "税收（万元）", "规模", "投产年份", "kind"]


def test_parse_figures_headers_and_values():
    rows = [
        {
            "企业名称": "甲",
            "用地面积（亩）": "10",
            "税收（万元）": "1,200.5",
            "规模": "规上",
            "投产年份": "2019",
            "kind": None,
        },
        {
            "企业名称": None,
            "用地面积（亩）": None,
            "税收（万元）": float("nan"),
            "规模": None,
            "投产年份": None,
            "kind": None,
        },
        {
            "企业名称": "乙",
            "用地面积（亩）": 3,
            "税收（万元）": None,
            "规模": "below",
            "投产年份": 2020.0,
            "kind": "公用事业",
        },
    ]
    figs = parse_figures(rows, HEAD, year=2025, where="f.csv")
    assert figs == [
        Figures("甲", land_mu=10, scale="above", tax_wan=1200.5, producing_year=2019),
        Figures("乙", land_mu=3, scale="below", producing_year=2020, kind="公用事业"),
    ]


def test_parse_figures_names_every_bad_cell():
    rows = [
        {"企业名称": "甲", "用地面积（亩）": "10", "税收（万元）": "abc", "规模": "规上", "投产年份": "2019"},
        {"企业名称": "乙", "用地面积（亩）": "-1", "税收（万元）": "5", "规模": "大", "投产年份": "2030"},
        {"企业名称": "甲", "用地面积（亩）": None, "税收（万元）": "5", "规模": "规下", "投产年份": None},
    ]
    with pytest.raises(InputFileError) as err:
        parse_figures(rows, HEAD, year=2025, where="f.csv")
    cells = [
        (p.params["row"], p.params["column"], p.params["problem"].id)
        for p in err.value.msg.params["problems"].items
    ]
    assert cells == [
        (2, "税收（万元）", "error.figures.not_number"),
        (3, "用地面积（亩）", "error.figures.negative"),
        (3, "规模", "error.figures.scale"),
        (3, "投产年份", "error.figures.producing_year"),
        (4, "用地面积（亩）", "error.figures.empty"),  # required cells first
        (4, "企业名称", "error.figures.repeated"),
    ]


def test_parse_figures_missing_column():
    with pytest.raises(InputFileError) as err:
        parse_figures([{"enterprise": "x"}], ["enterprise", "tax_wan"], year=2025, where="f.csv")
    ids = [p.id for p in err.value.msg.params["problems"].items]
    assert ids == ["error.figures.column_missing", "error.figures.column_missing"]  # land_mu, scale


def test_value_is_finite_in_json():
    ev = evaluate(
        _method(),
        2025,
        {2025: [Figures("Z", land_mu=5, scale="above", tax_wan=1, value_added_wan=1, energy_tce=0)]},
    )
    item = ev.to_dict()["enterprises"][0]["items"]["va_per_energy"]
    assert item["value"] is None and item["points"] == 40 and not math.isinf(item["points"])
