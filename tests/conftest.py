"""Shared database fixtures: the same tests run on SpatiaLite and on PostGIS.

``backend`` is parametrized over ``spatialite`` and ``postgis`` (like geopandas' engine
fixtures); the PostGIS case is marked ``postgis`` and skips only when
``PARKSITE_TEST_POSTGIS_URL`` is unset (``scripts/test.sh`` always sets it).

Isolation: on SpatiaLite every test gets its own copy of a migrated template file in
``tmp_path``; on PostGIS the tests share one migrated schema per session (``search_path`` set in
the URL) whose tables are emptied before each test, and ``empty_db_url`` is a fresh schema
dropped afterwards.

* ``empty_db_url`` — URL of a new, empty database (no tables).
* ``db_url`` — URL of a new database migrated to the newest revision.
* ``db_engine`` / ``db_factory`` / ``db_session`` — engine, session factory and a session on it.

``PARKSITE_WARM_ON_START`` defaults to 0 here (set before any test's settings are read).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

#: Fixture modules shared by many test modules, registered here for every test (no star imports):
#: the API tests' zone, databases and clients, and the synthetic rasters' ``make_raster``.
pytest_plugins = ["tests.rasters", "tests.api_fixtures", "tests.report_sample_db", "tests.scale_zone"]

POSTGIS_ENV = "PARKSITE_TEST_POSTGIS_URL"

#: The app's warm-up at start (app.api.warmup) is off in the tests unless a test turns it on:
#: some thousand in-process apps and test servers would each build a zone context in a thread
#: (the servers started with subprocess inherit it; tests/test_api_warmup.py turns it on).
os.environ.setdefault("PARKSITE_WARM_ON_START", "0")


@pytest.fixture(params=["spatialite", pytest.param("postgis", marks=pytest.mark.postgis)])
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test: ``spatialite`` or ``postgis``."""
    if request.param == "postgis" and not os.environ.get(POSTGIS_ENV):
        pytest.skip(f"{POSTGIS_ENV} is not set")
    return request.param


def _postgis_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema},public')}"


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """URL of a new, empty database on ``backend`` (dropped after the test on PostGIS)."""
    if backend == "spatialite":
        yield f"sqlite:///{tmp_path / 'parksite.sqlite'}"
        return
    from app.db.engine import make_engine

    base = os.environ[POSTGIS_ENV]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgis_schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def _spatialite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SpatiaLite file migrated to head once per session; tests get copies."""
    from app.db.schema import upgrade

    path = tmp_path_factory.mktemp("template") / "parksite.sqlite"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgis_schema() -> Iterator[str]:
    """URL of a schema migrated to head once per session; tests empty its tables first."""
    from app.db.engine import make_engine
    from app.db.schema import upgrade

    base = os.environ[POSTGIS_ENV]
    schema = f"t_session_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = _postgis_schema_url(base, schema)
        upgrade(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """URL of a database on ``backend`` migrated to the newest revision, with empty tables.

    SpatiaLite: a copy of a migrated template file. PostGIS: the session's migrated schema with
    every table emptied (``DELETE``, children first) — much faster than a new schema per test.
    """
    if backend == "spatialite":
        path = tmp_path / "parksite.sqlite"
        shutil.copyfile(request.getfixturevalue("_spatialite_template"), path)
        return f"sqlite:///{path}"
    from sqlalchemy import delete

    from app.db.engine import make_engine
    from app.db.models import Base

    url = request.getfixturevalue("_postgis_schema")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(delete(table))
    finally:
        engine.dispose()
    return url


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated database of its own."""
    from app.db.engine import make_engine

    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_factory(db_engine: Engine) -> sessionmaker[Session]:
    """A session factory on ``db_engine``."""
    from app.db.engine import session_factory

    return session_factory(db_engine)


