"""Illustrative parcels: blocks between road corridors, cut into rows and strips.

The existing enterprises (表2-1, from the zone file) get parcels of their listed area in their
illustrative cluster; everything else is cut into plausible parcel sizes per cluster. All pieces, with the road corridors, are
made exact together (:func:`gis.synthetic.planar_partition`), so parcels tile their cluster
minus the corridors and clusters tile the park.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from app.sample.facts import SampleEnterprise
from app.sample.layout import GRID, ParkLayout, corridors, rng_for
from gis.errors import GeometryError
from gis.synthetic import (
    WORK_GRID,
    corner_box,
    cut_by_area,
    long_axis_angle,
    planar_partition,
    polygons,
    slice_by_areas,
    split_rows,
    split_strips,
)
from gis.units import MU_M2

#: Parcel sizes per cluster kind: (median 亩, min 亩, max 亩, row depth m) — illustrative.
SIZES = {
    "st-public": (16.0, 8.0, 40.0, 110.0),
    "sc-service": (20.0, 8.0, 60.0, 140.0),
    "sc-reserve": (55.0, 25.0, 120.0, 220.0),
}
DEFAULT_SIZE = (30.0, 12.0, 110.0, 180.0)

#: Enterprises at least this large (亩) are cut across a whole block, not a row.
BIG_MU = 60.0
#: Enterprises below this (亩) get a corner of a row rather than a strip across it.
SMALL_MU = 25.0
#: Fragments of a multi-part parcel below this (亩) join a neighbouring parcel; blocks between
#: roads below it are left as road-side green (part of the corridor, not a parcel).
FRAGMENT_MU = 5.0


@dataclass
class Piece:
    """A parcel (or road-corridor part) under construction."""

    geometry: BaseGeometry
    cluster: str
    enterprise: SampleEnterprise | None = None
    corridor: bool = False


def _single(piece: BaseGeometry, target_m2: float) -> bool:
    return piece.geom_type == "Polygon" and abs(piece.area - target_m2) <= 0.002 * target_m2


def _carve(region: BaseGeometry, target_m2: float, small: bool) -> tuple[BaseGeometry, BaseGeometry] | None:
    """Return ``(piece, rest)`` with a single-polygon piece of ``target_m2`` cut from an end (or,
    if ``small``, a corner) of ``region``; None if no cut gives one."""
    angle, long_m, _ = long_axis_angle(region)
    if small:
        for corner in ((-1, 1), (1, 1), (-1, -1), (1, -1)):
            cutter = corner_box(region, angle, corner, aspect=1.25)
            piece, rest = cut_by_area(region, cutter, target_m2, 0.0, 2.0 * long_m)
            if _single(piece, target_m2):
                return piece, rest
        return None
    for a in (angle, angle + math.pi):
        piece, rest = slice_by_areas(region, a, [target_m2])
        if _single(piece, target_m2):
            return piece, rest
    return None


def _s224_distance(layout: ParkLayout) -> Callable[[BaseGeometry], float]:
    """Return a function giving a geometry's distance (m) to S224 (0 where the park has none)."""
    s224 = [r.geometry for r in layout.roads if r.name == "S224"]
    if not s224:
        return lambda g: 0.0
    return lambda g: s224[0].distance(g.centroid)


def _place(
    free: list[BaseGeometry], ent: SampleEnterprise, key: Callable[[BaseGeometry], float], *, small: bool
) -> BaseGeometry:
    """Carve ``ent``'s parcel out of the piece of ``free`` ranked first by ``key`` that can hold
    it; ``free`` is updated in place."""
    target = ent.sample_mu * MU_M2
    margin = max(10.0 * MU_M2, 0.15 * target) if small else 10.0 * MU_M2
    for idx in sorted(range(len(free)), key=lambda i: key(free[i])):
        region = free[idx]
        if region.area < target + margin:
            continue
        cut = _carve(region, target, small)
        if cut is None:
            continue
        piece, rest = cut
        free[idx : idx + 1] = polygons(rest, 0.0)
        return piece
    raise GeometryError(
        f"no block of cluster {ent.cluster} can hold {ent.name} ({ent.sample_mu} 亩)",
        where="app.sample.parcels",
        hint="the generator's layout for this seed is too tight: try another seed",
    )


def _ranker(
    near: Callable[[BaseGeometry], float], rng: np.random.Generator
) -> Callable[[BaseGeometry], float]:
    """Return a ranking key for free land: near S224 first, with a little jitter (m)."""
    return lambda g: near(g) + rng.uniform(0, 150)


def _size_draw(cid: str, rng: np.random.Generator) -> Callable[[], float]:
    """Return a draw of parcel areas (m²): log-normal around the cluster's median, clipped."""
    median, lo, hi, _ = SIZES.get(cid, DEFAULT_SIZE)
    return lambda: float(np.clip(median * math.exp(0.45 * rng.standard_normal()), lo, hi)) * MU_M2


