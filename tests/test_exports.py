"""Exchange files read back with pyogrio / openpyxl / pandas and compared with the database.

The small synthetic zone (tests/conftest.py): four 100 m × 100 m parcels (10 000 m² = 15 亩),
天鹏冶炼 on SC-0002. Added here: a score run (SC-0001 72.5 良, SC-0003 excluded), the enterprise's
2023 figures (4 500 万元 investment, 6 000 万元 output, 150 万元 tax on 15 亩 → 300, 400 and
10 万元/亩) and one failed project check on SC-0001.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.commands.export import register
from app.db.importer import ImportSources, import_zone
from app.db.layers import load_layer
from app.db.models import (
    CheckResultRow,
    EnterpriseRow,
    EnterpriseYearlyRow,
    ParcelRow,
    ParcelScoreRow,
    ProjectRow,
    ScoreRunRow,
)
from app.exports import export_zone
from app.exports.labels import CHECK_HEADERS, SCORE_HEADERS, shapefile_field_map, short_name
from app.exports.shapefile import fit_bytes
from app.exports.workbook import _width
from app.i18n import text
from app.ogc import mount
from tests.conftest import X0, Y0, write_zone_files

LAYERS = ["parks", "clusters", "parcels", "roads", "rivers", "substations", "water", "places"]


@pytest.fixture
def zone(zone_db):
    """The small zone's session factory, with scores, enterprise figures and a check result."""
    db_factory = zone_db
    with db_factory.begin() as s:
        ids = {p.parcel_id: p.id for p in s.scalars(select(ParcelRow))}
        run = ScoreRunRow(
            zone_id="jiaokou",
            config_sha256="x",
            status="done",
            finished_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
        )
        s.add(run)
        s.flush()
        s.add_all(
            [
                ParcelScoreRow(
                    run_id=run.id,
                    parcel_id=ids["SC-0001"],
                    score=72.5,
                    score_class="良",
                    excluded=False,
                    reasons=[],
                ),
                ParcelScoreRow(
                    run_id=run.id,
                    parcel_id=ids["SC-0002"],
                    score=55.0,
                    score_class="中",
                    excluded=False,
                    reasons=[],
                ),
                ParcelScoreRow(
                    run_id=run.id,
                    parcel_id=ids["SC-0003"],
                    score=None,
                    score_class="排除",
                    excluded=True,
                    reasons=["位于回龙河治导线内"],
                ),
            ]
        )
        ent = s.scalar(select(EnterpriseRow).where(EnterpriseRow.name == "天鹏冶炼"))
        s.add_all(
            [
                EnterpriseYearlyRow(enterprise_id=ent.id, year=2022, land_mu=15, investment_wan=3000),
                EnterpriseYearlyRow(
                    enterprise_id=ent.id,
                    year=2023,
                    land_mu=15,
                    investment_wan=4500,
                    output_wan=6000,
                    tax_wan=150,
                ),
            ]
        )
        project = ProjectRow(
            zone_id="jiaokou",
            name="年产10万吨铝基新材料项目",
            enterprise="某铝业公司",
            industry="铝镁新材料",
            land_mu=20,
            investment_wan=4000,
            output_wan=5000,
        )
        s.add(project)
        s.flush()
        s.add(
            CheckResultRow(
                project_id=project.id,
                parcel_id=ids["SC-0001"],
                parcel_code="SC-0001",
                verdict="fail",
                checked_at=dt.datetime(2025, 3, 2, 8, 30, tzinfo=dt.UTC),
                checked_by="张工",
                rules=[
                    {
                        "rule": "investment_intensity",
                        "status": "fail",
                        "message": "投资强度 200 万元/亩 低于 250 万元/亩",
                    },
                    {"rule": "land_demand", "status": "pass", "message": "ok"},
                ],
            )
        )
    return db_factory


#: Chinese characters.
CJK = re.compile(r"[\u4e00-\u9fff]")


def headers(columns: dict[str, str], lang: str) -> list[str]:
    """The headers of a table's columns (message ids) in ``lang``."""
    return [text(v, lang) for v in columns.values()]


def export(factory, kind: str, out: Path, **options) -> Path:
    with factory() as s:
        return export_zone(s, "jiaokou", kind, out, **options)


def db_layers(factory) -> dict[str, gpd.GeoDataFrame]:
    with factory() as s:
        return {n: load_layer(s, "jiaokou", n) for n in LAYERS}


