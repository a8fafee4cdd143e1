"""Is the database there and usable? Clear what / where / what-to-do messages, not tracebacks.

* :func:`check_sqlite_location` — called by :func:`app.db.engine.make_engine` for a
  ``sqlite:///PATH`` URL: the folder of ``PATH`` must exist (it is never created silently; the
  default state directory is created by ``Settings.resolved_database_url``), and ``PATH`` must
  not be a folder.
* :func:`probe` — connect once and check the spatial extension: SpatiaLite loads (and the file
  is an SQLite database), or the PostgreSQL database has ``CREATE EXTENSION postgis``. Raises
  :class:`DatabaseUnavailableError` naming the database and what to do: start the server, create
  the database, fix the user or password, create the extension, install the Debian package.
* :func:`open_database` — ``make_engine`` and ``probe`` in one: what every command and the
  server use before touching the schema.
* :func:`explain` — turn a driver error (``OperationalError`` and the like) into that message;
  :func:`is_unavailable_error` / :func:`explain_anywhere` let the CLI report a database that
  goes away while a command runs the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.db.url_checks import URL_SETTING, DatabaseUnavailableError, check_sqlite_location, shown_url
from gis.errors import ConfigError

__all__ = [
    "URL_SETTING",
    "DatabaseUnavailableError",
    "check_sqlite_location",
    "explain",
    "open_database",
    "shown_url",
]

if TYPE_CHECKING:  # the engine module imports this one: no import cycle at run time
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL


def _postgres_target(url: URL) -> str:
    host = url.host or "localhost (socket)"
    port = url.port or 5432
    return f'database "{url.database}" on {host}:{port}'


def _first_line(exc: BaseException) -> str:
    """Return the driver's message without SQLAlchemy's SQL and background link."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else type(orig).__name__


def explain(exc: BaseException, url: str | URL) -> DatabaseUnavailableError:
    """Return a ``DatabaseUnavailableError`` saying why the database at ``url`` failed with ``exc``.

    ``exc`` is a driver error (psycopg, sqlean) or SQLAlchemy's wrapper of one. The message says
    what failed, ``where`` names the database (password hidden), ``hint`` what to do.
    """
    from sqlalchemy.engine import make_url

    u = make_url(url)
    where = shown_url(u)
    detail = _first_line(exc)
    low = str(getattr(exc, "orig", None) or exc).lower()
    if u.get_backend_name() == "sqlite":
        path = u.database or ""
        if "not a database" in low or "malformed" in low:
            return DatabaseUnavailableError(
                f"{path} is not an SQLite/SpatiaLite database ({detail})",
                where=where,
                hint=f"point {URL_SETTING} at the parksite database file, or restore it from a "
                "backup (parksite db restore FILE)",
            )
        if "unable to open" in low or "readonly" in low or "permission" in low:
            return DatabaseUnavailableError(
                f"cannot open the SpatiaLite database file {path} ({detail})",
                where=where,
                hint="check that the file and its folder exist and that this user may read and write them",
            )
        if "locked" in low or "busy" in low:
            return DatabaseUnavailableError(
                f"the SpatiaLite database file {path} is locked by another process ({detail})",
                where=where,
                hint="wait for the other parksite command or server to finish, then try again",
            )
        return DatabaseUnavailableError(f"the SpatiaLite database failed: {detail}", where=where)
    target = _postgres_target(u)
    if "does not exist" in low and "database" in low:
        return DatabaseUnavailableError(
            f"the PostgreSQL {target} does not exist",
            where=where,
            hint=f"create it: createdb -h {u.host or 'localhost'} -U {u.username or 'postgres'} "
            f"{u.database} and then CREATE EXTENSION postgis in it; or correct {URL_SETTING}",
        )
    if "role" in low and "does not exist" in low:
        return DatabaseUnavailableError(
            f"PostgreSQL has no user {u.username!r} ({target})",
            where=where,
            hint=f"create the user (createuser) or put an existing one in {URL_SETTING}",
        )
    if "password" in low or "authentication" in low:
        return DatabaseUnavailableError(
            f"PostgreSQL refused the login of user {u.username!r} ({target}): {detail}",
            where=where,
            hint=f"check the user name and password in {URL_SETTING} (or ~/.pgpass)",
        )
    if "resolve host" in low or "name or service not known" in low or "nodename" in low:
        return DatabaseUnavailableError(
            f"the PostgreSQL host {u.host!r} is unknown ({detail})",
            where=where,
            hint=f"correct the host name in {URL_SETTING}",
        )
    if any(
        w in low for w in ("refused", "timeout", "timed out", "no route", "unreachable", "connection failed")
    ):
        return DatabaseUnavailableError(
            f"cannot reach the PostgreSQL server for the {target} ({detail})",
            where=where,
            hint="start PostgreSQL (e.g. systemctl start postgresql) or check the host and port in "
            f"{URL_SETTING}",
        )
    return DatabaseUnavailableError(f"the PostgreSQL {target} failed: {detail}", where=where)


