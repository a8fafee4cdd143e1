"""Backups of the whole database and restoring them: ``parksite db backup|restore FILE``.

* SpatiaLite: :func:`backup_database` copies the database file with SQLite's online backup API,
  through the same connection the app uses (sqlean with SpatiaLite loaded), so a consistent
  snapshot is taken while the server keeps running. The backup is one self-contained SQLite file
  (rollback journal, not WAL), written next to ``FILE`` first and renamed into place when
  complete and checked (``PRAGMA quick_check``). Restoring copies it back with the same API into
  the database file, in one write transaction of the destination.
* PostGIS: ``pg_dump -Fc`` of parksite's schema, restored with ``pg_restore`` and ``psql`` in one
  transaction (:mod:`app.db.backup_pg`).

Before a restore changes anything it checks: the file is a backup of the database's kind (an
SQLite file for SpatiaLite, a pg_dump archive for PostGIS — anything else is refused naming what
it is), readable and undamaged, holding a parksite schema (``alembic_version`` and ``zones``) of
a revision this code knows (an older one is fine: ``parksite db upgrade`` brings it forward); the
database answers (:func:`app.db.probe.open_database`); and the database holds no data — else
``force=True`` is needed (``--force``), since everything in it is replaced. A refused restore
leaves the database as it was; so does one that fails midway (one transaction). Stop
``parksite serve`` before restoring (a running server may hold locks, and its caches would be
stale).

:class:`BackupInfo` says what a backup holds: backend, schema revision, size, and rows per table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from app.db import backup_pg
from app.db.engine import backend_of
from app.db.models import Base
from app.db.probe import DatabaseUnavailableError, check_sqlite_location, explain, open_database, shown_url
from gis.errors import ConflictError, InputFileError

#: First bytes of an SQLite database file.
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Tables every parksite database has (besides the models' others).
REQUIRED_TABLES = ("alembic_version", "zones")
#: Tables named in :meth:`BackupInfo.summary` (English, singular/plural by count).
SUMMARY_TABLES = (
    ("zones", "zone"),
    ("parks", "park"),
    ("clusters", "cluster"),
    ("parcels", "parcel"),
    ("score_runs", "score run"),
    ("projects", "project"),
    ("users", "user"),
    ("audit_log", "audit entry"),
)
KINDS = {"spatialite": "a SpatiaLite (SQLite) database file", "postgis": "a PostGIS pg_dump archive"}


class BackupFileError(InputFileError):
    """The file is not a parksite backup of the database's kind, or is damaged (exit code 2)."""


class RestoreRefusedError(ConflictError):
    """Restoring would replace a database that holds data, and ``force`` was not given (exit 10)."""


@dataclass(frozen=True)
class BackupInfo:
    """A backup or restore: ``path`` of the backup, ``backend`` (``spatialite`` | ``postgis``),
    schema ``revision``, ``size_bytes`` of the file, ``rows`` per parksite table (the backup's,
    or the database's after a restore) and, on PostGIS, the ``schema``."""

    path: Path
    backend: str
    revision: str | None
    size_bytes: int
    rows: dict[str, int] = field(default_factory=dict)
    schema: str | None = None

    def summary(self) -> str:
        """Return e.g. ``"schema revision 0003; 1 zone, 22 parcels, 4 users"``."""
        parts = []
        for table, noun in SUMMARY_TABLES:
            n = self.rows.get(table, 0)
            if n:
                plural = noun if n == 1 else ("audit entries" if noun == "audit entry" else noun + "s")
                parts.append(f"{n} {plural}")
        return f"schema revision {self.revision or 'none'}; " + (", ".join(parts) or "no data")


def parksite_tables() -> list[str]:
    """Return the names of parksite's tables (the models') plus ``alembic_version``."""
    return [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]