@pytest.fixture
def db_session(db_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session on ``db_engine``; rolled back and closed after the test."""
    with db_factory() as session:
        yield session
        session.rollback()


# --------------------------------------------------------------------------- a small zone
#
# Two parks of the Jiaokou zone file drawn as rectangles near (540 000, 4 090 000) in EPSG:4546,
# three cluster outlines, four 100 × 100 m parcels (10 000 m² = 15 亩 each) and one feature or two
# per infrastructure layer; a 10 × 10 DEM with 10 m cells over the Shuangchi park.

X0, Y0 = 540_000.0, 4_090_000.0


def synthetic_layers() -> dict:
    """Return the small zone's layers as GeoDataFrames (EPSG:4546), keyed by layer name."""
    import geopandas as gpd
    from shapely import LineString, Point, box

    crs = "EPSG:4546"

    def frame(rows: list[dict]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)

    return {
        "parks": frame(
            [
                {"park_id": "shuangchi", "name": "双池镇园区", "geometry": box(X0, Y0, X0 + 1000, Y0 + 600)},
                {
                    "park_id": "shuitou",
                    "name": "水头镇园区",
                    "geometry": box(X0 - 3000, Y0, X0 - 2000, Y0 + 500),
                },
            ]
        ),
        "clusters": frame(
            [
                {
                    "cluster_id": "sc-almg",
                    "park_id": "shuangchi",
                    "geometry": box(X0, Y0, X0 + 500, Y0 + 600),
                },
                {
                    "cluster_id": "sc-smart",
                    "park_id": "shuangchi",
                    "geometry": box(X0 + 500, Y0, X0 + 1000, Y0 + 600),
                },
                {
                    "cluster_id": "st-almg",
                    "park_id": "shuitou",
                    "geometry": box(X0 - 3000, Y0, X0 - 2500, Y0 + 500),
                },
            ]
        ),
        "parcels": frame(
            [
                {
                    "parcel_id": "SC-0001",
                    "park": "shuangchi",
                    "cluster": "sc-almg",
                    "status": "vacant",
                    "enterprise": None,
                    "land_use": "M2",
                    "area_m2": 9_999.0,
                    "geometry": box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200),
                },
                {
                    "parcel_id": "SC-0002",
                    "park": "shuangchi",
                    "cluster": "sc-smart",
                    "status": "existing",
                    "enterprise": "天鹏冶炼",
                    "land_use": "M3",
                    "area_m2": 10_000.0,
                    "geometry": box(X0 + 600, Y0 + 100, X0 + 700, Y0 + 200),
                },
                # 60 m of its 100 m width lie in sc-almg, 40 m in sc-smart.
                {
                    "parcel_id": "SC-0003",
                    "park": "shuangchi",
                    "cluster": "sc-almg",
                    "status": "vacant",
                    "enterprise": None,
                    "land_use": None,
                    "area_m2": 10_000.0,
                    "geometry": box(X0 + 440, Y0 + 300, X0 + 540, Y0 + 400),
                },
                {
                    "parcel_id": "ST-0001",
                    "park": "shuitou",
                    "cluster": "st-almg",
                    "status": "reserved",
                    "enterprise": None,
                    "land_use": None,
                    "area_m2": 10_000.0,
                    "geometry": box(X0 - 2900, Y0 + 100, X0 - 2800, Y0 + 200),
                },
            ]
        ),
        "roads": frame(
            [
                {
                    "road_id": "R1",
                    "name": "S224",
                    "class": "provincial",
                    "lanes": 2,
                    "speed_kmh": 60.0,
                    "geometry": LineString([(X0 - 3000, Y0 - 10), (X0 + 1000, Y0 - 10)]),
                },
            ]
        ),
        "rivers": frame(
            [
                {
                    "river_id": "RV1",
                    "name": "回龙河",
                    "control_distance_m": 30.0,
                    "seasonal": True,
                    "geometry": LineString([(X0 + 800, Y0 + 700), (X0 + 1000, Y0 + 900)]),
                },
            ]
        ),
        "substations": frame(
            [
                {
                    "substation_id": "SS1",
                    "name": "双池110kV变电站",
                    "voltage_kv": 110.0,
                    "status": "in_service",
                    "capacity_mva": 100.0,
                    "load_mva": 60.0,
                    "geometry": Point(X0 + 900, Y0 + 650),
                },
            ]
        ),
        "water": frame(
            [
                {
                    "water_id": "W1",
                    "name": "双池岩溶水井",
                    "kind": "well",
                    "status": "in_service",
                    "capacity_m3_per_day": 2000.0,
                    "geometry": Point(X0 + 300, Y0 + 650),
                },
                {
                    "water_id": "W2",
                    "name": "供水干管",
                    "kind": "main",
                    "status": "in_service",
                    "capacity_m3_per_day": 5000.0,
                    "geometry": LineString([(X0, Y0 + 620), (X0 + 1000, Y0 + 620)]),
                },
            ]
        ),
        "places": frame(
            [
                {
                    "place_id": "P1",
                    "name": "交口县城",
                    "kind": "county_seat",
                    "park_id": None,
                    "geometry": Point(X0 - 10_000, Y0 + 5_000),
                },
                {
                    "place_id": "P2",
                    "name": "双池园区大门",
                    "kind": "gate",
                    "park_id": "shuangchi",
                    "geometry": Point(X0 + 10, Y0 + 10),
                },
            ]
        ),
    }


