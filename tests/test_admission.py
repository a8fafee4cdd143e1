"""The admission rules of the plan, one project × one parcel, with numbers from the plan.

Thresholds (表9-6): 铝镁 250/200 (三废 ≥98), 智能制造 220/280, 新能源 220/350 (100), 生物健康
280/330, 高技术 280/400 (100), 资源综合利用 200/210 (100), 现代物流 250/300 (100); 表6-1
reference 200/300; ``scoring.min_score`` 50.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from app.i18n import render, render_value
from gis.errors import ConflictError, SchemaError
from scoring.admission import check_project, check_site, justified_area, worst
from scoring.capacity import CapacityLedger
from scoring.industry import classify_industry
from tests.admission_fixtures import (
    PROJECTS_DIR,
    jiaokou,
    layers,
    ledger,
    make_parcels,
    parcel,
    project,
    write_zone_with_layers,
)


def row(**kw) -> pd.Series:
    return make_parcels(parcel("P1", **kw)).iloc[0]


def status_of(result, rule):
    return result.rule(rule).status


def zh(x) -> str:
    """A rule outcome's message (or any message or name) in Chinese."""
    return render(getattr(x, "message", x), "zh")


def en(x) -> str:
    """A rule outcome's message (or any message or name) in English."""
    return render(getattr(x, "message", x), "en")


# --------------------------------------------------------------------------- verdicts


def test_plan_project_1_passes_on_20_mu():
    r = check_project(jiaokou(), row(mu=20), project(), ledger())
    assert r.verdict == "pass"
    assert [x.status for x in r.rules] == ["pass"] * len(r.rules)
    assert r.rule("investment_intensity").value == pytest.approx(3000.0)  # 60000 / 20
    assert r.rule("output_intensity").value == pytest.approx(7500.0)  # 150000 / 20
    assert r.max_justified_mu == pytest.approx(240.0)  # min(60000/250, 150000/200)
    assert zh(r.rule("investment_intensity")) == (
        "投资强度 = 60000 万元 ÷ 20 亩（整块可建设净用地）= 3000 万元/亩 ≥ 250 万元/亩"
    )


def test_needs_data_verdict_names_the_field_to_fill():
    r = check_project(jiaokou(), row(), project(online_monitoring=None), ledger())
    assert r.verdict == "needs_data"
    assert [x.rule for x in r.with_status("needs_data")] == ["online_monitoring"]
    assert r.rule("online_monitoring").fields == ("online_monitoring",)
    assert r.missing_fields() == ["online_monitoring"]
    assert zh(r.rule("online_monitoring")).endswith("请填写“在线监测”")
    assert render(r.rule("online_monitoring").message, "en").endswith("fill in “Online monitoring”")


def test_fail_beats_review():
    r = check_project(jiaokou(), row(), project(online_monitoring=None, waste_treatment_pct=97.9), ledger())
    assert r.verdict == "fail"
    assert r.failed_rules() == ["waste_treatment"]
    assert (
        worst(["pass", "review"]) == "review"
        and worst(["review", "fail", "pass"]) == "fail"
        and worst([]) == "pass"
    )


def test_json_shape_and_language():
    r = check_project(jiaokou(), row(), project(), ledger())
    d = render_value(r.to_dict(), "en")
    assert set(d) >= {"verdict", "max_justified_mu", "rules"}
    assert d["verdict"] == "pass" and d["max_justified_mu"] == 240.0
    assert d["max_justified_basis"] == "Table 9-6, Al-Mg new materials"
    rule = d["rules"][2]
    assert set(rule) == {
        "rule",
        "status",
        "value",
        "threshold",
        "unit",
        "source",
        "message",
        "fields",
        "level",
    }
    assert rule == {
        "rule": "investment_intensity",
        "status": "pass",
        "value": 3000.0,
        "threshold": 250.0,
        "unit": "10k yuan/mu",
        "source": "Table 9-6, Al-Mg new materials",
        "message": "investment intensity = 60000 10k yuan ÷ 20 mu (whole net buildable land) = "
        "3000 10k yuan/mu ≥ 250 10k yuan/mu",
        "fields": [],
        "level": None,
    }
    z = render_value(r.to_dict(), "zh")["rules"][2]
    assert (z["unit"], z["source"], z["message"]) == (
        "万元/亩",
        "表9-6 铝镁新材料产业",
        "投资强度 = 60000 万元 ÷ 20 亩（整块可建设净用地）= 3000 万元/亩 ≥ 250 万元/亩",
    )
    json.dumps(d, ensure_ascii=False)
    with pytest.raises(ValueError, match="unknown language"):
        render_value(r.to_dict(), "fr")


