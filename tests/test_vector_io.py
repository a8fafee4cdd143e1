"""Reading layers (gis.layers, gis.archive) and repairing geometry (gis.repair)."""

from __future__ import annotations

import stat
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import LineString, Point, Polygon, box

from gis.archive import ZipLimits
from gis.errors import (
    CRSError,
    GeometryError,
    InputFileError,
    LimitExceededError,
    MissingCRSError,
    SchemaError,
)
from gis.layers import prepare_layer, read_layer
from gis.repair import GeometryRepair, keep_kind, repair_geometries

# Two 100 m squares near the Shuangchi park, in EPSG:4546 (false easting 500 km, CM 111°E).
X0, Y0 = 540_000.0, 4_090_000.0
#: The zone CRS the layers are read into (a zone passes its own; gis has no default).
ZONE_CRS = "EPSG:4546"


def parcels_frame(crs="EPSG:4546", n=2, **overrides) -> gpd.GeoDataFrame:
    """Factory: ``n`` 100 × 100 m parcels in a row, with the usual parcel fields."""
    data = {
        "parcel_id": [f"SC-{i + 1:04d}" for i in range(n)],
        "status": ["vacant"] * n,
        "area_m2": [10_000.0] * n,
    }
    geoms = [box(X0 + 200 * i, Y0, X0 + 200 * i + 100, Y0 + 100) for i in range(n)]
    data.update({k: v for k, v in overrides.items() if k != "geometry"})
    return gpd.GeoDataFrame(data, geometry=overrides.get("geometry", geoms), crs=crs)


def write(gdf: gpd.GeoDataFrame, path: Path, **kw) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns when writing a layer without CRS
        gdf.to_file(path, **kw)
    return path


def zip_shapefile(
    gdf: gpd.GeoDataFrame,
    tmp_path: Path,
    stem="parcels",
    *,
    drop=(),
    zip_name="layer.zip",
    extra: dict[str, bytes] | None = None,
) -> Path:
    """Factory: write ``gdf`` as a Shapefile and zip its files (minus extensions in ``drop``)."""
    folder = tmp_path / f"shp_{stem}"
    folder.mkdir(exist_ok=True)
    write(gdf, folder / f"{stem}.shp")
    out = tmp_path / zip_name
    with zipfile.ZipFile(out, "a") as zf:
        for f in sorted(folder.iterdir()):
            if f.suffix.lower() not in drop:
                zf.write(f, arcname=f.name)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out


# --------------------------------------------------------------------------------- formats
@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "zip"])
def test_reads_each_format_into_the_zone_crs(tmp_path, fmt):
    gdf = parcels_frame()
    if fmt == "gpkg":
        path = write(gdf, tmp_path / "zone.gpkg", layer="parcels")
    elif fmt == "geojson":
        path = write(gdf.to_crs("EPSG:4326"), tmp_path / "parcels.geojson")
    else:
        path = zip_shapefile(gdf, tmp_path)
    out, report = read_layer(
        path,
        target_crs=ZONE_CRS,
        geometry="polygon",
        required=["parcel_id", "status"],
        finite=["area_m2"],
        id_field="parcel_id",
    )
    assert len(out) == 2 and out.crs.to_epsg() == 4546
    assert list(out["parcel_id"]) == ["SC-0001", "SC-0002"]
    # GeoJSON is WGS 84 by definition and comes back reprojected; the squares survive the trip.
    assert report.reprojected is (fmt == "geojson")
    assert report.crs == "EPSG:4546"
    np.testing.assert_allclose(out.area, 10_000.0, rtol=1e-6)
    np.testing.assert_allclose(out.geometry.iloc[0].bounds, (X0, Y0, X0 + 100, Y0 + 100), atol=1e-3)
    assert report.repairs == []


