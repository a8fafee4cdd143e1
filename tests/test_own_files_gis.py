"""gis/ readers of a zone's own files: text encodings, CRS suggestions, DXF drawings, tables,
the 三调 overlay and the parcel fabric checks (DEM tiles: tests/test_dem_tiles.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely import box

from gis.crs_suggest import crs_suggestions, gauss_kruger_crs, suggest_crs, transformation
from gis.dxf import DxfOptions, read_dxf
from gis.encoding import choose_encoding, shapefile_encoding, table_encoding
from gis.errors import CRSError, InputFileError, MissingCRSError, SchemaError
from gis.fabric import check_fabric
from gis.layers import read_layer
from gis.overlay import majority_values
from gis.tables import join_table, read_table
from tests.own_data import (
    DLTB,
    PARCELS,
    PREFIX,
    STATUS,
    X0,
    Y0,
    ZONE_CRS,
    dltb_frame,
    parcel_attributes,
    write_dxf,
    write_gbk_shapefile,
    write_ledger,
)

CHINESE_FIELDS = ["地块编号", "用地性质", "面积", "权利人"]


# --------------------------------------------------------------------------------- encodings


def test_gbk_shapefile_without_cpg_is_detected_and_read_without_mojibake(tmp_path):
    shp = write_gbk_shapefile(tmp_path / "地块.shp", parcel_attributes())
    enc = shapefile_encoding(shp)
    assert (enc.codec, enc.how, enc.declared) == ("gb18030", "detected", None)
    assert "地块编号" in enc.sample
    # GDAL alone reads it as Latin-1: the mojibake parksite never shows.
    assert "µØ¿é±àºÅ" in list(pyogrio.read_dataframe(shp).columns)
    gdf, report = read_layer(shp, target_crs=ZONE_CRS, geometry="polygon")
    assert [c for c in gdf.columns if c != "geometry"] == CHINESE_FIELDS
    assert set(gdf["权利人"].dropna()) == {"山西交城某某铝业有限公司", "交城县某某新材料有限公司"}
    assert report.encoding.gdal_name == "GB18030"
    assert any("GB18030 (detected; nothing declared)" in line for line in report.lines())


def test_zipped_gbk_shapefile_is_detected_too(tmp_path):
    write_gbk_shapefile(tmp_path / "parcels.shp", parcel_attributes())
    z = tmp_path / "parcels.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in tmp_path.glob("parcels.*"):
            if f.suffix != ".zip":
                zf.write(f, f.name)
    gdf, report = read_layer(z, target_crs=ZONE_CRS, geometry="polygon", id_field="地块编号")
    assert sorted(gdf["地块编号"]) == sorted(PARCELS)
    assert report.encoding.codec == "gb18030"


@pytest.mark.filterwarnings("ignore:Could not decode error message:RuntimeWarning")
def test_utf8_shapefile_and_a_wrong_cpg(tmp_path):
    shp = tmp_path / "u.shp"
    pyogrio.write_dataframe(parcel_attributes(), shp, encoding="UTF-8")
    assert shapefile_encoding(shp).codec == "utf-8"
    assert shapefile_encoding(shp).how == "cpg"
    # GDAL cuts the 12-byte UTF-8 names at 10 bytes, mid-character: the cut character goes,
    # the rest reads (pyogrio alone fails on such a name).
    gdf, _ = read_layer(shp, target_crs=ZONE_CRS)
    assert list(gdf.columns[:4]) == ["地块编", "用地性", "面积", "权利人"]
    assert gdf["权利人"].iloc[0] == "山西交城某某铝业有限公司"
    # A GBK table whose .cpg says UTF-8: the text decides, and the report says what was declared.
    gbk = write_gbk_shapefile(tmp_path / "g.shp", parcel_attributes())
    gbk.with_suffix(".cpg").write_text("UTF-8")
    enc = shapefile_encoding(gbk)
    assert (enc.codec, enc.how, enc.declared) == ("gb18030", "detected", "UTF-8")
    assert "the file declares UTF-8" in enc.describe()
    # A Latin code page declared over Chinese text is not believed either.
    gbk.with_suffix(".cpg").write_text("ISO-8859-1")
    assert shapefile_encoding(gbk).codec == "gb18030"


def test_a_given_encoding_that_does_not_fit_is_refused(tmp_path):
    shp = write_gbk_shapefile(tmp_path / "g.shp", parcel_attributes())
    with pytest.raises(InputFileError, match="its text is not valid UTF-8"):
        read_layer(shp, target_crs=ZONE_CRS, encoding="UTF-8")
    gdf, report = read_layer(shp, target_crs=ZONE_CRS, encoding="GBK")
    assert report.encoding.how == "given" and "用地性质" in gdf.columns


def test_text_that_is_neither_utf8_nor_chinese_is_refused():
    big5 = "地塊編號 權利人".encode("big5")
    with pytest.raises(InputFileError, match="neither UTF-8 nor GBK"):
        choose_encoding([big5], where="x.dbf")
    assert choose_encoding([b"plain ascii"], where="x").how == "ascii"


def test_gbk_csv_is_detected_and_joined(tmp_path):
    csv = tmp_path / "台账.csv"
    csv.write_bytes("地块编号,权利人\nJC-01,山西交城某某铝业有限公司\nJC-02,\n".encode("gbk"))
    assert table_encoding(csv).codec == "gb18030"
    table, enc = read_table(csv)
    assert enc.codec == "gb18030" and list(table.columns) == ["地块编号", "权利人"]
    layer = gpd.GeoDataFrame(
        {"id": ["JC-01", "JC-02", "JC-09"]}, geometry=[box(0, 0, 1, 1)] * 3, crs=ZONE_CRS
    )
    joined, report = join_table(layer, table, on="id", key="地块编号")
    assert joined["权利人"].tolist()[0] == "山西交城某某铝业有限公司"
    assert report.matched == 2 and report.missing_in_table == ["JC-09"]


def test_xlsx_join_refuses_repeated_keys(tmp_path):
    path = write_ledger(tmp_path / "台账.xlsx")
    table, enc = read_table(path)
    assert enc is None and len(table) == len(PARCELS)
    twice = pd.concat([table, table.iloc[:1]])
    layer = gpd.GeoDataFrame({"label": list(PARCELS)}, geometry=list(PARCELS.values()), crs=ZONE_CRS)
    with pytest.raises(SchemaError, match="repeats JC-01"):
        join_table(layer, twice, on="label", key="地块编号")


# ------------------------------------------------------------------------------------- CRS


def test_suggestions_read_the_coordinates():
    near = (109.5, 18.1, 112.5, 45.1)  # EPSG:4546's area of use
    prefixed = suggest_crs((X0 + PREFIX, Y0, X0 + PREFIX + 1000, Y0 + 1000), near=near)
    assert [s.code for s in prefixed] == ["EPSG:4525", "EPSG:2361", "EPSG:2413"]
    assert prefixed[0].kind == "zone_prefix" and prefixed[0].zone == 37 and not prefixed[0].older_datum
    assert prefixed[1].older_datum and "older datum" in prefixed[1].describe()
    plain = suggest_crs((X0, Y0, X0 + 1000, Y0 + 1000), near=near)
    assert plain[0].code == "EPSG:4546" and plain[0].cm == 111 and "EPSG:4508" in plain[0].same_as
    assert [s.code for s in plain[1:]] == ["EPSG:2382", "EPSG:2434"]
    lonlat = suggest_crs((112.1, 37.5, 112.2, 37.6), near=near)
    assert [s.code for s in lonlat] == ["EPSG:4490", "EPSG:4326"]
    assert suggest_crs((0, 0, 500, 300), near=near) == []  # local drawing units
    assert gauss_kruger_crs(112.14) == "EPSG:4546"


def test_a_layer_without_crs_is_refused_with_the_right_suggestion(tmp_path):
    dxf = write_dxf(tmp_path / "plan.dxf")
    with pytest.raises(MissingCRSError) as err:
        read_layer(dxf, target_crs=ZONE_CRS, geometry="polygon")
    assert type(err.value) is MissingCRSError  # the class the API and CLI report
    suggestions, bounds = crs_suggestions(err.value)
    assert suggestions[0].code == "EPSG:4525" and bounds[0] > 37_000_000
    assert "has no CRS" in str(err.value) and "pass --crs EPSG:4525" in str(err.value)
    assert "eastings like 37 5xx xxx carry the zone prefix 37" in str(err.value)
    gdf, report = read_layer(dxf, target_crs=ZONE_CRS, geometry="polygon", crs="EPSG:4525")
    assert report.crs_given and report.reprojected and report.transformation.accuracy_m == 0
    # The same coordinates declared as the wrong CRS fail the extent check instead.
    with pytest.raises(CRSError, match="far outside"):
        read_layer(dxf, target_crs=ZONE_CRS, crs="EPSG:4546")


def test_a_declared_crs_wins_over_crs_given(tmp_path):
    path = tmp_path / "p.gpkg"
    parcel_attributes().to_file(path, layer="p", engine="pyogrio")
    gdf, report = read_layer(path, target_crs=ZONE_CRS, crs="EPSG:4525")
    assert report.source_crs == "EPSG:4546" and not report.crs_given
    assert any("the declared CRS is used" in n for n in report.notes)


def test_an_older_datum_is_warned():
    t = transformation("EPSG:2382", "EPSG:4546")  # Xian 1980 / 3-degree GK CM 111E
    assert t.ballpark and t.older_datum == "Xian 1980" and "metres or more" in t.describe()
    assert transformation("EPSG:4525", "EPSG:4546").older_datum is None


# ------------------------------------------------------------------------------------- DXF


def test_gdal_written_dxf_gives_parcels_with_their_labels(tmp_path):
    dxf = write_dxf(tmp_path / "控规.dxf")
    gdf, report = read_dxf(dxf, DxfOptions(layers=("地块",), label_layers=("编号",), label_pattern=r"JC-\d+"))
    assert report.encoding.codec == "utf-8" and report.encoding.declared == "ANSI_1252"
    assert report.layers["道路"] == {"line": 1} and report.layers["编号"] == {"text": 7}
    assert report.polygons == 6 and not report.unlabelled and not report.ambiguous
    by_id = dict(zip(gdf["label"], gdf.geometry))
    assert sorted(by_id) == sorted(PARCELS)
    for pid, poly in PARCELS.items():
        assert by_id[pid].area == pytest.approx(poly.area, rel=1e-3)
    assert all("M2 工业" in t for t in gdf["texts"])
    # Without the label layer, the land-use texts make every parcel ambiguous.
    _, loose = read_dxf(dxf, DxfOptions(layers=("地块",)))
    assert len(loose.ambiguous) == 6
    with pytest.raises(InputFileError, match="has no layer 'parcels'"):
        read_dxf(dxf, DxfOptions(layers=("parcels",)))


def _g(code: int, value: object) -> str:
    return f"{code:>3}\n{value}\n"


def _cad_dxf(path: Path) -> Path:
    """An R12 drawing as CAD writes it, in GBK (ANSI_936): flag-closed polylines, a hatch over
    one of them, an open polyline, a block with a 地块编号 attribute, an unlabelled parcel."""
    s = _g(0, "SECTION") + _g(2, "HEADER") + _g(9, "$ACADVER") + _g(1, "AC1009")
    s += _g(9, "$DWGCODEPAGE") + _g(3, "ANSI_936") + _g(0, "ENDSEC")
    s += _g(0, "SECTION") + _g(2, "BLOCKS") + _g(0, "BLOCK") + _g(8, "0") + _g(2, "DKBH") + _g(70, 2)
    s += _g(10, 0) + _g(20, 0) + _g(30, 0) + _g(3, "DKBH")
    s += _g(0, "ATTDEF") + _g(8, "0") + _g(10, 0) + _g(20, 0) + _g(30, 0) + _g(40, 2) + _g(1, "")
    s += _g(3, "地块编号") + _g(2, "DKBH") + _g(70, 0) + _g(0, "ENDBLK") + _g(8, "0") + _g(0, "ENDSEC")
    s += _g(0, "SECTION") + _g(2, "ENTITIES")
    squares = [(0, 0), (200, 0), (400, 0)]
    for x, y in squares:
        s += _g(0, "POLYLINE") + _g(8, "规划地块") + _g(66, 1) + _g(70, 1)
        for dx, dy in ((0, 0), (100, 0), (100, 100), (0, 100)):
            s += _g(0, "VERTEX") + _g(8, "规划地块") + _g(10, X0 + PREFIX + x + dx) + _g(20, Y0 + y + dy)
        s += _g(0, "SEQEND") + _g(8, "规划地块")
    for i, (x, y) in enumerate(squares[:2]):
        s += _g(0, "INSERT") + _g(8, "标注") + _g(66, 1) + _g(2, "DKBH")
        s += _g(10, X0 + PREFIX + x + 50) + _g(20, Y0 + y + 50) + _g(30, 0)
        s += _g(0, "ATTRIB") + _g(8, "标注") + _g(10, X0 + PREFIX + x + 50) + _g(20, Y0 + y + 50) + _g(30, 0)
        s += _g(40, 2) + _g(1, f"交城-{i + 1}") + _g(2, "DKBH") + _g(70, 0) + _g(0, "SEQEND") + _g(8, "标注")
    s += _g(0, "POLYLINE") + _g(8, "规划地块") + _g(66, 1) + _g(70, 0)  # open: three sides only
    for dx, dy in ((0, 0), (100, 0), (100, 100)):
        s += _g(0, "VERTEX") + _g(8, "规划地块") + _g(10, X0 + PREFIX + 600 + dx) + _g(20, Y0 + dy)
    s += _g(0, "SEQEND") + _g(8, "规划地块")
    s += _g(0, "ENDSEC") + _g(0, "EOF")
    path.write_bytes(s.encode("gbk"))
    return path


def test_cad_drawing_with_block_attributes_in_gbk(tmp_path):
    dxf = _cad_dxf(tmp_path / "cad.dxf")
    gdf, report = read_dxf(dxf, DxfOptions(layers=("规划地块",), attribute="DKBH"))
    assert report.encoding.codec == "gb18030" and report.encoding.how == "header"
    assert report.polygons == 3 and report.open_skipped == 1
    assert gdf["label"].tolist()[:2] == ["交城-1", "交城-2"]
    assert report.unlabelled == [2]  # the third square has no block inside it
    np.testing.assert_allclose(gdf.area, 10_000.0)


# ------------------------------------------------------------------------- overlay and fabric


def test_the_dltb_code_covering_most_of_each_parcel():
    cover = dltb_frame()
    values, share = majority_values(list(PARCELS.values()), cover.geometry.array, cover["DLBM"])
    codes = {c: s for _, c, _, _ in DLTB for s in [c]}
    status = {"0601": "existing", "0103": "vacant", "1101": "reserved", "0702": "existing"}
    assert {pid: status[v] for pid, v in zip(PARCELS, values)} == STATUS
    assert set(values) <= set(codes) and (share > 0.5).all()


def test_fabric_problems_are_found_and_placed():
    parcels = [
        box(0, 0, 100, 100),
        box(100.5, 0, 200, 100),  # a 0.5 m gap to the first
        box(0, 100, 100, 200),
        box(90, 100, 150, 200),  # overlaps the third by 10 × 100
        box(0, 210, 100, 300),  # a 10 m road to the third: not a gap
        box(300, 0, 301, 100),  # a sliver, 1 m wide
        box(380, 0, 420, 40),  # half outside the park
    ]
    found = check_fabric(parcels, list("ABCDEFG"), [box(-1, -1, 400, 301)])
    kinds = {(p.kind, p.ids): p for p in found}
    assert kinds[("overlap", ("C", "D"))].area_m2 == pytest.approx(1000.0)
    gaps = [p for p in found if p.kind == "gap"]
    assert len(gaps) == 1 and gaps[0].area_m2 == pytest.approx(50.0) and gaps[0].detail["width_m"] < 1
    assert kinds[("outside_park", ("G",))].detail["share"] == pytest.approx(0.5)
    assert ("sliver", ("F",)) in kinds and ("sliver", ("A",)) not in kinds
    assert check_fabric(list(PARCELS.values()), list(PARCELS), [box(X0, Y0, X0 + 1000, Y0 + 1000)]) == []