# --------------------------------------------------------------------------- intensity (表9-6)


@pytest.mark.parametrize(
    "industry, branch, cluster, investment, output, area, inv_status, out_status",
    [
        # 铝镁 250/200: 6 亿元 on 20 亩 → 3000; on 300 亩 → 200 < 250
        ("铝镁新材料", "铝基新材料", "sc-almg", 60000, 150000, 20, "pass", "pass"),
        ("铝镁新材料", "铝基新材料", "sc-almg", 60000, 150000, 300, "fail", "pass"),
        # 新能源 220/350: output exactly 350 passes, 349 fails
        ("新能源产业", "新能源装备制造", "st-newenergy", 22000, 35000, 100, "pass", "pass"),
        ("新能源产业", "新能源装备制造", "st-newenergy", 21900, 34900, 100, "fail", "fail"),
        # 高技术 280/400
        ("高技术产业（制造）", "电子器件制造", "st-hitech", 28000, 40000, 100, "pass", "pass"),
        ("高技术产业（制造）", "电子器件制造", "st-hitech", 28000, 39990, 100, "pass", "fail"),
        # 智能制造 220/280, 生物健康 280/330, 资源综合利用 200/210, 现代物流 250/300
        ("智能制造产业", "智能铸造", "sc-smart", 2200, 2790, 10, "pass", "fail"),
        ("生物健康产业", "健康食品", "sc-bio", 2790, 3300, 10, "fail", "pass"),
        ("资源综合利用产业", "赤泥综合利用", "sc-almg", 2000, 2100, 10, "pass", "pass"),
        ("现代服务业", "现代物流", "sc-service", 2500, 2999, 10, "pass", "fail"),
    ],
)
def test_intensity_thresholds(industry, branch, cluster, investment, output, area, inv_status, out_status):
    p = project(
        industry=industry,
        branch=branch,
        investment_wan=investment,
        output_wan=output,
        land_mu=area,
        waste_treatment_pct=100,
    )
    r = check_project(jiaokou(), row(mu=area, cluster=cluster), p, ledger())
    assert r.rule("investment_intensity").value == pytest.approx(investment / area)
    assert (status_of(r, "investment_intensity"), status_of(r, "output_intensity")) == (
        inv_status,
        out_status,
    )
    assert r.rule("cluster").status == "pass"


def test_intensity_fail_message_says_what_is_needed():
    r = check_project(jiaokou(), row(mu=300), project(land_mu=None), ledger())
    assert zh(r.rule("investment_intensity")) == (
        "投资强度 = 60000 万元 ÷ 300 亩（整块可建设净用地）= 200 万元/亩 < 250 万元/亩；300 亩需至少 75000 万元"
    )


def test_industry_without_a_row_goes_to_review_with_the_reference_targets():
    # 高科技服务业 has no 表9-6 row: review, the 表6-1 targets (200 / 300) shown as reference
    p = project(
        industry="现代服务业", branch="高科技服务业", investment_wan=20000, output_wan=30000, land_mu=50
    )
    r = check_project(jiaokou(), row(mu=50, cluster="sc-service"), p, ledger())
    inv = r.rule("investment_intensity")
    assert (inv.status, inv.value, inv.threshold) == ("review", 400.0, 200.0)
    assert "表9-6未给出" in zh(inv) and "参考表6-1目标 ≥200 万元/亩" in zh(inv)
    assert "gives no investment intensity threshold" in en(inv)
    assert status_of(r, "output_intensity") == "review"
    assert status_of(r, "online_monitoring") == "review" and status_of(r, "waste_treatment") == "review"
    assert r.max_justified_mu == pytest.approx(100.0)  # min(20000/200, 30000/300), reference
    assert r.justified.reference is True and "表6-1" in zh(r.justified.basis)
    assert r.verdict == "review"


# --------------------------------------------------------------------------- monitoring and 三废


