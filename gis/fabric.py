"""Checks of a parcel fabric before it is imported: overlaps, gaps, parcels across the park
edge, slivers.

Parcels digitised from a CAD plan or cut from a land survey often overlap their neighbours by
a little, leave thin gaps between them, reach past the park boundary or include slivers. None
of that stops an import, but each is worth seeing first: :func:`check_fabric` returns every
such place as a :class:`FabricProblem` with the parcels involved, the area and the offending
part's geometry (to draw on a map). Areas in m², widths in metres (the layer must be in a
projected CRS in metres).

* **overlap**: two parcels share more than ``overlap_min_m2``;
* **gap**: land between parcels narrower than ``2 × gap_width_m`` (found by closing the union
  of the parcels with a buffer of ``gap_width_m`` out and back in) and larger than
  ``gap_min_m2`` — roads, wider than that, are not gaps;
* **outside_park**: a parcel's part outside every park is larger than ``outside_min_m2``;
* **sliver**: a parcel smaller than ``sliver_area_m2`` or with a mean width (2 × area /
  perimeter) under ``sliver_width_m``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely


@dataclass(frozen=True)
class FabricLimits:
    """Thresholds of :func:`check_fabric` (m² and m)."""

    overlap_min_m2: float = 1.0
    gap_width_m: float = 1.0
    gap_min_m2: float = 1.0
    outside_min_m2: float = 1.0
    sliver_area_m2: float = 50.0
    sliver_width_m: float = 2.0


@dataclass(frozen=True)
class FabricProblem:
    """One place where the fabric is not clean: ``kind`` (overlap, gap, outside_park, sliver),
    the ids of the parcels involved (none for a gap), the area in m², the offending part and
    ``detail`` (``share`` of the parcel outside, ``width_m`` of a sliver or gap)."""

    kind: str
    ids: tuple[str, ...]
    area_m2: float
    geometry: Any
    detail: dict[str, float] = field(default_factory=dict)


def mean_width(geom: Any) -> float:
    """Return a polygon's mean width, 2 × area / perimeter (m): exact for a long strip."""
    perimeter = float(shapely.length(geom))
    return 2.0 * float(shapely.area(geom)) / perimeter if perimeter > 0 else 0.0


def _overlaps(geoms: np.ndarray, ids: Sequence[str], limits: FabricLimits) -> list[FabricProblem]:
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    out = []
    for i, j in zip(left[pairs].tolist(), right[pairs].tolist()):
        part = shapely.intersection(geoms[i], geoms[j])
        area = float(shapely.area(part))
        if area > limits.overlap_min_m2:
            out.append(FabricProblem("overlap", (ids[i], ids[j]), area, part))
    return out


def _gaps(geoms: np.ndarray, limits: FabricLimits) -> list[FabricProblem]:
    union = shapely.union_all(geoms)
    d = limits.gap_width_m
    closed = shapely.buffer(shapely.buffer(union, d, join_style="mitre"), -d, join_style="mitre")
    out = []
    for part in shapely.get_parts(shapely.difference(closed, union)):
        area = float(shapely.area(part))
        if area > limits.gap_min_m2:
            out.append(FabricProblem("gap", (), area, part, {"width_m": mean_width(part)}))
    return out


def _outside(
    geoms: np.ndarray, ids: Sequence[str], parks: np.ndarray, limits: FabricLimits
) -> list[FabricProblem]:
    park_union = shapely.union_all(parks)
    out = []
    for i, g in enumerate(geoms):
        if shapely.covered_by(g, park_union):
            continue
        part = shapely.difference(g, park_union)
        area = float(shapely.area(part))
        if area > limits.outside_min_m2:
            share = area / max(float(shapely.area(g)), 1e-9)
            out.append(FabricProblem("outside_park", (ids[i],), area, part, {"share": share}))
    return out


def _slivers(geoms: np.ndarray, ids: Sequence[str], limits: FabricLimits) -> list[FabricProblem]:
    out = []
    for i, g in enumerate(geoms):
        area, width = float(shapely.area(g)), mean_width(g)
        if area < limits.sliver_area_m2 or width < limits.sliver_width_m:
            out.append(FabricProblem("sliver", (ids[i],), area, g, {"width_m": width}))
    return out


def check_fabric(
    parcels: Sequence[Any] | np.ndarray,
    ids: Sequence[Any],
    parks: Sequence[Any] | np.ndarray | None = None,
    limits: FabricLimits = FabricLimits(),
) -> list[FabricProblem]:
    """Return the overlaps, gaps, parts outside the parks and slivers of ``parcels`` (polygons
    in a metric CRS, named by ``ids``; ``parks`` the park outlines, or None to skip that check),
    in that order. See the module for what each means."""
    geoms = np.asarray(list(parcels), dtype=object)
    names = [str(i) for i in ids]
    if geoms.size == 0:
        return []
    found = _overlaps(geoms, names, limits) + _gaps(geoms, limits)
    if parks is not None and len(parks):
        found += _outside(geoms, names, np.asarray(list(parks), dtype=object), limits)
    return found + _slivers(geoms, names, limits)
