"""The schema on both backends: models create, migrations equal the models, geometry round trips."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from alembic import command
from shapely import box
from sqlalchemy import func, inspect, select, text

from app.db import schema
from app.db.engine import backend_of, make_engine
from app.db.geometry import from_db, to_db
from app.db.models import ZONE_SRID, Base, ParcelRow, ParkRow, UserRow, ZoneRow
from app.db.spatialite import SpatiaLiteUnavailableError, sqlite_dbapi
from gis.errors import ConfigError

TABLES = {
    "zones",
    "parks",
    "clusters",
    "parcels",
    "enterprises",
    "enterprise_yearly",
    "infrastructure",
    "rasters",
    "projects",
    "check_results",
    "score_runs",
    "parcel_scores",
    "batch_jobs",
    "users",
    "audit_log",
    "project_admissions",
    "admission_parcels",
    "land_contracts",  # migration 0006
    "land_contract_parcels",
    "login_throttle",  # migration 0009
}
GEOMETRY_TABLES = {
    "parks": "MULTIPOLYGON",
    "clusters": "MULTIPOLYGON",
    "parcels": "MULTIPOLYGON",
    "infrastructure": "GEOMETRY",
}


def geometry_columns(engine) -> dict[str, tuple[str, int, bool]]:
    """Return table → (geometry type, SRID, has a spatial index) as the database records them."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = {0: "GEOMETRY", 6: "MULTIPOLYGON"}
            rows = conn.execute(
                text("SELECT f_table_name, geometry_type, srid, spatial_index_enabled FROM geometry_columns")
            ).all()
            return {t: (names[g], s, bool(i)) for t, g, s, i in rows}
        rows = conn.execute(
            text(
                "SELECT f_table_name, type, srid, EXISTS (SELECT 1 FROM pg_indexes i "
                "  WHERE i.schemaname = current_schema() AND i.tablename = g.f_table_name "
                "  AND i.indexdef LIKE '%USING gist (geom)%') "
                "FROM geometry_columns g WHERE f_table_schema = current_schema()"
            )
        ).all()
        return {t: (g, s, bool(i)) for t, g, s, i in rows}


