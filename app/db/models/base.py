"""What every table shares: the declarative base (naming convention, JSON and UTC timestamp
types), the zone SRID, the value lists of check constraints, the geometry column type and
:class:`VersionedMixin` for the tables whose rows are versioned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import JSON, CheckConstraint, DateTime, Integer, MetaData, String, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: SRID of every geometry column: CGCS2000 / 3-degree Gauss-Kruger CM 111E (Jiaokou's CRS).
ZONE_SRID = 4546

#: JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")

ROLES = ("viewer", "analyst", "planner", "manager", "admin")  # analyst: migration 0004
#: Project.status values (项目库): 洽谈, 已审查, 已准入, 已撤销 (migration 0004).
PROJECT_STATUSES = ("negotiating", "reviewed", "admitted", "revoked")
PARCEL_STATUSES = ("existing", "vacant", "reserved", "public")
CLUSTER_KINDS = ("industrial", "public_service", "service", "reserve")
INFRASTRUCTURE_LAYERS = ("roads", "rivers", "substations", "water", "places")
JOB_STATUSES = ("queued", "running", "done", "failed", "interrupted")
RUN_STATUSES = ("running", "done", "failed", "interrupted")  # interrupted: migration 0003
VERDICTS = ("pass", "fail", "review", "needs_data")  # needs_data: migration 0008


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


def in_values(column: str, values: tuple[str, ...]) -> str:
    """Return the SQL condition ``column IN (…)`` of a check constraint over ``values``."""
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


#: Columns of a versioned table come after the table's own columns (as the migrations have them).
_LAST = 1000


class VersionedMixin:
    """The columns of a table whose rows are versioned (clusters and parcels).

    ``version`` is 1 on creation and +1 per write; writes go through
    :func:`app.db.versioning.versioned_update`, which checks it in the UPDATE itself.
    ``updated_at`` / ``updated_by`` say when and by whom the current version was written.
    """

    version: Mapped[int] = mapped_column(Integer, default=1, sort_order=_LAST)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, sort_order=_LAST)
    updated_by: Mapped[str | None] = mapped_column(String(100), sort_order=_LAST)

    @staticmethod
    def versioned_table_args() -> tuple[Any, ...]:
        """Return the table arguments every versioned table ends with: ``version >= 1``, and ids
        never reused (``AUTOINCREMENT`` on SQLite) since the audit log keys its entries on them."""
        return (CheckConstraint("version >= 1", name="version"), {"sqlite_autoincrement": True})