def comparable(gdf: gpd.GeoDataFrame, key: str) -> pd.DataFrame:
    """Attributes (no db columns) sorted by key, geometry as WKB hex, nulls as None."""
    df = pd.DataFrame(gdf.drop(columns=[c for c in ("id", "version") if c in gdf.columns]))
    df = df[df.geometry.notna()] if "geometry" in df else df
    df["geometry"] = [shapely.to_wkb(shapely.normalize(g), hex=True) for g in df["geometry"]]
    df = df.sort_values(key).reset_index(drop=True)
    return df.astype(object).where(df.notna(), None)[sorted(df.columns)]


KEYS = {
    "parks": "park_id",
    "clusters": "cluster_id",
    "parcels": "parcel_id",
    "roads": "road_id",
    "rivers": "river_id",
    "substations": "substation_id",
    "water": "water_id",
    "places": "place_id",
}


# --------------------------------------------------------------------------- GeoPackage


def test_geopackage_holds_every_layer_scores_and_checks(zone, tmp_path):
    factory = zone
    out = export(factory, "gpkg", tmp_path / "zone.gpkg")
    assert [str(n) for n, _ in pyogrio.list_layers(out)] == [
        *LAYERS,
        "parcel_scores",
        "check_results",
        "export_info",
    ]
    db = db_layers(factory)
    for name in LAYERS:
        got = comparable(pyogrio.read_dataframe(out, layer=name), KEYS[name])
        want = comparable(db[name], KEYS[name])
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=name)
    # 9 clusters in the zone file, 3 drawn: the 6 without an outline are left out of the layer
    assert len(pyogrio.read_dataframe(out, layer="clusters")) == 3
    assert pyogrio.read_info(out, layer="parcels")["crs"] == "EPSG:4546"
    scores = pyogrio.read_dataframe(out, layer="parcel_scores").set_index("parcel_id")
    assert scores.loc["SC-0001", ["score", "score_class", "excluded"]].tolist() == [72.5, "良", False]
    assert scores.loc["SC-0003", ["score_class", "excluded", "reasons"]].tolist() == [
        "排除",
        True,
        "位于回龙河治导线内",
    ]
    assert pd.isna(scores.loc["ST-0001", "score"])
    assert scores.loc[
        "SC-0002",
        ["enterprise", "investment_wan_per_mu", "output_wan_per_mu", "tax_wan_per_mu", "figures_year"],
    ].tolist() == ["天鹏冶炼", 300.0, 400.0, 10.0, 2023]
    checks = pyogrio.read_dataframe(out, layer="check_results", read_geometry=False)
    assert checks[
        [
            "project",
            "parcel_id",
            "verdict",
            "verdict_label",
            "investment_wan_per_mu",
            "failed_rules",
            "checked_by",
        ]
    ].iloc[0].tolist() == [
        "年产10万吨铝基新材料项目",
        "SC-0001",
        "fail",
        "不通过",
        200.0,
        "投资强度：投资强度 200 万元/亩 低于 250 万元/亩",  # the rule by its name, not its id
        "张工",
    ]
    info = dict(pyogrio.read_dataframe(out, layer="export_info", read_geometry=False).values)
    # the run the fixture made (on PostGIS the ids go on across tests: never assume 1)
    with factory() as s:
        (run_id,) = s.scalars(select(ScoreRunRow.id)).all()
    assert info["zone_id"] == "jiaokou" and info["crs"] == "EPSG:4546" and info["score_run"] == str(run_id)


