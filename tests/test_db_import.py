"""Importing a zone: everything checked first, written all or nothing, refusals leave no trace."""

from __future__ import annotations

import hashlib
import stat
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import typer
from shapely import Point, Polygon
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.commands.db import register
from app.db.importer import ImportLimits, import_zone, read_sources, sources_for_zone
from app.db.importer import write_zone as write_bundle
from app.db.layers import load_layer, rasters, zone_config
from app.db.models import (
    AuditEntryRow,
    ClusterRow,
    EnterpriseRow,
    InfrastructureFeatureRow,
    ParcelRow,
    ParkRow,
    RasterRefRow,
    ZoneRow,
)
from app.settings import DEFAULT_ZONE_FILE
from gis.archive import ZipLimits
from gis.errors import (
    ConfigError,
    ConflictError,
    GeometryError,
    InputFileError,
    LimitExceededError,
    MissingCRSError,
    SchemaError,
)
from tests.conftest import X0, Y0, synthetic_layers
from tests.rasters import north_up, write_raster, write_vrt

#: The layers a zone cannot do without; tests that are not about the others write only these
#: (reading a layer costs a quarter of a second).
CORE = ("parks", "clusters", "parcels")
MODELS = (
    ZoneRow,
    ParkRow,
    ClusterRow,
    ParcelRow,
    EnterpriseRow,
    InfrastructureFeatureRow,
    RasterRefRow,
    AuditEntryRow,
)


def core(layers: dict, *extra: str) -> dict:
    """Return only the core layers (and ``extra`` ones) of ``layers``."""
    return {k: v for k, v in layers.items() if k in CORE or k in extra}


def row_counts(factory) -> dict[str, int]:
    with factory() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in MODELS}


# --------------------------------------------------------------------------- a good import


def test_import_small_zone(db_factory, write_zone_sources):
    sources = write_zone_sources()
    report = import_zone(db_factory, sources, user="tester")
    assert report.action == "created"
    assert report.counts == {
        "parks": 2,
        "clusters": 9,
        "parcels": 4,
        "roads": 1,
        "rivers": 1,
        "substations": 1,
        "water": 2,
        "places": 2,
        "dems": 1,
        "enterprises": 1,
    }
    assert report.repairs == []
    # Clusters of the zone file without an outline are created and reported.
    assert any("st-public" in n and "no outline" in n for n in report.notes)
    assert row_counts(db_factory) == {
        "zones": 1,
        "parks": 2,
        "clusters": 9,
        "parcels": 4,
        "enterprises": 1,
        "infrastructure": 7,
        "rasters": 1,
        "audit_log": 1,
    }
    with db_factory() as s:
        parcels = load_layer(s, "jiaokou", "parcels").set_index("parcel_id")
        # Areas are recomputed from the geometry: 100 m × 100 m = 10 000 m² = 15 亩
        # (the layer's 9 999 for SC-0001 is not kept).
        assert parcels["area_m2"].tolist() == [10_000.0] * 4
        assert parcels["area_mu"].tolist() == pytest.approx([15.0] * 4)
        assert parcels.loc["SC-0002", ["park", "cluster", "status", "enterprise", "land_use"]].tolist() == [
            "shuangchi",
            "sc-smart",
            "existing",
            "天鹏冶炼",
            "M3",
        ]
        assert parcels["version"].tolist() == [1, 1, 1, 1]
        assert parcels.crs == "EPSG:4546"
        assert parcels.geometry.iloc[0].equals(shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200))
        occupant = s.scalar(
            select(EnterpriseRow.name).join(ParcelRow, ParcelRow.enterprise_id == EnterpriseRow.id)
        )
        assert occupant == "天鹏冶炼"

        clusters = load_layer(s, "jiaokou", "clusters").set_index("cluster_id")
        assert clusters.loc["sc-almg", "area_mu"] == pytest.approx(500 * 600 / (10000 / 15))
        assert clusters.loc["st-public", "geometry"] is None
        cl = s.scalar(select(ClusterRow).where(ClusterRow.code == "sc-almg"))
        assert cl.admits[0]["industry"] == "铝镁新材料" and cl.kind == "industrial"

        roads = load_layer(s, "jiaokou", "roads")
        assert roads.iloc[0][["road_id", "name", "class", "lanes", "speed_kmh"]].tolist() == [
            "R1",
            "S224",
            "provincial",
            2,
            60.0,
        ]
        rivers = load_layer(s, "jiaokou", "rivers")
        assert rivers.iloc[0]["control_distance_m"] == 30.0 and rivers.iloc[0]["seasonal"] in (True, 1)
        water = load_layer(s, "jiaokou", "water").set_index("water_id")
        assert water.loc["W2", "geometry"].geom_type == "LineString"
        assert water.loc["W1", "geometry"].equals(Point(X0 + 300, Y0 + 650))

        (dem,) = rasters(s, "jiaokou")
        assert (dem.width, dem.height, dem.bands, dem.dtype) == (10, 10, 1, "float32")
        assert (dem.cell_size_x, dem.cell_size_y, dem.nodata) == (10.0, 10.0, -9999.0)
        assert (dem.min_x, dem.min_y, dem.max_x, dem.max_y) == (X0, Y0 + 500, X0 + 100, Y0 + 600)
        assert dem.sha256 == hashlib.sha256(Path(sources.dems[0]).read_bytes()).hexdigest()
        assert dem.crs == "EPSG:4546" and Path(dem.path).is_absolute()
        assert s.get(ParkRow, dem.park_id).code == "shuangchi"

        assert zone_config(s, "jiaokou").zone.name == "交口经济技术开发区"
        entry = s.scalar(select(AuditEntryRow))
        assert (entry.action, entry.entity, entry.entity_id, entry.user_name) == (
            "import",
            "zone",
            "jiaokou",
            "tester",
        )
        assert entry.after_attrs["counts"]["parcels"] == 4


