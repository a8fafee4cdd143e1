"""The database schema: SQLAlchemy 2 typed declarative models with GeoAlchemy2 geometry columns.

One schema serves both backends (SpatiaLite and PostGIS). Geometry columns are stored in the
zone CRS, EPSG:4546 (``ZONE_SRID``, set on each column), 2-D, each with a spatial index (an
R*Tree on SpatiaLite, GiST on PostGIS). Polygon layers are ``MULTIPOLYGON`` (single polygons are
promoted on write); infrastructure features share one table with a ``layer`` column and a
generic ``GEOMETRY`` column (water features are points or lines). Areas are m² and 亩, money
万元, energy tce (吨标准煤), water m³.

Natural keys: ``Park.code`` and ``Cluster.code`` hold the layers' ``park_id`` / ``cluster_id``
(e.g. ``shuangchi``, ``sc-almg``), ``Parcel.parcel_id`` the parcel's stable id (``SC-0001``);
each is unique within its zone. Every table has an integer surrogate key ``id``.

Clusters and parcels carry ``version`` (1 on creation, +1 per write); writes go through
:mod:`app.db.edits`, which checks the version in the UPDATE itself and records the audit log.

The audit log keys its entries on the entity's ``id``, so tables whose rows are audited
(clusters, parcels, projects, users) never reuse an id: on SQLite they are ``AUTOINCREMENT``
tables (``sqlite_autoincrement``; without it SQLite hands the largest id out again after that
row is deleted), on PostgreSQL their sequences never go back.

``Cluster.admits`` is None for a cluster whose admitted industries are not set yet (one drawn on
the map without them): the admission check then says "review", not "fail".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: SRID of every geometry column: CGCS2000 / 3-degree Gauss-Kruger CM 111E (Jiaokou's CRS).
ZONE_SRID = 4546

#: JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")

ROLES = ("viewer", "planner", "manager", "admin")
PARCEL_STATUSES = ("existing", "vacant", "reserved", "public")
CLUSTER_KINDS = ("industrial", "public_service", "service", "reserve")
INFRASTRUCTURE_LAYERS = ("roads", "rivers", "substations", "water", "places")
JOB_STATUSES = ("queued", "running", "done", "failed", "interrupted")
RUN_STATUSES = ("running", "done", "failed", "interrupted")  # interrupted: migration 0003
VERDICTS = ("pass", "fail", "review")


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC and always returned timezone-aware (UTC) on both backends."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC (models.utcnow())")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def polygons(nullable: bool = False) -> Any:
    """Return a MULTIPOLYGON column type in the zone SRID with a spatial index."""
    return Geometry("MULTIPOLYGON", srid=ZONE_SRID, spatial_index=True, nullable=nullable)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType, dt.datetime: UTCDateTime}


# --------------------------------------------------------------------------- zone and layout


class Zone(Base):
    """A development zone: its rule file (validated ``ZoneConfig`` as JSON) and its CRS."""

    __tablename__ = "zones"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, comment="zone id, e.g. jiaokou")
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    crs: Mapped[str] = mapped_column(String(64), comment="e.g. EPSG:4546")
    srid: Mapped[int] = mapped_column(Integer)
    config: Mapped[dict[str, Any]] = mapped_column(comment="the zone file as validated JSON")
    config_sha256: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str | None] = mapped_column(String(100))

    parks: Mapped[list[Park]] = relationship(
        back_populates="zone", cascade="all, delete-orphan", passive_deletes=True
    )


class Park(Base):
    """A park (园区) of a zone, e.g. 双池镇园区."""

    __tablename__ = "parks"
    __table_args__ = (UniqueConstraint("zone_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), comment="park_id, e.g. shuangchi")
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    area_m2: Mapped[float | None] = mapped_column(Float)
    area_mu: Mapped[float | None] = mapped_column(Float)
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    geom: Mapped[WKBElement | None] = mapped_column(polygons(nullable=True))

    zone: Mapped[Zone] = relationship(back_populates="parks")
    clusters: Mapped[list[Cluster]] = relationship(back_populates="park", passive_deletes=True)


class Cluster(Base):
    """An industrial cluster (组团) of a park, with the industries it admits (表8-1)."""

    __tablename__ = "clusters"
    __table_args__ = (
        UniqueConstraint("zone_id", "code"),
        CheckConstraint(_in("kind", CLUSTER_KINDS), name="kind"),
        CheckConstraint("version >= 1", name="version"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), comment="cluster_id, e.g. sc-almg")
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    directions: Mapped[str | None] = mapped_column(Text)
    admits: Mapped[list[Any] | None] = mapped_column(
        JSONType, comment="[{industry, branches}]; null: not set yet"
    )
    admits_encouraged_under_review: Mapped[bool] = mapped_column(Boolean, default=False)
    area_m2: Mapped[float | None] = mapped_column(Float)
    area_mu: Mapped[float | None] = mapped_column(Float)
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    geom: Mapped[WKBElement | None] = mapped_column(polygons(nullable=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100))

    park: Mapped[Park] = relationship(back_populates="clusters")


class Enterprise(Base):
    """An enterprise of the zone (an occupant of parcels), for 亩均效益 evaluation."""

    __tablename__ = "enterprises"
    __table_args__ = (UniqueConstraint("zone_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(32), comment="统一社会信用代码")
    industry: Mapped[str | None] = mapped_column(String(100))
    branch: Mapped[str | None] = mapped_column(String(100))
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)

    yearly: Mapped[list[EnterpriseYearly]] = relationship(
        back_populates="enterprise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EnterpriseYearly.year",
    )


class EnterpriseYearly(Base):
    """One enterprise's figures for one year (亩均效益: output, tax, energy, water per 亩)."""

    __tablename__ = "enterprise_yearly"
    __table_args__ = (UniqueConstraint("enterprise_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    land_mu: Mapped[float | None] = mapped_column(Float, comment="land used, 亩")
    investment_wan: Mapped[float | None] = mapped_column(Float, comment="fixed-asset investment, 万元")
    output_wan: Mapped[float | None] = mapped_column(Float, comment="industrial output, 万元")
    tax_wan: Mapped[float | None] = mapped_column(Float, comment="tax paid, 万元")
    energy_tce: Mapped[float | None] = mapped_column(Float, comment="energy use, tce")
    water_m3: Mapped[float | None] = mapped_column(Float, comment="water use, m³")
    emissions: Mapped[dict[str, Any]] = mapped_column(default=dict, comment="pollutant → t")
    employees: Mapped[int | None] = mapped_column(Integer)
    rd_wan: Mapped[float | None] = mapped_column(Float, comment="R&D spending, 万元")
    source: Mapped[str | None] = mapped_column(String(200))

    enterprise: Mapped[Enterprise] = relationship(back_populates="yearly")


class Parcel(Base):
    """A land parcel (地块): its park, cluster, status and occupant."""

    __tablename__ = "parcels"
    __table_args__ = (
        UniqueConstraint("zone_id", "parcel_id"),
        CheckConstraint(_in("status", PARCEL_STATUSES), name="status"),
        CheckConstraint("version >= 1", name="version"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    parcel_id: Mapped[str] = mapped_column(String(64), comment="stable id, e.g. SC-0001")
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id", ondelete="CASCADE"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    area_m2: Mapped[float] = mapped_column(Float)
    area_mu: Mapped[float] = mapped_column(Float)
    enterprise: Mapped[str | None] = mapped_column(String(200))
    land_use: Mapped[str | None] = mapped_column(String(100))
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict, comment="other layer fields")
    geom: Mapped[WKBElement] = mapped_column(polygons())
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100))

    park: Mapped[Park] = relationship()
    cluster: Mapped[Cluster | None] = relationship()
    occupant: Mapped[Enterprise | None] = relationship()


class InfrastructureFeature(Base):
    """A feature of an infrastructure layer: roads, rivers, substations, water, places.

    ``code`` is the layer's id field (road_id, river_id, …), ``kind`` its class / kind field,
    and every other field of the layer is kept in ``attrs`` (lanes, speed_kmh,
    control_distance_m, voltage_kv, capacity_mva, …) with the layer's own names.
    """

    __tablename__ = "infrastructure"
    __table_args__ = (
        UniqueConstraint("zone_id", "layer", "code"),
        CheckConstraint(_in("layer", INFRASTRUCTURE_LAYERS), name="layer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    layer: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(32))
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("GEOMETRY", srid=ZONE_SRID, spatial_index=True, nullable=False)
    )


class RasterRef(Base):
    """A raster the zone uses (a DEM per park): where it is and what it covers."""

    __tablename__ = "rasters"
    __table_args__ = (UniqueConstraint("zone_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), comment="file name, e.g. jiaokou_dem_shuitou.tif")
    kind: Mapped[str] = mapped_column(String(32), default="dem")
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id", ondelete="SET NULL"))
    path: Mapped[str] = mapped_column(Text, comment="absolute path of the GeoTIFF")
    crs: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bands: Mapped[int] = mapped_column(Integer)
    dtype: Mapped[str] = mapped_column(String(16))
    nodata: Mapped[float | None] = mapped_column(Float)
    cell_size_x: Mapped[float] = mapped_column(Float, comment="metres")
    cell_size_y: Mapped[float] = mapped_column(Float, comment="metres")
    min_x: Mapped[float] = mapped_column(Float)
    min_y: Mapped[float] = mapped_column(Float)
    max_x: Mapped[float] = mapped_column(Float)
    max_y: Mapped[float] = mapped_column(Float)
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------- projects and checks


class Project(Base):
    """An investment project applying for land (admission check against 表9-5/9-6).

    The columns mirror :class:`scoring.project.Project` (same names and units); ``fields``
    keeps the project exactly as submitted.
    """

    __tablename__ = "projects"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    enterprise: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100), comment="产业大类 as written")
    branch: Mapped[str | None] = mapped_column(String(100), comment="二级产业方向 as written")
    encouraged_description: Mapped[str | None] = mapped_column(Text)
    investment_wan: Mapped[float | None] = mapped_column(Float, comment="fixed-asset investment, 万元")
    output_wan: Mapped[float | None] = mapped_column(Float, comment="annual output, 万元/年")
    tax_wan: Mapped[float | None] = mapped_column(Float, comment="annual tax, 万元/年")
    land_mu: Mapped[float | None] = mapped_column(Float, comment="land demand, 亩")
    water_m3_per_day: Mapped[float | None] = mapped_column(Float)
    power_kw: Mapped[float | None] = mapped_column(Float)
    online_monitoring: Mapped[bool | None] = mapped_column(Boolean)
    waste_treatment_pct: Mapped[float | None] = mapped_column(Float, comment="三废 treated, %")
    energy_tce_per_wan: Mapped[float | None] = mapped_column(Float)
    water_m3_per_wan: Mapped[float | None] = mapped_column(Float)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict, comment="the project as submitted")
    status: Mapped[str] = mapped_column(String(32), default="submitted")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))


