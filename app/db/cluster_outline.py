"""The one rule for cluster outlines, checked inside the write transaction.

An outline must be a polygon (repaired when invalid), lie inside its park and overlap no other
cluster of the zone. Slivers thinner than 2 × ``SNAP_M`` beyond the park boundary or over a
neighbour (what rounding does to a shared edge read from the API in WGS 84 and sent back) are cut
off and reported; what is left beyond ``OUTSIDE_PARK_TOLERANCE_M2`` / ``OVERLAP_TOLERANCE_M2``
is refused with :class:`app.errors.ClusterGeometryError` (HTTP 422), which carries the offending
part.
"""

from __future__ import annotations

import numpy as np
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import notes
from app.db.geometry import from_db, to_multi
from app.db.models import ZONE_SRID, ClusterRow, ParkRow
from app.errors import ClusterGeometryError
from gis.errors import GeometryError
from gis.messages import Message, Name, msg
from gis.repair import keep_kind

#: Overlap between two clusters tolerated as digitising noise, m².
OVERLAP_TOLERANCE_M2 = 1.0
#: Area of a cluster allowed outside its park (digitising noise), m².
OUTSIDE_PARK_TOLERANCE_M2 = 1.0
#: Slivers beyond the park or over a neighbour thinner than twice this (m) are cut off, not
#: refused: an outline read as WGS 84 and sent back moves its shared edges by millimetres.
SNAP_M = 0.05


def _sliver(part: BaseGeometry) -> bool:
    """Whether a polygonal part is only a sliver (nothing left after shrinking by SNAP_M)."""
    return part.is_empty or part.buffer(-SNAP_M).is_empty


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    kept = keep_kind(np.array([geom], dtype=object), "polygon")[0]
    return None if kept is None or kept.is_empty else to_multi(kept)


def fit_in_park(
    park: ParkRow, geom: BaseGeometry, *, where: str, name: Name | str | None = None
) -> tuple[BaseGeometry, list[Message]]:
    """Return ``(outline, notes)``: a (cleaned) cluster outline checked against its park.

    A sliver thinner than 2 × ``SNAP_M`` outside the park is cut off (noted); more than
    ``OUTSIDE_PARK_TOLERANCE_M2`` outside is refused (``ClusterGeometryError``, naming the park
    and giving the area in m² and 亩); ``GeometryError`` when nothing is left inside.
    """
    crs = f"EPSG:{ZONE_SRID}"
    subject = name if name is not None else where
    cuts: list[Message] = []
    park_geom = from_db(park.geom)
    if park_geom is not None:
        outside = geom.difference(park_geom)
        if outside.area > 0 and _sliver(outside):
            cuts.append(notes.sliver_outside_park(subject, notes.name_of(park), outside.area))
            geom = _polygonal(geom.intersection(park_geom))
            if geom is None:
                raise GeometryError(
                    "nothing is left of the outline inside the park",
                    where=where,
                    hint="draw the cluster inside its park",
                    msg=msg("error.cluster.nothing_in_park", cluster=subject, park=notes.name_of(park)),
                )
            outside = geom.difference(park_geom)
        if outside.area > OUTSIDE_PARK_TOLERANCE_M2:
            raise ClusterGeometryError(
                f"extends {outside.area:,.1f} m² outside its park {park.code} ({park.name})",
                msg=msg(
                    "error.cluster.outside_park",
                    cluster=subject,
                    park=notes.name_of(park),
                    area=notes.area(outside.area),
                ),
                kind="outside_park",
                park=park.code,
                area_m2=float(outside.area),
                geometry=outside,
                crs=crs,
                where=where,
                hint="keep the cluster inside the park boundary",
            )
    return geom, cuts


def check_cluster_outline(
    session: Session,
    park: ParkRow,
    geom: BaseGeometry,
    *,
    exclude_id: int | None,
    where: str,
    name: Name | str | None = None,
) -> tuple[BaseGeometry, list[Message]]:
    """Check a (cleaned) cluster outline against its park and the zone's other clusters.

    Returns ``(outline, notes)``: slivers thinner than 2 × ``SNAP_M`` outside the park or over
    another cluster are cut off, each cut noted. Raises ``ClusterGeometryError`` (422) when more
    than ``OUTSIDE_PARK_TOLERANCE_M2`` lies outside the park or more than
    ``OVERLAP_TOLERANCE_M2`` over another cluster (``exclude_id`` is the cluster itself), and
    ``GeometryError`` when nothing is left. ``name`` is the cluster's name in the notes.
    """
    crs = f"EPSG:{ZONE_SRID}"
    subject = name if name is not None else where
    geom, cuts = fit_in_park(park, geom, where=where, name=name)
    others = session.execute(
        select(ClusterRow.id, ClusterRow.code, ClusterRow.geom, ClusterRow.name, ClusterRow.name_en)
        .where(ClusterRow.zone_id == park.zone_id, ClusterRow.geom.is_not(None))
        .order_by(ClusterRow.code)
    ).all()
    for oid, code, g, other_name, other_name_en in others:
        if oid == exclude_id:
            continue
        other = from_db(g)
        if other is None or not other.intersects(geom):
            continue
        overlap = other.intersection(geom)
        if overlap.area > 0 and _sliver(overlap):
            other_shown = Name(other_name or code, other_name_en or other_name or code)
            cuts.append(notes.sliver_over_cluster(subject, other_shown, overlap.area))
            geom = _polygonal(geom.difference(other))
            if geom is None:
                raise GeometryError(
                    f"nothing is left of the outline beside cluster {code}",
                    where=where,
                    hint="draw the cluster on free land of its park",
                    msg=msg("error.cluster.nothing_beside", cluster=subject, other=other_shown),
                )
            overlap = other.intersection(geom)
        if overlap.area > OVERLAP_TOLERANCE_M2:
            raise ClusterGeometryError(
                f"overlaps cluster {code} by {overlap.area:,.1f} m² (tolerance {OVERLAP_TOLERANCE_M2:g} m²)",
                msg=msg(
                    "error.cluster.overlap",
                    cluster=subject,
                    other=Name(other_name or code, other_name_en or other_name or code),
                    area=notes.area(overlap.area),
                    tolerance=f"{OVERLAP_TOLERANCE_M2:g}",
                ),
                kind="overlap",
                cluster=code,
                area_m2=float(overlap.area),
                geometry=overlap,
                crs=crs,
                where=where,
                hint="move the shared edge so the clusters only touch",
            )
    return geom, cuts