def test_parcels_without_cluster_field_follow_the_majority_rule(
    db_factory, write_zone_sources, small_zone_layers
):
    small_zone_layers["parcels"] = small_zone_layers["parcels"].drop(columns="cluster")
    report = import_zone(db_factory, write_zone_sources(core(small_zone_layers)))
    assert any("no 'cluster' field" in n for n in report.notes)
    with db_factory() as s:
        got = load_layer(s, "jiaokou", "parcels").set_index("parcel_id")["cluster"].to_dict()
    # SC-0003 lies 60 % in sc-almg and 40 % in sc-smart.
    assert got == {"SC-0001": "sc-almg", "SC-0002": "sc-smart", "SC-0003": "sc-almg", "ST-0001": "st-almg"}


def test_invalid_geometry_is_repaired_and_listed(db_factory, write_zone_sources, small_zone_layers):
    bowtie = Polygon(
        [
            (X0 + 100, Y0 + 100),
            (X0 + 200, Y0 + 200),
            (X0 + 200, Y0 + 100),
            (X0 + 100, Y0 + 200),
            (X0 + 100, Y0 + 100),
        ]
    )
    small_zone_layers["parcels"].loc[0, "geometry"] = bowtie
    report = import_zone(db_factory, write_zone_sources(core(small_zone_layers)))
    assert len(report.repairs) == 1
    assert "SC-0001" in report.repairs[0] and "Self-intersection" in report.repairs[0]
    with db_factory() as s:
        parcels = load_layer(s, "jiaokou", "parcels").set_index("parcel_id")
        audit = s.scalar(select(AuditEntryRow).where(AuditEntryRow.entity == "zone"))
    g = parcels.loc["SC-0001", "geometry"]
    assert g.is_valid and g.area == pytest.approx(5_000.0)  # two triangles of 2 500 m²
    assert parcels.loc["SC-0001", "area_m2"] == pytest.approx(5_000.0)
    assert audit.after_attrs["repairs"] == report.repairs