def cut_parcels(layout: ParkLayout, seed: int, enterprises: tuple[SampleEnterprise, ...]) -> list[Piece]:
    """Return the park's parcels and corridor parts, exact (snapped to ``GRID``), parcels single
    polygons; ``enterprises`` get parcels of their area in their cluster. Corridor parts carry
    ``corridor=True``."""
    corr = corridors(layout)
    pieces: list[Piece] = []
    near_s224 = _s224_distance(layout)
    downstream = Point(max((c for r in layout.rivers for c in r.geometry.coords), key=lambda c: c[0]))
    for cid, cpoly in layout.clusters.items():
        rng = rng_for(seed, f"parcels-{cid}")
        pieces += [
            Piece(p, cid, corridor=True)
            for p in polygons(shapely.intersection(cpoly, corr, grid_size=WORK_GRID))
        ]
        blocks = polygons(shapely.difference(cpoly, corr, grid_size=WORK_GRID))
        pieces += [Piece(b, cid, corridor=True) for b in blocks if b.area < FRAGMENT_MU * MU_M2]
        blocks = [b for b in blocks if b.area >= FRAGMENT_MU * MU_M2]
        ents = sorted((e for e in enterprises if e.cluster == cid), key=lambda e: (-e.sample_mu, e.number))
        key = _ranker(near_s224, rng)
        for ent in (e for e in ents if e.sample_mu >= BIG_MU):
            pieces.append(Piece(_place(blocks, ent, key, small=False), cid, ent))
        depth = SIZES.get(cid, DEFAULT_SIZE)[3]
        rows = [r for b in blocks for r in split_rows(b, depth)]
        for ent in (e for e in ents if e.sample_mu < BIG_MU):
            # the wastewater plant sits downstream, by the river's lowest reach
            k = (lambda g: downstream.distance(g.centroid)) if ent.land_use == "utility" else key
            pieces.append(Piece(_place(rows, ent, k, small=ent.sample_mu < SMALL_MU), cid, ent))
        draw = _size_draw(cid, rng)
        min_m2 = SIZES.get(cid, DEFAULT_SIZE)[1] * MU_M2
        for row in rows:
            pieces += [Piece(p, cid) for p in split_strips(row, draw, min_m2=min_m2)]
    exact = planar_partition([p.geometry for p in pieces], grid_size=GRID)
    for p, g in zip(pieces, exact):
        p.geometry = g
    return _explode([p for p in pieces if not p.geometry.is_empty])


def _explode(pieces: list[Piece]) -> list[Piece]:
    """Split multi-part parcels; parts and parcels under ``FRAGMENT_MU`` join the parcel of the
    same cluster they share most boundary with (enterprise parcels never grow), or else become
    road-side green."""
    out: list[Piece] = []
    fragments: list[Piece] = []
    for p in pieces:
        parts = polygons(p.geometry)
        if p.corridor or p.enterprise is None and len(parts) == 1 and parts[0].area >= FRAGMENT_MU * MU_M2:
            out.append(p)
            continue
        if p.enterprise is not None:
            if len(parts) != 1:
                raise GeometryError(
                    f"enterprise parcel {p.enterprise.name} came out in {len(parts)} parts",
                    where="app.sample.parcels",
                )
            out.append(p)
            continue
        for g in parts:
            (fragments if g.area < FRAGMENT_MU * MU_M2 else out).append(Piece(g, p.cluster))
    for frag in fragments:
        best, best_len = None, 0.0
        for q in out:
            if q.corridor or q.enterprise is not None or q.cluster != frag.cluster:
                continue
            if not q.geometry.intersects(frag.geometry):
                continue
            shared = q.geometry.boundary.intersection(frag.geometry.boundary).length
            if shared > best_len:
                best, best_len = q, shared
        if best is None:  # isolated between roads and enterprise parcels: road-side green
            out.append(Piece(frag.geometry, frag.cluster, corridor=True))
        else:
            best.geometry = shapely.union_all([best.geometry, frag.geometry], grid_size=GRID)
    return out


def spatial_order(geoms: list[BaseGeometry], band_m: float = 250.0) -> list[int]:
    """Return indices of ``geoms`` in reading order: north→south bands of ``band_m``, west→east."""
    pts = [g.representative_point() for g in geoms]
    return sorted(range(len(geoms)), key=lambda i: (-math.floor(pts[i].y / band_m), pts[i].x, -pts[i].y))


def nearest(geoms: list[BaseGeometry], target: Point) -> int:
    """Return the index of the geometry nearest ``target``."""
    return int(np.argmin([g.distance(target) for g in geoms]))
