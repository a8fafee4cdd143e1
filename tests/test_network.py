"""Road-network distances (gis.network) on a tiny hand-made road graph.

The roads (local metres, offset into EPSG:4546):

    D(0,1000) ──T(300,1000)──────────── C(1000,1000)
      │           │ spur to (300,1300)  ╱ │
      │                              ╱    │
      │          p(300,300)──(700,300)    │      far away, disconnected:
      │        ╱  spur from the diagonal  │      F1(5000,0) ── F2(6000,0)
      │     ╱                             │
    A(0,0) ──────────── S224 ─────────── B(1000,0)

A–C is a diagonal (1000·√2 m). The spur from p starts a hair off the diagonal (as rounding
leaves digitised T-junctions), so it only connects if the noding snaps T-junctions.
"""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, Polygon

from app.i18n import render
from gis.errors import CRSError
from gis.network import (
    PointTarget,
    RoadTarget,
    build_network,
    distance_to_road,
    measure_network,
    network_targets,
    snap_to_network,
    standard_destinations,
)

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 4_080_000.0
R2 = math.sqrt(2.0)


def en_notes(out) -> list[str]:
    """The notes of a measure table in English."""
    return [render(n, "en") for n in out.attrs["notes"]]


def at(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


def diamond(x: float, y: float, r: float = 50.0, corner: str = "bottom") -> Polygon:
    """A square turned 45° whose ``corner`` vertex is at (x, y): its nearest road point is unique."""
    dx, dy = {"bottom": (0, r), "top": (0, -r), "left": (r, 0), "right": (-r, 0)}[corner]
    cx, cy = x + dx, y + dy
    return Polygon([at(cx - r, cy), at(cx, cy - r), at(cx + r, cy), at(cx, cy + r)])


@pytest.fixture
def roads() -> gpd.GeoDataFrame:
    p = Point(at(300 + 1e-7, 300))  # 0.07 µm off the diagonal, as digitising rounding leaves it
    rows = [
        ("S224", "provincial", [at(0, 0), at(1000, 0)]),
        ("东路", "county", [at(1000, 0), at(1000, 1000)]),
        ("北路", "township", [at(1000, 1000), at(0, 1000)]),
        ("西路", "township", [at(0, 1000), at(0, 0)]),
        ("斜路", "park", [at(0, 0), at(1000, 1000)]),
        ("北支", "link", [at(300, 1000), at(300, 1300)]),
        ("斜支", "link", [(p.x, p.y), at(700, 300)]),
        ("远路", "township", [at(5000, 0), at(6000, 0)]),
    ]
    return gpd.GeoDataFrame(
        {"name": [r[0] for r in rows], "class": [r[1] for r in rows]},
        geometry=[LineString(r[2]) for r in rows],
        crs=CRS,
    )


@pytest.fixture
def parcels() -> gpd.GeoDataFrame:
    geoms = {
        "P_top": diamond(450, 1050),  # above the top road, mid-edge at x = 450
        "P_C": diamond(1050, 1000, corner="left"),  # 50 m right of C
        "P_under_S224": diamond(300, -50, corner="top"),  # 50 m below S224's interior
        "P_on_S224": Polygon([at(400, -10), at(420, -10), at(420, 10), at(400, 10)]),  # crosses it
        "P_spur": diamond(750, 300, corner="left"),  # 50 m right of the diagonal spur's end
        "P_T": diamond(300, 1350),  # 50 m above the top spur's end
        "P_far": diamond(5500, 50),  # by the disconnected road
    }
    return gpd.GeoDataFrame(
        {"parcel_id": list(geoms)},
        geometry=list(geoms.values()),
        crs=CRS,
        index=pd.Index(list(geoms), name="parcel_id"),
    )


def test_network_is_noded_at_crossings_and_t_junctions(roads):
    # The diagonal spur's start misses the diagonal: only snapping joins them.
    assert 0 < shapely.distance(roads.geometry.iloc[6], roads.geometry.iloc[4]) < 1e-6
    net = build_network(roads)
    # A, B, C, D, T, the top spur's end, p on the diagonal, the diagonal spur's end, F1, F2.
    assert net.n_nodes == 10
    assert net.n_components == 2
    assert net.length.sum() == pytest.approx(4000 + 1000 * R2 + 300 + 400 + 1000)
    # The noded edges keep their road's name: S224 is one edge of 1000 m.
    s224 = np.flatnonzero(net.name == "S224")
    assert len(s224) == 1 and net.length[s224[0]] == pytest.approx(1000.0)


def test_parcel_snaps_mid_edge_with_partial_lengths(roads, parcels):
    net = build_network(roads)
    snap = snap_to_network(net, parcels.geometry.loc[["P_top"]])
    e = snap.edge[0]
    assert snap.access_m[0] == pytest.approx(50.0)
    # Top road split at T(300, 1000): the parcel sits on T–C, 150 m from T and 550 m from C.
    ends = {
        tuple(np.round(net.nodes[net.u[e]] - [X0, Y0], 6)): snap.to_u_m[0],
        tuple(np.round(net.nodes[net.v[e]] - [X0, Y0], 6)): snap.to_v_m[0],
    }
    assert ends == {(300.0, 1000.0): pytest.approx(150.0), (1000.0, 1000.0): pytest.approx(550.0)}


def test_distance_to_named_road_by_hand(roads, parcels):
    out = measure_network(parcels, roads, {"S224": "S224"})
    d = out["net_dist_m_s224"]
    assert d["P_top"] == pytest.approx(50 + 450 + 1000)  # T… D, down the west road to A
    assert d["P_C"] == pytest.approx(50 + 1000)  # C down the east road to B
    assert d["P_under_S224"] == pytest.approx(50.0)  # joins on S224 itself
    assert d["P_on_S224"] == 0.0
    assert d["P_spur"] == pytest.approx(50 + 400 + 300 * R2)  # spur, then the diagonal to A
    assert d["P_T"] == pytest.approx(50 + 300 + 300 + 1000)  # spur, T, D, A
    assert d["P_far"] == np.inf
    assert (
        "net_dist_m_s224: 1 parcel(s) cannot reach the destination on the road network "
        "(disconnected roads); inf"
    ) in en_notes(out)
    assert "the road network has 2 disconnected parts" in en_notes(out)


def test_distance_to_points_uses_legs_and_the_diagonal(roads, parcels):
    gate = gpd.GeoDataFrame({"kind": ["gate"]}, geometry=[Point(at(-30, -40))], crs=CRS)  # 50 m from A
    out = measure_network(parcels, roads, {"gate": gate})
    d = out["net_dist_m_gate"]
    assert d["P_C"] == pytest.approx(50 + 1000 * R2 + 50)  # the diagonal beats C–B–A (2000)
    assert d["P_top"] == pytest.approx(50 + 450 + 1000 + 50)
    assert d["P_under_S224"] == pytest.approx(50 + 300 + 50)
    assert d["P_far"] == np.inf


def test_destination_exactly_on_a_node_has_a_zero_leg(roads, parcels):
    gate = gpd.GeoDataFrame(geometry=[Point(at(0, 0))], crs=CRS)  # at A: zero-weight link to A
    d = measure_network(parcels, roads, {"gate": gate})["net_dist_m_gate"]
    assert d["P_under_S224"] == pytest.approx(50 + 300)
    assert d["P_C"] == pytest.approx(50 + 1000 * R2)


def test_parcel_and_destination_on_the_same_edge_go_directly(roads, parcels):
    gate = gpd.GeoDataFrame(geometry=[Point(at(700, 1020))], crs=CRS)  # 20 m above the top road
    d = measure_network(parcels.loc[["P_top"]], roads, {"gate": gate})["net_dist_m_gate"]
    assert d["P_top"] == pytest.approx(50 + 250 + 20)


def test_far_destination_adds_the_straight_leg_and_says_so(roads, parcels):
    places = gpd.GeoDataFrame(
        {"name": ["交口县城", "北门"], "kind": ["county_seat", "gate"]},
        geometry=[Point(at(-10_000, 0)), Point(at(1000, 1030))],
        crs=CRS,
    )
    dest = standard_destinations(places)
    assert dest["s224"] == "S224" and len(dest["county_seat"]) == 1 and len(dest["gate"]) == 1
    out = measure_network(parcels, roads, dest)
    assert list(out.columns) == ["net_dist_m_s224", "net_dist_m_county_seat", "net_dist_m_gate"]
    assert out.loc["P_C", "net_dist_m_county_seat"] == pytest.approx(50 + 1000 * R2 + 10_000)
    assert out.loc["P_C", "net_dist_m_gate"] == pytest.approx(50 + 30)
    assert (
        "net_dist_m_county_seat: the nearest destination is 10,000 m from the road network; "
        "that straight leg is included"
    ) in en_notes(out)


def test_missing_destinations_give_nan_and_notes(roads, parcels):
    out = measure_network(
        parcels,
        roads,
        {"s224": "G209", **{k: v for k, v in standard_destinations(None).items() if k != "s224"}},
    )
    assert out.isna().all().all()
    notes = " | ".join(en_notes(out))
    assert "net_dist_m_s224: no road named 'G209' in the road layer" in notes
    assert "net_dist_m_county_seat: no destination features; NaN" in notes
    empty = measure_network(parcels, None, {"s224": "S224"})
    assert empty["net_dist_m_s224"].isna().all()
    assert en_notes(empty) == ["no road layer: network distances are NaN"]


def test_network_distances_agree_with_networkx(roads):
    net = build_network(roads)
    g = nx.Graph()
    for u, v, w in zip(net.u, net.v, net.length):
        g.add_edge(int(u), int(v), weight=float(w))
    sources = {int(n) for k in np.flatnonzero(net.name == "S224") for n in (net.u[k], net.v[k])}
    expected = nx.multi_source_dijkstra_path_length(g, sources)
    # Parcels placed exactly on nodes, so the answer is the node distance.
    nodes = [Point(xy) for xy in net.nodes]
    snap = snap_to_network(net, np.array(nodes, dtype=object))
    got, _ = distance_to_road(net, snap, "s224")
    for i in range(net.n_nodes):
        assert got[i] == pytest.approx(expected.get(i, math.inf))


def test_crs_mismatch_is_refused(roads, parcels):
    with pytest.raises(CRSError, match=r"layer 'roads': is in EPSG:4490 but parcels are in EPSG:4546"):
        measure_network(parcels, roads.to_crs("EPSG:4490"), {"s224": "S224"})
    net = build_network(roads.to_crs("EPSG:32649"))
    with pytest.raises(CRSError, match=r"road network: is in EPSG:32649"):
        measure_network(parcels, net, {"s224": "S224"})


def test_prebuilt_network_gives_the_same_answer_in_batches(roads, parcels):
    net = build_network(roads)
    whole = measure_network(parcels, roads, {"s224": "S224"})
    parts = pd.concat(
        [
            measure_network(parcels.iloc[:3], net, {"s224": "S224"}),
            measure_network(parcels.iloc[3:], net, {"s224": "S224"}),
        ]
    )
    pd.testing.assert_frame_equal(whole, parts)


def test_destinations_solved_once_serve_every_batch(roads, parcels):
    """network_targets solves each destination once (one Dijkstra run); batches measured with
    those targets get exactly the distances they get when each batch solves them itself."""
    net = build_network(roads)
    dest = {"s224": "S224", "gate": gpd.GeoDataFrame(geometry=[Point(at(0, 0))], crs=CRS), "none": None}
    targets = network_targets(net, dest)
    assert isinstance(targets["s224"], RoadTarget) and isinstance(targets["gate"], PointTarget)
    assert targets["none"] is None and targets["s224"].node_dist.shape == (net.n_nodes,)
    whole = measure_network(parcels, net, dest)
    shared = pd.concat(
        [
            measure_network(parcels.iloc[:2], net, dest, targets=targets),
            measure_network(parcels.iloc[2:], net, dest, targets=targets),
        ]
    )
    pd.testing.assert_frame_equal(whole, shared)
    missing = network_targets(net, {"x": "no such road"})["x"]
    assert render(missing, "en").startswith("no road named 'no such road' in the road layer")