def test_geopackage_edited_and_reimported_round_trips(zone, tmp_path):
    factory = zone
    sources = write_zone_files(tmp_path / "files")  # the zone file and DEM to import with
    before = db_layers(factory)
    out = export(factory, "gpkg", tmp_path / "zone.gpkg")
    # "QGIS": change one parcel's attribute and another parcel's outline (10 m wider to the east)
    parcels = pyogrio.read_dataframe(out, layer="parcels")
    parcels.loc[parcels["parcel_id"] == "SC-0001", "land_use"] = "M1"
    wider = shapely.MultiPolygon([shapely.box(X0 + 600, Y0 + 100, X0 + 710, Y0 + 200)])
    parcels.loc[parcels["parcel_id"] == "SC-0002", "geometry"] = wider
    pyogrio.write_dataframe(parcels, out, layer="parcels", driver="GPKG")
    assert {str(n) for n, _ in pyogrio.list_layers(out)} >= set(LAYERS)  # other layers kept

    report = import_zone(
        factory,
        ImportSources(zone_file=sources.zone_file, layers=out, dems=sources.dems),
        replace=True,
        user="test",
    )
    assert report.changes["parcels"] == {"added": 0, "updated": 2, "unchanged": 2, "removed": 0}
    assert report.changes["clusters"] == {"added": 0, "updated": 0, "unchanged": 9, "removed": 0}
    after = db_layers(factory)
    for name in LAYERS:
        if name != "parcels":
            pd.testing.assert_frame_equal(
                comparable(after[name], KEYS[name]), comparable(before[name], KEYS[name]), obj=name
            )
    b = before["parcels"].set_index("parcel_id")
    a = after["parcels"].set_index("parcel_id")
    assert a.loc["SC-0001", "land_use"] == "M1" and a.loc["SC-0001", "version"] == 2
    assert a.loc["SC-0002", "geometry"].equals(wider) and a.loc["SC-0002", "version"] == 2
    assert a.loc["SC-0002", "area_m2"] == pytest.approx(11_000.0)
    assert a.loc["SC-0002", "area_mu"] == pytest.approx(16.5)
    assert a.loc["SC-0002", "enterprise"] == "天鹏冶炼"
    unchanged = ["SC-0003", "ST-0001"]
    pd.testing.assert_frame_equal(
        comparable(gpd.GeoDataFrame(a.loc[unchanged].reset_index()), "parcel_id"),
        comparable(gpd.GeoDataFrame(b.loc[unchanged].reset_index()), "parcel_id"),
    )
    assert a.loc[unchanged, "version"].tolist() == [1, 1]
    # the edits' scores and check results stay linked to the parcels
    with factory() as s:
        assert s.scalar(select(CheckResultRow.parcel_code).join(ParcelRow)) == "SC-0001"


# --------------------------------------------------------------------------- Shapefile


@pytest.mark.parametrize(
    "name, taken, expected",
    [
        ("area_source", set(), "area_sourc"),
        ("slope_mean_deg", set(), "slope_mean"),
        ("slope_mean_pct", {"slope_mean"}, "slope_me_2"),
        ("slope_mean_x", {"slope_mean", "slope_me_2"}, "slope_me_3"),
        ("容积率", set(), "___"),
        ("Height-M", set(), "height_m"),
    ],
)
def test_short_field_names(name, taken, expected):
    assert short_name(name, set(taken)) == expected


def test_shapefile_field_map_is_fixed_then_by_rule():
    cols = ["parcel_id", "score_class", "investment_wan_per_mu", "area_source", "area_sourcing"]
    assert shapefile_field_map(cols) == {
        "parcel_id": "parcel_id",
        "score_class": "score_cls",
        "investment_wan_per_mu": "inv_wan_mu",
        "area_source": "area_sourc",
        "area_sourcing": "area_sou_2",
    }


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        ("abc", 254, "abc"),
        ("治" * 84, 254, "治" * 84),  # 252 bytes fit
        ("治" * 85, 254, "治" * 83 + "…"),  # 255 bytes: cut to 249 + "…" (3 bytes)
        ("ab治", 4, "a…"),
        (None, 254, None),
    ],
)
def test_fit_bytes(text, limit, expected):
    got = fit_bytes(text, limit)
    assert got == expected
    if isinstance(got, str):
        assert len(got.encode("utf-8")) <= limit


def test_shapefile_keeps_chinese_text(zone, tmp_path):
    factory = zone
    out = export(factory, "shapefile", tmp_path / "parcels.zip")
    z = zipfile.ZipFile(out)
    assert sorted(z.namelist()) == sorted(
        ["parcels.shp", "parcels.shx", "parcels.dbf", "parcels.prj", "parcels.cpg", "fields.csv"]
    )
    assert z.read("parcels.cpg").strip() == b"UTF-8"
    assert "天鹏冶炼".encode() in z.read("parcels.dbf")
    assert "天鹏冶炼".encode("gbk") not in z.read("parcels.dbf")
    fields = pd.read_csv(io.BytesIO(z.read("fields.csv")), encoding="utf-8-sig")
    assert z.read("fields.csv").startswith(b"\xef\xbb\xbf")
    df = pyogrio.read_dataframe(f"/vsizip/{out}/parcels.shp")
    assert all(len(c) <= 10 for c in df.columns)
    assert list(fields["shapefile_field"]) == [c for c in df.columns if c != "geometry"]
    assert dict(zip(fields["column"], fields["header"]))["investment_wan_per_mu"] == "投资强度（万元/亩）"
    df = df.set_index("parcel_id")
    assert df.loc[
        "SC-0002", ["park_name", "clus_name", "enterprise", "inv_wan_mu", "score_cls"]
    ].tolist() == ["双池镇园区", "智能制造及资源综合利用组团", "天鹏冶炼", 300.0, "中"]
    assert df.loc["SC-0003", ["excluded", "reasons"]].tolist() == [1, "位于回龙河治导线内"]
    assert df.loc["SC-0001", "excluded"] == 0
    assert df.crs == "EPSG:4546"
    assert (
        df.loc["SC-0001", "geometry"]
        .normalize()
        .equals(shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200).normalize())
    )


