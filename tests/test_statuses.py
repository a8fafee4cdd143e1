"""Four statuses and the verdict order, by hand: ``pass``; ``review`` (a person must judge);
``needs_data`` (the project did not declare a figure a rule needs: the outcome names the field);
``fail``. The verdict is the worst rule: fail > needs_data > review > pass.

The project is plan project №1 (铝基新材料, 60000 万元, 150000 万元/年) on a 20 亩 parcel of the
双池 铝镁新材料产业组团 with every figure declared (tests.admission_fixtures.project): it passes;
each case changes one or two things.
"""

from __future__ import annotations

import pandas as pd
import pytest

from app.i18n import render
from gis.errors import SchemaError
from scoring.admission import check_project, worst
from scoring.project import load_project, project_park
from scoring.recommend import recommend
from scoring.rulebook import SEVERITY, STATUSES
from tests.admission_fixtures import jiaokou, ledger, make_parcels, parcel, project


def row(**kw) -> pd.Series:
    return make_parcels(parcel("P1", **kw)).iloc[0]


@pytest.mark.parametrize(
    "statuses, verdict",
    [
        ([], "pass"),
        (["pass", "pass"], "pass"),
        (["pass", "review"], "review"),
        (["review", "needs_data", "pass"], "needs_data"),
        (["needs_data", "review"], "needs_data"),
        (["needs_data", "fail"], "fail"),
        (["fail", "review", "needs_data", "pass"], "fail"),
    ],
)
def test_verdict_order(statuses, verdict):
    assert worst(statuses) == verdict


def test_the_vocabulary_is_one_ordered_tuple():
    assert STATUSES == ("pass", "review", "needs_data", "fail")
    assert [SEVERITY[s] for s in STATUSES] == [0, 1, 2, 3]


# (changes to the project, changes to the parcel, verdict, {rule: status} of the rules that do not pass,
#  fields to fill)
CASES = [
    pytest.param({}, {}, "pass", {}, [], id="all declared: pass"),
    pytest.param({"branch": "氧化铝"}, {}, "review", {"positive_list": "review"}, [], id="规模控制: review"),
    pytest.param(
        {"industry": "other", "branch": None, "encouraged_description": "装配式建筑构件"},
        {"cluster": "sc-reserve"},
        "review",
        # the catch-all and 产业备用地 are a person's call; its intensity has no 表9-6 row (表6-1
        # reference) and 表9-6's environmental rows do not apply
        {
            "positive_list": "review",
            "cluster": "review",
            "investment_intensity": "review",
            "output_intensity": "review",
            "online_monitoring": "review",
            "waste_treatment": "review",
        },
        [],
        id="catch-all on reserve land: review",
    ),
    pytest.param(
        {}, {"status": "reserved"}, "review", {"parcel_vacant": "review"}, [], id="reserved: review"
    ),
    pytest.param(
        {"online_monitoring": None},
        {},
        "needs_data",
        {"online_monitoring": "needs_data"},
        ["online_monitoring"],
        id="monitoring undeclared: needs_data",
    ),
    pytest.param(
        {"land_mu": None}, {}, "needs_data", {"land_demand": "needs_data"}, ["land_mu"], id="land undeclared"
    ),
    pytest.param(
        {"power_kw": None, "water_m3_per_day": None},
        {},
        "needs_data",
        {"power_capacity": "needs_data", "water_supply": "needs_data", "wastewater_capacity": "needs_data"},
        ["power_kw", "water_m3_per_day"],
        id="power and water undeclared",
    ),
    pytest.param(
        {"branch": None},
        {},
        "needs_data",
        {"positive_list": "needs_data"},
        ["branch"],
        id="no 二级产业方向: needs_data",
    ),
    pytest.param(
        {"branch": "氧化铝", "waste_treatment_pct": None},
        {},
        "needs_data",
        {"positive_list": "review", "waste_treatment": "needs_data"},
        ["waste_treatment_pct"],
        id="needs_data beats review",
    ),
    pytest.param(
        {"waste_treatment_pct": 97, "online_monitoring": None},
        {},
        "fail",
        {"waste_treatment": "fail", "online_monitoring": "needs_data"},
        ["online_monitoring"],
        id="fail beats needs_data",
    ),
    pytest.param({"park": "shuitou"}, {}, "fail", {"park": "fail"}, [], id="named park elsewhere: fail"),
]


