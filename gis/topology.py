"""Topological edits of a tiling of polygons (the clusters of a park): reshape with yield, split
along a line, merge — pure shapely 2, no database, no HTTP.

All geometries are in one projected CRS in metres (the zone CRS); areas are m², lengths m.

* :func:`reshape_with_yield` — one polygon gets a new outline; the neighbours give up what it
  now covers, and the land it no longer covers goes to the neighbour across the moved edge (the
  one that shared that edge), or stays unassigned when there is none.
* :func:`split_polygon` — a polygon cut along a line into the part left and the part right of
  the line (as drawn).
* :func:`merge_polygons` — two polygons that share an edge made one.

Errors are :class:`gis.errors.GeometryError` with a catalogue message; ``subject`` (a name, or
a :class:`gis.messages.Name`) is who the message names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
import shapely.ops
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from gis.errors import GeometryError
from gis.messages import msg
from gis.units import MU_M2

#: Two outlines closer than this (m) along an edge share that edge (digitising noise, the
#: millimetres a WGS 84 round trip moves a vertex).
EDGE_SNAP_M = 0.05
#: Shortest shared edge (m) that makes two polygons neighbours across it; a corner is not one.
MIN_SHARED_EDGE_M = 1.0
#: Parts smaller than this (m²) are dropped from a result (floating-point crumbs).
CRUMB_M2 = 1e-6


def polygonal(geom: BaseGeometry | None) -> MultiPolygon | None:
    """Return the polygonal parts of ``geom`` as a MultiPolygon (crumbs under ``CRUMB_M2``
    dropped), None when nothing is left."""
    if geom is None or geom.is_empty:
        return None
    parts = [
        p for p in shapely.get_parts(geom) if isinstance(p, (Polygon, MultiPolygon)) and p.area > CRUMB_M2
    ]
    flat: list[Polygon] = []
    for p in parts:
        flat.extend(shapely.get_parts(p) if isinstance(p, MultiPolygon) else [p])
    flat = [p for p in flat if p.area > CRUMB_M2]
    return MultiPolygon(flat) if flat else None


def without_hairlines(geom: BaseGeometry | None, width: float = EDGE_SNAP_M) -> MultiPolygon | None:
    """Return ``geom`` without its parts thinner than 2 × ``width`` (m): a morphological opening
    with mitred corners, clipped to ``geom``. None when nothing is left."""
    if geom is None or geom.is_empty:
        return None
    opened = geom.buffer(-width, join_style="mitre").buffer(width, join_style="mitre")
    try:
        return polygonal(opened.intersection(geom))
    except shapely.errors.GEOSException:
        # edges within a hair of each other (an outline simplified for editing beside its
        # neighbour's) can defeat the floating-point overlay: snap-round to 1 µm instead
        return polygonal(shapely.intersection(opened, geom, grid_size=1e-6))


def shared_edge_m(a: BaseGeometry, b: BaseGeometry, snap: float = EDGE_SNAP_M) -> float:
    """Return the length (m) of ``a``'s boundary that lies along ``b`` (within ``snap`` m)."""
    if a.is_empty or b.is_empty or a.distance(b) > snap:
        return 0.0
    return float(a.boundary.intersection(b.buffer(snap)).length)


def across_moved_edge(part: BaseGeometry, old: BaseGeometry, neighbours: Mapping[Any, BaseGeometry]) -> Any:
    """Return the key of the neighbour across the moved edge of a freed ``part`` of ``old``, or
    None.

    The moved edge is the stretch of ``old``'s boundary that bounds ``part``. The neighbour that
    ran along most of it (at least ``MIN_SHARED_EDGE_M``) gets the part, unless more of that
    edge ran along no neighbour (the park boundary, unassigned land): then nobody does.
    """
    edge = part.boundary.intersection(old.boundary.buffer(EDGE_SNAP_M))
    if edge.is_empty:
        return None
    best, best_len, along = None, MIN_SHARED_EDGE_M, 0.0
    for key, geom in neighbours.items():
        if geom is None or geom.is_empty or geom.distance(part) > EDGE_SNAP_M:
            continue
        length = float(edge.intersection(geom.buffer(EDGE_SNAP_M)).length)
        along += length
        if length >= best_len:
            best, best_len = key, length
    if best is None or best_len < edge.length - along:
        return None
    return best


