"""Illustrative outlines, clusters, roads and rivers of the two parks.

Positions, outlines, road alignments and river courses are invented, and so is which road
and river lies where (the names are those the plan mentions); what the plan fixes (park areas,
the reservoir dam the Shuitou boundary lies beyond, the distance to the county seat, the 250 亩
public centre, the clusters of 表8-1) is read from the zone file (:class:`SampleFacts`) and
honoured exactly. All coordinates are in the zone's CRS (EPSG:4546 metres), built
around an anchor point per park; polygons are computed in floating point here and made exact
(snapped to ``GRID``) together with the parcels in :mod:`app.sample.parcels`.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import networkx as nx
import numpy as np
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from app.sample.facts import SampleFacts
from app.sample.illustrative import SEAT_DISTANCE_SHARE
from gis.errors import GeometryError
from gis.synthetic import (
    WORK_GRID,
    areal,
    cut_by_area,
    halfplane,
    irregular_blob,
    node_lines,
    side_of_line,
    solve_by_area,
    wavy_line,
)
from gis.units import MU_M2

#: Snap grid (m) of every output coordinate.
GRID = 0.01

#: Half the road corridor (red-line) width per road class, in metres (illustrative).
CORRIDOR_HALF_M = {"provincial": 15.0, "county": 12.0, "township": 8.0, "park": 10.0, "link": 8.0}
LANES = {"provincial": 2, "county": 2, "township": 2, "park": 2, "link": 2}
SPEED_KMH = {"provincial": 60, "county": 40, "township": 30, "park": 30, "link": 40}


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """Return a random generator for one purpose, independent of the order of calls."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])