def test_shapefile_in_another_crs(zone, tmp_path):
    factory = zone
    out = export(factory, "shapefile", tmp_path / "p.zip", crs="EPSG:4490")
    df = pyogrio.read_dataframe(f"/vsizip/{out}/parcels.shp")
    assert df.crs.to_epsg() == 4490
    minx, miny, maxx, maxy = df.total_bounds
    assert 111.4 < minx < maxx < 111.5 and 36.9 < miny < maxy < 37.0


# --------------------------------------------------------------------------- CSV


def test_scores_csv_opens_in_excel(zone, tmp_path):
    factory = zone
    out = export(factory, "csv", tmp_path / "scores.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    df = pd.read_csv(out, encoding="utf-8-sig", dtype={"地块编号": str})
    assert list(df.columns) == headers(SCORE_HEADERS, "zh")
    assert df["地块编号"].tolist() == ["SC-0001", "SC-0002", "SC-0003", "ST-0001"]
    row = df.set_index("地块编号").loc["SC-0002"]
    assert row[["园区", "组团", "状态", "企业", "等级", "是否排除"]].tolist() == [
        "双池镇园区",
        "智能制造及资源综合利用组团",
        "已建用地",
        "天鹏冶炼",
        "中",
        "否",
    ]
    assert (row["面积（亩）"], row["面积（m²）"], row["投资强度（万元/亩）"]) == (
        pytest.approx(15.0),
        10_000.0,
        300.0,
    )
    en = pd.read_csv(export(factory, "csv", tmp_path / "en.csv", headers="en"), encoding="utf-8-sig")
    assert list(en.columns) == headers(SCORE_HEADERS, "en")
    # English columns, English values: names, status, land use, class, yes/no, reasons
    er = en.set_index("Parcel ID")
    assert er.loc["SC-0002", ["Park", "Status", "Land use", "Excluded"]].tolist() == [
        "Shuangchi park",
        "existing",
        "M3",  # a land use code the catalogue does not know is shown as written
        "no",
    ]
    assert not any(
        CJK.search(str(v))
        for v in er.drop(columns=["Enterprise", "Cluster", "Class", "Exclusion reasons"]).to_numpy().ravel()
    )
    # numbers for people: areas to 0.01 亩
    assert all(round(v, 2) == v for v in df["面积（亩）"].dropna())


def test_verdicts_csv(zone, tmp_path):
    factory = zone
    out = export(factory, "csv", tmp_path / "verdicts.csv", table="verdicts")
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert list(df.columns) == headers(CHECK_HEADERS, "zh")
    assert df[["项目名称", "地块编号", "园区", "审查结论", "投资强度（万元/亩）", "审查时间（UTC）"]].iloc[
        0
    ].tolist() == [
        "年产10万吨铝基新材料项目",
        "SC-0001",
        "双池镇园区",
        "不通过",
        200.0,
        "2025-03-02 08:30:00",
    ]


def test_verdicts_csv_says_needs_data_apart_from_review(zone, tmp_path):
    factory = zone
    with factory.begin() as s:
        project = s.scalars(select(ProjectRow)).one()
        parcel = s.scalars(select(ParcelRow).where(ParcelRow.parcel_id == "SC-0002")).one()
        s.add(
            CheckResultRow(
                project_id=project.id,
                parcel_id=parcel.id,
                parcel_code="SC-0002",
                verdict="needs_data",
                checked_at=dt.datetime(2025, 3, 3, 8, 30, tzinfo=dt.UTC),
                checked_by="张工",
                rules=[
                    {
                        "rule": "waste_treatment",
                        "status": "needs_data",
                        "message": "项目未申报“三废”达标处理率：需补充资料",
                        "fields": ["waste_treatment_pct"],
                    },
                    {"rule": "positive_list", "status": "review", "message": "规模控制"},
                ],
            )
        )
    out = export(factory, "csv", tmp_path / "verdicts.csv", table="verdicts")
    df = pd.read_csv(out, encoding="utf-8-sig").set_index("地块编号")
    assert df.loc["SC-0002", ["审查结论", "需补充资料项", "需审查项"]].tolist() == [
        "需补充资料",
        "三废处理率：项目未申报“三废”达标处理率：需补充资料",
        "产业准入正面清单：规模控制",
    ]
    assert df.loc["SC-0001", "审查结论"] == "不通过" and pd.isna(df.loc["SC-0001", "需补充资料项"])


# --------------------------------------------------------------------------- XLSX


def test_workbook_one_sheet_per_park(zone, tmp_path):
    factory = zone
    wb = openpyxl.load_workbook(export(factory, "xlsx", tmp_path / "zone.xlsx"))
    assert wb.sheetnames == ["汇总", "双池镇园区", "水头镇园区", "项目审查", "说明"]
    ws = wb["双池镇园区"]
    headers = [c.value for c in ws[1]]
    assert headers == globals()["headers"](SCORE_HEADERS, "zh")
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:P4"
    assert all(c.font.bold for c in ws[1])
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == ["SC-0001", "SC-0002", "SC-0003"]
    col = {h: i for i, h in enumerate(headers)}
    sc2 = rows[1]
    assert (
        sc2[col["企业"]],
        sc2[col["面积（亩）"]],
        sc2[col["投资强度（万元/亩）"]],
        sc2[col["企业数据年份"]],
    ) == ("天鹏冶炼", pytest.approx(15.0), 300.0, 2023)
    assert ws.cell(row=2, column=col["面积（亩）"] + 1).number_format == "#,##0.00"
    for j, h in enumerate(headers, start=1):
        width = ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width
        assert width >= _width(h) + 2 or width == 60
    assert [c.value for c in wb["水头镇园区"]["A"]][1:] == ["ST-0001"]
    summary = {r[0].value: [c.value for c in r] for r in wb["汇总"].iter_rows(min_row=2)}
    heads = [c.value for c in wb["汇总"][1]]
    sc = dict(zip(heads, summary["双池镇园区"]))
    assert (sc["地块数"], sc["总面积（亩）"], sc["空闲面积（亩）"], sc["良（块）"], sc["排除（块）"]) == (
        3,
        pytest.approx(45.0),
        pytest.approx(30.0),
        1,
        1,
    )
    checks = wb["项目审查"]
    assert [c.value for c in checks[1]] == globals()["headers"](CHECK_HEADERS, "zh")
    assert checks.cell(row=2, column=list(CHECK_HEADERS).index("verdict_label") + 1).value == "不通过"


# --------------------------------------------------------------------------- CLI and HTTP


def test_cli_export_commands(zone, db_url, tmp_path):
    cli = typer.Typer()
    register(cli)
    runner = CliRunner()
    for args, name in (
        (["gpkg"], "z.gpkg"),
        (["shapefile"], "p.zip"),
        (["xlsx"], "z.xlsx"),
        (["csv", "--table", "verdicts"], "v.csv"),
    ):
        r = runner.invoke(cli, ["export", *args, "--out", str(tmp_path / name), "--database-url", db_url])
        assert r.exit_code == 0, r.output
        assert (tmp_path / name).stat().st_size > 0 and "jiaokou" in r.output
    r = runner.invoke(
        cli,
        ["export", "csv", "--out", str(tmp_path / "x.csv"), "--zone", "nowhere", "--database-url", db_url],
    )
    assert r.exit_code == 3 and not (tmp_path / "x.csv").exists()


def test_http_exports(zone):
    factory = zone

    def get_session():
        with factory() as s:
            yield s

    app = FastAPI()
    mount(app, get_session=get_session)
    client = TestClient(app)
    r = client.get("/api/v1/exports/csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf") and "天鹏冶炼" in r.content.decode("utf-8-sig")
    assert "jiaokou_scores.csv" in r.headers["content-disposition"]
    r = client.get("/api/v1/exports/xlsx")
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert openpyxl.load_workbook(io.BytesIO(r.content)).sheetnames[1] == "双池镇园区"
    r = client.get("/api/v1/exports/shapefile")
    assert zipfile.ZipFile(io.BytesIO(r.content)).read("parcels.cpg").strip() == b"UTF-8"
    assert client.get("/api/v1/exports/csv?table=verdicts").content.decode("utf-8-sig").count("不通过") == 1
    assert client.get("/api/v1/exports/pdf").status_code == 422
    assert client.get("/api/v1/exports/gpkg?zone=nowhere").status_code == 404
