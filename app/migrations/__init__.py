"""Alembic migrations of the parksite database (both SpatiaLite and PostGIS).

Run them with ``parksite db upgrade`` or :func:`app.db.schema.upgrade`; developers create a new
revision with ``alembic -c app/alembic.ini revision --autogenerate -m "…"`` (set
``PARKSITE_DATABASE_URL`` to a database at head first).
"""