class ProjectAdmission(Base):
    """A project admitted (准入登记) on a site of parcels of one park, until revoked.

    ``verdict`` is the verdict of the project's latest recorded check on those parcels when it
    was admitted (``pass``, or ``review`` with a ``reason``); ``check_id`` that check. An
    admission is active while ``revoked_at`` is null: the capacity ledger then counts the
    project's power and water demand against its park's facilities, and no other project may be
    admitted on its parcels. Admission and revocation are audited on the project
    (entity ``project``, actions ``admit`` / ``revoke``).
    """

    __tablename__ = "project_admissions"
    __table_args__ = (CheckConstraint(_in("verdict", VERDICTS), name="verdict"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    park: Mapped[str] = mapped_column(String(64), comment="park_id of the site, e.g. shuangchi")
    check_id: Mapped[int | None] = mapped_column(ForeignKey("check_results.id", ondelete="SET NULL"))
    verdict: Mapped[str] = mapped_column(String(16), comment="the check's verdict when admitted")
    reason: Mapped[str | None] = mapped_column(Text, comment="why a review verdict was admitted")
    admitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    admitted_by: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    parcels: Mapped[list[AdmissionParcel]] = relationship(
        back_populates="admission",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="AdmissionParcel.id",
    )


class AdmissionParcel(Base):
    """One parcel of an admission's site: its code as admitted and its row (null once deleted)."""

    __tablename__ = "admission_parcels"

    id: Mapped[int] = mapped_column(primary_key=True)
    admission_id: Mapped[int] = mapped_column(
        ForeignKey("project_admissions.id", ondelete="CASCADE"), index=True
    )
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcels.id", ondelete="SET NULL"), index=True)
    parcel_code: Mapped[str] = mapped_column(String(64), comment="parcel_id when admitted")

    admission: Mapped[ProjectAdmission] = relationship(back_populates="parcels")


class CheckResult(Base):
    """The recorded result of checking a project against a parcel (or the zone rules)."""

    __tablename__ = "check_results"
    __table_args__ = (CheckConstraint(_in("verdict", VERDICTS), name="verdict"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcels.id", ondelete="SET NULL"), index=True)
    parcel_code: Mapped[str | None] = mapped_column(String(64), comment="parcel_id when checked")
    verdict: Mapped[str] = mapped_column(String(16))
    rules: Mapped[list[Any]] = mapped_column(default=list, comment="[{rule, verdict, message, …}]")
    config_sha256: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checked_by: Mapped[str | None] = mapped_column(String(100))


class ScoreRun(Base):
    """One run of the suitability scoring over a zone's parcels."""

    __tablename__ = "score_runs"
    __table_args__ = (CheckConstraint(_in("status", RUN_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    config_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    started_by: Mapped[str | None] = mapped_column(String(100))
    n_parcels: Mapped[int | None] = mapped_column(Integer)
    n_scored: Mapped[int | None] = mapped_column(Integer)
    n_excluded: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)

    scores: Mapped[list[ParcelScore]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )


class ParcelScore(Base):
    """One parcel's result in a score run: score 0–100, class, exclusion and the breakdown."""

    __tablename__ = "parcel_scores"
    __table_args__ = (UniqueConstraint("run_id", "parcel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("score_runs.id", ondelete="CASCADE"), index=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id", ondelete="CASCADE"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    score_class: Mapped[str | None] = mapped_column(String(32))
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    breakdown: Mapped[dict[str, Any]] = mapped_column(
        default=dict, comment="criterion → {value, utility, weight}"
    )

    run: Mapped[ScoreRun] = relationship(back_populates="scores")


class BatchJob(Base):
    """A background job (batch scoring, report export): status, progress, files, error."""

    __tablename__ = "batch_jobs"
    __table_args__ = (
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, comment="uuid4 hex")
    kind: Mapped[str] = mapped_column(String(64))
    zone_id: Mapped[str | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0, comment="0–1")
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    input_path: Mapped[str | None] = mapped_column(Text)
    output_path: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(100))


# --------------------------------------------------------------------------- users and audit


class User(Base):
    """A user: name, role (viewer < planner < manager < admin), argon2 password hash."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]


class AuditEntry(Base):
    """One write: who, when, what, on which entity and version, with before and after states.

    Geometry is WKT in the zone CRS (EPSG:4546); attributes are JSON. ``before`` is empty on
    creation and ``after`` on deletion.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_name: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32), comment="create, update, delete, restore, …")
    entity: Mapped[str] = mapped_column(String(32), comment="cluster, parcel, zone, user, …")
    entity_id: Mapped[str] = mapped_column(String(64), comment="the entity's id (as text)")
    entity_key: Mapped[str | None] = mapped_column(String(100), comment="code / parcel_id / name")
    zone_id: Mapped[str | None] = mapped_column(String(64), index=True)
    version: Mapped[int | None] = mapped_column(Integer, comment="version after the write")
    before_attrs: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after_attrs: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    before_wkt: Mapped[str | None] = mapped_column(Text)
    after_wkt: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    note_zh: Mapped[str | None] = mapped_column(Text, comment="the note in Chinese (null: none)")

    __table_args__ = (UniqueConstraint("entity", "entity_id", "version"),)