def test_layers_from_geojson_and_zipped_shapefile(
    db_factory, write_zone_sources, small_zone_layers, tmp_path
):
    base = write_zone_sources(core(small_zone_layers), dem=False)
    geojson = tmp_path / "parcels.geojson"
    small_zone_layers["parcels"].to_file(geojson, driver="GeoJSON")
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    small_zone_layers["roads"].to_file(shp_dir / "roads.shp")
    archive = tmp_path / "roads.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f.name)
    sources = sources_for_zone(
        base.zone_file, layers=base.layers, dems=[], layer_files={"parcels": geojson, "roads": archive}
    )
    report = import_zone(db_factory, sources)
    assert report.counts["parcels"] == 4 and report.counts["roads"] == 1
    with db_factory() as s:
        roads = load_layer(s, "jiaokou", "roads")
    assert roads.iloc[0]["name"] == "S224" and roads.iloc[0]["class"] == "provincial"


def test_reprojected_layer_is_stored_in_the_zone_crs(db_factory, write_zone_sources, small_zone_layers):
    small_zone_layers["places"] = small_zone_layers["places"].to_crs("EPSG:4490")
    report = import_zone(db_factory, write_zone_sources(core(small_zone_layers, "places")))
    assert "places: 2 features from layers.gpkg (reprojected EPSG:4490 → EPSG:4546)" in report.layers
    with db_factory() as s:
        gate = load_layer(s, "jiaokou", "places").set_index("place_id").loc["P2", "geometry"]
    assert gate.x == pytest.approx(X0 + 10, abs=1e-3) and gate.y == pytest.approx(Y0 + 10, abs=1e-3)


# --------------------------------------------------------------------------- refusals


def _no_crs(layers, folder):
    layers["parcels"] = layers["parcels"].set_crs(None, allow_override=True)


def _points_as_roads(layers, folder):
    layers["roads"] = layers["roads"].set_geometry(layers["roads"].geometry.centroid)


def _no_status(layers, folder):
    layers["parcels"] = layers["parcels"].drop(columns="status")


def _nan_distance(layers, folder):
    layers["rivers"]["control_distance_m"] = np.nan


def _inf_speed(layers, folder):
    layers["roads"]["speed_kmh"] = np.inf


def _unknown_park(layers, folder):
    layers["parcels"].loc[1, "park"] = "nowhere"


def _unknown_status(layers, folder):
    layers["parcels"].loc[2, "status"] = "sold"


def _unknown_cluster(layers, folder):
    layers["clusters"].loc[0, "cluster_id"] = "sc-mystery"


def _cluster_in_wrong_park(layers, folder):
    layers["parcels"].loc[3, "cluster"] = "sc-almg"


def _no_parks(layers, folder):
    del layers["parks"]


#: (spoil the layers, extra layer needed, error, message). Refusals happen before the database
#: is touched, so they run on SpatiaLite; ``rolls_everything_back`` covers both backends.
LAYER_REFUSALS = [
    (_no_crs, None, MissingCRSError, "has no CRS"),
    (
        _points_as_roads,
        "roads",
        GeometryError,
        "must hold LineString/MultiLineString geometries but has Point",
    ),
    (_no_status, None, SchemaError, "lacks required field(s) status"),
    (
        _nan_distance,
        "rivers",
        SchemaError,
        "field 'control_distance_m' must be a finite number: feature 1 (river_id=RV1) = nan",
    ),
    (
        _inf_speed,
        "roads",
        SchemaError,
        "field 'speed_kmh' must be finite (not ±inf): feature 1 (road_id=R1) = inf",
    ),
    (
        _unknown_park,
        None,
        SchemaError,
        "field 'park' is not a park of the zone (shuangchi, shuitou) in feature 2 (parcel_id=SC-0002)",
    ),
    (
        _unknown_status,
        None,
        SchemaError,
        "field 'status' is not one of existing, vacant, reserved, public in feature 3 (parcel_id=SC-0003)",
    ),
    (
        _unknown_cluster,
        None,
        SchemaError,
        "cluster_id is not a cluster of the zone file in feature 1 (cluster_id=sc-mystery)",
    ),
    (
        _cluster_in_wrong_park,
        None,
        SchemaError,
        "field 'cluster' is not a cluster of the parcel's park in feature 4 (parcel_id=ST-0001)",
    ),
    (_no_parks, None, InputFileError, "no 'parks' layer"),
]


