"""The database: one source of truth, embedded SpatiaLite by default, PostGIS for many users.

Modules:

* :mod:`app.db.engine` — ``make_engine(url)``, ``session_factory(engine)``, ``transaction``.
* :mod:`app.db.spatialite` — the SQLite DB-API module (sqlean) and loading ``mod_spatialite``
  (the GIS wheels are imported first: ``preload_native_libraries``).
* :mod:`app.db.models` — the schema (SQLAlchemy 2 + GeoAlchemy2), ``ZONE_SRID`` = 4546; a package
  by subject (``base`` with ``VersionedMixin``, ``layout``, ``projects``, ``runs``, ``users``).
  ORM classes end in ``Row`` (``ParkRow``, ``ClusterRow``, ``ProjectRow``, …).
* :mod:`app.db.schema` — Alembic in code: ``upgrade``, ``current_revision``, ``schema_diff``,
  ``create_all`` / ``drop_all``.
* :mod:`app.db.importer` — ``import_zone``: a zone file, its layers and DEMs, all or nothing; its
  steps in :mod:`~app.db.import_layers` (layer rules), :mod:`~app.db.import_read` (sources →
  ``ZoneBundle``), :mod:`~app.db.import_checks` (cross-checks), :mod:`~app.db.import_write`
  (``write_zone``).
* :mod:`app.db.layers` — ``load_layer``: a zone's layers read back as GeoDataFrames (the
  GeoPackage's field names), ``zone_config``, ``rasters``.
* :mod:`app.db.users` — users, roles (``can``), ``authenticate`` (argon2 hashing in
  :mod:`app.security`).
* :mod:`app.db.edits` — versioned cluster/parcel edits, gathering :mod:`~app.db.versioning`
  (``versioned_update``), :mod:`~app.db.cluster_outline` (one outline rule:
  ``check_cluster_outline``), :mod:`~app.db.parcel_assignment`, :mod:`~app.db.cluster_edits`,
  :mod:`~app.db.parcel_edits` and :mod:`~app.db.edit_history` (``history`` and ``restore``).
* :mod:`app.db.undelete` — deleted clusters from the audit log, and bringing one back.
* :mod:`app.db.rules` — ``zone_rules``: the zone file's rules with the database's clusters (what
  the admission check and recommendation use); ``check_admits``.
* :mod:`app.db.messages` — notes and job messages in English and Chinese (``Msg``).
* :mod:`app.db.records` — writing projects, recorded checks, score runs and parcel scores;
  :mod:`app.db.projects` reads projects back with their checks and admissions.
* :mod:`app.db.admissions` — admitting a project on parcels and revoking it.
* :mod:`app.db.lookups` — small look-ups for the API (a parcel's id by code, current versions).
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
