"""Alembic environment: the models' metadata, GeoAlchemy2's helpers, either backend.

The connection comes from ``config.attributes["connection"]`` when the caller passes one
(:func:`app.db.schema.upgrade`), else from the ``sqlalchemy.url`` option, else from
``PARKSITE_DATABASE_URL`` / the default SpatiaLite file (``Settings.resolved_database_url``).
Engines are built by :func:`app.db.engine.make_engine`, so SpatiaLite is loaded on SQLite.
"""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from app.db.engine import make_engine
from app.db.models import Base
from app.db.schema import include_object, render_item
from app.settings import get_settings

config = context.config
target_metadata = Base.metadata


def configure(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            configure(conn)
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("parksite migrations run online only (GeoAlchemy2 needs a live connection)")
run_migrations_online()
