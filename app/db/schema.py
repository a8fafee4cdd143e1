"""Creating and migrating the schema: Alembic configured in code, from any working directory.

``upgrade(url)`` brings a database to the newest revision (``parksite db upgrade``);
``schema_diff(engine)`` lists the differences between a database and the models (empty when the
migrations and the models agree). ``create_all`` / ``drop_all`` build the schema straight from
the models (tests, scratch databases) without GeoAlchemy2's SQLite hooks altering the shared
metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import Connection, Engine, MetaData

from app.db.engine import make_engine
from app.db.models import Base, UTCDateTime
from gis.errors import ConfigError

#: The Alembic script directory inside the installed package.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Return an Alembic ``Config`` for the packaged migrations (no ini file, any cwd).

    With ``connection`` the migrations run on it; else on ``url``; else on the settings' URL.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """Return the newest revision id of the packaged migrations."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the database's revision id, or None for a database never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(target: str | Engine, revision: str = "head") -> str | None:
    """Migrate the database at ``target`` (a URL or an engine) to ``revision``; return the new one.

    Safe to repeat: a database already at ``revision`` is left as it is.
    """
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(connection=conn), revision)
        return current_revision(engine)
    finally:
        if isinstance(target, str):
            engine.dispose()


def require_current(engine: Engine) -> None:
    """Raise ``ConfigError`` unless the database is at the newest revision."""
    have, want = current_revision(engine), head_revision()
    if have != want:
        raise ConfigError(
            f"the database schema is at revision {have or 'none'}, the code needs {want}",
            where=str(engine.url.render_as_string(hide_password=True)),
            hint="run `parksite db upgrade`",
        )


def schema_diff(engine: Engine, metadata: MetaData = Base.metadata) -> list[Any]:
    """Return Alembic's list of differences between the database and ``metadata`` ([] = same)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={"include_object": include_object, "compare_type": True, "target_metadata": metadata},
        )
        return compare_metadata(ctx, metadata)


#: Name prefixes of SpatiaLite's internal tables (beyond those GeoAlchemy2 already leaves out).
_SPATIALITE_INTERNAL = (
    "sql_statements_log",
    "SpatialIndex",
    "ElementaryGeometries",
    "KNN",
    "data_licenses",
    "spatial_ref_sys_aux",
)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic hook: leave out the spatial extensions' own tables (metadata, R*Tree tables)."""
    if not alembic_helpers.include_object(obj, name, type_, reflected, compare_to):
        return False
    if type_ == "table" and reflected and compare_to is None and name is not None:
        return not name.startswith(_SPATIALITE_INTERNAL)
    return True


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic hook: render geometry types (GeoAlchemy2) and our UTC timestamps as plain types.

    Migrations must not import the models, so ``UTCDateTime`` is written as
    ``sa.DateTime(timezone=True)`` (its storage type).
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return alembic_helpers.render_item(type_, obj, autogen_context)


def _keep_indexes(metadata: MetaData):  # noqa: ANN202
    return {t: set(t.indexes) for t in metadata.tables.values()}


def create_all(engine: Engine, metadata: MetaData = Base.metadata) -> None:
    """Create every table of ``metadata`` (no Alembic version) on either backend.

    GeoAlchemy2's SQLite hook removes the spatial ``Index`` objects from the tables while it
    creates them (SpatiaLite builds its own R*Tree); they are put back afterwards so the same
    metadata still describes PostGIS's GiST indexes and compares cleanly.
    """
    saved = _keep_indexes(metadata)
    try:
        metadata.create_all(engine)
    finally:
        for table, indexes in saved.items():
            table.indexes = indexes


def drop_all(engine: Engine, metadata: MetaData = Base.metadata) -> None:
    """Drop every table of ``metadata`` (and the SpatiaLite geometry registrations)."""
    saved = _keep_indexes(metadata)
    try:
        metadata.drop_all(engine)
    finally:
        for table, indexes in saved.items():
            table.indexes = indexes