@pytest.mark.parametrize("backend", ["spatialite"], indirect=True)
@pytest.mark.parametrize(
    "spoil, layer, error, message", LAYER_REFUSALS, ids=[f.__name__.strip("_") for f, *_ in LAYER_REFUSALS]
)
def test_bad_layers_are_refused_and_nothing_is_written(
    db_factory, write_zone_sources, small_zone_layers, tmp_path, spoil, layer, error, message
):
    layers = core(small_zone_layers, *([layer] if layer else []))
    spoil(layers, tmp_path)
    before = row_counts(db_factory)
    with pytest.raises(error) as info:
        import_zone(db_factory, write_zone_sources(layers, dem=False))
    assert message in str(info.value)
    assert row_counts(db_factory) == before == dict.fromkeys(before, 0)


def test_a_refusal_on_a_database_with_a_zone_changes_nothing(zone_db, write_zone_sources, small_zone_layers):
    before = row_counts(zone_db)
    _unknown_status(small_zone_layers, None)
    with pytest.raises(SchemaError, match="field 'status' is not one of"):
        import_zone(zone_db, write_zone_sources(core(small_zone_layers), name="bad", dem=False), replace=True)
    assert row_counts(zone_db) == before


def _zip(
    path: Path,
    members: dict[str, bytes],
    *,
    links: dict[str, str] | None = None,
    compression=zipfile.ZIP_DEFLATED,
) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def _shapefile_bytes(gdf, tmp_path: Path) -> dict[str, bytes]:
    folder = tmp_path / "shp_src"
    folder.mkdir(exist_ok=True)
    gdf.to_file(folder / "roads.shp")
    return {f.name: f.read_bytes() for f in folder.iterdir()}


ZIP_REFUSALS = [
    ("dotdot", InputFileError, "member '../roads.shp' has a '..' path component"),
    ("absolute", InputFileError, "member '/tmp/roads.shp' has an absolute path"),
    ("symlink", InputFileError, "member 'roads.prj' is a symbolic link"),
    ("ratio", LimitExceededError, "compression ratio"),
    ("size", LimitExceededError, "decompresses to"),
]


@pytest.mark.parametrize("backend", ["spatialite"], indirect=True)
@pytest.mark.parametrize("kind, error, message", ZIP_REFUSALS, ids=[k for k, _, _ in ZIP_REFUSALS])
def test_unsafe_zips_are_refused_and_nothing_is_written(
    db_factory, write_zone_sources, small_zone_layers, tmp_path, kind, error, message
):
    base = write_zone_sources(core(small_zone_layers), dem=False)
    files = _shapefile_bytes(small_zone_layers["roads"], tmp_path)
    limits = ImportLimits()
    if kind == "dotdot":
        archive = _zip(
            tmp_path / "roads.zip", {("../" if n.endswith(".shp") else "") + n: d for n, d in files.items()}
        )
    elif kind == "absolute":
        archive = _zip(
            tmp_path / "roads.zip", {("/tmp/" if n.endswith(".shp") else "") + n: d for n, d in files.items()}
        )
    elif kind == "symlink":
        files.pop("roads.prj")
        archive = _zip(tmp_path / "roads.zip", files, links={"roads.prj": "/etc/passwd"})
    elif kind == "ratio":
        files["padding.txt"] = b"\0" * 5_000_000  # 5 MB of zeros deflate ~1000:1
        archive = _zip(tmp_path / "roads.zip", files)
    else:
        archive = _zip(tmp_path / "roads.zip", files)
        limits = ImportLimits(zip=ZipLimits(max_total_bytes=100))
    sources = sources_for_zone(base.zone_file, layers=base.layers, dems=[], layer_files={"roads": archive})
    with pytest.raises(error) as info:
        import_zone(db_factory, sources, limits=limits)
    assert message in str(info.value)
    assert row_counts(db_factory) == dict.fromkeys(row_counts(db_factory), 0)


def _vrt(folder: Path, good: Path) -> Path:
    return write_vrt(folder / "evil.tif", good)


def _no_crs_dem(folder: Path, good: Path) -> Path:
    return write_raster(
        folder / "nocrs.tif", np.ones((4, 4), "float32"), transform=north_up(X0, Y0 + 40, 10.0), crs=None
    )


def _remote(folder: Path, good: Path) -> str:
    return "/vsicurl/https://example.com/dem.tif"


