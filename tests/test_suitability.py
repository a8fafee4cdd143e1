"""Suitability scoring (scoring/suitability.py, combine.py, constraints.py) on hand-computed
parcels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gis.errors import ConfigError, NotFoundError, SchemaError
from scoring.combine import aggregate, contributions
from scoring.suitability import (
    insert_ranks,
    parcel_breakdown,
    parcel_results,
    prepare,
    rank_scores,
    resolve_settings,
    result_frame,
    score_parcels,
)
from scoring.zone import Scoring, load_zone

JIAOKOU = Path(__file__).resolve().parents[1] / "data" / "zones" / "jiaokou.yaml"


def make_cfg(**overrides) -> Scoring:
    """Three criteria with weights 5:3:2 (→ 0.5, 0.3, 0.2) and two hard constraints."""
    data = {
        "method": "weighted_sum",
        "owa_order_weights": [0.2, 0.3, 0.5],
        "min_score": 50,
        "source": "test",
        "classes": [
            {"name": "优", "name_en": "excellent", "min_score": 80},
            {"name": "良", "name_en": "good", "min_score": 65},
            {"name": "中", "name_en": "fair", "min_score": 50},
            {"name": "差", "name_en": "poor", "min_score": 0},
        ],
        "slope_limits": [{"id": "natural", "name": "自然坡度", "max_pct": 15, "source": "test"}],
        "natural_slope_limit": "natural",
        "planned_slope_limit": "natural",
        "criteria": [
            {
                "id": "slope",
                "name": "坡度",
                "name_en": "Slope",
                "measure": "slope_mean_deg",
                "unit": "°",
                "function": {"type": "linear", "x0": 10, "x1": 0},
                "weight": 5,
                "source": "test",
            },
            {
                "id": "road",
                "name": "距道路距离",
                "name_en": "Road",
                "measure": "road_dist_m",
                "unit": "m",
                "function": {"type": "step", "steps": [[100, 1.0], [500, 0.5]], "above": 0.0},
                "weight": 3,
                "source": "test",
            },
            {
                "id": "voltage",
                "name": "电压等级",
                "name_en": "Voltage",
                "measure": "power_voltage_kv",
                "unit": "kV",
                "function": {"type": "categorical", "values": {"110": 1.0, "35": 0.5}, "default": 0.2},
                "weight": 2,
                "source": "test",
            },
        ],
        "constraints": [
            {
                "id": "steep",
                "measure": "slope_over_limit_share",
                "op": ">",
                "value": 0.5,
                "message": "地块 {value:.0%} 的面积坡度大于 15%",
                "message_en": "{value:.0%} of the parcel is steeper than 15 %",
                "source": "test",
            },
            {
                "id": "river",
                "measure": "river_share",
                "op": ">",
                "value": 0.25,
                "name_field": "river_name",
                "message": "地块 {value:.0%} 的面积位于{name}河道治导线内",
                "message_en": "{value:.0%} of the parcel is inside the {name} river control line",
                "source": "test",
            },
        ],
    }
    data.update(overrides)
    return Scoring.model_validate(data)


def make_measures() -> pd.DataFrame:
    """Parcels and their criterion values (slope: (10 − x)/10; road: <100 m 1, <500 m 0.5,
    else 0; voltage: 110 → 1, 35 → 0.5, other 0.2):

    A (0.8, 1, 0.5); B (0.5, 0.5, 0.5); C (0.1, 0, 0.2); D (no slope data → 0, 1, 0.5);
    E (1, 1, 1) but 62 % steep and 30 % in 段纯河's control line → excluded;
    F = B with no river data (not excluded, noted); G (1, 1, 1), 40 % in an unnamed river's line.
    """
    return pd.DataFrame(
        {
            "slope_mean_deg": [2.0, 5.0, 9.0, np.nan, 0.0, 5.0, 0.0],
            "road_dist_m": [50.0, 300.0, 700.0, 50.0, 50.0, 300.0, 10.0],
            "power_voltage_kv": [35.0, 35.0, 10.0, 35.0, 110.0, 35.0, 110.0],
            "slope_over_limit_share": [0.1, 0.0, 0.3, 0.0, 0.62, 0.0, 0.0],
            "river_share": [0.0, 0.0, 0.0, 0.0, 0.30, np.nan, 0.40],
            "river_name": [None, None, None, None, "段纯河", None, None],
        },
        index=pd.Index(list("ABCDEFG"), name="parcel_id"),
    )


# Hand-computed scores. w = (0.5, 0.3, 0.2); OWA order weights o = (0.2, 0.3, 0.5).
# OWA = Σ u·o·z / Σ u·o over the values sorted descending, e.g. A: road 1 (o 0.2), slope 0.8
# (o 0.3), voltage 0.5 (o 0.5): (0.3·0.2·1 + 0.5·0.3·0.8 + 0.2·0.5·0.5) / (0.06 + 0.15 + 0.10)
# = 0.23 / 0.31.
EXPECTED = {
    "weighted_sum": {
        "A": 100 * (0.5 * 0.8 + 0.3 * 1 + 0.2 * 0.5),  # 80.00
        "B": 50.0,
        "C": 100 * (0.5 * 0.1 + 0.3 * 0 + 0.2 * 0.2),  # 9.00
        "D": 100 * (0.5 * 0 + 0.3 * 1 + 0.2 * 0.5),  # 40.00
        "E": 100.0,
    },
    "weighted_product": {
        "A": 100 * 0.8**0.5 * 1**0.3 * 0.5**0.2,  # 77.86
        "B": 50.0,
        "C": 0.0,  # road value 0 with a positive weight
        "D": 0.0,  # slope: no data → 0
        "E": 100.0,
    },
    "owa": {
        "A": 100 * 0.23 / 0.31,  # 74.19
        "B": 50.0,  # all values equal
        # C: voltage 0.2 (o 0.2), slope 0.1 (o 0.3), road 0 (o 0.5)
        "C": 100 * (0.2 * 0.2 * 0.2 + 0.5 * 0.3 * 0.1) / (0.2 * 0.2 + 0.5 * 0.3 + 0.3 * 0.5),  # 6.76
        # D: road 1 (o 0.2), voltage 0.5 (o 0.3), slope 0 (o 0.5)
        "D": 100 * (0.3 * 0.2 * 1 + 0.2 * 0.3 * 0.5) / (0.06 + 0.06 + 0.25),  # 24.32
        "E": 100.0,
    },
}


@pytest.mark.parametrize("method", ["weighted_sum", "weighted_product", "owa"])
def test_hand_computed_scores(method):
    r = score_parcels(make_measures(), make_cfg(), method=method)
    for pid, expected in EXPECTED[method].items():
        assert r.loc[pid, "score"] == round(expected, 2), pid
    assert r["score"].tolist() == [round(s, 2) for s in r["score"]]  # 2 decimals
    # contributions add up to the (unrounded) score
    contrib = r[["contrib_slope", "contrib_road", "contrib_voltage"]].sum(axis=1)
    assert np.allclose(contrib, r["score"], atol=0.005)


def test_method_from_the_zone_file_is_the_default():
    r = score_parcels(make_measures(), make_cfg(method="owa"))
    assert r.loc["A", "score"] == 74.19


def test_values_and_weighted_sum_contributions():
    r = score_parcels(make_measures(), make_cfg())
    assert r.loc["A", ["value_slope", "value_road", "value_voltage"]].tolist() == pytest.approx(
        [0.8, 1.0, 0.5]
    )
    # 100·w·v
    assert r.loc["A", ["contrib_slope", "contrib_road", "contrib_voltage"]].tolist() == pytest.approx(
        [40, 30, 10]
    )
    assert r.loc["C", ["contrib_slope", "contrib_road", "contrib_voltage"]].tolist() == pytest.approx(
        [5, 0, 4]
    )


def test_owa_and_product_contributions():
    r = score_parcels(make_measures(), make_cfg(), method="owa")
    # 100·u·o·v / Σ u·o
    assert r.loc["A", ["contrib_slope", "contrib_road", "contrib_voltage"]].tolist() == pytest.approx(
        [100 * 0.12 / 0.31, 100 * 0.06 / 0.31, 100 * 0.05 / 0.31]
    )
    r = score_parcels(make_measures(), make_cfg(), method="weighted_product")
    s = 100 * 0.8**0.5 * 0.5**0.2
    # the product score shared in proportion to w·v = (0.4, 0.3, 0.1)
    assert r.loc["A", ["contrib_slope", "contrib_road", "contrib_voltage"]].tolist() == pytest.approx(
        [s * 0.4 / 0.8, s * 0.3 / 0.8, s * 0.1 / 0.8]
    )


def test_classes_ranks_and_eligibility():
    r = score_parcels(make_measures(), make_cfg())
    assert r["class"].to_dict() == {
        "A": "优",
        "B": "中",
        "C": "差",
        "D": "差",
        "E": "排除",
        "F": "中",
        "G": "排除",
    }
    assert r["class_en"].to_dict() == {
        "A": "excellent",
        "B": "fair",
        "C": "poor",
        "D": "poor",
        "E": "excluded",
        "F": "fair",
        "G": "excluded",
    }
    # competition ranks among the non-excluded: A 80, B = F 50, D 40, C 9
    assert r["rank"].dropna().to_dict() == {"A": 1, "B": 2, "C": 5, "D": 4, "F": 2}
    assert r["rank"].isna().tolist() == [False, False, False, False, True, False, True]
    assert r["eligible"].to_dict() == {
        "A": True,
        "B": True,
        "C": False,
        "D": False,
        "E": False,
        "F": True,
        "G": False,
    }


@pytest.mark.parametrize(
    ("score", "name", "name_en"),
    [
        (100.0, "优", "excellent"),
        (80.0, "优", "excellent"),
        (79.99, "良", "good"),
        (65.0, "良", "good"),
        (64.99, "中", "fair"),
        (50.0, "中", "fair"),
        (49.99, "差", "poor"),
        (0.0, "差", "poor"),
    ],
)
def test_class_boundaries(score, name, name_en):
    # one criterion, linear 0 → 0, 100 → 1: the score is the measure
    cfg = make_cfg(
        criteria=[
            {
                "id": "x",
                "name": "x",
                "name_en": "x",
                "measure": "x",
                "unit": "-",
                "function": {"type": "linear", "x0": 0, "x1": 100},
                "weight": 1,
                "source": "test",
            }
        ],
        constraints=[],
        owa_order_weights=None,
    )
    r = score_parcels(pd.DataFrame({"x": [score]}, index=["P"]), cfg)
    assert r.loc["P", "score"] == score
    assert (r.loc["P", "class"], r.loc["P", "class_en"]) == (name, name_en)
    assert cfg.classify(score).name == name  # the same rule as the zone model


def test_class_follows_the_rounded_score():
    cfg = make_cfg(
        criteria=[
            {
                "id": "x",
                "name": "x",
                "name_en": "x",
                "measure": "x",
                "unit": "-",
                "function": {"type": "linear", "x0": 0, "x1": 100},
                "weight": 1,
                "source": "test",
            }
        ],
        constraints=[],
        owa_order_weights=None,
    )
    r = score_parcels(pd.DataFrame({"x": [79.996]}, index=["P"]), cfg)
    assert r.loc["P", "score"] == 80.0 and r.loc["P", "class"] == "优"


def test_constraint_messages():
    r = score_parcels(make_measures(), make_cfg())
    assert r.loc["E", "excluded"] and r.loc["G", "excluded"]
    assert not r.loc[["A", "B", "C", "D", "F"], "excluded"].any()
    assert r.loc["E", "reasons"] == "地块 62% 的面积坡度大于 15%; 地块 30% 的面积位于段纯河河道治导线内"
    assert r.loc["E", "reasons_en"] == (
        "62% of the parcel is steeper than 15 %; 30% of the parcel is inside the 段纯河 river control line"
    )
    assert r.loc["G", "reasons"] == "地块 40% 的面积位于（未命名）河道治导线内"
    assert r.loc["G", "reasons_en"] == "40% of the parcel is inside the (unnamed) river control line"
    assert r.loc["A", "reasons"] == "" and r.loc["A", "reasons_en"] == ""
    # the score of an excluded parcel is still computed and shown
    assert r.loc["E", "score"] == 100.0


@pytest.mark.parametrize(
    ("op", "value", "excluded"),
    [
        (">", 0.3, "G"),
        (">=", 0.3, "EG"),
        ("<", 0.3, "ABCD"),
        ("<=", 0.0, "ABCD"),
        ("==", 0.4, "G"),
        ("!=", 0.0, "EG"),
    ],
)
def test_constraint_operators(op, value, excluded):
    cfg = make_cfg(
        constraints=[
            {
                "id": "river",
                "measure": "river_share",
                "op": op,
                "value": value,
                "message": "{value:.0%}",
                "message_en": "{value:.0%}",
                "source": "t",
            }
        ]
    )
    r = score_parcels(make_measures(), cfg)
    # F has no river data: never excluded, whatever the operator
    assert "".join(r.index[r["excluded"]]) == excluded


def test_text_constraint():
    m = make_measures().assign(status=["vacant", "reserved", "vacant", None, "vacant", "vacant", "vacant"])
    cfg = make_cfg(
        constraints=[
            {
                "id": "reserved",
                "measure": "status",
                "op": "==",
                "value": "reserved",
                "message": "地块状态为 {value}",
                "message_en": "parcel is {value}",
                "source": "t",
            }
        ]
    )
    r = score_parcels(m, cfg)
    assert list(r.index[r["excluded"]]) == ["B"]
    assert r.loc["B", "reasons_en"] == "parcel is reserved"
    assert "no data for constraint reserved" in r.loc["D", "notes"]


def test_no_data_is_valued_zero_and_noted():
    r = score_parcels(make_measures(), make_cfg())
    assert r.loc["D", "value_slope"] == 0.0
    assert r.loc["D", "notes"] == "no data for slope"
    assert r.loc["D", "notes_zh"] == "坡度无数据（按 0 计）"
    assert r.loc["F", "notes"] == "no data for constraint river (river_share): not checked"
    assert r.loc["A", "notes"] == ""
    m = make_measures()
    m.loc["A", ["slope_mean_deg", "power_voltage_kv"]] = np.nan
    r = score_parcels(m, make_cfg())
    assert r.loc["A", "notes"] == "no data for slope; no data for voltage"
    assert r.loc["A", "score"] == 30.0  # only the road counts: 100·0.3·1


def test_nullable_and_text_measure_columns():
    m = make_measures()
    m["power_voltage_kv"] = pd.array([35, 35, 10, None, 110, 35, 110], dtype="Int64")
    m["road_dist_m"] = m["road_dist_m"].astype("Float64")
    r = score_parcels(m, make_cfg())
    assert r.loc["A", "score"] == 80.0
    assert r.loc["D", "notes"] == "no data for slope; no data for voltage"


def test_weakest_criterion():
    r = score_parcels(make_measures(), make_cfg())
    assert r.loc[["A", "B", "C", "D", "F"], "weakest"].tolist() == [
        "voltage",
        "slope",
        "road",
        "slope",
        "slope",
    ]
    assert r.loc[["E", "G"], "weakest"].isna().all()  # excluded: the reasons say what is wrong
    # a criterion with weight 0 is never the weakest
    r = score_parcels(make_measures(), make_cfg(), weights={"slope": 1, "road": 1, "voltage": 0})
    assert r.loc["A", "weakest"] == "slope"


def test_weights_override_is_normalised():
    r = score_parcels(make_measures(), make_cfg(), weights={"slope": 1, "road": 1, "voltage": 2})
    # (0.25, 0.25, 0.5): A = 100·(0.25·0.8 + 0.25·1 + 0.5·0.5)
    assert r.loc["A", "score"] == 70.0 and r.loc["A", "class"] == "良"


def test_ahp_weights_from_the_zone_file():
    # a consistent matrix a_ij = w_i / w_j for w = (0.5, 0.3, 0.2)
    cfg = make_cfg(
        weights_from="ahp",
        ahp={
            "criteria": ["slope", "road", "voltage"],
            "matrix": [[1, "5/3", "5/2"], ["3/5", 1, "3/2"], ["2/5", "2/3", 1]],
            "source": "test",
        },
    )
    r = score_parcels(make_measures(), cfg)
    assert r.loc["A", "score"] == 80.0 and r.loc["C", "score"] == 9.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": {"slope": 1, "road": 1}}, r"missing: \['voltage'\]"),
        ({"weights": {"slope": 1, "road": 1, "voltage": 1, "gate": 1}}, r"unknown: \['gate'\]"),
        ({"weights": {"slope": -1, "road": 1, "voltage": 1}}, "finite, ≥ 0"),
        ({"weights": {"slope": 0, "road": 0, "voltage": 0}}, "not all 0"),
        ({"method": "median"}, "unknown scoring method 'median'"),
    ],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        score_parcels(make_measures(), make_cfg(), **kwargs)


def test_owa_needs_order_weights():
    with pytest.raises(ConfigError, match="owa_order_weights"):
        score_parcels(make_measures(), make_cfg(owa_order_weights=None), method="owa")


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        (
            ["road_dist_m"],
            r"missing measure column\(s\): 'road_dist_m' \(needed by criterion road \(距道路距离\)\)",
        ),
        (["river_name"], r"'river_name' \(needed by constraint river \(name_field\)\)"),
        (
            ["slope_mean_deg", "river_share"],
            r"'slope_mean_deg' \(needed by criterion slope .*'river_share' "
            r"\(needed by constraint river\)",
        ),
    ],
)
def test_missing_column(drop, message):
    with pytest.raises(SchemaError, match=message):
        score_parcels(make_measures().drop(columns=drop), make_cfg())


def test_non_numeric_measure():
    m = make_measures().astype({"slope_mean_deg": object})
    m.loc["C", "slope_mean_deg"] = "steep"
    with pytest.raises(
        SchemaError,
        match=r"'slope_mean_deg' \(needed by criterion slope\) must be numeric, "
        r"but parcel 'C' has 'steep'",
    ):
        score_parcels(m, make_cfg())


def test_duplicate_parcel_ids():
    m = make_measures()
    m.index = list("ABCDEFA")
    with pytest.raises(SchemaError, match=r"parcel ids must be unique, repeated: \['A'\]"):
        score_parcels(m, make_cfg())


@pytest.mark.parametrize(
    ("constraint", "message"),
    [
        ({"op": ">", "value": "x"}, "operator '>' needs a number"),
        ({"message": "{value:.0%} {nope}"}, r"does not format with value=0\.62"),
        ({"message_en": "{value:d}"}, r"scoring\.constraints\.0 \(steep\)\.message_en"),
    ],
)
def test_bad_constraint(constraint, message):
    base = {
        "id": "steep",
        "measure": "slope_over_limit_share",
        "op": ">",
        "value": 0.5,
        "message": "{value:.0%}",
        "message_en": "{value:.0%}",
        "source": "t",
    }
    with pytest.raises(ConfigError, match=message):
        score_parcels(make_measures(), make_cfg(constraints=[base | constraint]))


def test_result_columns_and_index():
    r = score_parcels(make_measures(), make_cfg())
    assert list(r.index) == list("ABCDEFG") and r.index.name == "parcel_id"
    for col in (
        "score",
        "class",
        "class_en",
        "rank",
        "eligible",
        "excluded",
        "reasons",
        "reasons_en",
        "weakest",
        "notes",
        "notes_zh",
        "value_slope",
        "value_road",
        "value_voltage",
        "contrib_slope",
        "contrib_road",
        "contrib_voltage",
    ):
        assert col in r.columns, col
    assert r["excluded"].dtype == bool and r["eligible"].dtype == bool


def test_no_parcels():
    r = score_parcels(make_measures().iloc[:0], make_cfg())
    assert len(r) == 0 and "score" in r.columns


def test_breakdown():
    rows = parcel_breakdown(make_measures(), make_cfg(), "A")
    assert [d["criterion"] for d in rows] == ["slope", "road", "voltage"]
    assert rows[0] == {
        "criterion": "slope",
        "name": "坡度",
        "name_en": "Slope",
        "measure": "slope_mean_deg",
        "raw": 2.0,
        "unit": "°",
        "value": pytest.approx(0.8),
        "weight": pytest.approx(0.5),
        "contribution": pytest.approx(40.0),
        "no_data": False,
    }
    assert rows[2]["raw"] == 35.0 and rows[2]["value"] == 0.5 and rows[2]["contribution"] == pytest.approx(10)
    assert sum(d["contribution"] for d in rows) == pytest.approx(80.0)
    d = parcel_breakdown(make_measures(), make_cfg(), "D")[0]
    assert d["raw"] is None and d["no_data"] and d["value"] == 0.0
    owa = parcel_breakdown(make_measures(), make_cfg(), "A", method="owa")
    assert sum(x["contribution"] for x in owa) == pytest.approx(100 * 0.23 / 0.31)


def test_breakdown_unknown_parcel():
    with pytest.raises(NotFoundError, match="'Z' is not in the parcel measures"):
        parcel_breakdown(make_measures(), make_cfg(), "Z")


# --------------------------------------------------------------------------- combine


def test_owa_with_equal_order_weights_is_the_weighted_sum():
    rng = np.random.default_rng(3)
    v = rng.uniform(0, 1, (50, 4))
    w = np.array([0.4, 0.3, 0.2, 0.1])
    assert np.allclose(aggregate(v, w, "owa", np.full(4, 0.25)), aggregate(v, w, "weighted_sum"))


@pytest.mark.parametrize(("order", "pick"), [([1, 0, 0], np.max), ([0, 0, 1], np.min)])
def test_owa_extremes_with_equal_importance(order, pick):
    v = np.array([[0.2, 0.9, 0.5], [0.7, 0.1, 0.3]])
    assert np.allclose(aggregate(v, np.full(3, 1 / 3), "owa", np.array(order, float)), 100 * pick(v, axis=1))


def test_weighted_product_zero_weight_zero_value():
    v = np.array([[0.0, 0.25]])
    assert aggregate(v, np.array([0.0, 1.0]), "weighted_product") == pytest.approx([25.0])  # 0⁰ = 1
    assert aggregate(v, np.array([0.5, 0.5]), "weighted_product") == pytest.approx([0.0])


def test_many_weight_vectors_at_once():
    v = np.array([[1.0, 0.0], [0.5, 0.5]])
    W = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    assert aggregate(v, W, "weighted_sum").tolist() == [[100, 0, 50], [50, 50, 50]]


def test_rank_scores():
    s = np.array([50.0, 80.0, 50.0, 10.0, 99.0])
    r = rank_scores(s, np.array([False, False, False, False, True]))
    assert r[:4].tolist() == [2, 1, 2, 4] and np.isnan(r[4])


# --------------------------------------------------------------------------- pieces


def zone_measures(n: int) -> pd.DataFrame:
    """``n`` parcels of random measures for the jiaokou zone's criteria and constraints."""
    rng = np.random.default_rng(0)
    m = pd.DataFrame(
        {
            "slope_mean_deg": rng.uniform(0, 20, n),
            "earthwork_lim_m3_per_mu": rng.uniform(0, 4000, n),
            "power_dist_m": rng.uniform(0, 8000, n),
            "power_voltage_kv": rng.choice([110.0, 35.0, 10.0, np.nan], n),
            "water_dist_m": rng.uniform(0, 6000, n),
            "wastewater_dist_m": rng.uniform(0, 9000, n),
            "road_dist_m": rng.uniform(0, 800, n),
            "net_dist_m_gate": rng.uniform(0, 6000, n),
            "slope_over_limit_share": rng.uniform(0, 0.7, n),
            "river_share": rng.uniform(0, 0.3, n),
            "river_name": rng.choice(["段纯河", "回龙河", None], n),
            "outside_park_share": rng.uniform(0, 0.06, n),
            "buildable_share": rng.uniform(0.5, 1.0, n),
        },
        index=pd.Index([f"SC-{i:05d}" for i in range(n)], name="parcel_id"),
    )
    return m