@dataclass
class Reshape:
    """What a reshape with yield does to a tiling.

    ``outline`` is the new outline of the reshaped polygon; ``neighbours`` the new outline of
    every neighbour that changed (key → polygon; a neighbour missing here is unchanged);
    ``taken`` the area (m²) each neighbour gave up, ``given`` the area (m²) each received from the
    land the reshaped polygon freed; ``unassigned`` the freed land nobody received (None: none),
    ``unassigned_m2`` its area.
    """

    outline: BaseGeometry
    neighbours: dict[Any, BaseGeometry] = field(default_factory=dict)
    taken: dict[Any, float] = field(default_factory=dict)
    given: dict[Any, float] = field(default_factory=dict)
    unassigned: BaseGeometry | None = None
    unassigned_m2: float = 0.0


def reshape_with_yield(
    old: BaseGeometry | None,
    new: BaseGeometry,
    neighbours: Mapping[Any, BaseGeometry],
    *,
    min_overlap_m2: float = 0.0,
    subject: Any = "",
    names: Mapping[Any, Any] | None = None,
) -> Reshape:
    """Return how a tiling changes when one polygon's outline becomes ``new``.

    Hairlines (thinner than 2 × ``EDGE_SNAP_M``) between ``old`` and ``new`` are not moves: land
    they free stays with the polygon (``Reshape.outline`` includes it), and a hairline over a
    neighbour is not taken from it (the caller's outline check cuts it off).

    ``old`` is the polygon's outline before (None: a new polygon), ``neighbours`` the other
    polygons of the tiling (key → outline). Every neighbour overlapping ``new`` by more than
    ``min_overlap_m2`` gives that part up (neighbour − new). Each connected part of the land
    freed (old − new) goes to the neighbour across the moved edge (:func:`across_moved_edge`,
    outlines before the edit); a part with no such neighbour stays unassigned.

    Raises ``GeometryError`` when a neighbour would be swallowed whole (nothing of it left:
    merge or delete it instead); ``names`` gives each neighbour's name for that message.
    """
    names = names or {}
    freed_all = polygonal(old.difference(new)) if old is not None else None
    freed = without_hairlines(freed_all)
    if freed_all is not None:
        # hairlines between the old and the new outline (a WGS 84 round trip moves an edge by
        # millimetres) stay with the polygon rather than open gaps or move a neighbour
        hairlines = polygonal(freed_all.difference(freed)) if freed is not None else freed_all
        if hairlines is not None:
            new = polygonal(shapely.union(new, hairlines)) or new
    result = Reshape(outline=new)
    changed: dict[Any, BaseGeometry] = {}
    for key, geom in neighbours.items():
        if geom is None or geom.is_empty or not geom.intersects(new):
            continue
        overlap = without_hairlines(geom.intersection(new))
        if overlap is None or overlap.area <= min_overlap_m2:
            continue  # touching, or a hairline the outline check cuts off the new outline
        rest = polygonal(geom.difference(new))
        if rest is None or rest.buffer(-EDGE_SNAP_M).is_empty:
            raise GeometryError(
                f"the new outline covers all of {key}",
                where=str(key),
                hint="merge the two clusters or delete the other one first",
                msg=msg(
                    "error.topology.swallowed",
                    cluster=subject,
                    other=names.get(key, str(key)),
                    m2=f"{geom.area:,.2f}",
                    mu=f"{geom.area / MU_M2:,.2f}",
                ),
            )
        changed[key] = rest
        result.taken[key] = float(geom.area - rest.area)
    left: list[BaseGeometry] = []
    if old is not None and freed is not None:
        for part in shapely.get_parts(freed):
            best = across_moved_edge(part, old, neighbours)
            if best is None:
                left.append(part)
                continue
            base = changed.get(best, neighbours[best])
            changed[best] = polygonal(shapely.union(base, part)) or base
            result.given[best] = result.given.get(best, 0.0) + float(part.area)
    result.neighbours = changed
    if left:
        result.unassigned = polygonal(shapely.union_all(left))
        result.unassigned_m2 = float(sum(p.area for p in left))
    return result


def _side(line: LineString, point: BaseGeometry) -> float:
    """Return > 0 when ``point`` lies left of ``line`` (as drawn), < 0 right, at the nearest segment."""
    coords = np.asarray(line.coords)
    d = line.project(point)
    ends = np.cumsum(np.r_[0.0, np.hypot(*np.diff(coords, axis=0).T)])
    k = int(np.clip(np.searchsorted(ends, d, side="right") - 1, 0, len(coords) - 2))
    (x0, y0), (x1, y1) = coords[k], coords[k + 1]
    return float((x1 - x0) * (point.y - y0) - (y1 - y0) * (point.x - x0))