def _not_tif(folder: Path, good: Path) -> Path:
    p = folder / "dem.png"
    p.write_bytes(good.read_bytes())
    return p


def _big(folder: Path, good: Path) -> Path:
    # 3 bands of 10 × 10 = 300 cells, over the limit of 250 set below; never read.
    return write_raster(
        folder / "big.tif", np.ones((3, 10, 10), "float32"), transform=north_up(X0, Y0 + 100, 10.0)
    )


DEM_REFUSALS = [
    (_vrt, InputFileError, "not a GeoTIFF: the file is a GDAL VRT (XML)"),
    (_no_crs_dem, MissingCRSError, "the raster has no CRS"),
    (_remote, InputFileError, "remote or GDAL-virtual paths are not accepted"),
    (_not_tif, InputFileError, "has the extension '.png', not .tif"),
    (_big, LimitExceededError, "10 × 10 × 3 band(s) = 300 cells exceeds the limit of 250"),
]


@pytest.mark.parametrize("backend", ["spatialite"], indirect=True)
@pytest.mark.parametrize(
    "make, error, message", DEM_REFUSALS, ids=[f.__name__.strip("_") for f, _, _ in DEM_REFUSALS]
)
def test_bad_dems_are_refused_and_nothing_is_written(
    db_factory, write_zone_sources, small_zone_layers, tmp_path, make, error, message
):
    base = write_zone_sources(core(small_zone_layers))
    bad = make(tmp_path, Path(base.dems[0]))
    sources = sources_for_zone(base.zone_file, layers=base.layers, dems=[base.dems[0], bad])
    with pytest.raises(error) as info:
        import_zone(db_factory, sources, limits=ImportLimits(max_raster_cells=250))
    assert message in str(info.value)
    assert row_counts(db_factory) == dict.fromkeys(row_counts(db_factory), 0)


def test_zone_crs_must_match_the_database(db_factory, write_zone_sources):
    def to_4525(data):
        data["zone"]["crs"] = "EPSG:4525"

    with pytest.raises(
        ConfigError, match="zone CRS EPSG:4525 differs from the database's geometry CRS EPSG:4546"
    ):
        import_zone(db_factory, write_zone_sources(zone_edit=to_4525, dem=False))
    assert row_counts(db_factory)["zones"] == 0


def test_failure_while_writing_rolls_everything_back(db_factory, write_zone_sources):
    bundle = read_sources(write_zone_sources(core(synthetic_layers())))
    # Spoil the checked bundle so the database itself refuses the last parcel (CHECK status).
    bundle.frames["parcels"].loc[3, "status"] = "sold"
    with pytest.raises(Exception, match="(?i)check"):
        with db_factory() as s, s.begin():
            write_bundle(s, bundle)
    assert row_counts(db_factory) == dict.fromkeys(row_counts(db_factory), 0)


# --------------------------------------------------------------------------- re-import


def test_existing_zone_is_refused_without_replace(zone_db, write_zone_sources):
    before = row_counts(zone_db)
    with pytest.raises(ConflictError, match="zone 'jiaokou' is already in the database — pass --replace"):
        import_zone(zone_db, write_zone_sources(name="again"))
    assert row_counts(zone_db) == before