def _no_postgis(url: URL, available: str | None) -> DatabaseUnavailableError:
    target = _postgres_target(url)
    if available:
        hint = (
            f"as a superuser: psql -h {url.host or 'localhost'} -U postgres -d {url.database} "
            '-c "CREATE EXTENSION postgis"'
        )
    else:
        hint = (
            "install PostGIS on the database server (Debian: apt-get install "
            "postgresql-<major>-postgis-3), then CREATE EXTENSION postgis in the database"
        )
    what = "does not have the PostGIS extension" + (
        "" if available else " (and the server has no PostGIS to install)"
    )
    return DatabaseUnavailableError(f"the PostgreSQL {target} {what}", where=shown_url(url), hint=hint)


def probe(engine: Engine) -> str:
    """Connect to ``engine``'s database and check its spatial extension; return what it is.

    Returns e.g. ``"PostGIS 3.3.2"`` or ``"SpatiaLite 5.0.1"``. Raises
    ``DatabaseUnavailableError`` (see :func:`explain`) when the database cannot be reached or
    opened, and when a PostgreSQL database has no PostGIS; ``SpatiaLiteUnavailableError`` when
    SQLite cannot load SpatiaLite.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from app.db.spatialite import sqlite_dbapi

    driver_errors: tuple[type[BaseException], ...] = (SQLAlchemyError,)
    if engine.dialect.name == "sqlite":
        driver_errors += (sqlite_dbapi().Error,)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                version = conn.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'"))
                if version is None:
                    available = conn.scalar(
                        text("SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'")
                    )
                    raise _no_postgis(engine.url, available)
                return f"PostGIS {version}"
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar()
            return f"SpatiaLite {conn.scalar(text('SELECT spatialite_version()'))}"
    except DatabaseUnavailableError:
        raise
    except ConfigError:  # SpatiaLite cannot be loaded: its own message names the package
        raise
    except driver_errors as exc:
        raise explain(exc, engine.url) from None


def open_database(url: str, **engine_options: object) -> Engine:
    """Return an engine on ``url`` after :func:`probe` succeeded (the engine is disposed if not).

    ``engine_options`` go to :func:`app.db.engine.make_engine`.
    """
    from app.db.engine import make_engine

    engine = make_engine(url, **engine_options)  # type: ignore[arg-type]
    try:
        probe(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


#: Driver error classes (by name) that mean "the database went away or cannot be used", not a bug.
_UNAVAILABLE = {"OperationalError", "InterfaceError"}


def is_unavailable_error(exc: BaseException) -> bool:
    """Return True for a database driver error that means the database cannot be used (an
    ``OperationalError`` of SQLAlchemy, psycopg or SQLite, or SQLite's "not a database") — the
    CLI reports these with :func:`explain_anywhere` instead of a traceback. Integrity and
    programming errors are bugs and return False."""
    module = (type(exc).__module__ or "").split(".")[0]
    if module not in {"sqlalchemy", "psycopg", "sqlean", "sqlite3", "pysqlite3"}:
        return False
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & _UNAVAILABLE:
        return True
    return "DatabaseError" in names and "not a database" in str(getattr(exc, "orig", None) or exc)


def explain_anywhere(exc: BaseException) -> DatabaseUnavailableError:
    """Return a ``DatabaseUnavailableError`` for a driver error whose database URL is not known."""
    return DatabaseUnavailableError(
        f"the database failed: {_first_line(exc)}",
        where="database",
        hint=f"check that the database server is running and reachable, and {URL_SETTING}",
    )
