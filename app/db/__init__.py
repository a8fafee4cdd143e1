"""The database: one source of truth, embedded SpatiaLite by default, PostGIS for many users.

Modules:

* :mod:`app.db.engine` — ``make_engine(url)``, ``session_factory(engine)``, ``transaction``.
* :mod:`app.db.spatialite` — the SQLite DB-API module (sqlean) and loading ``mod_spatialite``
  (the GIS wheels are imported first: ``preload_native_libraries``).
* :mod:`app.db.models` — the schema (SQLAlchemy 2 + GeoAlchemy2), ``ZONE_SRID`` = 4546.
* :mod:`app.db.schema` — Alembic in code: ``upgrade``, ``current_revision``, ``schema_diff``,
  ``create_all`` / ``drop_all``.
* :mod:`app.db.importer` — ``import_zone``: a zone file, its layers and DEMs, all or nothing.
* :mod:`app.db.layers` — ``load_layer``: a zone's layers read back as GeoDataFrames (the
  GeoPackage's field names), ``zone_config``, ``rasters``.
* :mod:`app.db.users` — users, roles (``can``), argon2 passwords (``authenticate``).
* :mod:`app.db.edits` — versioned cluster/parcel edits (one outline rule:
  ``check_cluster_outline``), ``history`` and ``restore``.
* :mod:`app.db.rules` — ``zone_rules``: the zone file's rules with the database's clusters (what
  the admission check and recommendation use); ``check_admits``.
* :mod:`app.db.messages` — notes and job messages in English and Chinese (``Msg``).
* :mod:`app.db.records` — projects, recorded checks, score runs and parcel scores.
* :mod:`app.db.jobs` — batch jobs (queued → running → done | failed | interrupted).
* :mod:`app.db.recovery` — after a crash: unfinished score runs and jobs marked interrupted,
  interrupted jobs' inputs kept or deleted by policy.
* :mod:`app.db.probe` — is the database there: ``open_database``, clear messages for a missing,
  unreachable or PostGIS-less database.
* :mod:`app.db.backup` (with :mod:`app.db.backup_pg`) — ``backup_database`` / ``restore_database``
  for both backends (SQLite's online backup API; ``pg_dump`` / ``pg_restore``).
* :mod:`app.db.audit` — the audit log.
* :mod:`app.db.geometry` — geometry in and out of the database.

Nothing here connects at import time.
"""