def test_replace_updates_in_place_and_keeps_history(zone_db, write_zone_sources, small_zone_layers):
    with zone_db() as s:
        ids_before = dict(s.execute(select(ParcelRow.parcel_id, ParcelRow.id)).all())
    parcels = small_zone_layers["parcels"]
    parcels.loc[0, "geometry"] = shapely.box(X0 + 100, Y0 + 100, X0 + 250, Y0 + 200)  # SC-0001 grows
    parcels.loc[1, "status"] = "vacant"  # SC-0002 changes
    parcels = parcels[parcels["parcel_id"] != "SC-0003"].copy()  # SC-0003 removed
    parcels.loc[len(parcels) + 10] = {
        "parcel_id": "SC-0009",
        "park": "shuangchi",
        "cluster": None,
        "status": "vacant",
        "enterprise": None,
        "land_use": None,
        "area_m2": 0.0,
        "geometry": shapely.box(X0 + 800, Y0 + 400, X0 + 900, Y0 + 500),
    }
    small_zone_layers["parcels"] = parcels
    report = import_zone(
        zone_db,
        write_zone_sources(core(small_zone_layers), name="v2", dem=False),
        replace=True,
        user="tester",
    )
    assert report.action == "replaced"
    assert report.changes["parcels"] == {"added": 1, "updated": 2, "unchanged": 1, "removed": 1}
    assert report.changes["clusters"] == {"added": 0, "updated": 0, "unchanged": 9, "removed": 0}
    with zone_db() as s:
        rows = {p.parcel_id: p for p in s.scalars(select(ParcelRow))}
        assert set(rows) == {"SC-0001", "SC-0002", "ST-0001", "SC-0009"}
        assert rows["SC-0001"].id == ids_before["SC-0001"] and rows["SC-0001"].version == 2
        assert rows["SC-0001"].area_m2 == 15_000.0
        assert rows["SC-0002"].version == 2 and rows["ST-0001"].version == 1
        assert s.scalar(select(func.count()).select_from(RasterRefRow)) == 1  # no DEM given: kept
        log = {
            (e.entity_key, e.action, e.version)
            for e in s.scalars(select(AuditEntryRow).where(AuditEntryRow.entity == "parcel"))
        }
        assert log == {("SC-0001", "import", 2), ("SC-0002", "import", 2), ("SC-0003", "delete", 2)}
        e = s.scalar(select(AuditEntryRow).where(AuditEntryRow.entity_key == "SC-0002"))
        assert (e.before_attrs["status"], e.after_attrs["status"]) == ("existing", "vacant")


def infrastructure_counts(factory) -> dict[str, int]:
    with factory() as s:
        rows = s.execute(
            select(InfrastructureFeatureRow.layer, func.count()).group_by(InfrastructureFeatureRow.layer)
        ).all()
    return {layer: n for layer, n in rows}


def test_a_replace_keeps_the_layers_the_sources_do_not_carry(zone_db, write_zone_sources, small_zone_layers):
    """A GeoPackage without ``roads`` (and no DEM) replaces the rest; the roads and the DEM stay,
    and the plan, given before the write, says so."""
    before = infrastructure_counts(zone_db)
    assert before["roads"] == 1
    layers = {k: v for k, v in small_zone_layers.items() if k != "roads"}
    layers["parcels"] = layers["parcels"][layers["parcels"]["parcel_id"] != "SC-0003"].copy()
    plans = []

    def on_plan(plan):
        plans.append(plan)
        assert infrastructure_counts(zone_db) == before  # told before anything is written

    report = import_zone(
        zone_db, write_zone_sources(layers, name="noroads", dem=False), replace=True, on_plan=on_plan
    )
    (plan,) = plans
    assert plan.removed == {"parcels": 1}  # the other layers carried hold the same ids
    assert plan.kept == ["roads", "dems"]
    assert (
        "roads: not in the sources — the 1 in the database are kept (pass --drop-missing to remove them)"
        in (plan.lines())
    )
    assert any(n.startswith("roads: not in the sources") for n in report.notes)
    assert infrastructure_counts(zone_db) == before
    with zone_db() as s:
        assert s.scalar(select(func.count()).select_from(RasterRefRow)) == 1
        assert "SC-0003" not in set(s.scalars(select(ParcelRow.parcel_id)))


def test_drop_missing_removes_the_layers_the_sources_do_not_carry(
    zone_db, write_zone_sources, small_zone_layers
):
    layers = {k: v for k, v in small_zone_layers.items() if k != "roads"}
    plans = []
    import_zone(
        zone_db,
        write_zone_sources(layers, name="noroads", dem=False),
        replace=True,
        drop_missing=True,
        on_plan=plans.append,
    )
    assert plans[0].removed["roads"] == 1 and plans[0].removed["dems"] == 1 and plans[0].kept == []
    assert "roads: not in the sources — 1 to be removed (--drop-missing)" in plans[0].lines()
    assert "roads" not in infrastructure_counts(zone_db)
    with zone_db() as s:
        assert s.scalar(select(func.count()).select_from(RasterRefRow)) == 0


# --------------------------------------------------------------------------- the command


