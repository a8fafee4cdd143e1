"""Building blocks for synthetic (illustrative) zone data: noise terrain, outlines, area cuts.

Everything here knows arrays and shapely geometries only, is deterministic for a given
``numpy.random.Generator`` and works in a projected CRS (metres). Cuts are snap-rounded to a
millimetre grid; :func:`planar_partition` then snap-rounds a whole set of pieces to a grid at once so
they share exact edges (no gaps, no overlaps), and :func:`node_lines` does the same for
lines that meet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import shapely
from affine import Affine
from rasterio import features
from scipy import ndimage
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from gis.errors import GeometryError
from gis.messages import msg

#: Far distance (m) used to build half-planes; larger than any park or county.
_FAR = 200_000.0

#: Precision grid (m) of intermediate cuts: snap-rounded overlays are robust (no degenerate
#: slivers), and a millimetre is far below the final grid that planar_partition applies.
WORK_GRID = 1e-3


# ----------------------------------------------------------------------------- terrain arrays
def smooth_noise(shape: tuple[int, int], sigma_cells: float, rng: np.random.Generator) -> np.ndarray:
    """Return gaussian-smoothed white noise of ``shape``, rescaled to mean 0 and std 1.

    ``sigma_cells`` is the smoothing radius in cells: it sets the size of the hills.
    """
    white = rng.standard_normal(shape)
    field = ndimage.gaussian_filter(white, sigma=sigma_cells, mode="reflect")
    return (field - field.mean()) / field.std()


def distance_to_lines(lines: Sequence[BaseGeometry], transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Return, per cell of the grid ``(transform, shape)``, the distance (m) to the nearest line.

    Cells that the lines touch are at distance 0; cells are assumed square.
    """
    mask = features.rasterize(
        [(g, 1) for g in lines], out_shape=shape, transform=transform, all_touched=True, dtype="uint8"
    )
    if not mask.any():
        return np.full(shape, np.inf)
    return ndimage.distance_transform_edt(mask == 0) * abs(transform.a)


# ----------------------------------------------------------------------------- shapes
def irregular_blob(
    center: tuple[float, float],
    rx: float,
    ry: float,
    rng: np.random.Generator,
    *,
    roughness: float = 0.10,
    n: int = 144,
    rotation_deg: float = 0.0,
) -> Polygon:
    """Return an irregular star-shaped polygon around ``center`` with semi-axes ``rx``, ``ry`` (m).

    The radius is modulated by a few random low harmonics (``roughness`` scales them), so the
    outline is smooth but not elliptic; it is always a valid simple polygon.
    """
    theta = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
    r = np.ones(n)
    for k in range(2, 8):
        r += roughness * rng.standard_normal() / k * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    r = np.clip(r, 0.55, None)
    rot = math.radians(rotation_deg)
    x, y = rx * r * np.cos(theta), ry * r * np.sin(theta)
    xs = center[0] + x * math.cos(rot) - y * math.sin(rot)
    ys = center[1] + x * math.sin(rot) + y * math.cos(rot)
    return Polygon(np.column_stack([xs, ys]))


