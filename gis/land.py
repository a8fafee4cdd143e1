"""The land of a parcel (or a site of parcels): the parts a project cannot build on, the net
buildable rest, and a cut of the parcel into a granted piece and a remainder.

Everything here is geometry in one projected CRS (metres, m²): the caller passes the parcel's
polygon, the zone's tiled exclusion zones (:class:`gis.exclusion.ExclusionZones`), slope grids
(:class:`gis.raster.Grid`, degrees) and road lines, all in that CRS.

The constrained parts are made disjoint in a fixed order, so their areas add up to gross − net:

1. ``outside_park`` — the part outside every park (表9-5 功能区外严禁布局);
2. ``river`` — per river, the part inside its control zone (of what is left after 1);
3. ``steep`` — the cells at or above the natural-slope limit (of what is left after 1 and 2).
   A DEM cell counts when its slope is ≥ the limit; the part of the parcel it covers is its
   exact polygon overlap (the same coverage exactextract weights ``slope_over_limit_share`` by,
   except that cells without a slope value — at the DEM edge — count as buildable here).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from rasterio import features, windows

from gis.exclusion import ExclusionZones
from gis.raster import Grid

#: Kinds of constrained parts, in the order they are taken off.
KINDS: tuple[str, ...] = ("outside_park", "river", "steep")


@dataclass(frozen=True)
class Encroachment:
    """One constrained part of a parcel: ``kind`` (one of :data:`KINDS`), ``name`` (the river's
    name; None otherwise), its ``geometry`` and ``area_m2`` (m²)."""

    kind: str
    name: str | None
    geometry: shapely.Geometry
    area_m2: float


@dataclass(frozen=True)
class LandParts:
    """A parcel cut into its constrained parts and its net buildable rest (areas in m²)."""

    gross: shapely.Geometry
    net: shapely.Geometry
    parts: tuple[Encroachment, ...]

    @property
    def gross_m2(self) -> float:
        return float(self.gross.area)

    @property
    def net_m2(self) -> float:
        return float(self.net.area)


def _clean(g: shapely.Geometry) -> shapely.Geometry:
    """Return the polygonal part of ``g`` (lines and points of an overlay's edge dropped)."""
    if g is None or g.is_empty:
        return shapely.Polygon()
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    polys = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def steep_geometry(slope_deg: Grid, limit_pct: float, geom: shapely.Geometry) -> shapely.Geometry:
    """Return the union of the ``slope_deg`` cells (degrees) at or above ``limit_pct`` (%) that
    ``geom`` touches, cut to ``geom`` (empty when none, or when ``geom`` is off the grid)."""
    limit_deg = math.degrees(math.atan(limit_pct / 100.0))
    rows, cols = slope_deg.shape
    xmin, ymin, xmax, ymax = geom.bounds
    left, top = slope_deg.transform.c, slope_deg.transform.f
    dx, dy = slope_deg.dx, -slope_deg.dy
    c0 = max(math.floor((xmin - left) / dx) - 1, 0)
    c1 = min(math.ceil((xmax - left) / dx) + 1, cols)
    r0 = max(math.floor((top - ymax) / dy) - 1, 0)
    r1 = min(math.ceil((top - ymin) / dy) + 1, rows)
    if r0 >= r1 or c0 >= c1:
        return shapely.Polygon()
    block = slope_deg.values[r0:r1, c0:c1]
    with np.errstate(invalid="ignore"):
        mask = np.asarray(block >= limit_deg, dtype=bool)
    if not mask.any():
        return shapely.Polygon()
    transform = windows.transform(windows.Window(c0, r0, c1 - c0, r1 - r0), slope_deg.transform)
    polys = [
        shapely.geometry.shape(g)
        for g, _ in features.shapes(mask.astype(np.uint8), mask=mask, transform=transform)
    ]
    return _clean(shapely.intersection(shapely.union_all(polys), geom))


def land_parts(
    geom: shapely.Geometry,
    zones: ExclusionZones | None,
    slopes: Sequence[Grid] = (),
    limit_pct: float | None = None,
) -> LandParts:
    """Return ``geom`` cut into its constrained parts (see the module docstring) and the net rest.

    ``zones`` gives the park union and the river control zones (None: neither is deducted; a
    zone without a parks layer deducts nothing outside the parks); ``slopes`` the slope grids
    (degrees) of the zone's DEMs and ``limit_pct`` the natural-slope limit (%; None: no steep
    part). Parts of zero area are left out.
    """
    if zones is not None:  # this thread's own copies: the zone's are shared by threads (gis.exclusion)
        zones = zones.own()
    rest = geom
    parts: list[Encroachment] = []

    def take(kind: str, name: str | None, part: shapely.Geometry) -> None:
        nonlocal rest
        part = _clean(part)
        if part.is_empty or part.area <= 0:
            return
        parts.append(Encroachment(kind, name, part, float(part.area)))
        rest = _clean(shapely.difference(rest, part))

    if zones is not None and zones.park_zone is not None:
        take("outside_park", None, shapely.difference(geom, zones.park_zone))
    if zones is not None and zones.river_names is not None and len(zones.river_pieces):
        hits = shapely.STRtree(zones.river_pieces).query(geom, predicate="intersects")
        for k, name in enumerate(zones.river_names):
            pieces = zones.river_pieces[hits[zones.river_labels[hits] == k]]
            if len(pieces):
                take("river", str(name), shapely.intersection(rest, shapely.union_all(pieces)))
    if limit_pct is not None:
        steep = [steep_geometry(s, limit_pct, rest) for s in slopes if _overlaps(s, rest)]
        if steep:
            take("steep", None, shapely.union_all(steep))
    return LandParts(gross=geom, net=rest, parts=tuple(parts))


def _overlaps(grid: Grid, geom: shapely.Geometry) -> bool:
    if geom.is_empty:
        return False
    rows, cols = grid.shape
    left, top = grid.transform.c, grid.transform.f
    box = shapely.box(left, top + rows * grid.dy, left + cols * grid.dx, top)
    return bool(box.intersects(geom))


# --------------------------------------------------------------------------- the split


@dataclass(frozen=True)
class Split:
    """A parcel cut in two by a straight line running towards the nearest road, so that both
    pieces front the road: ``granted`` (the piece whose net area is the demand) and
    ``remainder``; their net areas (m²) and distances to the nearest road (m); ``cut`` the line."""

    granted: shapely.Geometry
    remainder: shapely.Geometry
    granted_net_m2: float
    remainder_net_m2: float
    granted_road_m: float
    remainder_road_m: float
    cut: shapely.Geometry


def road_distance(geom: shapely.Geometry, roads: np.ndarray) -> float:
    """Return the distance (m) from ``geom`` to the nearest of ``roads`` (inf without roads)."""
    if not len(roads) or geom.is_empty:
        return math.inf
    return float(shapely.distance(geom, roads).min())


def split_parcel(
    gross: shapely.Geometry,
    net: shapely.Geometry,
    demand_m2: float,
    roads: np.ndarray,
    *,
    access_m: float,
    tolerance_m2: float = 0.01,
) -> Split | None:
    """Return the cut of ``gross`` whose granted piece holds ``demand_m2`` of the ``net``
    buildable land and whose two pieces both lie within ``access_m`` of a road; None when no
    road is that close to the parcel or when neither way of cutting keeps the remainder's access.

    The cut runs along the direction from the parcel's centre to the nearest road point (so it
    crosses the road-facing side); its position is found by bisection to ``tolerance_m2``. Both
    ends of the parcel are tried as the granted piece; the one leaving the remainder closer to a
    road wins.
    """
    if road_distance(gross, roads) > access_m or demand_m2 <= 0 or demand_m2 >= net.area:
        return None
    centre = gross.centroid
    nearest = roads[int(np.argmin(shapely.distance(gross, roads)))]
    towards = shapely.shortest_line(centre, nearest).coords
    dx, dy = towards[1][0] - towards[0][0], towards[1][1] - towards[0][1]
    length = math.hypot(dx, dy)
    v = (0.0, 1.0) if length == 0 else (dx / length, dy / length)
    u = (v[1], -v[0])  # across the road direction
    xy = np.asarray(gross.exterior.coords if gross.geom_type == "Polygon" else shapely.get_coordinates(gross))
    along = (xy[:, 0] - centre.x) * u[0] + (xy[:, 1] - centre.y) * u[1]
    reach = float(np.hypot(xy[:, 0] - centre.x, xy[:, 1] - centre.y).max()) * 2 + 1
    lo_s, hi_s = float(along.min()), float(along.max())

    def half(s: float, side: int) -> shapely.Geometry:
        """The half-plane on ``side`` (−1: smaller, +1: larger ``u``) of the cut at ``s``."""
        a0, a1 = (lo_s - 1, s) if side < 0 else (s, hi_s + 1)
        corners = [
            (centre.x + a * u[0] + b * v[0], centre.y + a * u[1] + b * v[1])
            for a, b in ((a0, -reach), (a1, -reach), (a1, reach), (a0, reach))
        ]
        return shapely.Polygon(corners)

    best: Split | None = None
    for side in (-1, 1):
        lo, hi = lo_s, hi_s
        for _ in range(200):
            mid = (lo + hi) / 2
            got = _clean(shapely.intersection(net, half(mid, side))).area
            if abs(got - demand_m2) <= tolerance_m2:
                break
            grow = got < demand_m2
            if (side < 0) == grow:
                lo = mid
            else:
                hi = mid
        cutter = half(mid, side)
        granted = _clean(shapely.intersection(gross, cutter))
        remainder = _clean(shapely.difference(gross, cutter))
        g_road, r_road = road_distance(granted, roads), road_distance(remainder, roads)
        if g_road > access_m or r_road > access_m:
            continue
        cut = shapely.intersection(
            shapely.LineString(
                [
                    (centre.x + mid * u[0] - reach * v[0], centre.y + mid * u[1] - reach * v[1]),
                    (centre.x + mid * u[0] + reach * v[0], centre.y + mid * u[1] + reach * v[1]),
                ]
            ),
            gross,
        )
        candidate = Split(
            granted=granted,
            remainder=remainder,
            granted_net_m2=float(_clean(shapely.intersection(net, cutter)).area),
            remainder_net_m2=float(_clean(shapely.difference(net, cutter)).area),
            granted_road_m=g_road,
            remainder_road_m=r_road,
            cut=cut,
        )
        if best is None or candidate.remainder_road_m < best.remainder_road_m:
            best = candidate
    return best


def buildable_shares(
    geoms: np.ndarray,
    zones: ExclusionZones | None,
    slopes: Sequence[Grid],
    limit_pct: float | None,
    *,
    river_share: np.ndarray,
    outside_share: np.ndarray,
    steep_share: np.ndarray,
    deduct: Sequence[str] = KINDS,
) -> np.ndarray:
    """Return each parcel's buildable share (0–1): net ÷ gross area after the parts ``deduct``
    names (:func:`land_parts`).

    A parcel with no river or outside-park part (``river_share``/``outside_share`` 0 or NaN)
    gets 1 − ``steep_share`` (the exactextract share of :mod:`gis.zonal`; NaN counts as 0), so
    only parcels touching a river zone or the park edge are cut geometrically. NaN for a
    parcel of zero area.
    """
    kinds = set(deduct)
    area = shapely.area(geoms)
    steep = np.nan_to_num(np.asarray(steep_share, dtype=float)) if "steep" in kinds else np.zeros(len(geoms))
    out = 1.0 - steep
    river = np.nan_to_num(np.asarray(river_share, dtype=float))
    outside = np.nan_to_num(np.asarray(outside_share, dtype=float))
    cut = np.flatnonzero(((river > 0) & ("river" in kinds)) | ((outside > 0) & ("outside_park" in kinds)))
    for i in cut:
        parts = land_parts(geoms[i], zones, slopes, limit_pct if "steep" in kinds else None)
        taken = sum(p.area_m2 for p in parts.parts if p.kind in kinds)
        out[i] = 1.0 - taken / area[i] if area[i] > 0 else np.nan
    out[area <= 0] = np.nan
    return np.clip(out, 0.0, 1.0)