def test_import_command_replace_without_roads(db_url, write_zone_sources):
    """``parksite import --replace`` with a GeoPackage lacking ``roads``: the roads are kept and the
    command says so before it writes; ``--drop-missing`` removes them, also said first."""
    cli = typer.Typer()
    register(cli)
    full = write_zone_sources(core(synthetic_layers(), "roads"))
    args = ["import", "--zone", str(full.zone_file), "--database-url", db_url, "--dem", str(full.dems[0])]
    assert CliRunner().invoke(cli, [*args, "--layers", str(full.layers)]).exit_code == 0
    engine_factory = _factory(db_url)
    assert infrastructure_counts(engine_factory) == {"roads": 1}
    noroads = write_zone_sources(core(synthetic_layers()), name="noroads")
    kept = CliRunner().invoke(cli, [*args, "--layers", str(noroads.layers), "--replace"])
    assert kept.exit_code == 0, kept.output
    out = " ".join(kept.output.split())
    assert "replacing zone jiaokou: 0 row(s) to be removed" in out
    assert (
        "roads: not in the sources — the 1 in the database are kept (pass --drop-missing to remove them)"
        in out
    )
    assert out.index("replacing zone jiaokou") < out.index("OK zone jiaokou replaced")
    assert infrastructure_counts(engine_factory) == {"roads": 1}
    dropped = CliRunner().invoke(cli, [*args, "--layers", str(noroads.layers), "--replace", "--drop-missing"])
    assert dropped.exit_code == 0, dropped.output
    out = " ".join(dropped.output.split())
    assert "replacing zone jiaokou: 1 row(s) to be removed" in out
    assert "roads: not in the sources — 1 to be removed (--drop-missing)" in out
    assert infrastructure_counts(engine_factory) == {}
    alone = CliRunner().invoke(cli, [*args, "--layers", str(noroads.layers), "--drop-missing"])
    assert isinstance(alone.exception, SchemaError) and "--drop-missing only applies" in str(alone.exception)


def _factory(url: str):
    from app.db.engine import make_engine, session_factory

    return session_factory(make_engine(url))


def test_import_command(db_url, write_zone_sources):
    cli = typer.Typer()
    register(cli)
    src = write_zone_sources(core(synthetic_layers()))
    args = [
        "import",
        "--zone",
        str(src.zone_file),
        "--layers",
        str(src.layers),
        "--dem",
        str(src.dems[0]),
        "--database-url",
        db_url,
        "--user",
        "cli-test",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "zone jiaokou created: 2 parks, 9 clusters, 4 parcels, 1 dems" in result.output
    again = CliRunner().invoke(cli, args)
    assert isinstance(again.exception, ConflictError)
    replaced = CliRunner().invoke(cli, [*args, "--replace"])
    assert replaced.exit_code == 0 and "parcels: 0 added, 0 updated, 4 unchanged" in replaced.output
    bad = CliRunner().invoke(
        cli, ["import", "--sample", "--zone", str(src.zone_file), "--database-url", db_url]
    )
    assert isinstance(bad.exception, SchemaError) and "--sample takes no" in str(bad.exception)


def test_sample_zone_loads_by_the_same_path(db_factory):
    from app.db.importer import sample_sources

    sources = sample_sources()
    assert sources.zone_file == DEFAULT_ZONE_FILE
    assert sources.layers == (DEFAULT_ZONE_FILE.parent / "../parcels/jiaokou.gpkg").resolve()
    report = import_zone(db_factory, sources)
    assert report.counts["parks"] == 2 and report.counts["dems"] == 2
    with db_factory() as s:
        assert {r.park_id for r in rasters(s, "jiaokou")} == set(s.scalars(select(ParkRow.id)).all())
        for layer in ("parcels", "roads", "water"):
            # Every feature and field of the GeoPackage comes back, geometry unchanged.
            original = gpd.read_file(sources.layers, layer=layer)
            key = f"{layer[:-1] if layer != 'water' else 'water'}_id"
            stored = load_layer(s, "jiaokou", layer).set_index(key).loc[original[key]]
            assert set(original.columns) <= {key, *stored.columns}
            assert all(a.equals(b) for a, b in zip(original.geometry, stored.geometry))