@pytest.mark.parametrize(
    "branch_industry, pct, monitoring, waste_status, mon_status",
    [
        (("高技术产业（制造）", "光电产业", "st-hitech"), 99, True, "fail", "pass"),  # 100 % required
        (("高技术产业（制造）", "光电产业", "st-hitech"), 100, True, "pass", "pass"),
        (("铝镁新材料", "铝基新材料", "sc-almg"), 98, True, "pass", "pass"),  # ≥98
        (("铝镁新材料", "铝基新材料", "sc-almg"), 97.5, False, "fail", "fail"),
        (("新能源产业", "风光分布式开发", "st-newenergy"), None, None, "needs_data", "needs_data"),
    ],
)
def test_monitoring_and_waste(branch_industry, pct, monitoring, waste_status, mon_status):
    ind, br, cl = branch_industry
    p = project(industry=ind, branch=br, waste_treatment_pct=pct, online_monitoring=monitoring)
    r = check_project(jiaokou(), row(cluster=cl), p, ledger())
    assert (status_of(r, "waste_treatment"), status_of(r, "online_monitoring")) == (waste_status, mon_status)


def test_waste_fail_message():
    p = project(industry="高技术产业（制造）", branch="光电产业", waste_treatment_pct=99)
    r = check_project(jiaokou(), row(cluster="st-hitech"), p, ledger())
    w = r.rule("waste_treatment")
    assert (w.value, w.threshold, w.unit) == (99.0, 100.0, "%")
    assert zh(w) == "“三废”达标处理率 99% < 100%"


def test_water_energy_rule_only_when_declared():
    assert "water_energy" not in [x.rule for x in check_project(jiaokou(), row(), project(), ledger()).rules]
    r = check_project(jiaokou(), row(), project(energy_tce_per_wan=0.35), ledger())
    we = r.rule("water_energy")
    assert we.status == "review" and zh(we.value) == "0.35 tce/万元" and "铝行业规范条件" in zh(we.threshold)
    assert (
        en(we.value) == "0.35 tce per 10k yuan" and en(we.threshold) == "the industry norms (Table 9-6 note)"
    )


# --------------------------------------------------------------------------- positive list and cluster


@pytest.mark.parametrize(
    "industry, branch, description, cluster, pl_status, cl_status",
    [
        ("铝镁新材料", "氧化铝", None, "sc-almg", "review", "pass"),  # 规模控制
        ("铝镁新材料", None, None, "sc-almg", "needs_data", "pass"),  # no branch: fill it in
        ("铝镁新材料", "电解铝", None, "sc-almg", "fail", "fail"),  # listed industry, unlisted direction
        ("煤焦化", None, None, "sc-almg", "fail", "fail"),  # outside the list
        ("other", None, "装配式建筑", "sc-reserve", "review", "review"),  # 产业备用地
        ("other", None, "装配式建筑", "sc-almg", "review", "fail"),
        ("铝镁新材料", "铝基新材料", None, "sc-reserve", "pass", "review"),
        ("铝镁新材料", "铝基新材料", None, "sc-bio", "pass", "fail"),
        ("铝镁新材料", "镁基新材料（含镁铝合金）", None, "st-almg", "pass", "pass"),
        (
            "铝镁新材料",
            "氧化铝",
            None,
            "st-almg",
            "review",
            "fail",
        ),  # Shuitou admits Mg and Al materials only
        ("智能制造产业", "智能消费设备", None, "st-hitech", "pass", "pass"),
        ("智能制造产业", "智能铸造", None, "st-hitech", "pass", "fail"),
        ("智能制造产业", None, None, "st-hitech", "needs_data", "needs_data"),  # admits some branches
        ("资源综合利用产业", "有机肥饲料生产", None, "sc-almg", "pass", "fail"),  # sc-almg: 赤泥 only
        ("资源综合利用产业", "有机肥饲料生产", None, "sc-smart", "pass", "pass"),
    ],
)
def test_positive_list_and_cluster(industry, branch, description, cluster, pl_status, cl_status):
    p = project(industry=industry, branch=branch, encouraged_description=description)
    r = check_project(jiaokou(), row(cluster=cluster), p, ledger())
    assert (status_of(r, "positive_list"), status_of(r, "cluster")) == (pl_status, cl_status)


def test_outside_list_fails_with_reason():
    r = check_project(jiaokou(), row(), project(industry="煤焦化", branch=None), ledger())
    assert r.verdict == "fail"
    pl = r.rule("positive_list")
    assert zh(pl) == "“煤焦化”不在产业准入正面清单内（表9-5），清单外产业原则上不予支持"
    assert (zh(pl.source), en(pl.source)) == ("表9-5", "Table 9-5")