def split_polygon(
    polygon: BaseGeometry, line: BaseGeometry, *, subject: Any = ""
) -> tuple[MultiPolygon, MultiPolygon]:
    """Return ``(left, right)``: ``polygon`` cut along ``line``, the parts left and right of the
    line in the direction it was drawn. Their areas add up to the polygon's.

    The line must cross the polygon from one side to the other (start and end outside it);
    otherwise ``GeometryError`` says so, naming ``subject``.
    """
    if not isinstance(line, LineString) or line.is_empty or line.length <= 0:
        raise GeometryError(
            f"the split line is a {line.geom_type}, not a LineString",
            where="line",
            hint="draw one line across the cluster",
            msg=msg("error.topology.split_not_line", kind=line.geom_type),
        )
    pieces = [p for p in shapely.get_parts(shapely.ops.split(polygon, line)) if p.area > CRUMB_M2]
    if len(pieces) < 2:
        raise GeometryError(
            "the line does not cut the cluster in two",
            where="line",
            hint="draw the line from outside the cluster, across it, to outside again",
            msg=msg("error.topology.split_no_cut", cluster=subject),
        )
    left = [p for p in pieces if _side(line, p.representative_point()) > 0]
    right = [p for p in pieces if _side(line, p.representative_point()) <= 0]
    if not left or not right:
        raise GeometryError(
            "the line leaves all of the cluster on one side",
            where="line",
            hint="draw the line from outside the cluster, across it, to outside again",
            msg=msg("error.topology.split_no_cut", cluster=subject),
        )
    return MultiPolygon(left), MultiPolygon(right)


def merge_polygons(a: BaseGeometry, b: BaseGeometry, *, subject: Any = "", other: Any = "") -> MultiPolygon:
    """Return ``a`` and ``b`` made one outline (their union; hairline gaps up to
    ``EDGE_SNAP_M`` along the shared edge closed).

    Raises ``GeometryError`` when they share no edge of at least ``MIN_SHARED_EDGE_M``
    (touching at a corner is not adjacent), naming ``subject`` and ``other``.
    """
    if shared_edge_m(a, b) < MIN_SHARED_EDGE_M:
        raise GeometryError(
            "the two clusters share no edge",
            where="with",
            hint="merge clusters that are neighbours (share a boundary)",
            msg=msg("error.topology.not_adjacent", cluster=subject, other=other),
        )
    union = shapely.union(a, b)
    if isinstance(union, MultiPolygon) or union.geom_type != "Polygon":
        closed = union.buffer(EDGE_SNAP_M, join_style="mitre").buffer(-EDGE_SNAP_M, join_style="mitre")
        if closed.geom_type == "Polygon" and abs(closed.area - union.area) < EDGE_SNAP_M * union.length:
            union = closed
    merged = polygonal(union)
    assert merged is not None  # two non-empty polygons sharing an edge
    return merged


#: Visvalingam–Whyatt tolerances tried for a coverage, as multiples of the deviation allowed.
COVERAGE_STEPS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)


def simplify_tiling(
    geoms: Sequence[BaseGeometry | None], tolerance_m: float
) -> tuple[list[BaseGeometry | None], list[float]]:
    """Return the polygons of a tiling simplified together so that none moves more than
    ``tolerance_m`` (m), and each one's largest deviation from its original (Hausdorff, m).

    A valid coverage (no overlaps, shared edges with the same vertices) is simplified with
    ``shapely.coverage_simplify`` (Visvalingam–Whyatt on the shared edges, so neighbours keep one
    edge and no gap or overlap opens), with the largest of ``COVERAGE_STEPS`` × ``tolerance_m``
    whose deviation stays within ``tolerance_m``; otherwise each polygon alone
    (Douglas–Peucker, topology kept). None stays None.
    """
    keep = [i for i, g in enumerate(geoms) if g is not None and not g.is_empty]
    arr = np.array([geoms[i] for i in keep], dtype=object)
    out: list[BaseGeometry | None] = list(geoms)
    dev = [0.0] * len(geoms)
    if len(arr) == 0:
        return out, dev
    best, best_dev = arr, np.zeros(len(arr))
    if shapely.coverage_is_valid(arr):
        for step in COVERAGE_STEPS:
            simple = shapely.coverage_simplify(arr, tolerance_m * step)
            d = shapely.hausdorff_distance(arr, simple)
            if float(d.max()) > tolerance_m:
                break
            best, best_dev = simple, d
    else:
        best = shapely.simplify(arr, tolerance_m, preserve_topology=True)
        best_dev = shapely.hausdorff_distance(arr, best)
    for k, i in enumerate(keep):
        out[i] = best[k]
        dev[i] = float(best_dev[k])
    return out, dev


__all__ = [
    "simplify_tiling",
    "without_hairlines",
    "across_moved_edge",
    "CRUMB_M2",
    "EDGE_SNAP_M",
    "MIN_SHARED_EDGE_M",
    "Reshape",
    "merge_polygons",
    "polygonal",
    "reshape_with_yield",
    "shared_edge_m",
    "split_polygon",
]
