"""Distances along the road network from parcels to named destinations.

The road lines are noded with shapely (``union_all`` with a snap-rounding grid, so crossings and
T-junctions become nodes; roads that cross on a bridge are joined too) into edges between nodes;
an edge's weight is its length in metres. The graph is a ``scipy.sparse`` matrix.

A parcel or a destination point joins the network at its nearest road point: the nearest point of
the nearest edge (``STRtree.query_nearest`` over the edges' segments). The straight "access leg"
from the geometry to that point is added to the distance, and the snapped point splits its edge
into two partial lengths, one to each end node.

For each destination there is one multi-source Dijkstra run (``scipy.sparse.csgraph.dijkstra``,
``min_only=True``):

* a named road: all nodes of the road's edges are sources at distance 0;
* points (county seat, park gates): a virtual source node is linked to both end nodes of each
  point's snapped edge with weight = access leg + partial length, so one run gives every node its
  distance to the nearest point. A point beyond the network (the county seat lies ≈10 km from the
  parks and may be outside the road layer) thus costs the network distance to its nearest road
  point plus the straight leg from there.

Each parcel's distance is then min over its edge's two end nodes of (partial length + node
distance) + its access leg — or, when parcel and destination sit on the same edge, the direct
way along that edge if shorter. Unreachable (another network component) → ``inf`` with a note;
no destination or no roads → NaN with a note.

When several road points are equally near a parcel (a parcel side parallel to the road, or a road
crossing the parcel), GEOS picks one of them; the network distance can then differ by up to the
length of that stretch. Roads that cross are joined at the crossing (no grade separation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import connected_components, dijkstra

from gis.crs import crs_label, require_projected, require_same_crs
from gis.errors import CRSError, GeometryError, SchemaError
from gis.layers import geometry_array
from gis.messages import Message, msg
from gis.proximity import line_segments

#: Snap-rounding grid (m) used to node the road lines: line ends closer than this to another road
#: are joined to it.
DEFAULT_GRID_M = 0.01


@dataclass(frozen=True)
class RoadNetwork:
    """A noded road network in a projected CRS (metres).

    ``edges`` are the noded LineStrings; edge ``k`` runs from node ``u[k]`` (its first point) to
    node ``v[k]`` (its last point) and is ``length[k]`` m long; ``name`` / ``road_class`` are the
    attributes of the road it came from; ``nodes`` are node coordinates (n × 2); ``component`` is
    the connected-component label of each node; ``graph`` is the symmetric-use sparse matrix of
    edge weights (one entry per node pair, the shortest edge). ``segments`` are the edges' two-point
    segments (edge ``segment_edge``, starting ``segment_start_m`` m from the edge's start), indexed
    by ``tree`` for snapping.
    """

    edges: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    name: np.ndarray
    road_class: np.ndarray
    nodes: np.ndarray
    component: np.ndarray
    graph: sp.csr_matrix
    segments: np.ndarray
    segment_edge: np.ndarray
    segment_start_m: np.ndarray
    tree: shapely.STRtree
    crs: CRS

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def n_components(self) -> int:
        """Number of connected components."""
        return int(self.component.max()) + 1 if len(self.component) else 0


def _sparse_graph(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """Sparse matrix with one entry per unordered node pair holding the smallest weight.

    scipy would sum duplicate entries, so parallel edges are reduced to the shortest first;
    self-loops never shorten a path and are dropped. Zero weights stay explicit entries, which
    csgraph treats as edges.
    """
    a, b = np.minimum(u, v), np.maximum(u, v)
    keep = a != b
    a, b, w = a[keep], b[keep], w[keep]
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return sp.csr_matrix((w[first], (a[first], b[first])), shape=(n, n))


def build_network(
    roads: gpd.GeoDataFrame,
    *,
    grid_size_m: float = DEFAULT_GRID_M,
    name_field: str = "name",
    class_field: str = "class",
) -> RoadNetwork:
    """Build a ``RoadNetwork`` from a road layer of (Multi)LineStrings in a projected CRS.

    Lines are noded by ``shapely.union_all(..., grid_size=grid_size_m)`` (snap-rounding: vertices
    land on a ``grid_size_m`` grid, and a line end within that of another road is joined to it);
    each noded edge takes the name and class of the road nearest its midpoint. Raises
    GeometryError if no line is left, MissingCRSError / CRSError for a CRS that is missing or not
    projected in metres.
    """
    crs = require_projected(roads.crs, where="layer 'roads'")
    geoms = np.asarray(roads.geometry.array, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    is_line = shapely.get_type_id(parts) == 1
    parts, owner = parts[is_line], owner[is_line]
    if parts.size == 0:
        raise GeometryError(
            "holds no LineString to build a road network from",
            where="layer 'roads'",
            hint="give the roads as lines",
            msg=msg("error.network.no_lines"),
        )
    noded = shapely.union_all(parts, grid_size=grid_size_m)
    edges = shapely.get_parts(noded)
    edges = edges[(shapely.get_type_id(edges) == 1) & (shapely.length(edges) > 0)]
    ends = shapely.get_coordinates(
        np.concatenate([shapely.get_point(edges, 0), shapely.get_point(edges, -1)])
    )
    nodes, inverse = np.unique(ends, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    u, v = inverse[: len(edges)], inverse[len(edges) :]
    length = shapely.length(edges)
    midpoints = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    pieces, piece_part, _ = line_segments(parts)
    road_rows = owner[piece_part[shapely.STRtree(pieces).query_nearest(midpoints, all_matches=False)[1]]]

    def attr(field: str) -> np.ndarray:
        if field not in roads.columns:
            return np.full(len(edges), None, dtype=object)
        return roads[field].to_numpy(dtype=object)[road_rows]

    graph = _sparse_graph(u, v, length, len(nodes))
    _, component = connected_components(graph, directed=False)
    segments, segment_edge, segment_start = line_segments(edges)
    return RoadNetwork(
        edges=edges,
        u=u,
        v=v,
        length=length,
        name=attr(name_field),
        road_class=attr(class_field),
        nodes=nodes,
        component=component,
        graph=graph,
        segments=segments,
        segment_edge=segment_edge,
        segment_start_m=segment_start,
        tree=built_tree(segments),
        crs=crs,
    )


def built_tree(geoms: np.ndarray) -> shapely.STRtree:
    """Return an STRtree of ``geoms``, built now. GEOS builds a tree on its first query, and two
    threads querying a shared tree for the first time at once would both build it (a crash): one
    query here, while the tree is not yet shared, leaves only read-only queries for later."""
    tree = shapely.STRtree(geoms)
    tree.query(shapely.box(0.0, 0.0, 0.0, 0.0))
    return tree


@dataclass(frozen=True)
class Snap:
    """Where geometries join the network.

    Per geometry: ``edge`` (index into the network's edges, -1 when the geometry is empty),
    ``access_m`` (straight distance from the geometry to the snapped point), ``along_m`` (the
    snapped point's distance from the edge's start node ``u``), ``to_u_m`` / ``to_v_m`` (partial
    lengths to the edge's end nodes). All in metres.
    """

    edge: np.ndarray
    access_m: np.ndarray
    along_m: np.ndarray
    to_u_m: np.ndarray
    to_v_m: np.ndarray


def snap_to_network(network: RoadNetwork, geoms: np.ndarray | gpd.GeoSeries) -> Snap:
    """Join each geometry to the network at the nearest point of its nearest edge (vectorised)."""
    geoms = geometry_array(geoms)
    n = len(geoms)
    edge = np.full(n, -1, dtype=np.int64)
    access = np.full(n, np.nan)
    along = np.full(n, np.nan)
    if n:
        (src, hit), d = network.tree.query_nearest(geoms, return_distance=True, all_matches=False)
        edge[src], access[src] = network.segment_edge[hit], d
        segs = network.segments[hit]
        # shortest_line runs from the geometry to the segment; its end point lies on the segment.
        points = shapely.get_point(shapely.shortest_line(geoms[src], segs), -1)
        along[src] = network.segment_start_m[hit] + shapely.line_locate_point(segs, points)
    length = np.where(edge >= 0, network.length[np.maximum(edge, 0)], np.nan)
    along = np.clip(along, 0.0, length)
    return Snap(edge=edge, access_m=access, along_m=along, to_u_m=along, to_v_m=length - along)


def _from_nodes(network: RoadNetwork, snap: Snap, node_dist: np.ndarray) -> np.ndarray:
    """Distance of each snapped geometry via its edge's end nodes (inf if unreachable, NaN if unsnapped)."""
    ok = snap.edge >= 0
    e = np.maximum(snap.edge, 0)
    with np.errstate(invalid="ignore"):
        d = np.minimum(snap.to_u_m + node_dist[network.u[e]], snap.to_v_m + node_dist[network.v[e]])
    return np.where(ok, d + snap.access_m, np.nan)


@dataclass(frozen=True)
class RoadTarget:
    """A destination road, solved once: ``node_dist`` (m) from every node to the road and
    ``on_road`` (per edge: the edge belongs to the road)."""

    node_dist: np.ndarray
    on_road: np.ndarray


@dataclass(frozen=True)
class PointTarget:
    """Destination points, solved once: ``node_dist`` (m) from every node to the nearest point,
    and per snapped point its ``edge``, ``along_m`` and straight ``leg_m``; ``nearest_leg_m`` is
    the shortest leg of all points (NaN when none joins the network)."""

    node_dist: np.ndarray
    edge: np.ndarray
    along_m: np.ndarray
    leg_m: np.ndarray
    nearest_leg_m: float
    snap: Snap


#: A destination solved on a network: a road, points, or the note saying why it has no distances
#: (a road name the network lacks), or None (no destination points).
Target = RoadTarget | PointTarget | Message | None


def road_target(network: RoadNetwork, road_name: str) -> RoadTarget | Message:
    """Solve the road named ``road_name`` (case-insensitive, surrounding spaces ignored): one
    Dijkstra run from all its nodes. Returns a note instead when no road has that name."""
    names = pd.Series(network.name).astype("string").str.strip().str.casefold()
    on_road = (names == road_name.strip().casefold()).fillna(False).to_numpy(dtype=bool)
    if not on_road.any():
        known = sorted({str(x) for x in network.name if x is not None})
        return msg("note.no_road_named", road=road_name, names=known[:20])
    sources = np.unique(np.concatenate([network.u[on_road], network.v[on_road]]))
    node_dist = dijkstra(network.graph, directed=False, indices=sources, min_only=True)
    return RoadTarget(node_dist=node_dist, on_road=on_road)


def point_target(network: RoadNetwork, points: np.ndarray) -> PointTarget:
    """Solve destination ``points`` (geometries): each joins the network like a parcel; one
    Dijkstra run from a virtual source linked to the points' edge ends gives the node distances."""
    dest = snap_to_network(network, points)
    ok = dest.edge >= 0
    de, leg = dest.edge[ok], dest.access_m[ok]
    n = network.n_nodes
    su, sv = network.u[de], network.v[de]
    base = network.graph.tocoo()
    super_node = np.full(2 * len(de), n)
    graph = _sparse_graph(
        np.concatenate([base.row, super_node]),
        np.concatenate([base.col, su, sv]),
        np.concatenate([base.data, leg + dest.to_u_m[ok], leg + dest.to_v_m[ok]]),
        n + 1,
    )
    node_dist = dijkstra(graph, directed=False, indices=[n], min_only=True)[:n]
    nearest = float(np.nanmin(dest.access_m)) if np.isfinite(dest.access_m).any() else float("nan")
    return PointTarget(
        node_dist=node_dist, edge=de, along_m=dest.along_m[ok], leg_m=leg, nearest_leg_m=nearest, snap=dest
    )


def network_targets(
    network: RoadNetwork, destinations: Mapping[str, gpd.GeoDataFrame | gpd.GeoSeries | str | None]
) -> dict[str, Target]:
    """Solve each destination once (:func:`road_target`, :func:`point_target`; None for no
    points), so that batches and partitions of parcels measured on the same network share the
    shortest-path runs (:func:`measure_network` ``targets=``)."""
    out: dict[str, Target] = {}
    for key, dest in destinations.items():
        if isinstance(dest, str):
            out[key] = road_target(network, dest)
        elif dest is None or len(dest) == 0:
            out[key] = None
        else:
            out[key] = point_target(network, geometry_array(dest))
    return out


def road_distances(network: RoadNetwork, snap: Snap, target: RoadTarget) -> np.ndarray:
    """Network distance (m) from snapped parcels to a solved road."""
    d = _from_nodes(network, snap, target.node_dist)
    # A parcel that joins the network on the road itself is there after its access leg.
    same = (snap.edge >= 0) & target.on_road[np.maximum(snap.edge, 0)]
    d[same] = snap.access_m[same]
    return d


def point_distances(network: RoadNetwork, snap: Snap, target: PointTarget) -> np.ndarray:
    """Network distance (m) from snapped parcels to the nearest of solved destination points."""
    d = _from_nodes(network, snap, target.node_dist)
    # Parcel and destination on the same edge: the direct way along the edge may be shorter.
    # (A loop over destination points, which are few: a county seat, a handful of gates.)
    for k in range(len(target.edge)):
        same = snap.edge == target.edge[k]
        if same.any():
            direct = snap.access_m[same] + np.abs(snap.along_m[same] - target.along_m[k]) + target.leg_m[k]
            d[same] = np.minimum(d[same], direct)
    return d


def distance_to_road(network: RoadNetwork, snap: Snap, road_name: str) -> tuple[np.ndarray, Message | None]:
    """Network distance (m) from snapped parcels to the road named ``road_name``.

    Returns the distances and a note (or None). Distances are NaN with a note when no road has
    that name (names compared case-insensitively, ignoring surrounding spaces).
    """
    target = road_target(network, road_name)
    if isinstance(target, Message):
        return np.full(len(snap.edge), np.nan), target
    return road_distances(network, snap, target), None


def distance_to_points(network: RoadNetwork, snap: Snap, points: np.ndarray) -> tuple[np.ndarray, Snap]:
    """Network distance (m) from snapped parcels to the nearest of ``points`` (geometries).

    Returns the distances and the points' own ``Snap`` (see :func:`point_target`).
    """
    target = point_target(network, points)
    return point_distances(network, snap, target), target.snap


def standard_destinations(
    places: gpd.GeoDataFrame | None, *, road_name: str = "S224"
) -> dict[str, gpd.GeoDataFrame | str | None]:
    """Return the zone's standard destinations for ``measure_network``.

    ``s224`` → the road named ``road_name``; ``county_seat`` and ``gate`` → the ``places``
    features of that ``kind`` (None when there is no places layer).
    """
    out: dict[str, gpd.GeoDataFrame | str | None] = {"s224": road_name}
    for kind in ("county_seat", "gate"):
        if places is None:
            out[kind] = None
        elif "kind" not in places.columns:
            raise SchemaError(
                "lacks field 'kind'",
                where="layer 'places'",
                hint="places need kind = county_seat or gate",
                msg=msg("error.network.places_kind"),
            )
        else:
            out[kind] = places[places["kind"] == kind]
    return out


def measure_network(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    roads: gpd.GeoDataFrame | RoadNetwork | None,
    destinations: Mapping[str, gpd.GeoDataFrame | gpd.GeoSeries | str | None],
    *,
    targets: Mapping[str, Target] | None = None,
) -> pd.DataFrame:
    """Return network distances (m) per parcel (index of ``parcels``), column ``net_dist_m_{key}``.

    ``roads`` is the road layer (or a network built once with ``build_network`` and reused for
    every batch of parcels). ``destinations`` maps a key (e.g. ``s224``, ``county_seat``,
    ``gate``) to a road name (str) or a layer of points. Unreachable parcels get ``inf``;
    missing roads or destinations give NaN; both add a note in ``result.attrs["notes"]``.
    ``targets`` are the destinations already solved on ``roads`` (a network) by
    :func:`network_targets`: given, no shortest-path run is repeated for this batch.
    Raises CRSError / MissingCRSError when CRSs differ or are not projected in metres.
    """
    layers: dict[str, gpd.GeoDataFrame | gpd.GeoSeries | None] = {
        k: v for k, v in destinations.items() if not isinstance(v, str)
    }
    if isinstance(roads, gpd.GeoDataFrame):
        layers["roads"] = roads
    crs = require_same_crs(parcels, layers)
    if isinstance(roads, RoadNetwork) and roads.crs != crs:
        raise CRSError(
            f"is in {crs_label(roads.crs)} but parcels are in {crs_label(crs)}",
            where="road network",
            hint="build the network from roads in the parcels' CRS",
            msg=msg("error.network.crs", crs=crs_label(roads.crs), parcels_crs=crs_label(crs)),
        )
    out = pd.DataFrame(index=parcels.index)
    notes: list[Message] = []
    columns = {key: f"net_dist_m_{key.lower()}" for key in destinations}
    if roads is None or (isinstance(roads, gpd.GeoDataFrame) and len(roads) == 0):
        for col in columns.values():
            out[col] = np.nan
        notes.append(msg("note.no_roads"))
        out.attrs["notes"] = notes
        return out
    network = roads if isinstance(roads, RoadNetwork) else build_network(roads)
    geoms = geometry_array(parcels)
    snap = snap_to_network(network, geoms)
    if targets is None:
        targets = network_targets(network, destinations)
    for key in destinations:
        col = columns[key]
        target = targets[key]
        if isinstance(target, Message):
            d = np.full(len(geoms), np.nan)
            notes.append(msg("note.column_nan", column=col, note=target))
        elif target is None:
            d = np.full(len(geoms), np.nan)
            notes.append(msg("note.no_destination", column=col))
        elif isinstance(target, RoadTarget):
            d = road_distances(network, snap, target)
        else:
            d = point_distances(network, snap, target)
            if target.nearest_leg_m > 100.0:
                notes.append(msg("note.destination_far", column=col, distance=f"{target.nearest_leg_m:,.0f}"))
        unreachable = int(np.isinf(d).sum())
        if unreachable:
            notes.append(msg("note.unreachable", column=col, n=unreachable))
        out[col] = d
    if network.n_components > 1:
        notes.append(msg("note.network_parts", n=network.n_components))
    out.attrs["notes"] = notes
    return out