@lru_cache(maxsize=4)
def _from_lonlat(crs: str) -> Transformer:
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def lonlat_to_gk(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Return (easting, northing) in metres in ``crs`` (e.g. EPSG:4546), rounded to the snap grid."""
    x, y = _from_lonlat(crs).transform(lon, lat)
    return round(x, 2), round(y, 2)


@dataclass
class Road:
    name: str
    road_class: str
    geometry: BaseGeometry


@dataclass
class River:
    name: str
    control_distance_m: float
    geometry: LineString


@dataclass
class ParkLayout:
    """One park's illustrative geometry (EPSG:4546)."""

    park_id: str
    anchor: tuple[float, float]
    outline: Polygon
    clusters: dict[str, BaseGeometry]
    roads: list[Road]
    rivers: list[River]
    points: dict[str, Point] = field(default_factory=dict)

    def main_roads(self) -> list[Road]:
        return [r for r in self.roads if r.road_class != "park"]


# ----------------------------------------------------------------------------- helpers
def _shift(anchor: tuple[float, float]) -> Callable[[float, float], tuple[float, float]]:
    return lambda x, y: (anchor[0] + x, anchor[1] + y)


def _fit_outline(make: Callable[[float], BaseGeometry], target_m2: float) -> Polygon:
    """Return ``make(scale)`` for the scale whose area is ``target_m2`` (m², within 0.05 m²)."""
    s = solve_by_area(lambda v: make(v).area, target_m2, 0.3, 3.0)
    poly = make(s)
    if poly.geom_type != "Polygon" or not poly.is_valid:
        raise GeometryError(f"park outline came out as {poly.geom_type}", where="app.sample.layout")
    return poly


def _straight(origin: tuple[float, float], angle: float, t: float, half_len: float = 6000.0) -> LineString:
    """Return the line ``(p − origin)·u = t`` (u at ``angle``), ``2·half_len`` m long."""
    ux, uy = math.cos(angle), math.sin(angle)
    cx, cy = origin[0] + ux * t, origin[1] + uy * t
    return LineString([(cx + uy * half_len, cy - ux * half_len), (cx - uy * half_len, cy + ux * half_len)])


def _divide(
    region: BaseGeometry, origin: tuple[float, float], angle: float, share: float
) -> tuple[BaseGeometry, BaseGeometry, LineString]:
    """Split ``region`` by a straight line so the part behind it (against ``angle``) has ``share``
    of the area. Returns ``(behind, ahead, dividing line)``."""
    c = shapely.get_coordinates(region) - origin
    p = c @ np.array([math.cos(angle), math.sin(angle)])
    t = solve_by_area(
        lambda v: region.intersection(halfplane(origin, angle, v)).area, share * region.area, p.min(), p.max()
    )
    behind = areal(shapely.intersection(region, halfplane(origin, angle, t), grid_size=WORK_GRID))
    ahead = areal(shapely.difference(region, behind, grid_size=WORK_GRID))
    return behind, ahead, _straight(origin, angle, t)


def _clip_lines(line: BaseGeometry, region: BaseGeometry, min_len: float) -> list[LineString]:
    parts = shapely.get_parts(line.intersection(region))
    return [p for p in parts if p.geom_type == "LineString" and p.length >= min_len]


def _too_close(line: LineString, others: list[BaseGeometry], clearance: float) -> bool:
    """True when over a third of ``line`` runs within ``clearance`` m of, and roughly parallel
    to, one of ``others`` (roads or cluster edges); crossing lines do not count."""
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    u = np.array([x1 - x0, y1 - y0]) / max(line.length, 1e-9)
    segs = []
    for g in others:
        for part in shapely.get_parts(g):
            c = shapely.get_coordinates(part)
            d = np.diff(c, axis=0)
            n = np.hypot(d[:, 0], d[:, 1])
            ok = (n > 0) & (np.abs(d @ u) > 0.85 * n)
            segs += [LineString(c[i : i + 2]) for i in np.nonzero(ok)[0]]
    if not segs:
        return False
    samples = shapely.points([line.interpolate(f, normalized=True).coords[0] for f in np.linspace(0, 1, 31)])
    near = shapely.distance(samples, shapely.MultiLineString(segs)) < clearance
    return near.mean() > 0.35


def _grid_roads(
    cluster: BaseGeometry,
    existing: list[BaseGeometry],
    spacing: tuple[float | None, float | None],
    rng: np.random.Generator,
    *,
    clearance: float = 120.0,
    min_len: float = 150.0,
) -> list[LineString]:
    """Return internal roads of one cluster: a N–S family every ``spacing[0]`` m and an E–W family
    every ``spacing[1]`` m (None: none), clipped to the cluster, skipping lines that would run
    alongside another road or the cluster edge."""
    minx, miny, maxx, maxy = cluster.bounds
    edge = cluster.boundary
    accepted: list[LineString] = []
    for axis, step in enumerate(spacing):
        if not step:
            continue
        lo, hi = (minx, maxx) if axis == 0 else (miny, maxy)
        for v in np.arange(lo + step * rng.uniform(0.45, 0.75), hi - 0.4 * step, step):
            tilt = rng.uniform(-40, 40)
            if axis == 0:
                cand = LineString([(v - tilt, miny - 50), (v + tilt, maxy + 50)])
            else:
                cand = LineString([(minx - 50, v - tilt), (maxx + 50, v + tilt)])
            for piece in _clip_lines(cand, cluster, min_len):
                if not _too_close(piece, existing + accepted + [edge], clearance):
                    accepted.append(piece)
    return accepted


def _connected_roads(roads: list[Road]) -> list[Road]:
    """Return ``roads`` without park roads that cannot reach a main road (graph of shared vertices)."""
    g = nx.Graph()  # vertex nodes, plus one ("road", i) node per road tied to its first vertex
    for i, road in enumerate(roads):
        for part in shapely.get_parts(road.geometry):
            c = [tuple(p) for p in shapely.get_coordinates(part)]
            g.add_edges_from(zip(c[:-1], c[1:]), road=i)
            g.add_node(("road", i))
            g.add_edge(("road", i), c[0])
    keep = set()
    for comp in nx.connected_components(g):
        idx = {n[1] for n in comp if isinstance(n[0], str)}
        if any(roads[i].road_class != "park" for i in idx):
            keep |= idx
    return [r for i, r in enumerate(roads) if i in keep]


def _finish_roads(roads: list[Road], prefix: str) -> list[Road]:
    """Node all roads against each other (shared junction vertices), drop park roads that reach
    no main road, and name park roads ``{prefix}{n}号路`` from north-west to south-east."""
    noded = node_lines([r.geometry for r in roads], grid_size=GRID)
    out = _connected_roads([Road(r.name, r.road_class, g) for r, g in zip(roads, noded) if not g.is_empty])
    park = [r for r in out if r.road_class == "park"]
    park.sort(key=lambda r: (-round(r.geometry.centroid.y, -2), r.geometry.centroid.x))
    for n, r in enumerate(park, start=1):
        r.name = f"{prefix}{n}号路"
    return [r for r in out if r.road_class != "park"] + park


# ----------------------------------------------------------------------------- 水头镇园区
def shuitou_layout(seed: int, seat: tuple[float, float], facts: SampleFacts) -> ParkLayout:
    """Return the Shuitou park layout: south-west of the county seat toward 石口, at 90–100 % of
    the plan's distance (≈10 km)."""
    rng = rng_for(seed, "shuitou")
    seat_m = facts.landmark("shuitou", "county_seat").distance_m
    dist = rng.uniform(SEAT_DISTANCE_SHARE[0] * seat_m, SEAT_DISTANCE_SHARE[1] * seat_m)
    bearing = math.radians(rng.uniform(228, 242))  # compass bearing, south-west
    anchor = (round(seat[0] + dist * math.sin(bearing)), round(seat[1] + dist * math.cos(bearing)))
    at = _shift(anchor)

    dam = Point(at(rng.uniform(-100, 300), 1150.0))
    north_y = dam.y - facts.landmark("shuitou", "reservoir_dam").distance_m
    jiaoqin = wavy_line(
        [at(-1350 + rng.uniform(-80, 80), -3500), at(-1300, 0), at(-1250, 3500)], rng, amplitude=70
    )
    blob_rng_state = rng.integers(1 << 31)
    east_of_road = side_of_line(jiaoqin, (1.0, 0.0))
    south_of_north = halfplane(anchor, math.pi / 2, north_y - anchor[1])

    def outline(scale: float) -> BaseGeometry:
        blob = irregular_blob(
            at(-750, 300), 1700 * scale, 1200 * scale, np.random.default_rng(blob_rng_state), roughness=0.12
        )
        return areal(
            shapely.intersection(blob.intersection(east_of_road), south_of_north, grid_size=WORK_GRID)
        )

    park = _fit_outline(outline, facts.area_m2("shuitou"))

    # 乡道008 enters from 交秦线 and leaves east toward 水头 / the county seat.
    y008 = rng.uniform(-260, -60)
    start = jiaoqin.intersection(LineString([at(-3000, y008), at(0, y008)]))
    x_east = park.bounds[2] - anchor[0]
    road008 = wavy_line([start.coords[0], at(0, y008 + 40), at(x_east + 900, y008 + 180)], rng, amplitude=45)
    link = wavy_line([road008.coords[-1], at(x_east + 3200, 1800), seat], rng, amplitude=250, step=100)
    north_side = side_of_line(LineString([at(-4000, y008)] + list(road008.coords)), (0.0, 1.0))

    # 公共服务中心: a square on 乡道008 at the heart of the park, sized to 250 亩.
    north = areal(shapely.intersection(park, north_side, grid_size=WORK_GRID))
    _, _, spine = _divide(north, anchor, 0.0, rng.uniform(0.45, 0.52))
    heart = spine.intersection(road008)
    hx, hy = heart.coords[0] if heart.geom_type == "Point" else heart.centroid.coords[0]

    def square(half: float) -> Polygon:
        return shapely.box(hx - half, hy - half, hx + half, hy + half)

    public, rest = cut_by_area(park, square, facts.cluster_mu("st-public") * MU_M2, 1.0, 800.0)
    north = areal(shapely.intersection(rest, north_side, grid_size=WORK_GRID))
    newenergy = areal(shapely.difference(rest, north, grid_size=WORK_GRID))
    spine_side = side_of_line(spine, (-1.0, 0.0))
    almg = areal(shapely.intersection(north, spine_side, grid_size=WORK_GRID))
    hitech = areal(shapely.difference(north, almg, grid_size=WORK_GRID))
    clusters = {"st-public": public, "st-almg": almg, "st-hitech": hitech, "st-newenergy": newenergy}

    roads = [
        Road("交秦线", "county", jiaoqin),
        Road("乡道008", "township", road008),
        Road("水头园区连接线（至G209）", "link", link),
    ]
    spine_roads = _clip_lines(spine, north.union(public), 50.0)
    park_roads: list[LineString] = list(spine_roads)
    spacing = {
        "st-almg": (420, 360),
        "st-hitech": (400, 350),
        "st-newenergy": (430, 380),
        "st-public": (None, None),
    }
    for cid, poly in clusters.items():
        park_roads += _grid_roads(
            poly, [r.geometry for r in roads] + park_roads, spacing[cid], rng_for(seed, cid)
        )
    roads += [Road("", "park", g) for g in park_roads]

    river = wavy_line(
        [dam.coords[0], at(rng.uniform(150, 450), 250), at(rng.uniform(-50, 250), -600), at(600, -2300)],
        rng,
        amplitude=60,
        step=25,
    )
    rivers = [River("段纯河", 30.0, river)]
    return ParkLayout(
        "shuitou",
        anchor,
        park,
        clusters,
        _finish_roads(roads, "水头园区"),
        rivers,
        {"dam": dam, "heart": Point(hx, hy)},
    )


# ----------------------------------------------------------------------------- 双池镇园区
def shuangchi_layout(seed: int, seat: tuple[float, float], facts: SampleFacts) -> ParkLayout:
    """Return the Shuangchi park layout: east of the county by the 灵石 border, S224 on its north."""
    rng = rng_for(seed, "shuangchi")
    lon, lat = 111.48 + rng.uniform(-0.01, 0.01), 36.925 + rng.uniform(-0.01, 0.01)
    anchor = lonlat_to_gk(lon, lat, facts.crs)
    anchor = (round(anchor[0]), round(anchor[1]))
    at = _shift(anchor)

    s224_park = wavy_line([at(-4200, 700), at(0, 760), at(4200, 700)], rng, amplitude=60)
    s224 = LineString(
        [seat, at(-14000, 3200), at(-7000, 1300), at(-5200, 760)]
        + list(s224_park.coords)
        + [at(6000, 900), at(8500, 1200)]
    )
    south_of_s224 = side_of_line(s224_park, (0.0, -1.0))
    blob_state = rng.integers(1 << 31)

    def outline(scale: float) -> BaseGeometry:
        blob = irregular_blob(
            at(0, 150),
            2700 * scale,
            950 * scale,
            np.random.default_rng(blob_state),
            roughness=0.12,
            rotation_deg=rng_for(seed, "sc-rot").uniform(-4, 4),
        )
        return areal(shapely.intersection(blob, south_of_s224, grid_size=WORK_GRID))

    park = _fit_outline(outline, facts.area_m2("shuangchi"))

    # a trunk road splits a northern band (along S224) from a southern one
    north, south, trunk = _divide(
        park, anchor, -math.pi / 2 + rng.uniform(-0.04, 0.04), rng.uniform(0.60, 0.66)
    )
    smart, rest, d1 = _divide(north, anchor, rng.uniform(-0.06, 0.06), rng.uniform(0.32, 0.38))
    bio, reserve, d3 = _divide(south, anchor, rng.uniform(-0.06, 0.06), rng.uniform(0.36, 0.44))

    # 林双线 crosses S224 and the park north–south; its position sets the services cluster.
    base = wavy_line([at(0, 3000), at(0, 0), at(150, -3000)], rng, amplitude=50)
    east_share = rng.uniform(0.24, 0.30)

    def shifted(dx: float) -> LineString:
        return affinity.translate(base, xoff=dx)

    xmin, xmax = rest.bounds[0] - anchor[0], rest.bounds[2] - anchor[0]
    t = solve_by_area(
        lambda v: -rest.intersection(side_of_line(shifted(v), (1.0, 0.0))).area,
        -east_share * rest.area,
        xmin,
        xmax,
    )
    linshuang = shifted(t)
    service = areal(shapely.intersection(rest, side_of_line(linshuang, (1.0, 0.0)), grid_size=WORK_GRID))
    almg = areal(shapely.difference(rest, service, grid_size=WORK_GRID))
    clusters = {
        "sc-smart": smart,
        "sc-almg": almg,
        "sc-service": service,
        "sc-bio": bio,
        "sc-reserve": reserve,
    }

    roads = [Road("S224", "provincial", s224), Road("林双线", "county", linshuang)]
    park_roads = _clip_lines(trunk, park, 50.0) + _clip_lines(d1, north, 50.0) + _clip_lines(d3, south, 50.0)
    spacing = {
        "sc-smart": (450, 400),
        "sc-almg": (850, None),
        "sc-service": (330, 300),
        "sc-bio": (400, 330),
        "sc-reserve": (520, 450),
    }
    for cid, poly in clusters.items():
        park_roads += _grid_roads(
            poly, [r.geometry for r in roads] + park_roads, spacing[cid], rng_for(seed, cid)
        )
    roads += [Road("", "park", g) for g in park_roads]

    rv = rng_for(seed, "sc-rivers")
    huilong = wavy_line(
        [at(-4300, 470), at(-2000, 440 + rv.uniform(-60, 60)), at(0, 470), at(2100, 420), at(4300, 430)],
        rv,
        amplitude=50,
        step=25,
    )
    junction = huilong.interpolate(huilong.project(Point(at(1900 + rv.uniform(-300, 300), 420))))
    damaijiao = wavy_line(
        [at(-900, -2600), at(rv.uniform(0, 500), -700), junction.coords[0]], rv, amplitude=35, step=25
    )
    rivers = [River("回龙河", 40.0, huilong), River("大麦郊河", 30.0, damaijiao)]
    return ParkLayout("shuangchi", anchor, park, clusters, _finish_roads(roads, "双池园区"), rivers)


def corridors(layout: ParkLayout) -> BaseGeometry:
    """Return the union of the road corridors (red lines) inside the park."""
    bufs = [shapely.buffer(r.geometry, CORRIDOR_HALF_M[r.road_class], quad_segs=4) for r in layout.roads]
    return areal(shapely.intersection(shapely.union_all(bufs), layout.outline, grid_size=WORK_GRID))