def backup_kind(path: Path) -> str:
    """Return ``"spatialite"`` or ``"postgis"`` for a backup file by its first bytes.

    Raises ``BackupFileError`` for a missing, empty or other file.
    """
    if not path.is_file():
        raise BackupFileError(f"there is no file {path}", where=str(path), hint="give the backup file's path")
    with open(path, "rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "spatialite"
    if head.startswith(backup_pg.MAGIC):
        return "postgis"
    raise BackupFileError(
        f"{path} is not a parksite backup: neither an SQLite database file nor a pg_dump archive",
        where=str(path),
        hint="give a file written by `parksite db backup`",
    )


def _known_revision(path: Path, revision: str | None) -> None:
    """Raise ``BackupFileError`` unless ``revision`` is one of this code's migrations."""
    from alembic.script import ScriptDirectory

    from app.db.schema import alembic_config, head_revision

    if revision is None:
        raise BackupFileError(
            f"{path} holds no parksite schema revision (empty alembic_version)",
            where=str(path),
            hint="give a backup of a parksite database",
        )
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic raises for unknown ids
        known = False
    if not known:
        raise BackupFileError(
            f"{path} was made by a newer parksite (schema revision {revision}; this one knows up to "
            f"{head_revision()})",
            where=str(path),
            hint="restore it with the parksite version that made it, or upgrade parksite first",
        )


def _partial(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.partial-{os.getpid()}")


def _check_dest(dest: Path, overwrite: bool) -> None:
    if not dest.parent.is_dir():
        raise InputFileError(
            f"the folder {dest.parent} does not exist",
            where=str(dest),
            hint="create it or choose another path",
        )
    if dest.exists() and not overwrite:
        raise ConflictError(
            f"{dest} exists already",
            where=str(dest),
            hint="choose another name, or add --force to replace it",
        )


# --------------------------------------------------------------------------- row counts


def _sqlite_rows(conn: object) -> dict[str, int]:
    """Return rows per parksite table present, through a DB-API connection to an SQLite file."""
    cur = conn.cursor()  # type: ignore[attr-defined]
    try:
        present = {r[0] for r in cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {
            t: cur.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in parksite_tables()
            if t in present
        }
    finally:
        cur.close()


def _sqlite_revision(conn: object) -> str | None:
    cur = conn.cursor()  # type: ignore[attr-defined]
    try:
        row = cur.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    finally:
        cur.close()


def database_rows(engine: Engine, schema: str | None = None) -> dict[str, int]:
    """Return rows per parksite table present in the database (on PostGIS: in ``schema``)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return _sqlite_rows(conn.connection.driver_connection)
        present = set(
            conn.scalars(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            )
        )
        return {
            t: int(conn.scalar(text(f'SELECT count(*) FROM "{schema}"."{t}"')))
            for t in parksite_tables()
            if t in present
        }


def _refuse_if_data(url: str, rows: dict[str, int], force: bool) -> None:
    held = {t: n for t, n in rows.items() if n and t != "alembic_version"}
    if held and not force:
        what = BackupInfo(Path("."), "", None, 0, rows=held).summary().split("; ", 1)[1]
        raise RestoreRefusedError(
            f"the database holds data ({what}); restoring replaces all of it",
            where=shown_url(url),
            hint="add --force to replace it (back it up first: parksite db backup FILE)",
        )


# --------------------------------------------------------------------------- SpatiaLite


def _sqlite_file(url: str) -> Path:
    db = make_url(url).database
    if not db or db == ":memory:" or db.startswith("file:"):
        raise InputFileError(
            "only a SpatiaLite database file can be backed up or restored",
            where=shown_url(url),
            hint="use sqlite:///PATH",
        )
    return Path(db).expanduser()


def _backup_sqlite(url: str, partial: Path) -> BackupInfo:
    from app.db.spatialite import sqlite_dbapi

    path = _sqlite_file(url)
    if not path.is_file():
        raise DatabaseUnavailableError(
            f"there is no SpatiaLite database file {path}",
            where=shown_url(url),
            hint="check PARKSITE_DATABASE_URL (or --database-url)",
        )
    engine = open_database(url)
    try:
        raw = engine.raw_connection()
        try:
            dst = sqlite_dbapi().connect(str(partial))
            try:
                raw.driver_connection.backup(dst)  # type: ignore[union-attr]
                dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
                check = dst.execute("PRAGMA quick_check").fetchone()[0]
                rows, revision = _sqlite_rows(dst), _sqlite_revision_or_none(dst)
            finally:
                dst.close()
        finally:
            raw.close()
    except sqlite_dbapi().Error as exc:
        raise explain(exc, url) from None
    finally:
        engine.dispose()
    if check != "ok":
        raise DatabaseUnavailableError(
            f"the database file {path} is damaged ({check})",
            where=shown_url(url),
            hint="restore the newest good backup (parksite db restore FILE)",
        )
    _require_schema(url, rows)
    return BackupInfo(partial, "spatialite", revision, 0, rows)


def _sqlite_revision_or_none(conn: object) -> str | None:
    try:
        return _sqlite_revision(conn)
    except Exception:  # no alembic_version: refused by _require_schema
        return None


def _require_schema(url: str, rows: dict[str, int]) -> None:
    if not set(REQUIRED_TABLES) <= set(rows):
        raise DatabaseUnavailableError(
            "the database holds no parksite schema: there is nothing to back up",
            where=shown_url(url),
            hint="check PARKSITE_DATABASE_URL (or --database-url); create the schema with parksite db upgrade",
        )


def _open_sqlite_backup(src: Path) -> object:
    from app.db.spatialite import sqlite_dbapi

    return sqlite_dbapi().connect(f"{src.resolve().as_uri()}?mode=ro", uri=True)


def _inspect_sqlite(src: Path) -> tuple[str | None, dict[str, int]]:
    """Return (revision, rows) of an SQLite backup; BackupFileError when damaged or not parksite's."""
    from app.db.spatialite import sqlite_dbapi

    try:
        conn = _open_sqlite_backup(src)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]  # type: ignore[attr-defined]
            rows = _sqlite_rows(conn) if check == "ok" else {}
            revision = _sqlite_revision_or_none(conn) if check == "ok" else None
        finally:
            conn.close()  # type: ignore[attr-defined]
    except sqlite_dbapi().Error as exc:
        raise BackupFileError(
            f"{src} cannot be read as an SQLite database ({exc})",
            where=str(src),
            hint="give an undamaged file written by `parksite db backup`",
        ) from None
    if check != "ok":
        raise BackupFileError(f"{src} is damaged ({check})", where=str(src), hint="give an undamaged backup")
    if not set(REQUIRED_TABLES) <= set(rows):
        raise BackupFileError(
            f"{src} is an SQLite database but not a parksite backup (no {' / '.join(REQUIRED_TABLES)} table)",
            where=str(src),
            hint="give a file written by `parksite db backup`",
        )
    return revision, rows


def _restore_sqlite(url: str, src: Path, force: bool) -> None:
    from app.db.spatialite import sqlite_dbapi

    check_sqlite_location(url)
    path = _sqlite_file(url)
    if path.exists() and path.resolve() == src.resolve():
        raise BackupFileError(
            f"{src} is the database itself", where=str(src), hint="give a backup file, not the database file"
        )
    if path.exists():
        engine = open_database(url)
        try:
            _refuse_if_data(url, database_rows(engine), force)
        finally:
            engine.dispose()
    try:
        source = _open_sqlite_backup(src)
        try:
            dst = sqlite_dbapi().connect(str(path), timeout=30)
            try:
                source.backup(dst)  # type: ignore[attr-defined]  # one write transaction of dst
            finally:
                dst.close()
        finally:
            source.close()  # type: ignore[attr-defined]
    except sqlite_dbapi().Error as exc:
        raise explain(exc, url) from None


# --------------------------------------------------------------------------- PostGIS


def _backup_postgis(url: str, partial: Path) -> BackupInfo:
    schema = backup_pg.target_schema(url)
    engine = open_database(url)
    try:
        rows = database_rows(engine, schema)
        _require_schema(url, rows)
        with engine.connect() as conn:
            revision = conn.scalar(text(f'SELECT version_num FROM "{schema}".alembic_version'))
    finally:
        engine.dispose()
    backup_pg.dump(url, partial, schema)
    backup_pg.toc(partial)  # the archive reads back
    return BackupInfo(partial, "postgis", revision, 0, rows, schema)


def _inspect_postgis(src: Path) -> tuple[str, list[str], str | None]:
    """Return (schema, table of contents, revision) of a PostGIS backup; BackupFileError if not one."""
    try:
        entries = backup_pg.toc(src)
    except InputFileError as exc:
        raise BackupFileError(exc.message, where=exc.where, hint=exc.hint) from None
    schemas = [s for s, tables in backup_pg.archive_tables(entries).items() if set(REQUIRED_TABLES) <= tables]
    if len(schemas) != 1:
        raise BackupFileError(
            f"{src} is a pg_dump archive but not a parksite backup (no schema with "
            f"{' and '.join(REQUIRED_TABLES)})",
            where=str(src),
            hint="give a file written by `parksite db backup`",
        )
    return schemas[0], entries, backup_pg.archive_revision(src, schemas[0])


def _restore_postgis(url: str, src: Path, schema: str, entries: list[str], force: bool) -> None:
    target = backup_pg.target_schema(url)
    if target != schema:
        raise BackupFileError(
            f"{src} holds the tables of schema {schema!r}; the database URL's schema is {target!r}",
            where=str(src),
            hint=f"restore it into a database URL whose search_path starts with {schema}",
        )
    engine = open_database(url)
    try:
        _refuse_if_data(url, database_rows(engine, schema), force)
    finally:
        engine.dispose()
    backup_pg.restore(url, src, schema, entries)


# --------------------------------------------------------------------------- entry points


def backup_database(url: str, dest: Path, *, overwrite: bool = False) -> BackupInfo:
    """Back up the database at ``url`` into the file ``dest``; return what it holds.

    ``dest`` is written complete or not at all (a partial file next to it is renamed into place).
    Raises ``ConflictError`` when ``dest`` exists (unless ``overwrite``), ``InputFileError`` when
    its folder does not, ``DatabaseUnavailableError`` for a database that cannot be used or holds
    no parksite schema, and ``BackupToolError`` / ``ConfigError`` when pg_dump fails or is missing.
    """
    dest = Path(dest)
    _check_dest(dest, overwrite)
    partial = _partial(dest)
    try:
        if backend_of(url) == "spatialite":
            info = _backup_sqlite(url, partial)
        else:
            info = _backup_postgis(url, partial)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return BackupInfo(dest, info.backend, info.revision, dest.stat().st_size, info.rows, info.schema)


def restore_database(url: str, src: Path, *, force: bool = False) -> BackupInfo:
    """Replace the database at ``url`` by the backup ``src``; return what it holds now.

    Refuses, changing nothing: a file that is not a backup of the database's kind, damaged, or of
    an unknown revision (``BackupFileError``); a database that holds data unless ``force``
    (``RestoreRefusedError``); a database that cannot be used (``DatabaseUnavailableError``).
    """
    src = Path(src)
    backend = backend_of(url)
    kind = backup_kind(src)
    if kind != backend:
        raise BackupFileError(
            f"{src} is {KINDS[kind]}, but the database is {'SpatiaLite' if backend == 'spatialite' else 'PostGIS'}",
            where=str(src),
            hint=f"restore it into a {'PostGIS' if kind == 'postgis' else 'SpatiaLite'} database "
            "(--database-url), or give a backup of this one's kind",
        )
    if backend == "spatialite":
        revision, _rows = _inspect_sqlite(src)
        _known_revision(src, revision)
        _restore_sqlite(url, src, force)
        schema = None
    else:
        schema, entries, revision = _inspect_postgis(src)
        _known_revision(src, revision)
        _restore_postgis(url, src, schema, entries, force)
    engine = open_database(url)
    try:
        rows = database_rows(engine, schema)
    finally:
        engine.dispose()
    return BackupInfo(src, backend, revision, src.stat().st_size, rows, schema)