def wavy_line(
    waypoints: Sequence[tuple[float, float]],
    rng: np.random.Generator,
    *,
    amplitude: float,
    step: float = 50.0,
    harmonics: int = 4,
) -> LineString:
    """Return a smooth line through ``waypoints`` that meanders sideways by up to ~``amplitude`` m.

    Each leg gets a sine series that is zero at its ends, so the line passes exactly through
    every waypoint; vertices are about ``step`` metres apart.
    """
    coords: list[tuple[float, float]] = []
    for (x0, y0), (x1, y1) in zip(waypoints[:-1], waypoints[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        n = max(2, int(length // step) + 1)
        s = np.linspace(0.0, 1.0, n)
        offset = np.zeros(n)
        for k in range(1, harmonics + 1):
            offset += amplitude * rng.standard_normal() / k**1.3 * np.sin(k * math.pi * s)
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        xs = x0 + s * (x1 - x0) - uy * offset
        ys = y0 + s * (y1 - y0) + ux * offset
        leg = list(zip(xs.tolist(), ys.tolist()))
        coords.extend(leg if not coords else leg[1:])
    return LineString(coords)


def halfplane(origin: tuple[float, float], angle_rad: float, offset: float) -> Polygon:
    """Return the half-plane (as a huge polygon) of points ``p`` with ``(p − origin)·u ≤ offset``.

    ``u`` is the unit vector at ``angle_rad`` (counter-clockwise from east).
    """
    ux, uy = math.cos(angle_rad), math.sin(angle_rad)
    vx, vy = -uy, ux
    ox, oy = origin
    near = (ox + ux * offset, oy + uy * offset)
    far = (ox - ux * _FAR, oy - uy * _FAR)
    return Polygon(
        [
            (near[0] + vx * _FAR, near[1] + vy * _FAR),
            (near[0] - vx * _FAR, near[1] - vy * _FAR),
            (far[0] - vx * _FAR, far[1] - vy * _FAR),
            (far[0] + vx * _FAR, far[1] + vy * _FAR),
        ]
    )


def side_of_line(line: LineString, direction: tuple[float, float]) -> Polygon:
    """Return the region on one side of ``line``: the line swept far along ``direction``.

    ``direction`` is a unit-ish vector pointing to the wanted side (e.g. ``(0, -1)`` for the
    south side of a west–east road). The line must be monotone across ``direction``.
    """
    dx, dy = direction
    coords = list(line.coords)
    (xs, ys), (xe, ye) = coords[0], coords[-1]
    ring = coords + [(xe + dx * _FAR, ye + dy * _FAR), (xs + dx * _FAR, ys + dy * _FAR)]
    poly = Polygon(ring)
    if not poly.is_valid:
        raise GeometryError(
            "line is not monotone across the requested side; the side polygon self-intersects",
            where="gis.synthetic.side_of_line",
            hint="use a straighter line or another direction",
            msg=msg("error.synthetic.not_monotone"),
        )
    return poly


def long_axis_angle(poly: BaseGeometry) -> tuple[float, float, float]:
    """Return ``(angle_rad, long_m, short_m)`` of the minimum rotated rectangle of ``poly``.

    ``angle_rad`` is the direction of the rectangle's long side (in ``[0, π)``).
    """
    rect = shapely.oriented_envelope(poly)
    if rect.geom_type != "Polygon":  # degenerate (line or point)
        return 0.0, 0.0, 0.0
    c = np.asarray(rect.exterior.coords)
    e1, e2 = c[1] - c[0], c[2] - c[1]
    l1, l2 = float(np.hypot(*e1)), float(np.hypot(*e2))
    edge, long_m, short_m = (e1, l1, l2) if l1 >= l2 else (e2, l2, l1)
    return math.atan2(edge[1], edge[0]) % math.pi, long_m, short_m


# ----------------------------------------------------------------------------- area cuts
def solve_by_area(
    area_of: Callable[[float], float], target_m2: float, lo: float, hi: float, *, tol_m2: float = 0.05
) -> float:
    """Return ``t`` in ``[lo, hi]`` with ``area_of(t) ≈ target_m2`` by bisection.

    ``area_of`` must grow with ``t``; stops when within ``tol_m2`` m² or after 60 halvings.
    """
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        a = area_of(mid)
        if abs(a - target_m2) <= tol_m2:
            return mid
        lo, hi = (mid, hi) if a < target_m2 else (lo, mid)
    return 0.5 * (lo + hi)


def cut_by_area(
    region: BaseGeometry,
    cutter: Callable[[float], BaseGeometry],
    target_m2: float,
    lo: float,
    hi: float,
    *,
    grid_size: float = WORK_GRID,
) -> tuple[BaseGeometry, BaseGeometry]:
    """Return ``(piece, rest)``: ``piece = region ∩ cutter(t)`` with area ≈ ``target_m2`` m².

    ``cutter(t)`` is a shape that grows with ``t`` (a half-plane swept forward, a square grown
    from a corner, ...). Both are snap-rounded to ``grid_size`` (their common boundary is
    exact, but later cuts may kink it slightly: use :func:`planar_partition` to make a whole
    set of pieces exact at once).
    """
    t = solve_by_area(lambda v: region.intersection(cutter(v)).area, target_m2, lo, hi)
    piece = areal(shapely.intersection(region, cutter(t), grid_size=grid_size))
    rest = areal(shapely.difference(region, piece, grid_size=grid_size))
    return piece, rest


def _projection_range(geom: BaseGeometry, origin: tuple[float, float], angle: float) -> tuple[float, float]:
    c = shapely.get_coordinates(geom)
    p = (c[:, 0] - origin[0]) * math.cos(angle) + (c[:, 1] - origin[1]) * math.sin(angle)
    return float(p.min()), float(p.max())


def slice_by_areas(
    region: BaseGeometry, angle_rad: float, targets_m2: Sequence[float], *, grid_size: float = WORK_GRID
) -> list[BaseGeometry]:
    """Return slices of ``region`` swept along ``angle_rad``, the i-th of area ``targets_m2[i]``.

    Cuts are straight lines perpendicular to the sweep direction; the last element is what is
    left after the listed targets (so ``len(result) == len(targets_m2) + 1``; the remainder may
    be empty if the targets use the whole region).
    """
    origin = region.centroid.coords[0]
    pieces: list[BaseGeometry] = []
    rest = region
    for target in targets_m2:
        lo, hi = _projection_range(rest, origin, angle_rad)
        piece, rest = cut_by_area(
            rest, lambda t: halfplane(origin, angle_rad, t), target, lo, hi, grid_size=grid_size
        )
        pieces.append(piece)
    pieces.append(rest)
    return pieces


def corner_box(
    region: BaseGeometry, angle_rad: float, corner: tuple[int, int], aspect: float = 1.0
) -> Callable[[float], Polygon]:
    """Return ``cutter(t)``: a box of ``t × aspect·t`` m grown from one corner of ``region``.

    The box is aligned with ``angle_rad``; ``corner`` picks the corner of ``region``'s aligned
    bounding box as ``(±1, ±1)`` along ``(u, v)``. Use it with :func:`cut_by_area`.
    """
    u = (math.cos(angle_rad), math.sin(angle_rad))
    v = (-u[1], u[0])
    origin = region.centroid.coords[0]
    c = shapely.get_coordinates(region) - origin
    pu, pv = c @ u, c @ v
    cu = pu.max() if corner[0] > 0 else pu.min()
    cv = pv.max() if corner[1] > 0 else pv.min()
    su, sv = -corner[0], -corner[1]  # the box grows inward

    def cutter(t: float) -> Polygon:
        pts = []
        for a, b in ((0.0, 0.0), (t, 0.0), (t, aspect * t), (0.0, aspect * t)):
            du, dv = cu + su * a, cv + sv * b
            pts.append((origin[0] + du * u[0] + dv * v[0], origin[1] + du * u[1] + dv * v[1]))
        return Polygon(pts)

    return cutter


def areal(geom: BaseGeometry) -> BaseGeometry:
    """Return the polygonal part of ``geom`` (a Polygon, a MultiPolygon or an empty Polygon),
    dropping the points and lines an overlay can leave in a GeometryCollection."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = polygons(geom)
    if not parts:
        return Polygon()
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def polygons(geom: BaseGeometry, min_area_m2: float = 0.0) -> list[Polygon]:
    """Return the polygon parts of ``geom`` (any geometry) with area above ``min_area_m2``."""
    parts = shapely.get_parts(geom)
    out = []
    for p in parts:
        if isinstance(p, Polygon) and p.area > min_area_m2:
            out.append(p)
        elif isinstance(p, MultiPolygon) or p.geom_type == "GeometryCollection":
            out.extend(polygons(p, min_area_m2))
    return out


def split_rows(block: BaseGeometry, row_depth_m: float) -> list[BaseGeometry]:
    """Return ``block`` cut along its long axis into ``round(short side / row_depth_m)`` rows
    of equal area (a block no deeper than ~1.5 rows is returned whole)."""
    angle, _long, short = long_axis_angle(block)
    n_rows = max(1, round(short / row_depth_m))
    rows = slice_by_areas(block, angle + math.pi / 2, [block.area / n_rows] * (n_rows - 1))
    return [r for r in rows if not r.is_empty]


def split_strips(row: BaseGeometry, sizes_m2: Callable[[], float], *, min_m2: float) -> list[BaseGeometry]:
    """Return ``row`` cut across its long axis into pieces whose areas are drawn from
    ``sizes_m2()`` (m²); a piece that would leave less than ``min_m2`` (or 60 % of itself)
    behind takes the rest of the row. Pieces may be multi-part where the row is concave."""
    angle, _, _ = long_axis_angle(row)
    targets: list[float] = []
    left = row.area
    while True:
        t = sizes_m2()
        if left - t < max(min_m2, 0.6 * t):
            break
        targets.append(t)
        left -= t
    return [p for p in slice_by_areas(row, angle, targets) if not p.is_empty]


def node_lines(lines: Sequence[BaseGeometry], *, grid_size: float = 0.01) -> list[BaseGeometry]:
    """Return ``lines`` noded against each other, vertices snapped to ``grid_size`` (m).

    Every crossing, and every end of a line lying on another line (within 5 grid cells), becomes
    a vertex of both lines with identical coordinates, so a graph built from shared vertices
    is connected where the lines meet. The i-th result is the i-th input with those vertices.
    """
    tol = 5 * grid_size
    snapped = [shapely.set_precision(g, grid_size) for g in lines]
    nodes: list[list[tuple[float, float]]] = [[] for _ in snapped]
    tree = shapely.STRtree(snapped)
    for i, a in enumerate(snapped):
        for j in sorted(int(k) for k in tree.query(a, predicate="dwithin", distance=tol)):
            if j <= i:
                continue
            b = snapped[j]
            cands = [e for e in _ends(b) if a.distance(Point(e)) <= tol]
            cands += [e for e in _ends(a) if b.distance(Point(e)) <= tol]
            for p in shapely.get_coordinates(a.intersection(b)):
                q = (round(float(p[0]) / grid_size) * grid_size, round(float(p[1]) / grid_size) * grid_size)
                if all(math.dist(q, c) > tol for c in cands):
                    cands.append(q)
            nodes[i] += cands
            nodes[j] += cands
    out = [_with_vertices(g, n, tol) for g, n in zip(snapped, nodes)]
    return [shapely.set_precision(g, grid_size) for g in out]


def _ends(line: BaseGeometry) -> list[tuple[float, float]]:
    """Return the (x, y) end points of each part of ``line``."""
    ends: list[tuple[float, float]] = []
    for part in shapely.get_parts(line):
        c = shapely.get_coordinates(part)  # (n, 2): x, y
        ends += [(float(c[0, 0]), float(c[0, 1])), (float(c[-1, 0]), float(c[-1, 1]))]
    return ends


def _with_vertices(line: BaseGeometry, nodes: list[tuple[float, float]], tol: float) -> BaseGeometry:
    """Return ``line`` with ``nodes`` inserted as vertices (replacing vertices within ``tol``)."""
    if not nodes or line.geom_type != "LineString":
        return line
    coords = [(float(c[0]), float(c[1])) for c in line.coords]  # the lines are 2D
    seg = np.hypot(*np.diff(np.asarray(coords), axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(seg)])
    items = [(float(d), 1, c) for d, c in zip(along, coords) if all(math.dist(c, n) > tol for n in nodes)]
    items += [(float(line.project(Point(n))), 0, n) for n in dict.fromkeys(nodes)]
    items.sort(key=lambda it: (it[0], it[1]))
    out: list[tuple[float, float]] = []
    for _, _, c in items:
        if not out or out[-1] != c:
            out.append(c)
    return LineString(out) if len(out) >= 2 else line


def planar_partition(pieces: Sequence[BaseGeometry], *, grid_size: float = 0.01) -> list[BaseGeometry]:
    """Return ``pieces`` (polygons that tile an area up to floating-point noise) made exact.

    All boundaries are noded together snap-rounded to ``grid_size`` and polygonized; each face
    goes back to the piece that holds it, so the i-th result is piece i rebuilt from faces that
    share their edges exactly (no gaps, no overlaps). Faces under 1 m² join the neighbour they
    share most boundary with. A piece that gets no face comes back empty.
    """
    linework = shapely.union_all([areal(p).boundary for p in pieces], grid_size=grid_size)
    faces = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(linework))))
    tree = shapely.STRtree(list(pieces))
    owner: list[int] = []
    for f in faces:
        hits = tree.query(f.point_on_surface(), predicate="intersects")
        if len(hits) == 0:
            owner.append(-1)
        else:
            owner.append(int(max(hits, key=lambda k: pieces[int(k)].intersection(f).area)))
    face_tree = shapely.STRtree(faces)
    for i, f in enumerate(faces):
        if f.area >= 1.0 and owner[i] >= 0:
            continue
        best, best_len = owner[i], 0.0
        for k in face_tree.query(f, predicate="touches"):
            k = int(k)
            shared = f.boundary.intersection(faces[k].boundary).length
            if k != i and owner[k] >= 0 and faces[k].area >= 1.0 and shared > best_len:
                best, best_len = owner[k], shared
        owner[i] = best
    groups: list[list[Polygon]] = [[] for _ in pieces]
    for f, o in zip(faces, owner):
        if o >= 0:
            groups[o].append(f)
    return [shapely.union_all(g, grid_size=grid_size) if g else Polygon() for g in groups]