def test_controlled_branch_message():
    r = check_project(jiaokou(), row(), project(branch="氧化铝"), ledger())
    assert "规模控制" in zh(r.rule("positive_list")) and r.verdict == "review"


def test_wrong_cluster_says_where_it_belongs():
    r = check_project(jiaokou(), row(cluster="sc-bio"), project(), ledger())
    msg = zh(r.rule("cluster"))
    assert msg.startswith("生物健康产业组团不接纳铝镁新材料 / 铝基新材料")
    assert "可布局于：铝镁新材料组团、铝镁新材料产业组团" in msg


def test_reserve_land_review_message():
    p = project(industry="other", branch=None, encouraged_description="装配式建筑")
    r = check_project(jiaokou(), row(cluster="sc-reserve"), p, ledger())
    assert (
        zh(r.rule("cluster"))
        == "产业备用地预留给国家鼓励发展的产业项目，其它国家鼓励发展的产业项目需复核后布局"
    )
    assert zh(r.rule("positive_list")) == "“装配式建筑”按“其它国家鼓励发展的产业项目”申报，需逐项复核"


def test_unknown_cluster_is_a_data_error():
    with pytest.raises(SchemaError, match="cluster 'nowhere' is not a cluster"):
        check_project(jiaokou(), row(cluster="nowhere", park="shuangchi"), project(), ledger())


def test_parcel_table_columns_are_required():
    with pytest.raises(SchemaError, match=r"lacks column\(s\) \['score', 'excluded'\]"):
        check_project(jiaokou(), row().drop(["score", "excluded"]), project())


# --------------------------------------------------------------------------- the parcel


@pytest.mark.parametrize(
    "kw, rule, status, part",
    [
        (
            {"status": "existing", "enterprise": "天鹏冶炼"},
            "parcel_vacant",
            "fail",
            "P1为已建用地（天鹏冶炼），不是空闲用地",
        ),
        ({"status": "public"}, "parcel_vacant", "fail", "P1为公共设施用地"),
        (
            {"status": "reserved", "cluster": "sc-reserve"},
            "parcel_vacant",
            "review",
            "P1为预留用地（如产业备用地），需复核后供地",
        ),
        (
            {"excluded": True, "reasons": "地块 60% 的面积坡度大于 15%"},
            "site_constraints",
            "fail",
            "地块被选址硬约束排除：地块 60% 的面积坡度大于 15%",
        ),
        ({"excluded": None}, "site_constraints", "review", "缺少硬约束判定结果"),
        ({"score": 49.99}, "suitability", "fail", "适宜性得分 50 < 最低分 50"),
        ({"score": 50.0}, "suitability", "pass", "适宜性得分 50 ≥ 50"),
        ({"score": math.nan}, "suitability", "review", "缺少适宜性得分"),
    ],
)
def test_parcel_rules(kw, rule, status, part):
    r = check_project(jiaokou(), row(**kw), project(), ledger())
    assert r.rule(rule).status == status
    assert part in zh(r.rule(rule))


# --------------------------------------------------------------------------- area


def test_land_demand_not_covered():
    r = check_project(jiaokou(), row(mu=20), project(land_mu=30), ledger())
    ld = r.rule("land_demand")
    assert (ld.status, ld.value, ld.threshold) == ("fail", 20.0, 30.0)
    assert zh(ld) == "地块可建设净用地 20 亩 < 用地需求 30 亩，差 10 亩"


def test_land_demand_undeclared_needs_data():
    r = check_project(jiaokou(), row(mu=20), project(land_mu=None), ledger())
    assert status_of(r, "land_demand") == "needs_data"
    assert r.rule("land_demand").fields == ("land_mu",)
    assert zh(r.rule("land_demand")) == (
        "项目未申报用地需求（地块可建设净用地 20 亩）：需补充资料，请填写“用地需求（亩）”"
    )


def test_oversized_parcel_is_review_with_the_excess_and_intensity_fails():
    # №1 justifies 240 亩; a 300 亩 parcel is 60 亩 (25 %) too large
    r = check_project(jiaokou(), row(mu=300), project(land_mu=250), ledger())
    aj = r.rule("area_justified")
    assert (aj.status, aj.value, aj.threshold) == ("review", 300.0, 240.0)
    assert zh(aj) == (
        "供地 300 亩，超出项目可支撑的最大用地 240 亩 60 亩（25%），按表9-6本地块上投资/产出强度不达标"
        "；项目申报用地 250 亩本身已超出 240 亩"
    )
    assert "60 mu (25 %) larger" in en(aj)
    assert status_of(r, "investment_intensity") == "fail"  # 60000/300 = 200 < 250
    assert status_of(r, "output_intensity") == "pass"  # 150000/300 = 500 ≥ 200
    assert r.verdict == "fail"