def test_reprojection_to_the_central_meridian_gives_false_easting(tmp_path):
    # EPSG:4546 is Gauss–Krüger with central meridian 111°E and false easting 500,000 m:
    # a point on 111°E must land on x = 500,000 exactly.
    pts = gpd.GeoDataFrame({"name": ["cm"]}, geometry=[Point(111.0, 36.9)], crs="EPSG:4490")
    path = write(pts, tmp_path / "pt.gpkg", layer="places")
    out, report = read_layer(path, target_crs=ZONE_CRS, geometry="point")
    assert out.geometry.iloc[0].x == pytest.approx(500_000.0, abs=1e-6)
    assert report.reprojected and report.source_crs == "EPSG:4490"
    assert "reprojected from EPSG:4490 to EPSG:4546" in report.lines()


def test_named_layer_is_read_from_a_multi_layer_geopackage(tmp_path):
    path = write(parcels_frame(), tmp_path / "zone.gpkg", layer="parcels")
    roads = gpd.GeoDataFrame(
        {"name": ["S224"]}, geometry=[LineString([(X0, Y0), (X0 + 9, Y0)])], crs="EPSG:4546"
    )
    write(roads, path, layer="roads")
    out, report = read_layer(path, "roads", target_crs=ZONE_CRS, geometry="line")
    assert list(out["name"]) == ["S224"] and report.layer == "roads"
    with pytest.raises(InputFileError, match=r"has 2 layers \(parcels, roads\); name the one"):
        read_layer(path, target_crs=ZONE_CRS)
    with pytest.raises(InputFileError, match=r"has no layer 'rivers' \(layers: parcels, roads\)"):
        read_layer(path, "rivers", target_crs=ZONE_CRS)


# ---------------------------------------------------------------------------------- refusals
def _missing(tmp_path):
    return tmp_path / "nope.gpkg", {}


def _empty_file(tmp_path):
    p = tmp_path / "empty.gpkg"
    p.write_bytes(b"")
    return p, {}


def _unknown_format(tmp_path):
    p = tmp_path / "parcels.csv"
    p.write_text("a,b\n1,2\n")
    return p, {}


def _vrt_posing_as_gpkg(tmp_path):
    p = tmp_path / "evil.gpkg"
    p.write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd'
        "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>"
    )
    return p, {}


def _no_crs_gpkg(tmp_path):
    return write(parcels_frame(crs=None), tmp_path / "nocrs.gpkg", layer="parcels"), {}


def _no_prj_zip(tmp_path):
    return zip_shapefile(parcels_frame(), tmp_path, drop={".prj"}), {}


def _empty_layer(tmp_path):
    return write(parcels_frame().iloc[:0], tmp_path / "e.gpkg", layer="parcels"), {}


def _points_as_parcels(tmp_path):
    g = parcels_frame()
    g.loc[1, "geometry"] = Point(X0, Y0)
    return write(g, tmp_path / "p.geojson"), {"geometry": "polygon", "id_field": "parcel_id"}


def _missing_field(tmp_path):
    return (
        write(parcels_frame(), tmp_path / "p.gpkg", layer="parcels"),
        {"required": ["parcel_id", "cluster"]},
    )


def _nan_in_finite_field(tmp_path):
    g = parcels_frame(area_m2=[10_000.0, np.nan])
    return write(g, tmp_path / "p.gpkg", layer="parcels"), {"finite": ["area_m2"], "id_field": "parcel_id"}


def _text_in_finite_field(tmp_path):
    p = tmp_path / "p.geojson"
    p.write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"area_m2": 100.0}, "geometry": '
        '{"type": "Point", "coordinates": [111.3, 36.9]}},'
        '{"type": "Feature", "properties": {"area_m2": "abc"}, "geometry": '
        '{"type": "Point", "coordinates": [111.3, 36.9]}}]}'
    )
    return p, {"finite": ["area_m2"]}


def _inf_in_numeric_field(tmp_path):
    g = parcels_frame(area_m2=[np.inf, 10_000.0])
    return write(g, tmp_path / "p.gpkg", layer="parcels"), {}


def _null_geometry(tmp_path):
    g = parcels_frame(n=3)
    g.loc[[0, 2], "geometry"] = None
    return write(g, tmp_path / "p.gpkg", layer="parcels"), {"id_field": "parcel_id"}