@pytest.fixture
def small_zone_layers() -> dict:
    """The small zone's layers (fresh GeoDataFrames a test may change before writing)."""
    return synthetic_layers()


def write_zone_files(folder: Path, layers: dict | None = None, *, zone_edit=None, dem: bool = True):
    """Write the small zone (YAML, GeoPackage, DEM) into ``folder``; return its ``ImportSources``.

    ``layers`` replaces the synthetic layers (a dict of GeoDataFrames); ``zone_edit(dict)`` may
    change the zone file's data before it is written.
    """
    import warnings

    import numpy as np
    import yaml

    from app.db.importer import ImportSources
    from app.settings import DEFAULT_ZONE_FILE
    from tests.rasters import north_up, write_raster

    folder.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load(DEFAULT_ZONE_FILE.read_text(encoding="utf-8"))
    data.pop("data", None)
    if zone_edit is not None:
        zone_edit(data)
    zone_file = folder / "zone.yaml"
    zone_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    gpkg = folder / "layers.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns about layers without CRS
        for layer, gdf in (synthetic_layers() if layers is None else layers).items():
            gdf.to_file(gpkg, layer=layer, driver="GPKG")
    dems = []
    if dem:
        values = np.arange(100, dtype="float32").reshape(10, 10) + 1000.0
        dems.append(
            write_raster(folder / "dem_shuangchi.tif", values, transform=north_up(X0, Y0 + 600, 10.0))
        )
    return ImportSources(zone_file=zone_file, layers=gpkg, dems=dems)


@pytest.fixture
def write_zone_sources(tmp_path: Path):
    """Factory ``(layers=None, *, zone_edit=None, dem=True, name="zone")``: writes the small
    zone into ``tmp_path/name`` (see ``write_zone_files``) and returns its ``ImportSources``."""

    def _write(layers: dict | None = None, *, zone_edit=None, dem: bool = True, name: str = "zone"):
        return write_zone_files(tmp_path / name, layers, zone_edit=zone_edit, dem=dem)

    return _write


@pytest.fixture(scope="session")
def zone_bundle(tmp_path_factory: pytest.TempPathFactory):
    """The small zone read and checked once per session (a ``ZoneBundle``, not to be changed)."""
    from app.db.importer import read_sources

    return read_sources(write_zone_files(tmp_path_factory.mktemp("zone")))


@pytest.fixture
def zone_db(db_factory: sessionmaker[Session], zone_bundle) -> sessionmaker[Session]:
    """A migrated database holding the small zone ``jiaokou``; returns its session factory."""
    from app.db.importer import write_zone as write_bundle

    with db_factory.begin() as session:
        write_bundle(session, zone_bundle, user="fixture")
    return db_factory


@pytest.fixture(autouse=True)
def _cli_language_reset():
    """Every test starts in the default language: a CLI run with ``--lang en`` leaves the
    module-level choice set (``parksite``'s root callback resets it, a test's own Typer app does
    not), so a later test would read English."""
    from app.commands import lang

    lang._state["lang"] = lang.DEFAULT_LANG
    yield