@pytest.mark.parametrize("changes, site, verdict, not_passing, fields", CASES)
def test_each_status(changes, site, verdict, not_passing, fields):
    r = check_project(jiaokou(), row(**site), project(**changes), ledger())
    assert r.verdict == verdict
    assert {x.rule: x.status for x in r.rules if x.status != "pass"} == not_passing
    assert r.missing_fields() == fields
    assert r.to_dict()["missing_fields"] == fields
    for x in r.rules:  # only a needs_data outcome names fields, and every one names some
        assert bool(x.fields) == (x.status == "needs_data")


@pytest.mark.parametrize(
    "changes, rule, zh, en",
    [
        (
            {"waste_treatment_pct": None},
            "waste_treatment",
            "项目未申报“三废”达标处理率（要求 ≥98%）：需补充资料，请填写“三废达标处理率（%）”",
            "the project does not declare its three-waste treatment rate (≥98 % required): "
            "needs data, fill in “Three wastes treated to standard (%)”",
        ),
        (
            {"power_kw": None},
            "power_capacity",
            "项目未申报用电负荷：需补充资料，请填写“用电负荷（kW）”",
            "the project declares no power load: needs data, fill in “Power load (kW)”",
        ),
    ],
)
def test_needs_data_names_the_field_in_the_users_language(changes, rule, zh, en):
    r = check_project(jiaokou(), row(), project(**changes), ledger())
    assert (render(r.rule(rule).message, "zh"), render(r.rule(rule).message, "en")) == (zh, en)


def test_recommendation_keeps_needs_data_candidates_and_says_what_to_fill():
    """needs_data is the project's (the same on every site): it neither removes a site nor changes
    the ranking; the candidate's verdict and reason say which fields to fill."""
    parcels = make_parcels(parcel("A", mu=25, score=90, col=0), parcel("B", mu=25, score=70, col=3))
    full = recommend(jiaokou(), parcels, project(), ledger=ledger())
    short = recommend(jiaokou(), parcels, project(online_monitoring=None), ledger=ledger())
    assert [c.parcel_ids for c in full.candidates] == [c.parcel_ids for c in short.candidates]
    assert [c.verdict for c in full.candidates] == ["pass", "pass"]
    assert [c.verdict for c in short.candidates] == ["needs_data", "needs_data"]
    assert render(short.candidates[0].reason, "zh").endswith("需补充资料：在线监测")


# --------------------------------------------------------------------------- the named park


@pytest.mark.parametrize(
    "park, expected",
    [("shuitou", "shuitou"), ("水头镇园区", "shuitou"), ("Shuangchi park", "shuangchi"), (None, None)],
)
def test_project_park_by_id_or_name(park, expected):
    assert project_park(jiaokou(), project(park=park)) == expected


def test_unknown_park_names_the_row(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(
        "name: 铝基\nindustry: 铝镁新材料\nbranch: 铝基新材料\ninvestment_wan: 60000\noutput_wan: 150000\n"
        "park: 交城园区\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError) as exc:
        load_project(f, jiaokou())
    assert exc.value.where == f"{f}: park"
    text = render(exc.value.msg, "zh")
    assert "交城园区" in text and "shuitou (水头镇园区)" in text and "shuangchi (双池镇园区)" in text


def test_a_project_naming_a_park_is_recommended_only_there():
    parcels = make_parcels(
        parcel("SC", mu=25, score=90, cluster="sc-almg", col=0),
        parcel("ST", mu=25, score=60, cluster="st-almg", col=3),
    )
    assert [c.parcel_ids for c in recommend(jiaokou(), parcels, project()).candidates] == [("SC",), ("ST",)]
    only = recommend(jiaokou(), parcels, project(park="水头镇园区"))
    assert [c.parcel_ids for c in only.candidates] == [("ST",)]
    assert only.candidates[0].check.rule("park").status == "pass"
    nowhere = recommend(jiaokou(), make_parcels(parcel("SC", mu=25)), project(park="shuitou"))
    assert nowhere.candidates == () and nowhere.closest.rule("park").status == "fail"
    assert render(nowhere.closest.rule("park").message, "zh") == (
        "项目指定水头镇园区，地块位于双池镇园区：只能在指定园区内选址"
    )
