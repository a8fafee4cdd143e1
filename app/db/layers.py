"""A zone's data read back from the database: its rule file and its layers as GeoDataFrames.

Layers come back with the GeoPackage's field names (``docs/architecture.md``), so code that
works on the sample GeoPackage works on the database: ``parcels`` has ``parcel_id``, ``park``,
``cluster``, ``status``, ``area_m2``, ``area_mu``, ``enterprise``, ``land_use`` plus the stored
extra attributes, and also ``id`` / ``version`` (database id and version, for edits).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.db.import_layers import INFRASTRUCTURE, LAYERS
from app.db.models import (
    ZONE_SRID,
    ClusterRow,
    InfrastructureFeatureRow,
    ParcelRow,
    ParkRow,
    RasterRefRow,
    ZoneRow,
)
from gis.errors import NotFoundError, SchemaError
from scoring.zone import ZoneConfig, parse_zone

CRS = f"EPSG:{ZONE_SRID}"


def get_zone(session: Session, zone_id: str) -> ZoneRow:
    """Return the zone row; NotFoundError naming the zones that exist otherwise."""
    zone = session.get(ZoneRow, zone_id)
    if zone is None:
        known = list(session.scalars(select(ZoneRow.id).order_by(ZoneRow.id)))
        raise NotFoundError(
            f"no zone {zone_id!r} in the database (zones: {', '.join(known) or 'none'})",
            hint="import it with `parksite import --zone FILE`",
        )
    return zone


def zone_config(session: Session, zone_id: str) -> ZoneConfig:
    """Return the zone's rules (the stored zone file, validated again)."""
    return parse_zone(get_zone(session, zone_id).config, path=f"database zone {zone_id}")


def _frame(rows: list[Any], columns: list[str]) -> gpd.GeoDataFrame:
    df = pd.DataFrame([tuple(r) for r in rows], columns=[*columns, "_wkb"])
    geoms = shapely.from_wkb(df.pop("_wkb").map(lambda b: None if b is None else bytes(b)).to_numpy())
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


def _expand(gdf: gpd.GeoDataFrame, attrs: pd.Series) -> gpd.GeoDataFrame:
    extra = pd.DataFrame(list(attrs), index=gdf.index)
    extra = extra[[c for c in extra.columns if c not in gdf.columns]]
    out = pd.concat([gdf.drop(columns="geometry"), extra], axis=1)
    return gpd.GeoDataFrame(out, geometry=gdf.geometry, crs=CRS)


def load_layer(session: Session, zone_id: str, layer: str) -> gpd.GeoDataFrame:
    """Return one layer of a stored zone as a GeoDataFrame in EPSG:4546, GeoPackage field names.

    ``layer`` is one of ``LAYERS`` (parks, clusters, parcels, roads, rivers, substations, water,
    places). Raises NotFoundError for an unknown zone, SchemaError for an unknown layer.
    """
    get_zone(session, zone_id)
    wkb = func.ST_AsBinary
    if layer == "parks":
        rows = session.execute(
            select(
                ParkRow.id,
                ParkRow.code,
                ParkRow.name,
                ParkRow.name_en,
                ParkRow.area_m2,
                ParkRow.area_mu,
                ParkRow.attrs,
                wkb(ParkRow.geom),
            )
            .where(ParkRow.zone_id == zone_id)
            .order_by(ParkRow.code)
        ).all()
        gdf = _frame(rows, ["id", "park_id", "name", "name_en", "area_m2", "area_mu", "attrs"])
    elif layer == "clusters":
        rows = session.execute(
            select(
                ClusterRow.id,
                ClusterRow.code,
                ParkRow.code,
                ClusterRow.name,
                ClusterRow.name_en,
                ClusterRow.kind,
                ClusterRow.area_m2,
                ClusterRow.area_mu,
                ClusterRow.version,
                ClusterRow.attrs,
                wkb(ClusterRow.geom),
            )
            .join(ParkRow, ParkRow.id == ClusterRow.park_id)
            .where(ClusterRow.zone_id == zone_id)
            .order_by(ClusterRow.code)
        ).all()
        gdf = _frame(
            rows,
            [
                "id",
                "cluster_id",
                "park_id",
                "name",
                "name_en",
                "kind",
                "area_m2",
                "area_mu",
                "version",
                "attrs",
            ],
        )
    elif layer == "parcels":
        cl = aliased(ClusterRow)
        rows = session.execute(
            select(
                ParcelRow.id,
                ParcelRow.parcel_id,
                ParkRow.code,
                cl.code,
                ParcelRow.status,
                ParcelRow.area_m2,
                ParcelRow.area_mu,
                ParcelRow.enterprise,
                ParcelRow.land_use,
                ParcelRow.version,
                ParcelRow.attrs,
                wkb(ParcelRow.geom),
            )
            .join(ParkRow, ParkRow.id == ParcelRow.park_id)
            .outerjoin(cl, cl.id == ParcelRow.cluster_id)
            .where(ParcelRow.zone_id == zone_id)
            .order_by(ParcelRow.parcel_id)
        ).all()
        gdf = _frame(
            rows,
            [
                "id",
                "parcel_id",
                "park",
                "cluster",
                "status",
                "area_m2",
                "area_mu",
                "enterprise",
                "land_use",
                "version",
                "attrs",
            ],
        )
    elif layer in INFRASTRUCTURE:
        spec = LAYERS[layer]
        f = InfrastructureFeatureRow
        rows = session.execute(
            select(f.id, f.code, f.name, f.kind, f.status, f.attrs, wkb(f.geom))
            .where(f.zone_id == zone_id, f.layer == layer)
            .order_by(f.code)
        ).all()
        gdf = _frame(rows, ["id", spec.id_field, "name", spec.kind_field or "kind", "status", "attrs"])
        if spec.kind_field is None and gdf["kind"].isna().all():
            gdf = gdf.drop(columns="kind")
        if gdf["status"].isna().all():
            gdf = gdf.drop(columns="status")
    else:
        raise SchemaError(f"unknown layer {layer!r}", hint=f"layers are {', '.join(LAYERS)}")
    return _expand(gdf, gdf.pop("attrs"))


def rasters(session: Session, zone_id: str) -> list[RasterRefRow]:
    """Return the zone's raster references (DEMs), by name."""
    get_zone(session, zone_id)
    return list(
        session.scalars(
            select(RasterRefRow).where(RasterRefRow.zone_id == zone_id).order_by(RasterRefRow.name)
        )
    )