def test_models_create_on_backend(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        schema.create_all(engine)
        assert TABLES <= set(inspect(engine).get_table_names())
        assert geometry_columns(engine) == {t: (g, ZONE_SRID, True) for t, g in GEOMETRY_TABLES.items()}
        # create_all on SQLite must not strip the spatial indexes from the shared metadata.
        assert "idx_parcels_geom" in {i.name for i in Base.metadata.tables["parcels"].indexes}
        schema.drop_all(engine)
        assert not TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_fresh_upgrade_equals_the_models(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        before = schema.schema_diff(engine)
        # The comparison sees a missing table (so an empty diff below means something).
        assert {d[1].name for d in before if d[0] == "add_table"} == TABLES
        assert schema.upgrade(engine) == schema.head_revision()
        assert schema.schema_diff(engine) == []
        assert geometry_columns(engine) == {t: (g, ZONE_SRID, True) for t, g in GEOMETRY_TABLES.items()}
        # Upgrading again is a no-op; down to nothing and up again gives the same schema.
        assert schema.upgrade(engine) == schema.head_revision()
        with engine.begin() as conn:
            command.downgrade(schema.alembic_config(connection=conn), "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        schema.upgrade(engine)
        assert schema.schema_diff(engine) == []
        schema.require_current(engine)
    finally:
        engine.dispose()


def test_require_current_names_the_fix(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        with pytest.raises(ConfigError, match="parksite db upgrade"):
            schema.require_current(engine)
    finally:
        engine.dispose()


def test_geometry_round_trip_and_spatial_sql(db_factory):
    square = box(540_000, 4_090_000, 540_100, 4_090_100)  # 100 m × 100 m
    with db_factory.begin() as s:
        s.add(ZoneRow(id="z", name="Z", crs="EPSG:4546", srid=ZONE_SRID, config={}, config_sha256="0" * 64))
        park = ParkRow(
            zone_id="z", code="p", name="P", geom=to_db(box(539_000, 4_089_000, 541_000, 4_091_000))
        )
        s.add(park)
        s.flush()
        s.add(
            ParcelRow(
                zone_id="z",
                parcel_id="A-1",
                park_id=park.id,
                status="vacant",
                area_m2=square.area,
                area_mu=15.0,
                geom=to_db(square),
            )
        )
    with db_factory() as s:
        parcel = s.scalar(select(ParcelRow))
        g = from_db(parcel.geom)
        assert g.geom_type == "MultiPolygon" and shapely.equals(g, square)
        assert s.scalar(select(func.ST_Area(ParcelRow.geom))) == pytest.approx(10_000.0)
        assert s.scalar(select(func.ST_SRID(ParcelRow.geom))) == ZONE_SRID
        hits = s.scalars(
            select(ParcelRow.parcel_id)
            .join(ParkRow, ParkRow.id == ParcelRow.park_id)
            .where(func.ST_Within(ParcelRow.geom, ParkRow.geom))
        ).all()
        assert hits == ["A-1"]


def test_timestamps_come_back_aware_utc(db_factory):
    t = dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with db_factory.begin() as s:
        s.add(UserRow(name="u", role="viewer", password_hash="x", created_at=t))
    with db_factory() as s:
        got = s.scalar(select(UserRow.created_at))
    assert got == t and got.tzinfo is not None and got.utcoffset() == dt.timedelta(0)


def test_unsupported_url_is_refused():
    with pytest.raises(ConfigError, match="unsupported database URL scheme 'mysql'"):
        make_engine("mysql://localhost/db")
    assert backend_of("sqlite:///x.sqlite") == "spatialite"
    assert backend_of("postgresql+psycopg://u@h/db") == "postgis"


def test_missing_spatialite_names_the_debian_package(tmp_path, monkeypatch):
    assert hasattr(sqlite_dbapi().connect(":memory:"), "enable_load_extension")
    monkeypatch.setenv("SPATIALITE_LIBRARY_PATH", str(tmp_path / "no_such_mod_spatialite.so"))
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        with pytest.raises(SpatiaLiteUnavailableError, match="libsqlite3-mod-spatialite"):
            with engine.connect():
                pass
    finally:
        engine.dispose()


def test_spatial_metadata_is_initialised_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    for _ in range(2):  # a second engine (new connections) finds the metadata and keeps it
        engine = make_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT CheckSpatialMetaData()")).scalar() == 3
            assert conn.execute(text("SELECT count(*) FROM spatial_ref_sys WHERE srid = 4546")).scalar() == 1
        engine.dispose()


#: Tables whose ids the audit log is keyed on: an id must never be handed out twice.
AUDITED_TABLES = {"clusters", "parcels", "projects", "users", "land_contracts"}


def test_audited_tables_never_reuse_an_id(tmp_path):
    """SQLite reuses the largest rowid after that row is deleted unless the table is
    AUTOINCREMENT; the models and the migrated schema must both say so (Alembic's diff does not
    compare it)."""
    assert {
        t.name for t in Base.metadata.sorted_tables if t.dialect_options["sqlite"]["autoincrement"]
    } == AUDITED_TABLES
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    schema.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ddl = dict(conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
        assert {t for t in TABLES if "AUTOINCREMENT" in ddl[t]} == AUDITED_TABLES
        with engine.begin() as conn:  # the largest id deleted is not handed out again
            for name in ("a", "b"):
                conn.execute(
                    text(
                        "INSERT INTO users (name, role, password_hash, disabled, created_at) "
                        "VALUES (:n, 'viewer', 'x', 0, '2025-01-01')"
                    ),
                    {"n": name},
                )
            conn.execute(text("DELETE FROM users WHERE name = 'b'"))
            conn.execute(
                text(
                    "INSERT INTO users (name, role, password_hash, disabled, created_at) "
                    "VALUES ('c', 'viewer', 'x', 0, '2025-01-01')"
                )
            )
            assert conn.execute(text("SELECT name, id FROM users ORDER BY id")).all() == [("a", 1), ("c", 3)]
    finally:
        engine.dispose()


#: Opens a SpatiaLite database first and only then imports the GIS wheels and uses them: without
#: the wheels loaded before mod_spatialite this crashes (segfault / heap corruption, exit 139).
NATIVE_ORDER_SCRIPT = r"""
import sys
from sqlalchemy import text
from app.db.engine import make_engine

folder = sys.argv[1]
engine = make_engine(f"sqlite:///{folder}/x.sqlite")
with engine.connect() as conn:
    assert conn.execute(text("SELECT spatialite_version()")).scalar()

import numpy as np
import pyogrio
import pyproj
import rasterio
import geopandas as gpd
from exactextract import exact_extract
from rasterio.transform import from_origin
from shapely import box

tif = f"{folder}/dem.tif"
with rasterio.open(tif, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32",
                   crs="EPSG:4546", transform=from_origin(540000, 4090100, 10, 10)) as ds:
    ds.write(np.arange(100, dtype="float32").reshape(1, 10, 10))
with rasterio.open(tif) as ds:
    assert float(ds.read(1).sum()) == 4950.0
parcels = gpd.GeoDataFrame({"v": [1]}, geometry=[box(540000, 4090000, 540050, 4090050)], crs="EPSG:4546")
parcels.to_file(f"{folder}/p.gpkg", layer="parcels", driver="GPKG")
back = pyogrio.read_dataframe(f"{folder}/p.gpkg", layer="parcels")
assert len(back) == 1 and back.crs.to_epsg() == 4546
# the lower-left 5 x 5 cells: rows 5-9, columns 0-4, values 50 + 10 r + c → mean 72
assert float(exact_extract(tif, parcels, "mean", output="pandas")["mean"][0]) == 72.0
assert pyproj.Transformer.from_crs(4546, 4326, always_xy=True).transform(500000, 0) == (111.0, 0.0)
print("ok")
"""


def test_gis_wheels_work_after_a_spatialite_connection(tmp_path):
    """A process that connects to SpatiaLite before it first imports rasterio, pyogrio,
    exactextract and pyproj (a CLI command, say) must not crash: the engine loads them first."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", NATIVE_ORDER_SCRIPT, str(tmp_path)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "ok"