@pytest.mark.parametrize("method", ["weighted_sum", "weighted_product", "owa"])
def test_a_parcels_score_does_not_depend_on_the_parcels_scored_with_it(method):
    """Partitions score their own parcels (scoring/partitioned.py): every parcel's score and
    contributions must be the same bits whichever rows are scored together."""
    rng = np.random.default_rng(3)
    v = rng.uniform(0, 1, (2003, 8))
    v[rng.uniform(size=v.shape) < 0.05] = 0.0
    w = rng.dirichlet(np.ones(8))
    order = rng.dirichlet(np.ones(8))
    whole = aggregate(v, w, method, order)
    whole_c = contributions(v, w, method, order)
    for start, stop in ((0, 1), (1, 2), (5, 1003), (17, 2003), (1000, 1777)):
        assert np.array_equal(aggregate(v[start:stop], w, method, order), whole[start:stop])
        assert np.array_equal(contributions(v[start:stop], w, method, order), whole_c[start:stop])


def test_parcel_results_of_pieces_with_zone_wide_ranks_are_the_result_frame():
    m = zone_measures(3000)
    cfg = load_zone(JIAOKOU).scoring
    settings = resolve_settings(cfg)
    whole = result_frame(prepare(m, cfg))
    pieces = [
        parcel_results(prepare(m.iloc[a:b], cfg, settings=settings))
        for a, b in ((0, 7), (7, 1500), (1500, 3000))
    ]
    for piece in pieces:
        assert "rank" not in piece.columns
    joined = insert_ranks(pd.concat(pieces))
    pd.testing.assert_frame_equal(joined, whole, check_exact=True)
    # the ranks compare the whole zone: a piece's own ranks would differ
    assert not np.array_equal(
        rank_scores(pieces[2]["score"].to_numpy(), pieces[2]["excluded"].to_numpy()),
        whole["rank"].iloc[1500:].to_numpy(),
        equal_nan=True,
    )
    with pytest.raises(ValueError, match="settings"):
        prepare(m, cfg, settings=settings, method="owa")


# --------------------------------------------------------------------------- speed


def test_twenty_thousand_parcels_score_fast():
    cfg = load_zone(JIAOKOU).scoring
    n = 20_000
    m = zone_measures(n)
    # Speed is measured in benchmarks/, not asserted here.
    r = score_parcels(m, cfg)
    assert len(r) == n and r["score"].between(0, 100).all()
    assert 0 < r["excluded"].sum() < n