def _duplicate_ids(tmp_path):
    g = parcels_frame(n=3, parcel_id=["A", "B", "A"])
    return write(g, tmp_path / "p.gpkg", layer="parcels"), {"id_field": "parcel_id"}


def _projected_coordinates_declared_wgs84(tmp_path):
    # A GeoJSON without a "crs" member is WGS 84 by definition; metres in it are a mistake.
    g = parcels_frame(crs=None)
    return write(g.set_crs("EPSG:4326", allow_override=True), tmp_path / "p.geojson"), {}


def _zone_prefixed_eastings_declared_4546(tmp_path):
    g = parcels_frame()
    g = g.set_geometry(shapely.transform(g.geometry.array, lambda c: c + [37_000_000.0, 0.0]))
    return write(g, tmp_path / "p.gpkg", layer="parcels"), {}


def _remote_path(tmp_path):
    return "https://example.org/parcels.gpkg", {}


def _bad_target_crs(tmp_path):
    return write(parcels_frame(), tmp_path / "p.gpkg", layer="parcels"), {"target_crs": "EPSG:99999"}


def _geographic_target_crs(tmp_path):
    return write(parcels_frame(), tmp_path / "p.gpkg", layer="parcels"), {"target_crs": "EPSG:4326"}


@pytest.mark.parametrize(
    "make, error, message",
    [
        (_missing, InputFileError, r"nope\.gpkg: file not found"),
        (_empty_file, InputFileError, r"empty\.gpkg: is empty \(0 bytes\)"),
        (_unknown_format, InputFileError, r"has an unknown format '\.csv'"),
        (_vrt_posing_as_gpkg, InputFileError, r"evil\.gpkg: is not a GeoPackage"),
        (
            _no_crs_gpkg,
            MissingCRSError,
            r"nocrs\.gpkg \[layer parcels\]: has no CRS; declare it \(e\.g\. a \.prj / assign "
            r"EPSG:4546 in QGIS\) and try again",
        ),
        (_no_prj_zip, MissingCRSError, r"\[parcels\.shp\]: has no CRS; declare it"),
        (_empty_layer, InputFileError, r"\[layer parcels\]: has no features"),
        (
            _points_as_parcels,
            GeometryError,
            r"must hold Polygon/MultiPolygon geometries but has Point in feature 2 \(parcel_id=SC-0002\)",
        ),
        (
            _missing_field,
            SchemaError,
            r"lacks required field\(s\) cluster \(fields present: parcel_id, status, area_m2\)",
        ),
        (
            _nan_in_finite_field,
            SchemaError,
            r"field 'area_m2' must be a finite number: feature 2 \(parcel_id=SC-0002\) = nan",
        ),
        (_text_in_finite_field, SchemaError, r"field 'area_m2' must be a finite number: feature 2 = 'abc'"),
        (_inf_in_numeric_field, SchemaError, r"field 'area_m2' must be finite \(not ±inf\): feature 1 = inf"),
        (
            _null_geometry,
            GeometryError,
            r"null or empty geometry in feature 1 \(parcel_id=SC-0001\), feature 3 \(parcel_id=SC-0003\)",
        ),
        (
            _duplicate_ids,
            SchemaError,
            r"id field 'parcel_id' must be unique.*repeated in feature 1 \(parcel_id=A\), feature 3",
        ),
        (
            _projected_coordinates_declared_wgs84,
            CRSError,
            r"declares the geographic CRS EPSG:4326 but its coordinates reach x 540,000",
        ),
        (
            _zone_prefixed_eastings_declared_4546,
            CRSError,
            r"declares EPSG:4546 but its coordinates .* lie far outside .*EPSG:4525",
        ),
        (_remote_path, InputFileError, r"remote and GDAL virtual paths are not accepted"),
        (_bad_target_crs, CRSError, r"target CRS: 'EPSG:99999' is not a CRS"),
        (_geographic_target_crs, CRSError, r"EPSG:4326, a geographic CRS; distances and areas"),
    ],
)
def test_bad_inputs_are_refused_with_a_message(tmp_path, make, error, message):
    path, kwargs = make(tmp_path)
    with pytest.raises(error, match=message):
        read_layer(path, **{"target_crs": ZONE_CRS, **kwargs})


