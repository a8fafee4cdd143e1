"""The database schema: SQLAlchemy 2 typed declarative models with GeoAlchemy2 geometry columns.

Every ORM class ends in ``Row`` (``ZoneRow``, ``ParkRow``, ``ClusterRow``, ``ParcelRow``,
``ProjectRow``, …), so it is never confused with the domain's classes of the same idea
(``scoring.zone.Park``/``Cluster``, ``scoring.project.Project``, ``scoring.admission.CheckResult``, …).

One schema serves both backends (SpatiaLite and PostGIS). Geometry columns are stored in the
zone CRS, EPSG:4546 (``ZONE_SRID``, set on each column), 2-D, each with a spatial index (an
R*Tree on SpatiaLite, GiST on PostGIS). Polygon layers are ``MULTIPOLYGON`` (single polygons are
promoted on write); infrastructure features share one table with a ``layer`` column and a
generic ``GEOMETRY`` column (water features are points or lines). Areas are m² and 亩, money
万元, energy tce (吨标准煤), water m³.

Natural keys: ``ParkRow.code`` and ``ClusterRow.code`` hold the layers' ``park_id`` / ``cluster_id``
(e.g. ``shuangchi``, ``sc-almg``), ``ParcelRow.parcel_id`` the parcel's stable id (``SC-0001``);
each is unique within its zone. Every table has an integer surrogate key ``id``.

Clusters and parcels carry ``version`` (1 on creation, +1 per write) from :class:`VersionedMixin`;
writes go through :mod:`app.db.edits`, which checks the version in the UPDATE itself and records
the audit log.

The audit log keys its entries on the entity's ``id``, so tables whose rows are audited
(clusters, parcels, projects, users) never reuse an id: on SQLite they are ``AUTOINCREMENT``
tables (``sqlite_autoincrement``; without it SQLite hands the largest id out again after that
row is deleted), on PostgreSQL their sequences never go back.

``ClusterRow.admits`` is None for a cluster whose admitted industries are not set yet (one drawn on
the map without them): the admission check then says "review", not "fail".

The classes live in modules by subject — :mod:`~app.db.models.base` (base, types, constants,
``VersionedMixin``), :mod:`~app.db.models.layout` (zone, parks, clusters, parcels, enterprises,
infrastructure, rasters), :mod:`~app.db.models.land` (land contracts and their
parcels), :mod:`~app.db.models.projects` (projects, checks, admissions),
:mod:`~app.db.models.runs` (score runs, batch jobs), :mod:`~app.db.models.users` (users, audit
log) — and are all imported here, so ``Base.metadata`` holds every table.
"""

from __future__ import annotations

from app.db.models.base import (
    CLUSTER_KINDS,
    INFRASTRUCTURE_LAYERS,
    JOB_STATUSES,
    PARCEL_STATUSES,
    PROJECT_STATUSES,
    ROLES,
    RUN_STATUSES,
    VERDICTS,
    ZONE_SRID,
    Base,
    JSONType,
    UTCDateTime,
    VersionedMixin,
    polygons,
    utcnow,
)
from app.db.models.land import SUPPLY_KINDS, LandContractParcelRow, LandContractRow
from app.db.models.layout import (
    ClusterRow,
    EnterpriseRow,
    EnterpriseYearlyRow,
    InfrastructureFeatureRow,
    ParcelRow,
    ParkRow,
    RasterRefRow,
    ZoneRow,
)
from app.db.models.projects import AdmissionParcelRow, CheckResultRow, ProjectAdmissionRow, ProjectRow
from app.db.models.runs import BatchJobRow, ParcelScoreRow, ScoreRunRow
from app.db.models.users import AuditEntryRow, LoginThrottleRow, UserRow

__all__ = [
    "CLUSTER_KINDS",
    "INFRASTRUCTURE_LAYERS",
    "JOB_STATUSES",
    "PARCEL_STATUSES",
    "PROJECT_STATUSES",
    "ROLES",
    "RUN_STATUSES",
    "SUPPLY_KINDS",
    "VERDICTS",
    "ZONE_SRID",
    "AdmissionParcelRow",
    "AuditEntryRow",
    "Base",
    "BatchJobRow",
    "CheckResultRow",
    "ClusterRow",
    "EnterpriseRow",
    "EnterpriseYearlyRow",
    "InfrastructureFeatureRow",
    "LandContractParcelRow",
    "LandContractRow",
    "LoginThrottleRow",
    "JSONType",
    "ParcelRow",
    "ParcelScoreRow",
    "ParkRow",
    "ProjectAdmissionRow",
    "ProjectRow",
    "RasterRefRow",
    "ScoreRunRow",
    "UTCDateTime",
    "UserRow",
    "VersionedMixin",
    "ZoneRow",
    "polygons",
    "utcnow",
]
