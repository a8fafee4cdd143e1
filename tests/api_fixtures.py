"""Fixtures of the API tests: a small scored zone in SpatiaLite or PostGIS, users, clients.
Registered for every test by ``tests/conftest.py`` (``pytest_plugins``); import the helpers
(``PASSWORD``, ``make_client``, ``auth`` …) by name.

The zone is the synthetic one of ``tests/conftest.py`` (two parks, three clusters near
(540 000, 4 090 000) in EPSG:4546) with 18 more 80 × 80 m parcels (6 400 m² = 9.6 亩 each) in
two rows per Shuangchi cluster, and a 10 m DEM over the whole Shuangchi park: a plane rising
2 m per 100 m eastwards plus a 20 m Gaussian hill, so slopes and hillshade vary. The Shuitou
park has no DEM (its parcel ST-0001 has no terrain measures).

* ``api_db`` (module scope, per backend) — a migrated database with the zone imported, scored
  once, and one user per role (name = role, password ``PASSWORD``). Tests that only read share it.
* ``fresh_db`` (function scope) — the same, for one test (writes): a copy of a SpatiaLite file,
  or a PostGIS database cloned from a template database (``CREATE DATABASE … TEMPLATE``), both
  built once per session; without the CREATEDB privilege each PostGIS database is built in a
  schema of its own (slower).
* ``make_client(url, tmp_path, **settings)`` — a ``TestClient`` (context manager: startup and
  shutdown run) on ``create_app``, its warm-up at start off unless ``warm_on_start=True``; ``auth(client, role)`` — the Authorization header of a role.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapely import box

from tests.conftest import POSTGIS_ENV, X0, Y0, _postgis_schema_url, synthetic_layers, write_zone_files
from tests.rasters import north_up, write_raster

PASSWORD = "correct-horse-9"
ROLES = ("viewer", "analyst", "planner", "manager", "admin")
ZONE_ID = "jiaokou"

#: The DEM: 10 m cells over X0 − 50 … X0 + 1050, Y0 − 50 … Y0 + 650.
DEM_LEFT, DEM_TOP, DEM_RES, DEM_SHAPE = X0 - 50, Y0 + 650, 10.0, (70, 110)


def extra_parcels() -> list[dict[str, Any]]:
    """18 parcels of 80 × 80 m: 8 in sc-almg, 10 in sc-smart (SC-1xx), two rows each."""
    rows = []
    n = 100
    for y0 in (Y0 + 410, Y0 + 500):
        for x0, cluster, count in ((X0 + 10, "sc-almg", 4), (X0 + 560, "sc-smart", 5)):
            for k in range(count):
                n += 1
                left = x0 + k * 90
                rows.append(
                    {
                        "parcel_id": f"SC-{n}",
                        "park": "shuangchi",
                        "cluster": cluster,
                        "status": "existing" if n % 5 == 0 else "vacant",
                        "enterprise": "山西某铝业" if n % 5 == 0 else None,
                        "land_use": "M2",
                        "area_m2": 6400.0,
                        "geometry": box(left, y0, left + 80, y0 + 80),
                    }
                )
    return rows


def api_layers() -> dict:
    """The synthetic layers with the extra parcels (and the water drawn, for the capacity rules)."""
    import geopandas as gpd
    import pandas as pd

    layers = synthetic_layers()
    # the capacity ledger needs what is drawn already: 1200 of 2000 and 3000 of 5000 m³/d
    layers["water"]["used_m3_per_day"] = [1200.0, 3000.0]
    extra = gpd.GeoDataFrame(extra_parcels(), geometry="geometry", crs=layers["parcels"].crs)
    layers["parcels"] = gpd.GeoDataFrame(
        pd.concat([layers["parcels"], extra], ignore_index=True),
        geometry="geometry",
        crs=layers["parcels"].crs,
    )
    return layers


def dem_values() -> np.ndarray:
    """Elevations (m) at the DEM's cell centres: plane + hill."""
    rows, cols = DEM_SHAPE
    c, r = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    x = DEM_LEFT + c * DEM_RES
    y = DEM_TOP - r * DEM_RES
    hill = 20.0 * np.exp(-((x - (X0 + 700)) ** 2 + (y - (Y0 + 300)) ** 2) / (2 * 150.0**2))
    return (1000.0 + 0.02 * (x - X0) + hill).astype("float32")


def write_api_zone(folder: Path):
    """Write the zone's files into ``folder``; return its ``ImportSources``."""
    sources = write_zone_files(folder, api_layers(), dem=False)
    dem = write_raster(
        folder / "dem_shuangchi.tif", dem_values(), transform=north_up(DEM_LEFT, DEM_TOP, DEM_RES)
    )
    sources.dems = [dem]
    return sources


def build_api_db(url: str, folder: Path) -> None:
    """Migrate ``url``, import the zone, score it and add one user per role."""
    from app.api.scores import run_scoring
    from app.db.engine import make_engine, session_factory
    from app.db.importer import import_zone
    from app.db.schema import upgrade
    from app.db.users import add_user

    upgrade(url)
    engine = make_engine(url)
    try:
        factory = session_factory(engine)
        import_zone(factory, write_api_zone(folder), user="fixture")
        run_scoring(factory, ZONE_ID, user="fixture")
        with factory.begin() as s:
            for role in ROLES:
                add_user(s, role, role, PASSWORD, by="fixture")
    finally:
        engine.dispose()


def _admin(base: str):
    from app.db.engine import make_engine

    return make_engine(base).execution_options(isolation_level="AUTOCOMMIT")


