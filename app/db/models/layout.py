"""The zone and its layout: the zone (its rule file), parks, clusters, parcels, enterprises and
their yearly figures, infrastructure features and the rasters (DEMs) it uses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.models.base import (
    CLUSTER_KINDS,
    INFRASTRUCTURE_LAYERS,
    PARCEL_STATUSES,
    ZONE_SRID,
    Base,
    JSONType,
    VersionedMixin,
    in_values,
    polygons,
    utcnow,
)


class ZoneRow(Base):
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

    parks: Mapped[list[ParkRow]] = relationship(
        back_populates="zone", cascade="all, delete-orphan", passive_deletes=True
    )


class ParkRow(Base):
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

    zone: Mapped[ZoneRow] = relationship(back_populates="parks")
    clusters: Mapped[list[ClusterRow]] = relationship(back_populates="park", passive_deletes=True)


class ClusterRow(VersionedMixin, Base):
    """An industrial cluster (组团) of a park, with the industries it admits (表8-1)."""

    __tablename__ = "clusters"
    __table_args__ = (
        UniqueConstraint("zone_id", "code"),
        CheckConstraint(in_values("kind", CLUSTER_KINDS), name="kind"),
        *VersionedMixin.versioned_table_args(),
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

    park: Mapped[ParkRow] = relationship(back_populates="clusters")


class EnterpriseRow(Base):
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

    yearly: Mapped[list[EnterpriseYearlyRow]] = relationship(
        back_populates="enterprise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EnterpriseYearlyRow.year",
    )


class EnterpriseYearlyRow(Base):
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
    value_added_wan: Mapped[float | None] = mapped_column(Float, comment="工业增加值, 万元")
    revenue_wan: Mapped[float | None] = mapped_column(Float, comment="营业收入, 万元")
    power_10k_kwh: Mapped[float | None] = mapped_column(Float, comment="用电量, 万 kWh")
    emissions_t: Mapped[float | None] = mapped_column(Float, comment="主要污染物排放, t")
    scale: Mapped[str | None] = mapped_column(String(8), comment="above (规上) | below (规下)")
    producing_year: Mapped[int | None] = mapped_column(Integer, comment="投产年份")
    kind: Mapped[str | None] = mapped_column(String(50), comment="行业类型, e.g. 公用事业")
    source: Mapped[str | None] = mapped_column(String(200))

    enterprise: Mapped[EnterpriseRow] = relationship(back_populates="yearly")


class ParcelRow(VersionedMixin, Base):
    """A land parcel (地块): its park, cluster, status and occupant."""

    __tablename__ = "parcels"
    __table_args__ = (
        UniqueConstraint("zone_id", "parcel_id"),
        CheckConstraint(in_values("status", PARCEL_STATUSES), name="status"),
        *VersionedMixin.versioned_table_args(),
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

    park: Mapped[ParkRow] = relationship()
    cluster: Mapped[ClusterRow | None] = relationship()
    occupant: Mapped[EnterpriseRow | None] = relationship()


class InfrastructureFeatureRow(Base):
    """A feature of an infrastructure layer: roads, rivers, substations, water, places.

    ``code`` is the layer's id field (road_id, river_id, …), ``kind`` its class / kind field,
    and every other field of the layer is kept in ``attrs`` (lanes, speed_kmh,
    control_distance_m, voltage_kv, capacity_mva, …) with the layer's own names.
    """

    __tablename__ = "infrastructure"
    __table_args__ = (
        UniqueConstraint("zone_id", "layer", "code"),
        CheckConstraint(in_values("layer", INFRASTRUCTURE_LAYERS), name="layer"),
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


class RasterRefRow(Base):
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
