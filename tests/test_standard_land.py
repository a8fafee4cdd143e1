"""标准地 sheets: minimum investment and output per admitted industry, requirements, land controls."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from app.i18n import render, render_value
from gis.errors import ConflictError, SchemaError
from scoring.standard_land import standard_land_sheet
from tests.admission_fixtures import jiaokou, layers, make_parcels, parcel, write_zone_with_layers


def sheet_of(**kw):
    return standard_land_sheet(jiaokou(), make_parcels(parcel("P1", **kw)).iloc[0])


def test_almg_cluster_sheet():
    s = sheet_of(mu=100, cluster="sc-almg", score=72.5)
    rows = {(r.industry, r.branches): r for r in s.rows}
    assert list(rows) == [("铝镁新材料", ()), ("资源综合利用产业", ("赤泥综合利用",))]
    almg = rows[("铝镁新材料", ())]
    assert (almg.min_investment_wan, almg.min_output_wan) == (25000.0, 20000.0)  # 100 亩 × 250 / 200
    assert (almg.online_monitoring_required, almg.waste_treatment_pct_min) == (True, 98.0)
    assert "铝行业规范条件" in almg.water_energy and almg.reference is False
    red = rows[("资源综合利用产业", ("赤泥综合利用",))]
    assert (red.min_investment_wan, red.min_output_wan, red.waste_treatment_pct_min) == (
        20000.0,
        21000.0,
        100.0,
    )
    assert s.land_controls["building_coefficient_min_pct"] == 30
    assert s.land_controls["admin_living_max_pct"] == 7
    assert s.land_controls["green_ratio_max_pct"] == 20
    assert s.score == 72.5 and s.notes == ()


def test_service_cluster_splits_branches_by_table_row():
    # 现代服务业: 现代物流 has a 表9-6 row (250/300); 高科技服务业 and 商贸服务 do not (表6-1 200/300 reference)
    s = sheet_of(mu=10, cluster="sc-service")
    assert [
        (r.branches, r.condition, r.min_investment_wan, r.min_output_wan, r.reference) for r in s.rows
    ] == [
        (("现代物流",), "现代物流", 2500.0, 3000.0, False),
        (("高科技服务业", "商贸服务"), None, 2000.0, 3000.0, True),
        (("3D打印",), None, 2000.0, 3000.0, True),  # 表8-1's words for a catch-all project
    ]
    assert (s.rows[2].industry, s.rows[2].review) == ("其它国家鼓励发展的产业项目", True)
    assert s.rows[1].online_monitoring_required is None
    assert any("表6-1" in render(n, "zh") for n in s.notes)


def test_hitech_cluster_has_three_industries_and_3d_printing():
    s = sheet_of(mu=50, cluster="st-hitech")
    assert [(r.industry, r.min_investment_wan, r.min_output_wan) for r in s.rows] == [
        ("高技术产业（制造）", 14000.0, 20000.0),  # 50 × 280 / 400
        ("智能制造产业", 11000.0, 14000.0),  # 50 × 220 / 280
        ("现代服务业", 10000.0, 15000.0),  # 高科技服务业: 表6-1 reference
        ("其它国家鼓励发展的产业项目", 10000.0, 15000.0),  # 3D打印 (表8-1), under review
    ]
    assert s.rows[1].branches == ("智能消费设备", "高性能通用零部件", "新能源汽车零部件")


def test_reserve_land_sheet_is_review():
    s = sheet_of(mu=40, cluster="sc-reserve")
    assert len(s.rows) == 1
    r = s.rows[0]
    assert (r.industry, r.review, r.reference, r.min_investment_wan, r.min_output_wan) == (
        "其它国家鼓励发展的产业项目",
        True,
        True,
        8000.0,
        12000.0,
    )
    assert render(s.notes[0], "zh").startswith("产业备用地预留给国家鼓励发展的产业项目")


def test_reserved_parcel_gets_a_note():
    s = sheet_of(mu=40, cluster="sc-reserve", status="reserved")
    assert render(s.notes[0], "zh") == "该地块为预留用地，复核后方可作为标准地出让"


def test_warnings_for_excluded_or_low_score():
    assert (
        render(sheet_of(excluded=True).notes[-1], "zh") == "注意：该地块被选址硬约束排除，不宜作为标准地出让"
    )
    assert render(sheet_of(score=42.0).notes[-1], "en") == "warning: suitability 42 is below the minimum 50"


@pytest.mark.parametrize(
    "kw, exc, part",
    [
        ({"status": "existing", "enterprise": "晟安电铝"}, ConflictError, "parcel P1 is existing (晟安电铝)"),
        ({"status": "public"}, ConflictError, "for vacant parcels"),
        ({"cluster": "nowhere", "park": "shuangchi"}, SchemaError, "cluster 'nowhere'"),
    ],
)
def test_errors(kw, exc, part):
    with pytest.raises(exc) as err:
        sheet_of(**kw)
    assert part in str(err.value)


def test_json():
    d = render_value(sheet_of(mu=100).to_dict(), "en")
    json.dumps(d, ensure_ascii=False)
    assert d["cluster_name"] == "Al-Mg new materials cluster"
    assert d["industries"][0]["min_investment_wan"] == 25000.0
    assert set(d["land_controls"]) >= {
        "building_coefficient_min_pct",
        "admin_living_max_pct",
        "green_ratio_max_pct",
    }


def test_cli_standard_land(tmp_path, monkeypatch):
    from app.commands.admission import register
    from app.scoring_io import cache as scored_cache

    zone_file = write_zone_with_layers(tmp_path, *layers())
    parcels = make_parcels(parcel("SC-0001", mu=100))
    monkeypatch.setattr(scored_cache, "load_scored_parcels", lambda zf: parcels)
    app = typer.Typer()
    register(app)
    res = CliRunner().invoke(
        app, ["standard-land", "--zone", str(zone_file), "--parcel", "SC-0001", "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["industries"][0]["min_output_wan"] == 20000.0
    res = CliRunner().invoke(
        app, ["standard-land", "--zone", str(zone_file), "--parcel", "SC-0001"], env={"COLUMNS": "220"}
    )
    assert res.exit_code == 0, res.output
    assert "25000" in res.output and "建筑系数 ≥30%" in res.output
