"""Loading SpatiaLite into SQLite connections.

This machine's (and many distributions') stdlib ``sqlite3`` is built without extension loading,
so the DB-API module for SQLAlchemy's sqlite dialect is chosen here: ``sqlean`` (the
``sqlean-py`` wheel, a drop-in ``sqlite3`` with extension loading), else ``pysqlite3``, else the
stdlib ``sqlite3`` when it can load extensions. The SpatiaLite module itself is Debian's
``mod_spatialite`` (package ``libsqlite3-mod-spatialite``), or the file named by the environment
variable ``SPATIALITE_LIBRARY_PATH``.

Loading ``mod_spatialite`` brings the system's libtiff, GEOS and PROJ into the process. A GIS
wheel that bundles its own copies (rasterio, pyogrio, exactextract, shapely, pyproj) and is
imported *after* that can bind some of its symbols to the system copies and crash (heap
corruption in ``TIFFClientOpenExt``, segfaults in GEOS calls or at exit). So
:func:`load_spatialite` first imports those wheels, once per process
(:func:`preload_native_libraries`): whichever code opens a SpatiaLite connection first — the
server, a CLI command, a test — is safe.
"""

from __future__ import annotations

import importlib
import os
from functools import lru_cache
from types import ModuleType
from typing import Any

from geoalchemy2.admin.dialects.sqlite import init_spatialite

from gis.errors import ConfigError

#: Where to look for the SpatiaLite module, in order (a bare name lets the loader search).
SPATIALITE_CANDIDATES: tuple[str, ...] = (
    "mod_spatialite",
    "/usr/lib/x86_64-linux-gnu/mod_spatialite.so",
    "/usr/lib/aarch64-linux-gnu/mod_spatialite.so",
    "/usr/local/lib/mod_spatialite.so",
)

#: DB-API modules tried in order; the first whose connections can load extensions wins.
DBAPI_CANDIDATES: tuple[str, ...] = ("sqlean", "pysqlite3.dbapi2", "sqlite3")

_HINT = (
    "install Debian's SpatiaLite module (apt-get install libsqlite3-mod-spatialite) and the "
    "Python package sqlean-py (pip install sqlean-py), or set SPATIALITE_LIBRARY_PATH to "
    "mod_spatialite.so; or use PostGIS with PARKSITE_DATABASE_URL=postgresql+psycopg://…"
)


class SpatiaLiteUnavailableError(ConfigError):
    """SQLite cannot load the SpatiaLite extension on this machine."""


def _can_load_extensions(module: ModuleType) -> bool:
    try:
        conn = module.connect(":memory:")
    except Exception:  # pragma: no cover - a broken module is simply skipped
        return False
    try:
        return hasattr(conn, "enable_load_extension")
    finally:
        conn.close()


@lru_cache(maxsize=1)
def sqlite_dbapi() -> ModuleType:
    """Return the first DB-API module (sqlean, pysqlite3, sqlite3) that can load extensions.

    Raises ``SpatiaLiteUnavailableError`` naming what to install when none can.
    """
    tried = []
    for name in DBAPI_CANDIDATES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            tried.append(f"{name} (not installed)")
            continue
        if _can_load_extensions(module):
            return module
        tried.append(f"{name} (built without extension loading)")
    raise SpatiaLiteUnavailableError(
        f"no SQLite DB-API module can load extensions; tried {', '.join(tried)}", hint=_HINT
    )


#: The wheels imported before SpatiaLite is loaded (see the module docstring).
NATIVE_LIBRARIES: tuple[str, ...] = (
    "shapely",
    "pyproj",
    "rasterio",
    "rasterio.warp",
    "pyogrio",
    "exactextract",
)


@lru_cache(maxsize=1)
def preload_native_libraries() -> tuple[str, ...]:
    """Import the GIS wheels that bundle GDAL/GEOS/PROJ/libtiff, once; return their names.

    Called by :func:`load_spatialite` before the first ``mod_spatialite`` is loaded, so the
    wheels bind to their own copies of those libraries (Python opens extension modules with
    ``RTLD_NOW``), never to the system's that SpatiaLite brings in. A wheel that is not
    installed is skipped.
    """
    loaded = []
    for name in NATIVE_LIBRARIES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        loaded.append(name)
    return tuple(loaded)


def _candidates() -> list[str]:
    env = os.environ.get("SPATIALITE_LIBRARY_PATH")
    return [env] if env else list(SPATIALITE_CANDIDATES)


def load_spatialite(dbapi_conn: Any) -> str:
    """Load SpatiaLite into a raw DB-API connection; return the module path that loaded.

    The GIS wheels are imported first (:func:`preload_native_libraries`). Raises
    ``SpatiaLiteUnavailableError`` naming the Debian package when nothing loads.
    """
    preload_native_libraries()
    errors = []
    dbapi_conn.enable_load_extension(True)
    try:
        for candidate in _candidates():
            try:
                dbapi_conn.load_extension(candidate)
                return candidate
            except Exception as exc:  # each DB-API raises its own OperationalError
                errors.append(f"{candidate}: {exc}")
    finally:
        dbapi_conn.enable_load_extension(False)
    raise SpatiaLiteUnavailableError(
        "cannot load the SpatiaLite extension (" + "; ".join(errors) + ")", hint=_HINT
    )


def on_connect(dbapi_conn: Any, _record: Any = None) -> None:
    """SQLAlchemy ``connect`` listener: load SpatiaLite, set pragmas, create spatial metadata once.

    ``InitSpatialMetaData(1)`` (one transaction, all EPSG codes) runs only when the database has
    no spatial metadata yet (GeoAlchemy2's ``init_spatialite`` checks ``CheckSpatialMetaData``).
    """
    load_spatialite(dbapi_conn)
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 30000")
    finally:
        cur.close()
    init_spatialite(dbapi_conn, transaction=True)