def test_justified_area_of_plan_project_1():
    ja = justified_area(jiaokou(), project())
    assert ja.mu == pytest.approx(240.0) and ja.reference is False
    assert (ja.investment_threshold, ja.output_threshold) == (250.0, 200.0)
    # output binds when output is low: 新能源 220/350, 22000 and 17500 → min(100, 50) = 50
    ne = project(industry="新能源产业", branch="新能源装备制造", investment_wan=22000, output_wan=17500)
    assert justified_area(jiaokou(), ne).mu == pytest.approx(50.0)


# --------------------------------------------------------------------------- capacity


def test_capacity_pass_at_the_limit():
    # 9000 kW / 0.9 = 10 MVA = 50 − 40; water 2000 ≤ 3000 − 1000; wastewater 0.8 × 1250 = 1000 ≤ 6000 − 5000
    p = project(power_kw=9000, water_m3_per_day=1250)
    r = check_project(jiaokou(), row(), p, ledger())
    pc = r.rule("power_capacity")
    assert (pc.status, pc.value, pc.threshold, pc.unit) == ("pass", pytest.approx(10.0), 10.0, "MVA")
    assert zh(pc) == "用电负荷 10 MVA（9000 kW ÷ 功率因数 0.9） ≤ 双池110kV变电站剩余容量 10 MVA"
    assert (status_of(r, "water_supply"), status_of(r, "wastewater_capacity")) == ("pass", "pass")
    assert r.rule("wastewater_capacity").value == pytest.approx(1000.0)


def test_capacity_fail():
    p = project(power_kw=9100, water_m3_per_day=2100)
    r = check_project(jiaokou(), row(), p, ledger())
    assert r.rule("power_capacity").status == "fail"  # 10.11 MVA > 10
    assert r.rule("water_supply").status == "fail"  # 2100 > 2000
    assert r.rule("wastewater_capacity").status == "fail"  # 1680 > 1000
    assert zh(r.rule("wastewater_capacity")) == (
        "污水量 1680 m³/d（用水 2100 m³/d × 0.8） > 交口县第二污水处理厂剩余容量 1000 m³/d"
    )


def test_capacity_review_when_no_facility_in_service():
    # Shuitou: substation planned, reservoir planned with no capacity, no wastewater plant
    p = project(industry="铝镁新材料", branch="镁基新材料（含镁铝合金）")
    r = check_project(jiaokou(), row(cluster="st-almg"), p, ledger())
    assert r.rule("power_capacity").status == "review"
    assert "水头110kV变电站为规划设施，未投运" in zh(r.rule("power_capacity"))
    assert "西山水库 is planned, not in service" in en(r.rule("water_supply"))
    assert en(r.rule("wastewater_capacity")).endswith(
        "the zone file names no wastewater plant serving Shuitou park; review"
    )


def test_capacity_without_ledger_or_declared_demand_is_review():
    r = check_project(jiaokou(), row(), project())
    assert [status_of(r, x) for x in ("power_capacity", "water_supply", "wastewater_capacity")] == [
        "review"
    ] * 3
    assert r.verdict == "review"
    r = check_project(jiaokou(), row(), project(power_kw=None, water_m3_per_day=None), ledger())
    assert r.verdict == "needs_data"
    assert zh(r.rule("power_capacity")) == "项目未申报用电负荷：需补充资料，请填写“用电负荷（kW）”"
    assert r.missing_fields() == ["power_kw", "water_m3_per_day"]


