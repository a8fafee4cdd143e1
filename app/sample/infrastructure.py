"""Illustrative infrastructure: substations, water sources and mains, the wastewater plant,
the county seat and park gates.

The names the zone file's park ``services`` give, the voltages and the wastewater plant's
design capacities, the reservoir and the county seat come from the zone file
(:class:`app.sample.facts.SampleFacts`); positions, statuses, substation capacities and loads,
well yields, main capacities and current use, the names of the other mains and wells and of
the gates are invented (illustrative) so that capacity checks have numbers to work with.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from app.sample.facts import SampleFacts
from app.sample.layout import GRID, ParkLayout, Road
from app.sample.parcels import Piece
from gis.errors import GeometryError


@dataclass
class Feature:
    """One point or line feature with its attributes (column → value)."""

    geometry: BaseGeometry
    attrs: dict[str, object]


def _pt(x: float, y: float) -> Point:
    return Point(round(x, 2), round(y, 2))


def _junction(a: Road, b: Road) -> Point:
    """Return a vertex shared by roads ``a`` and ``b`` (they are noded)."""
    shared = set(map(tuple, shapely.get_coordinates(a.geometry))) & set(
        map(tuple, shapely.get_coordinates(b.geometry))
    )
    if not shared:
        raise GeometryError(f"roads {a.name} and {b.name} do not meet", where="app.sample.infrastructure")
    return Point(min(shared))


def _road(layout: ParkLayout, name: str) -> Road:
    return next(r for r in layout.roads if r.name == name)


def _parcel_point(parcels: list[Piece], number: int) -> Point:
    """Return a point inside the parcel of the enterprise with 序号 ``number``."""
    geom = next(p.geometry for p in parcels if p.enterprise and p.enterprise.number == number)
    c = geom.representative_point()
    return _pt(c.x, c.y)


def gates(layout: ParkLayout, park_name: str, short: str) -> list[Feature]:
    """Return 2–3 gates: ends of park roads lying on a main road (west, east and middle-most)."""
    mains = [r.geometry for r in layout.main_roads()]
    ends: list[tuple[float, float]] = []
    for r in layout.roads:
        if r.road_class != "park":
            continue
        c = shapely.get_coordinates(r.geometry)
        for e in (tuple(c[0]), tuple(c[-1])):
            if any(m.distance(Point(e)) < GRID for m in mains) and layout.outline.buffer(1.0).contains(
                Point(e)
            ):
                ends.append(e)
    ends = sorted(set(ends))
    if len(ends) < 2:
        raise GeometryError(
            f"{park_name}: fewer than two park roads meet a main road", where="app.sample.infrastructure"
        )
    picks = [ends[0], ends[-1]] + ([ends[len(ends) // 2]] if len(ends) >= 3 else [])
    return [
        Feature(
            Point(e),
            {
                "place_id": f"gate-{short}-{i}",
                "name": f"{park_name}{i}号门",
                "kind": "gate",
                "park_id": layout.park_id,
            },
        )
        for i, e in enumerate(picks, start=1)
    ]


def substations(st: ParkLayout, sc: ParkLayout, st_site: Point, facts: SampleFacts) -> list[Feature]:
    """Return the parks' substations (names and voltages from the zone file): 双池 (in service,
    by the S224 × 林双线 junction, in the road reserve) and 水头 (planned, on a public-centre
    parcel)."""
    j = _junction(_road(sc, "S224"), _road(sc, "林双线"))
    sc_services, st_services = facts.services(sc.park_id), facts.services(st.park_id)
    return [
        Feature(
            _pt(j.x + 6.0, j.y - 9.0),
            {
                "substation_id": "ss-shuangchi",
                "name": sc_services.substation,
                "voltage_kv": sc_services.substation_kv,
                "status": "in_service",
                "capacity_mva": 100.0,
                "load_mva": 63.0,
            },
        ),
        Feature(
            st_site,
            {
                "substation_id": "ss-shuitou",
                "name": st_services.substation,
                "voltage_kv": st_services.substation_kv,
                "status": "planned",
                "capacity_mva": 100.0,
                "load_mva": 0.0,
            },
        ),
    ]


def _water(geom, wid, name, kind, status, cap, used, future=None) -> Feature:
    return Feature(
        geom,
        {
            "water_id": wid,
            "name": name,
            "kind": kind,
            "status": status,
            "capacity_m3_per_day": cap,
            "used_m3_per_day": used,
            "capacity_future_m3_per_day": future if future is not None else cap,
        },
    )


def _main_along(road: Road, park: BaseGeometry, offset_m: float) -> LineString:
    inside = max(shapely.get_parts(road.geometry.intersection(park)), key=lambda g: g.length)
    return shapely.set_precision(inside.offset_curve(offset_m), GRID)


def water(
    st: ParkLayout, sc: ParkLayout, sc_parcels: list[Piece], st_site: Point, facts: SampleFacts
) -> list[Feature]:
    """Return reservoir, mains, wells and the wastewater plant of both parks; the reservoir's and
    the plant's names and the plant's design capacities from the zone file."""
    dam = st.points["dam"]
    reservoir = facts.landmark(st.park_id, "reservoir_dam").name
    plant = facts.services(sc.park_id)
    feeder = shapely.set_precision(LineString([dam, st.points["heart"]]), GRID)
    j = _junction(_road(sc, "S224"), _road(sc, "林双线"))
    return [
        _water(_pt(dam.x, dam.y), "w-xishan", reservoir, "reservoir", "out_of_service", 0.0, 0.0, 3000.0),
        _water(feeder, "w-st-feeder", "西山水库引水管（规划）", "main", "planned", 3000.0, 0.0),
        _water(
            _main_along(_road(st, "乡道008"), st.outline, 6.0),
            "w-st-main",
            "水头园区供水干管（规划）",
            "main",
            "planned",
            5000.0,
            0.0,
        ),
        _water(
            _pt(st_site.x + 25.0, st_site.y + 25.0),
            "w-st-well",
            "水头岩溶水井（规划）",
            "well",
            "planned",
            2000.0,
            0.0,
        ),
        _water(
            _main_along(_road(sc, "S224"), sc.outline, -8.0),
            "w-sc-main",
            "双池园区供水干管",
            "main",
            "in_service",
            8000.0,
            4600.0,
        ),
        _water(_pt(j.x - 8.0, j.y - 10.0), "w-sc-well", "双池岩溶水井", "well", "in_service", 3000.0, 2100.0),
        _water(
            _parcel_point(sc_parcels, 2),
            "w-sc-well-feimei",
            "肥美铝业自备岩溶水井",
            "well",
            "in_service",
            6000.0,
            5200.0,
        ),
        _water(
            _parcel_point(sc_parcels, 1),
            "w-sc-well-tianpeng",
            "天鹏冶炼自备岩溶水井",
            "well",
            "in_service",
            2000.0,
            1500.0,
        ),
        _water(
            _parcel_point(sc_parcels, 24),
            "w-sc-wwtp",
            plant.wastewater_plant,
            "wastewater_plant",
            "in_service",
            plant.wastewater_capacity_m3_per_day,
            3500.0,
            plant.wastewater_capacity_future_m3_per_day,
        ),
    ]


def places(st: ParkLayout, sc: ParkLayout, seat: tuple[float, float], seat_name: str) -> list[Feature]:
    """Return the county seat (``seat``: projected coordinates) and the park gates."""
    seat_f = Feature(
        Point(seat), {"place_id": "county-seat", "name": seat_name, "kind": "county_seat", "park_id": None}
    )
    return [seat_f] + gates(st, "水头园区", "st") + gates(sc, "双池园区", "sc")
