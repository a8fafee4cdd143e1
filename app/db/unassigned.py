"""Land of a park in no cluster (未划入组团的用地), the park a drawn outline lies in, and the
outlines of a park's clusters (the tiling, for editing).

Unassigned land is what a park's outline holds beyond the union of its clusters: land a cluster
gave up with no neighbour across the moved edge (:func:`app.db.cluster_topology.reshape_cluster`),
or never drawn into one. It is computed from the current outlines, so it is always what the map
shows; parts thinner than 2 × ``SNAP_M`` (hairlines along shared edges) are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.cluster_outline import OUTSIDE_PARK_TOLERANCE_M2, SNAP_M
from app.db.geometry import from_db
from app.db.models import ClusterRow, ParkRow
from gis.topology import polygonal
from gis.units import MU_M2


@dataclass
class Unassigned:
    """A park's land in no cluster: ``geometry`` (zone CRS, None when there is none) and its
    area in m² and 亩."""

    park: ParkRow
    geometry: BaseGeometry | None
    area_m2: float
    area_mu: float


def unassigned_land(session: Session, zone_id: str, park_code: str | None = None) -> list[Unassigned]:
    """Return each park's unassigned land (ordered by park id; one park with ``park_code``).

    Parts under ``OUTSIDE_PARK_TOLERANCE_M2`` (1 m²) or thinner than 2 × ``SNAP_M`` are dropped.
    """

    query = select(ParkRow).where(ParkRow.zone_id == zone_id).order_by(ParkRow.code)
    if park_code is not None:
        query = query.where(ParkRow.code == park_code)
    out = []
    for park in session.scalars(query):
        park_geom = from_db(park.geom)
        if park_geom is None:
            continue
        shapes = [
            from_db(g)
            for g in session.scalars(
                select(ClusterRow.geom).where(ClusterRow.park_id == park.id, ClusterRow.geom.is_not(None))
            )
        ]
        rest = park_geom.difference(shapely.union_all(shapes)) if shapes else park_geom
        parts = [
            p
            for p in shapely.get_parts(polygonal(rest) or shapely.MultiPolygon())
            if p.area > OUTSIDE_PARK_TOLERANCE_M2 and not p.buffer(-SNAP_M).is_empty
        ]
        geom = polygonal(shapely.MultiPolygon(parts)) if parts else None
        area = float(sum(p.area for p in parts))
        out.append(Unassigned(park, geom, area, area / MU_M2))
    return out


def park_where_drawn(session: Session, zone_id: str, geom: BaseGeometry) -> ParkRow | None:
    """Return the park of the zone holding the largest part of ``geom`` (zone CRS); None when
    the outline lies in no park. An invalid outline (it is repaired later, or refused) is measured
    as ``make_valid`` makes it."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    best, best_area = None, 0.0
    for park in session.scalars(select(ParkRow).where(ParkRow.zone_id == zone_id).order_by(ParkRow.code)):
        pg = from_db(park.geom)
        if pg is None or not pg.intersects(geom):
            continue
        area = pg.intersection(geom).area
        if area > best_area:
            best, best_area = park, area
    return best


def park_outlines(session: Session, park_ids: Iterable[int]) -> dict[int, list[tuple[str, BaseGeometry]]]:
    """Return the outlines (zone CRS) of every cluster of each park, by park row id, ordered by
    cluster id (clusters without an outline left out)."""
    out: dict[int, list[tuple[str, BaseGeometry]]] = {int(p): [] for p in park_ids}
    rows = session.execute(
        select(ClusterRow.park_id, ClusterRow.code, ClusterRow.geom)
        .where(ClusterRow.park_id.in_(list(out)), ClusterRow.geom.is_not(None))
        .order_by(ClusterRow.code)
    )
    for park_id, code, geom in rows:
        out[park_id].append((code, from_db(geom)))
    return out


__all__ = ["Unassigned", "park_outlines", "park_where_drawn", "unassigned_land"]