def test_capacity_drawdown_second_project_no_longer_fits():
    led = ledger()  # 10 MVA, 2000 m³/d water, 1000 m³/d wastewater spare in Shuangchi
    first = project(name="A", power_kw=7200, water_m3_per_day=1000)  # 8 MVA, 1000 water, 800 wastewater
    second = project(name="B", power_kw=7200, water_m3_per_day=1000)
    assert check_project(jiaokou(), row(), first, led).verdict == "pass"
    record = led.admit("shuangchi", first, ["P1"])
    assert record.drawn == {
        "双池110kV变电站": pytest.approx(8.0),
        "双池岩溶水井": 1000.0,
        "交口县第二污水处理厂": 800.0,
    }
    assert led.supply("shuangchi", "power").spare == pytest.approx(2.0)
    r = check_project(jiaokou(), row(), second, led)
    assert r.verdict == "fail"
    assert r.failed_rules() == ["power_capacity", "wastewater_capacity"]  # 8 > 2 MVA; 800 > 200 m³/d
    assert r.rule("water_supply").status == "pass"  # 1000 ≤ 1000
    with pytest.raises(ConflictError, match="does not fit the spare capacity of shuangchi"):
        led.admit("shuangchi", second)
    assert led.supply("shuangchi", "power").spare == pytest.approx(2.0)  # nothing drawn by the refusal
    assert [a.project for a in led.admitted] == ["A"]
    copy = led.copy()
    copy.admit("shuangchi", project(name="C", power_kw=900, water_m3_per_day=None))
    assert led.supply("shuangchi", "power").spare == pytest.approx(2.0)  # the copy is independent
    assert copy.supply("shuangchi", "power").spare == pytest.approx(1.0)


def test_ledger_parameters_and_bad_layers():
    subs, water = layers()
    led = CapacityLedger.from_layers(jiaokou(), subs, water, power_factor=0.8, wastewater_ratio=0.5)
    d = led.demand(project(power_kw=8000, water_m3_per_day=100))
    assert (d.power_mva, d.water_m3_per_day, d.wastewater_m3_per_day) == (pytest.approx(10.0), 100, 50.0)
    with pytest.raises(SchemaError, match="lacks field"):
        CapacityLedger.from_layers(jiaokou(), subs.drop(columns=["load_mva"]), water)
    bad = subs.copy()
    bad.loc[0, "capacity_mva"] = -1
    with pytest.raises(SchemaError, match="substations row 0, capacity_mva"):
        CapacityLedger.from_layers(jiaokou(), bad, water)
    with pytest.raises(SchemaError, match="power_factor"):
        CapacityLedger.from_layers(jiaokou(), subs, water, power_factor=1.5)


def test_ledger_from_gpkg(tmp_path):
    subs, water = layers(sc_load_mva=45.0)
    zone_file = write_zone_with_layers(tmp_path, subs, water)
    led = CapacityLedger.from_gpkg(jiaokou(), zone_file.parent / "layers.gpkg")
    assert led.supply("shuangchi", "power").spare == pytest.approx(5.0)
    assert led.supply("shuangchi", "wastewater").spare == pytest.approx(1000.0)


# --------------------------------------------------------------------------- sites of several parcels


def test_group_site_uses_total_area_and_every_member():
    parcels = make_parcels(parcel("A", mu=100, score=80), parcel("B", mu=100, score=55, col=1))
    r = check_site(jiaokou(), parcels, project(land_mu=200), ledger())
    assert r.area_mu == 200 and r.parcel_ids == ("A", "B")
    assert r.rule("investment_intensity").value == pytest.approx(300.0)  # 60000 / 200
    assert r.rule("suitability").value == 55.0 and "最低：B" in zh(r.rule("suitability"))
    mixed = make_parcels(parcel("A"), parcel("B", cluster="sc-bio", col=1))
    with pytest.raises(SchemaError, match="one cluster"):
        check_site(jiaokou(), mixed, project())


def test_classification_passed_in_is_used():
    cls = classify_industry(jiaokou(), project())
    r = check_site(jiaokou(), make_parcels(parcel("A")), project(), ledger(), classification=cls)
    assert r.verdict == "pass"


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_zone(tmp_path, monkeypatch):
    """A zone file with capacity layers, and the pipeline's loader returning test parcels."""
    from app.scoring_io import cache as scored_cache

    subs, water = layers()
    zone_file = write_zone_with_layers(tmp_path, subs, water)
    parcels = make_parcels(
        parcel("SC-0001", mu=20),
        parcel("SC-0002", mu=300, col=1),
        parcel("SC-0003", status="existing", enterprise="天鹏冶炼", col=2),
    )
    monkeypatch.setattr(scored_cache, "load_scored_parcels", lambda zf: parcels)
    app = typer.Typer()
    from app.commands.admission import register

    register(app)
    return app, zone_file


