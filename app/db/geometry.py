"""Geometry going into and out of the database (zone CRS, EPSG:4546, 2-D).

Polygon columns are ``MULTIPOLYGON``: single polygons are promoted on the way in. Geometry from
users (API, edits) arrives as shapely objects, WKT or GeoJSON in the zone CRS and is checked by
:func:`clean_polygon` (polygonal, vertex limit, repaired with ``make_valid`` when invalid).

A repair that changes the outline's area by more than :class:`RepairTolerance` (the larger of
``Settings.repair_area_tolerance_share`` of the area and ``Settings.repair_area_tolerance_m2``;
default 1 % or 1 m²) is refused (``OutlineRepairError``, 422) with the repaired outline
offered instead: a bow-tie's area as drawn (its two lobes cancel) is far from the two triangles
``make_valid`` makes of it, and saving those would move parcels between clusters unasked. A
repair within the tolerance (a spike, a duplicate vertex, a tiny loop) is made and reported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import shapely
from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import shape as shape_from_geojson
from shapely.geometry.base import BaseGeometry

from app.db import notes
from app.db.models import ZONE_SRID
from app.errors import OutlineRepairError
from app.settings import Settings, get_settings
from gis.errors import GeometryError, LimitExceededError
from gis.messages import Message, Name, msg
from gis.repair import keep_kind


@dataclass(frozen=True)
class RepairTolerance:
    """How much a repair may change an outline's area: ``share`` (0–1) of the larger of the
    areas as drawn and as repaired, but at least ``m2`` (m²)."""

    share: float = 0.01
    m2: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> RepairTolerance:
        """Return the tolerance of ``settings`` (default: the process settings)."""
        s = settings or get_settings()
        return cls(s.repair_area_tolerance_share, s.repair_area_tolerance_m2)

    def allowed_m2(self, drawn_m2: float, repaired_m2: float) -> float:
        """Return the largest area change (m²) allowed between the two areas."""
        return max(self.share * max(drawn_m2, repaired_m2), self.m2)


def as_shape(value: Any, *, where: str = "geometry") -> BaseGeometry:
    """Return a shapely geometry from a shapely object, WKT text, or GeoJSON (dict or text).

    Coordinates are taken to be in the zone CRS (EPSG:4546). Raises ``GeometryError`` for
    anything that does not parse or is empty.
    """
    try:
        if isinstance(value, BaseGeometry):
            geom = value
        elif isinstance(value, Mapping):
            geom = shape_from_geojson(
                value.get("geometry", value) if value.get("type") == "Feature" else value
            )
        elif isinstance(value, str):
            text = value.strip()
            geom = as_shape(json.loads(text), where=where) if text.startswith("{") else shapely.from_wkt(text)
        else:
            raise TypeError(f"unsupported geometry value of type {type(value).__name__}")
    except GeometryError:
        raise
    except Exception as exc:
        raise GeometryError(
            f"cannot be read as a geometry ({exc})",
            where=where,
            hint="send GeoJSON or WKT in the zone CRS (EPSG:4546)",
            msg=msg("error.geometry.unreadable", detail=str(exc)),
        ) from exc
    if geom is None or geom.is_empty:
        raise GeometryError(
            "is empty", where=where, hint="draw the geometry", msg=msg("error.geometry.empty")
        )
    return geom


def to_multi(geom: BaseGeometry) -> BaseGeometry:
    """Return ``geom`` as 2-D, polygons promoted to a MultiPolygon; other types unchanged."""
    geom = shapely.force_2d(geom)
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    return geom


def to_db(geom: BaseGeometry | None, *, multi: bool = True) -> WKBElement | None:
    """Return a WKB element (SRID EPSG:4546) for a shapely geometry; polygons as MultiPolygon."""
    if geom is None:
        return None
    return from_shape(to_multi(geom) if multi else shapely.force_2d(geom), srid=ZONE_SRID)


def from_db(element: Any) -> BaseGeometry | None:
    """Return the shapely geometry of a geometry column value (None stays None)."""
    return None if element is None else to_shape(element)


def clean_polygon(
    value: Any,
    *,
    where: str,
    max_vertices: int,
    repair_tolerance: RepairTolerance | None = None,
    subject: Name | Message | str | None = None,
) -> tuple[BaseGeometry, list[Message]]:
    """Check a polygon from a user and return ``(MultiPolygon, repairs)``.

    Refuses (``GeometryError``) anything not a Polygon/MultiPolygon, and
    (``LimitExceededError``) more than ``max_vertices`` coordinates, before any other work. An
    invalid polygon is repaired with ``shapely.make_valid`` keeping its polygonal parts; the
    repair is described in ``repairs`` (messages naming ``subject`` — the cluster or parcel,
    ``where`` if not given — with ``is_valid_reason`` and the area in m² and 亩 before and after).
    A repair that changes the area by more than ``repair_tolerance`` (default
    :meth:`RepairTolerance.from_settings`) is refused with ``OutlineRepairError`` carrying the
    repaired outline.
    """
    geom = as_shape(value, where=where)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeometryError(
            f"must be a Polygon or MultiPolygon, not a {geom.geom_type}",
            where=where,
            hint="draw an area",
            msg=msg("error.geometry.not_polygon", kind=geom.geom_type),
        )
    n = int(shapely.get_num_coordinates(geom))
    if n > max_vertices:
        raise LimitExceededError(
            f"has {n:,} vertices, more than the limit of {max_vertices:,}",
            where=where,
            hint="simplify the outline (QGIS ▸ Simplify)",
            msg=msg("error.geometry.too_many_vertices", n=f"{n:,}", limit=f"{max_vertices:,}"),
        )
    geom = shapely.force_2d(geom)
    repairs: list[Message] = []
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        fixed = keep_kind([shapely.make_valid(geom)], "polygon")[0]
        if fixed is None or fixed.is_empty:
            raise GeometryError(
                f"is invalid ({reason}) and nothing of it is left after repair",
                where=where,
                hint="redraw the outline",
                msg=msg("error.geometry.nothing_left", reason=reason),
            )
        tolerance = repair_tolerance or RepairTolerance.from_settings()
        if abs(fixed.area - geom.area) > tolerance.allowed_m2(geom.area, fixed.area):
            raise OutlineRepairError(
                f"is invalid ({reason}); repairing it would change its area from {geom.area:,.1f} "
                f"to {fixed.area:,.1f} m², so it was not saved",
                where=where,
                hint="redraw the outline so that it does not cross itself, or send the repaired "
                "outline offered in `repair.geometry` to accept it",
                repaired=to_multi(fixed),
                crs=f"EPSG:{ZONE_SRID}",
                drawn_m2=float(geom.area),
                repaired_m2=float(fixed.area),
                msg=msg(
                    "error.geometry.repair_changes_area",
                    reason=reason,
                    drawn=f"{geom.area:,.1f}",
                    repaired=f"{fixed.area:,.1f}",
                ),
            )
        repairs.append(
            notes.repaired(subject if subject is not None else where, reason, geom.area, fixed.area)
        )
        geom = fixed
    return to_multi(geom), repairs
