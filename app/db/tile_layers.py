"""What a vector tile shows, read from the database: each layer's features in a tile with the
attributes the web map styles and opens them by, and the zone's data version.

PostGIS builds the whole tile itself (``ST_AsMVTGeom`` + ``ST_AsMVT``, :func:`postgis_tile`);
SpatiaLite returns the features in the tile's box (:func:`tile_rows`) for
:mod:`gis.vector_tiles` to encode. Both select the same columns, so both backends give the same
attributes (``tests/test_api_vector_tiles.py`` decodes tiles of both). Tiles are keyed by the
data version of :mod:`app.db.data_version` (the same token as the layers' ETags).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, literal_column, select, text
from sqlalchemy.orm import Session, aliased

from app.db.models import (
    ZONE_SRID,
    ClusterRow,
    InfrastructureFeatureRow,
    ParcelRow,
    ParcelScoreRow,
    ParkRow,
)
from app.db.zone_state import latest_run_id

#: The layers served as vector tiles: the zone's own and its infrastructure.
INFRASTRUCTURE_TILES = ("roads", "rivers", "substations", "water", "places")
VECTOR_LAYERS = ("parcels", "clusters", "parks", *INFRASTRUCTURE_TILES)

#: The table of each layer (for SpatiaLite's spatial index).
_TABLES = {"parcels": "parcels", "clusters": "clusters", "parks": "parks"} | {
    name: "infrastructure" for name in INFRASTRUCTURE_TILES
}


def parcel_count(session: Session, zone_id: str) -> int:
    """Return the number of the zone's parcels."""
    return int(session.scalar(select(func.count(ParcelRow.id)).where(ParcelRow.zone_id == zone_id)) or 0)


def parcels_in_box(session: Session, zone_id: str, box: tuple[float, float, float, float]) -> int:
    """Return how many of the zone's parcels have a bounding box meeting ``box`` (zone CRS m):
    the spatial index only, a cheap estimate of what a map view holds."""
    minx, miny, maxx, maxy = box
    stmt = select(func.count(ParcelRow.id)).where(ParcelRow.zone_id == zone_id)
    if session.get_bind().dialect.name == "sqlite":
        stmt = stmt.where(
            ParcelRow.id.in_(
                text(
                    "SELECT rowid FROM SpatialIndex WHERE f_table_name = 'parcels' AND f_geometry_column = 'geom' "
                    "AND search_frame = BuildMbr(:minx, :miny, :maxx, :maxy, :srid)"
                ).bindparams(minx=minx, miny=miny, maxx=maxx, maxy=maxy, srid=ZONE_SRID)
            )
        )
    else:
        stmt = stmt.where(ParcelRow.geom.op("&&")(func.ST_MakeEnvelope(minx, miny, maxx, maxy, ZONE_SRID)))
    return int(session.scalar(stmt) or 0)


def _layer_select(zone_id: str, layer: str) -> tuple[Select, Any]:
    """Return the SELECT of a layer's attribute columns (labelled as the tile names them) and
    its geometry column (zone CRS)."""
    if layer == "parcels":
        cl = aliased(ClusterRow)
        stmt = (
            select(
                ParcelRow.parcel_id,
                ParkRow.code.label("park"),
                cl.code.label("cluster"),
                ParcelRow.status,
                ParcelScoreRow.score,
                ParcelScoreRow.score_class.label("class"),
                ParcelScoreRow.excluded,
                ParcelRow.version,
            )
            .join(ParkRow, ParkRow.id == ParcelRow.park_id)
            .outerjoin(cl, cl.id == ParcelRow.cluster_id)
            .outerjoin(
                ParcelScoreRow,
                (ParcelScoreRow.parcel_id == ParcelRow.id)
                & (ParcelScoreRow.run_id == latest_run_id(zone_id)),
            )
            .where(ParcelRow.zone_id == zone_id)
        )
        return stmt, ParcelRow
    if layer == "clusters":
        stmt = (
            select(
                ClusterRow.code.label("cluster_id"),
                ParkRow.code.label("park"),
                ClusterRow.name,
                ClusterRow.name_en,
                ClusterRow.kind,
                ClusterRow.version,
            )
            .join(ParkRow, ParkRow.id == ClusterRow.park_id)
            .where(ClusterRow.zone_id == zone_id, ClusterRow.geom.is_not(None))
        )
        return stmt, ClusterRow
    if layer == "parks":
        stmt = select(ParkRow.code.label("park_id"), ParkRow.name, ParkRow.name_en).where(
            ParkRow.zone_id == zone_id, ParkRow.geom.is_not(None)
        )
        return stmt, ParkRow
    inf = InfrastructureFeatureRow
    stmt = select(inf.code.label("id"), inf.name, inf.kind, inf.status).where(
        inf.zone_id == zone_id, inf.layer == layer
    )
    return stmt, inf


def tile_rows(
    session: Session, zone_id: str, layer: str, box: tuple[float, float, float, float]
) -> list[tuple[bytes, dict[str, Any]]]:
    """Return ``(WKB in the zone CRS, attributes)`` of the layer's features whose box meets
    ``box`` (zone CRS metres), through SpatiaLite's spatial index."""
    stmt, model = _layer_select(zone_id, layer)
    minx, miny, maxx, maxy = box
    stmt = stmt.add_columns(func.ST_AsBinary(model.geom).label("_wkb")).where(
        model.id.in_(
            text(
                "SELECT rowid FROM SpatialIndex WHERE f_table_name = :t AND f_geometry_column = 'geom' "
                "AND search_frame = BuildMbr(:minx, :miny, :maxx, :maxy, :srid)"
            ).bindparams(t=_TABLES[layer], minx=minx, miny=miny, maxx=maxx, maxy=maxy, srid=ZONE_SRID)
        )
    )
    out = []
    for row in session.execute(stmt):
        m = dict(row._mapping)
        wkb = m.pop("_wkb")
        out.append((bytes(wkb), m))
    return out


def postgis_tile(
    session: Session, zone_id: str, layer: str, z: int, x: int, y: int, extent: int, buffer: int
) -> bytes:
    """Return the MVT of the layer's features in tile ``z/x/y`` built by PostGIS
    (``ST_AsMVTGeom`` clips to the tile plus ``buffer`` units and snaps to ``extent``)."""
    stmt, model = _layer_select(zone_id, layer)
    env = func.ST_TileEnvelope(z, x, y)
    margin = func.ST_TileEnvelope(
        z,
        x,
        y,
        literal_column(
            "ST_MakeEnvelope(-20037508.342789244, -20037508.342789244, 20037508.342789244, 20037508.342789244, 3857)"
        ),
        buffer / extent,
    )
    geom = func.ST_AsMVTGeom(func.ST_Transform(model.geom, 3857), env, extent, buffer, True).label("geom")
    inner = (
        stmt.add_columns(geom).where(model.geom.op("&&")(func.ST_Transform(margin, ZONE_SRID))).subquery("t")
    )
    mvt = (
        select(func.ST_AsMVT(literal_column("t"), layer, extent, "geom"))
        .select_from(inner)
        .where(inner.c.geom.is_not(None))
    )
    data = session.scalar(mvt)
    return bytes(data) if data else b""