def test_cli_check_json(cli_zone):
    app, zone_file = cli_zone
    res = CliRunner().invoke(
        app,
        [
            "check",
            "--zone",
            str(zone_file),
            "--parcel",
            "SC-0001",
            "--project",
            str(PROJECTS_DIR / "almg_ok.yaml"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["verdict"] == "review"  # water_energy declared in the file → review
    assert d["max_justified_mu"] == 240.0
    assert {r["rule"]: r["status"] for r in d["rules"]}["power_capacity"] == "pass"


def test_cli_check_human_and_errors(cli_zone):
    app, zone_file = cli_zone
    res = CliRunner().invoke(
        app,
        [
            "check",
            "--zone",
            str(zone_file),
            "--parcel",
            "SC-0002",
            "--project",
            str(PROJECTS_DIR / "almg_ok.yaml"),
            "--lang",
            "en",
        ],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    assert "verdict fail" in res.output and "investment intensity" in res.output
    res = CliRunner().invoke(
        app,
        [
            "check",
            "--zone",
            str(zone_file),
            "--parcel",
            "SC-0009",
            "--project",
            str(PROJECTS_DIR / "almg_ok.yaml"),
        ],
    )
    assert res.exit_code != 0 and "SC-0009" in str(res.exception)
    res = CliRunner().invoke(
        app,
        [
            "check",
            "--zone",
            str(zone_file),
            "--parcel",
            "SC-0001",
            "--project",
            str(PROJECTS_DIR / "bad_units.yaml"),
        ],
    )
    assert isinstance(res.exception, SchemaError) and "60000" in str(res.exception)


def _zone_with_unset_admits(cluster_id: str):
    """The sample zone with ``admits: null`` (not set yet) on one cluster, validated afresh."""
    from scoring.zone import ZoneConfig

    data = jiaokou().model_dump(mode="json")
    for park in data["parks"]:
        for cl in park["clusters"]:
            if cl["id"] == cluster_id:
                cl["admits"] = None
    return ZoneConfig.model_validate(data)


@pytest.mark.parametrize(
    "industry, branch, status",
    [
        ("铝镁新材料", "铝基新材料", "review"),  # on the positive list: review until the admits are set
        ("生物健康", None, "review"),
        ("造纸", None, "fail"),  # off the positive list: still fails
    ],
)
def test_cluster_whose_admits_are_not_set_is_review(industry, branch, status):
    zone = _zone_with_unset_admits("sc-bio")
    cl = next(c for _, c in zone.clusters() if c.id == "sc-bio")
    assert cl.admits is None and cl.admits_unset
    r = check_project(zone, row(cluster="sc-bio"), project(industry=industry, branch=branch), ledger())
    rule = r.rule("cluster")
    assert rule.status == status
    if status == "review":
        assert rule.threshold is None
        assert zh(rule) == "生物健康产业组团尚未设定准入产业，需复核：请在地图上为该组团填写准入产业"
        assert (
            en(rule) == f"{cl.name_en} admits nothing yet: review — set the industries it admits on the map"
        )


def test_cli_check_json_and_text_say_what_to_fill(cli_zone, tmp_path):
    """``parksite check`` on a project file without 三废 and power: ``--json`` gives needs_data with
    the fields; the table says 需补充资料 and names the form fields (in the chosen language)."""
    app, zone_file = cli_zone
    f = tmp_path / "short.yaml"
    f.write_text(
        "name: 缺资料\nindustry: 铝镁新材料\nbranch: 铝基新材料\ninvestment_wan: 60000\noutput_wan: 150000\n"
        "land_mu: 20\nwater_m3_per_day: 500\nonline_monitoring: true\n",
        encoding="utf-8",
    )
    args = ["check", "--zone", str(zone_file), "--parcel", "SC-0001", "--project", str(f)]
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert (d["verdict"], d["missing_fields"]) == ("needs_data", ["waste_treatment_pct", "power_kw"])
    assert {r["rule"]: r["fields"] for r in d["rules"] if r["fields"]} == {
        "waste_treatment": ["waste_treatment_pct"],
        "power_capacity": ["power_kw"],
    }
    res = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "需补充资料" in res.output and "请填写“用电负荷（kW）”" in res.output
    res = CliRunner().invoke(app, [*args, "--lang", "en"], env={"COLUMNS": "250"})
    assert "needs data" in res.output and "fill in “Power load (kW)”" in res.output