def _with_database(base: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _create_database(base: str, name: str, template: str | None = None) -> None:
    from sqlalchemy import text

    engine = _admin(base)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    finally:
        engine.dispose()


def _drop_database(base: str, name: str) -> None:
    from sqlalchemy import text

    engine = _admin(base)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


#: Templates built once per test session (the session fixtures below also keep them here).
_TEMPLATES: dict[str, Any] = {}


@pytest.fixture(scope="session")
def _api_pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """Name of a PostGIS database with the scored zone and users, cloned per test (CREATE
    DATABASE … TEMPLATE is a file copy); None when the server refuses to create databases."""
    from sqlalchemy import text

    from app.db.engine import make_engine

    base = os.environ[POSTGIS_ENV]
    if "postgis" not in _TEMPLATES:
        name = f"parksite_api_tpl_{uuid.uuid4().hex[:8]}"
        try:
            _create_database(base, name)
        except Exception:  # no CREATEDB privilege: build each database in a schema instead
            _TEMPLATES["postgis"] = None
        else:
            _TEMPLATES["postgis"] = name
            url = _with_database(base, name)
            engine = make_engine(url)
            with engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            engine.dispose()
            build_api_db(url, tmp_path_factory.mktemp("api_pg_template"))
    yield _TEMPLATES["postgis"]
    if _TEMPLATES.get("postgis"):
        _drop_database(base, _TEMPLATES["postgis"])


def _new_schema(base: str) -> tuple[str, str]:
    from sqlalchemy import text

    from app.db.engine import make_engine

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema, _postgis_schema_url(base, schema)


def _drop_schema(base: str, schema: str) -> None:
    from sqlalchemy import text

    from app.db.engine import make_engine

    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module", params=["spatialite", pytest.param("postgis", marks=pytest.mark.postgis)])
def api_backend(request: pytest.FixtureRequest) -> str:
    """The backend of module-scoped API databases."""
    if request.param == "postgis" and not os.environ.get(POSTGIS_ENV):
        pytest.skip(f"{POSTGIS_ENV} is not set")
    return request.param


@pytest.fixture(scope="session")
def _api_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SpatiaLite file with the scored zone and users, built once per session."""
    if "spatialite" not in _TEMPLATES:
        folder = tmp_path_factory.mktemp("api_template")
        path = folder / "parksite.sqlite"
        build_api_db(f"sqlite:///{path}", folder / "zone")
        _TEMPLATES["spatialite"] = path
    return _TEMPLATES["spatialite"]


def _database(backend: str, folder: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "spatialite":
        path = folder / "parksite.sqlite"
        shutil.copyfile(request.getfixturevalue("_api_template"), path)
        yield f"sqlite:///{path}"
        return
    base = os.environ[POSTGIS_ENV]
    template = request.getfixturevalue("_api_pg_template")
    if template is not None:
        name = f"parksite_api_{uuid.uuid4().hex[:10]}"
        _create_database(base, name, template)
        try:
            yield _with_database(base, name)
        finally:
            _drop_database(base, name)
        return
    schema, url = _new_schema(base)
    try:
        build_api_db(url, folder / "zone")
        yield url
    finally:
        _drop_schema(base, schema)


@pytest.fixture(scope="module")
def api_db(
    api_backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    """URL of a database with the scored zone and users, shared by a module's tests."""
    yield from _database(api_backend, tmp_path_factory.mktemp(f"api_{api_backend}"), request)


@pytest.fixture
def fresh_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a database with the scored zone and users, for one test."""
    yield from _database(backend, tmp_path, request)


class RunCalls(list):
    """uvicorn.run's calls ``(args, kwargs)``; ``env`` the environment each call saw."""

    def __init__(self) -> None:
        super().__init__()
        self.env: list[dict[str, str]] = []

    def __call__(self, *args: object, **kwargs: object) -> None:
        self.append((args, kwargs))
        self.env.append(dict(os.environ))


def make_client(url: str, state_dir: Path, **settings: Any):
    """Return a TestClient on ``create_app`` for ``url`` (use it as a context manager); the
    warm-up at start is off unless ``warm_on_start=True``."""
    from fastapi.testclient import TestClient

    from app.api.factory import create_app
    from app.settings import Settings

    settings.setdefault("warm_on_start", False)
    s = Settings(database_url=url, state_dir=state_dir, secret_key="k" * 48, **settings)
    return TestClient(create_app(s))


def auth(client: Any, role: str) -> dict[str, str]:
    """Return the Authorization header of user ``role`` (a token made with the app's key)."""
    from app.security import create_token

    state = client.app.state.api
    token, _ = create_token(state.secret, role, state.settings.token_minutes)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def ro_client(api_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A client on the shared database (tests using it must not write)."""
    with make_client(api_db, tmp_path_factory.mktemp("state")) as client:
        yield client


@pytest.fixture
def client(fresh_db: str, tmp_path: Path) -> Iterator[Any]:
    """A client on a database of its own."""
    with make_client(fresh_db, tmp_path / "state") as c:
        yield c


def version_tag(response: Any) -> str:
    """Return a response's ETag as the route made it: without the ``-gzip`` that a gzipped body's
    strong tag carries (:mod:`app.api.compression`), i.e. ``"<id>-v<version>"`` for a feature."""
    from app.api.compression import SUFFIX

    tag = response.headers["etag"]
    return tag.removesuffix(SUFFIX + '"') + '"' if tag.endswith(SUFFIX + '"') else tag