# --------------------------------------------------------------------------------- zip safety
def _zip_with(tmp_path, members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    good = zip_shapefile(parcels_frame(), tmp_path)
    with zipfile.ZipFile(good, "a") as zf:
        for info, data in members:
            zf.writestr(info, data)
    return good


def _symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    "members, error, message",
    [
        ([("../../etc/cron.d/x", b"x")], InputFileError, r"'\.\./\.\./etc/cron\.d/x' has a '\.\.'"),
        ([("dir\\..\\x.txt", b"x")], InputFileError, r"has a '\.\.' path component"),
        ([("/etc/passwd", b"x")], InputFileError, r"'/etc/passwd' has an absolute path"),
        ([("C:/evil.txt", b"x")], InputFileError, r"has an absolute path"),
        ([(_symlink_info("link.prj"), b"/etc/passwd")], InputFileError, r"'link\.prj' is a symbolic link"),
        (
            [(zipfile.ZipInfo("zeros.bin"), bytes(4 * 1024 * 1024))],
            LimitExceededError,
            r"compression ratio of \d+:1, more than the limit of 100:1",
        ),
    ],
)
def test_unsafe_zips_are_refused_before_extraction(tmp_path, members, error, message):
    for info, _ in members:
        if isinstance(info, zipfile.ZipInfo) and info.filename == "zeros.bin":
            info.compress_type = zipfile.ZIP_DEFLATED
    path = _zip_with(tmp_path, members)
    with pytest.raises(error, match=message):
        read_layer(path, target_crs=ZONE_CRS)


def test_zip_over_the_size_limit_is_refused(tmp_path):
    path = zip_shapefile(parcels_frame(), tmp_path)
    with pytest.raises(LimitExceededError, match=r"decompresses to .* MiB, more than the limit"):
        read_layer(path, target_crs=ZONE_CRS, zip_limits=ZipLimits(max_total_bytes=100))


def test_zip_with_two_shapefiles_needs_a_layer_name(tmp_path):
    zip_shapefile(parcels_frame(n=2), tmp_path, stem="parcels")
    path = zip_shapefile(parcels_frame(n=3), tmp_path, stem="more")
    with pytest.raises(InputFileError, match=r"holds 2 Shapefiles \(more\.shp, parcels\.shp\); name"):
        read_layer(path, target_crs=ZONE_CRS)
    out, report = read_layer(path, "more", target_crs=ZONE_CRS)
    assert len(out) == 3 and report.layer == "more"
    with pytest.raises(InputFileError, match=r"holds no Shapefile named 'roads'"):
        read_layer(path, "roads", target_crs=ZONE_CRS)


def test_zip_missing_a_shapefile_part_is_refused(tmp_path):
    path = zip_shapefile(parcels_frame(), tmp_path, drop={".dbf"})
    with pytest.raises(InputFileError, match=r"Shapefile 'parcels' lacks its \.dbf file"):
        read_layer(path, target_crs=ZONE_CRS)


def test_zip_without_shapefile_is_refused(tmp_path):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(InputFileError, match=r"holds no \.shp file"):
        read_layer(path, target_crs=ZONE_CRS)


def test_a_shapefile_in_a_folder_of_the_zip_is_read(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    write(parcels_frame(), folder / "parcels.shp")
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, arcname=f"export/2024/{f.name}")
    out, _ = read_layer(path, target_crs=ZONE_CRS, geometry="polygon")
    assert len(out) == 2


# ------------------------------------------------------------------------------------- repair
BOW_TIE = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])  # two triangles of 25 m² each
SELF_TOUCHING = Polygon(
    [(0, 0), (10, 0), (10, 10), (5, 10), (7, 5), (5, 2), (3, 5), (5, 10), (0, 10)]
)  # the shell touches itself at (5, 10): an inverted hole
SPIKE = Polygon([(0, 0), (10, 0), (10, 5), (20, 5), (10, 5), (10, 10), (0, 10)])  # 10 m spike


