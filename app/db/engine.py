"""Engines and sessions, built by factories (never at import time).

``make_engine(url)`` returns an engine for either backend:

* ``sqlite:///PATH`` — the embedded default: a SpatiaLite file. The DB-API module is chosen by
  :func:`app.db.spatialite.sqlite_dbapi` (``sqlean`` here) and every new connection loads
  ``mod_spatialite``, turns foreign keys on and creates the spatial metadata once.
* ``postgresql+psycopg://USER@HOST:PORT/DB`` — PostGIS for many users. The database must have
  ``CREATE EXTENSION postgis``; ``?options=-csearch_path%3Dschema,public`` selects a schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.db import spatialite
from app.db.url_checks import check_sqlite_location
from gis.errors import ConfigError

SUPPORTED = "sqlite:///PATH (SpatiaLite) or postgresql+psycopg://USER@HOST:PORT/DB (PostGIS)"


def backend_of(url: str) -> str:
    """Return ``"spatialite"`` or ``"postgis"`` for a database URL; ConfigError otherwise."""
    name = make_url(url).get_backend_name()
    if name == "sqlite":
        return "spatialite"
    if name == "postgresql":
        return "postgis"
    raise ConfigError(
        f"unsupported database URL scheme {name!r}", where="PARKSITE_DATABASE_URL", hint=f"use {SUPPORTED}"
    )


def make_engine(url: str, *, echo: bool = False, pool_size: int | None = None) -> Engine:
    """Return a new SQLAlchemy engine for ``url`` with the spatial extension ready on connect.

    For a SQLite file the folder must exist (:func:`app.db.url_checks.check_sqlite_location`; it is
    never created here) and the file is put in WAL mode (readers do not block the writer).
    Raises ``ConfigError`` for an unsupported URL, ``DatabaseUnavailableError`` for a missing
    folder, and ``SpatiaLiteUnavailableError`` when SpatiaLite cannot be loaded (on first
    connection). Nothing connects here: :func:`app.db.probe.open_database` also checks that the
    database answers.
    """
    backend = backend_of(url)
    if backend == "spatialite":
        check_sqlite_location(url)
        db = make_url(url).database
        engine = create_engine(url, module=spatialite.sqlite_dbapi(), echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", spatialite.on_connect)
        if db and db != ":memory:":
            event.listen(engine, "connect", _wal)
        return engine
    kwargs = {"pool_pre_ping": True}
    if pool_size is not None:
        kwargs["pool_size"] = pool_size
    return create_engine(url, echo=echo, **kwargs)


def _wal(dbapi_conn, _record) -> None:  # noqa: ANN001 - SQLAlchemy listener signature
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode = WAL")
    finally:
        cur.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine`` (objects stay readable after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session inside one transaction: committed on success, rolled back on any error."""
    with factory() as session, session.begin():
        yield session