@pytest.mark.parametrize(
    "geom, reason, before, after, result_type",
    [
        (BOW_TIE, "Self-intersection[5 5]", 0.0, 50.0, "MultiPolygon"),
        (SELF_TOUCHING, "Ring Self-intersection[5 10]", 84.0, 84.0, "Polygon"),
        (SPIKE, "Self-intersection[20 5]", 100.0, 100.0, "Polygon"),
    ],
)
def test_repair_reports_row_id_reason_and_area_change(geom, reason, before, after, result_type):
    gdf = gpd.GeoDataFrame({"parcel_id": ["ok", "bad"]}, geometry=[box(0, 0, 1, 1), geom], crs="EPSG:4546")
    out, repairs = repair_geometries(gdf, kind="polygon", id_field="parcel_id")
    assert repairs == [GeometryRepair(1, "bad", reason, before, after)]
    assert repairs[0].area_change_m2 == pytest.approx(after - before)
    fixed = out.geometry.iloc[1]
    assert fixed.is_valid and fixed.geom_type == result_type
    assert fixed.area == pytest.approx(after)
    assert out.geometry.iloc[0].equals(box(0, 0, 1, 1))  # valid rows untouched
    assert gdf.geometry.iloc[1].equals(geom)  # the input is not modified
    line = repairs[0].describe("parcel_id")
    assert line.startswith(f"feature 2 (parcel_id=bad): {reason}; repaired, area")


def test_spike_repair_drops_the_line_part():
    out = keep_kind(shapely.make_valid(np.array([SPIKE])), "polygon")[0]
    assert out.geom_type == "Polygon" and shapely.equals(out, box(0, 0, 10, 10))


def test_unrepairable_geometry_is_refused():
    flat = Polygon([(0, 0), (10, 0), (20, 0), (0, 0)])  # collapses to a line: nothing polygonal
    gdf = gpd.GeoDataFrame({"parcel_id": ["flat"]}, geometry=[flat], crs="EPSG:4546")
    with pytest.raises(
        GeometryError,
        match=r"cannot repair feature 1 \(parcel_id=flat\): nothing "
        r"of kind polygon is left",
    ):
        repair_geometries(gdf, kind="polygon", id_field="parcel_id")


def test_reading_a_layer_repairs_and_reports(tmp_path):
    g = parcels_frame(n=2)
    g.loc[1, "geometry"] = shapely.affinity.translate(BOW_TIE, X0, Y0)
    path = write(g, tmp_path / "p.gpkg", layer="parcels")
    out, report = read_layer(path, target_crs=ZONE_CRS, geometry="polygon", id_field="parcel_id")
    assert [(r.row, r.feature_id, r.area_before_m2, r.area_after_m2) for r in report.repairs] == [
        (1, "SC-0002", 0.0, 50.0)
    ]
    assert out.geometry.is_valid.all()
    assert any("feature 2 (parcel_id=SC-0002): Self-intersection" in line for line in report.lines())
    with pytest.raises(GeometryError, match=r"has invalid geometry in feature 2 \(parcel_id=SC-0002\)"):
        read_layer(path, target_crs=ZONE_CRS, geometry="polygon", id_field="parcel_id", repair=False)


def test_extent_check_can_be_turned_off_for_made_up_coordinates():
    toy = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs="EPSG:4546")
    with pytest.raises(CRSError, match="far outside that CRS's area of use"):
        prepare_layer(toy, target_crs=ZONE_CRS)
    out, _ = prepare_layer(toy, target_crs=ZONE_CRS, check_extent=False)
    assert out.geometry.iloc[0].area == 100.0


def test_prepare_layer_applies_the_same_rules_in_memory():
    g = parcels_frame(crs=None)
    with pytest.raises(MissingCRSError, match="upload: has no CRS"):
        prepare_layer(g, where="upload", target_crs=ZONE_CRS)
    out, report = prepare_layer(
        parcels_frame().to_crs("EPSG:4490"), where="upload", target_crs=ZONE_CRS, geometry="polygon"
    )
    assert report.reprojected and out.crs.to_epsg() == 4546
