"""Straight-line distances from parcels to the nearest infrastructure feature.

Distances are in metres from the parcel polygon (0 when the feature touches or crosses it),
computed with one shapely 2 ``STRtree.query_nearest`` call on the whole parcel array per
feature set (lines split into their segments, in a tree with small leaves). When two features
are equally near, one of them is reported (STRtree's choice).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.crs import require_same_crs
from gis.errors import SchemaError
from gis.layers import geometry_array
from gis.messages import Message, msg

#: Road classes of the zone's road layer; each gets a ``road_dist_m_{class}`` column.
ROAD_CLASSES: tuple[str, ...] = ("provincial", "county", "township", "park", "link")

#: ``water.kind`` values that count as a water source or main.
WATER_SOURCE_KINDS: frozenset[str] = frozenset({"reservoir", "main", "well"})

#: Node capacity of the STRtrees that ``nearest_feature`` queries. GEOS's nearest-neighbour search
#: measures the distance to every item of each leaf it opens, so small leaves measure fewer
#: needless parcel–segment distances: 2 instead of shapely's default 10 made 20,000 parcel
#: queries 2–2.6× faster on road segments and substations (benchmarks/bench_scoring.py).
NEAREST_NODE_CAPACITY: int = 2

#: ``water.kind`` values that count as a wastewater plant.
WASTEWATER_KINDS: frozenset[str] = frozenset({"wastewater_plant"})

#: Columns ``measure_access`` produces besides the per-class road columns.
ACCESS_COLUMNS: tuple[str, ...] = (
    "power_dist_m",
    "power_voltage_kv",
    "power_substation",
    "water_dist_m",
    "water_source",
    "wastewater_dist_m",
    "wastewater_plant",
    "road_dist_m",
)

#: The measure columns a layer feeds, by kind, as message ids (for notes).
WHAT_IDS: dict[str, str] = {
    "power": "service.power",
    "water": "service.water",
    "wastewater": "service.wastewater",
    "road": "note.what.road",
}


def line_segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split geometries into pieces with tight bounding boxes for an STRtree.

    Lines (and multi-lines) become their two-point segments; other geometries stay whole.
    Returns ``(pieces, owner, start_m)``: the pieces, the position of the geometry each came from,
    and for a segment its distance (m) from the start of its line part (0 for whole pieces).
    A long wiggly road has a bounding box covering half the zone; its segments do not, so
    ``query_nearest`` can prune instead of measuring every parcel against every road.
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    is_line = shapely.get_type_id(parts) == 1
    coords, cidx = shapely.get_coordinates(parts[is_line], return_index=True)
    same = cidx[:-1] == cidx[1:]
    seg = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
    seg_part = cidx[:-1][same]
    seg_len = shapely.length(seg)
    # Distance from the start of its line part to each segment's start: cumulative length
    # minus the cumulative length at the part's first segment.
    cum = np.concatenate([[0.0], np.cumsum(seg_len)[:-1]])
    first = np.ones(len(seg_part), dtype=bool)
    first[1:] = seg_part[1:] != seg_part[:-1]
    start = cum - np.maximum.accumulate(np.where(first, cum, 0.0))
    line_owner = owner[is_line][seg_part]
    others = ~is_line & ~shapely.is_empty(parts)
    pieces = np.concatenate([seg, parts[others]])
    return (
        pieces,
        np.concatenate([line_owner, owner[others]]),
        np.concatenate([start, np.zeros(int(others.sum()))]),
    )


def nearest_feature(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray,
    features: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray,
    *,
    max_distance: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return, per parcel, the distance (m) to the nearest feature and that feature's position.

    Distances are NaN and positions -1 where there is no feature (empty layer, empty parcel, or
    nothing within ``max_distance``). Positions index ``features`` positionally (``iloc``).
    """
    geoms = geometry_array(parcels)
    dist = np.full(len(geoms), np.nan)
    pos = np.full(len(geoms), -1, dtype=np.int64)
    feats = geometry_array(features)
    present = ~(shapely.is_missing(feats) | shapely.is_empty(feats))
    if len(geoms) == 0 or not present.any():
        return dist, pos
    pieces, owner, _ = line_segments(feats)
    tree = shapely.STRtree(pieces, node_capacity=NEAREST_NODE_CAPACITY)
    (src, hit), d = tree.query_nearest(
        geoms, max_distance=max_distance, return_distance=True, all_matches=False
    )
    dist[src] = d
    pos[src] = owner[hit]
    return dist, pos


def distance_to_nearest(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    features: gpd.GeoDataFrame | None,
    *,
    column: str,
    attributes: Mapping[str, str] | None = None,
    layer_name: str = "layer",
) -> pd.DataFrame:
    """Return a frame (parcels' index) with the distance (m) to the nearest feature and its attributes.

    ``column`` names the distance column; ``attributes`` maps a feature field to an output column
    (e.g. ``{"name": "power_substation"}``); numeric fields come out as float. Missing or empty
    ``features`` give NaN / None. Raises SchemaError naming ``layer_name`` for a missing field.
    """
    attributes = dict(attributes or {})
    out = pd.DataFrame(index=parcels.index)
    if features is None or len(features) == 0:
        out[column] = np.nan
        for col in attributes.values():
            out[col] = None
        return out
    missing = [f for f in attributes if f not in features.columns]
    if missing:
        raise SchemaError(
            f"lacks field(s) {', '.join(missing)} needed for {column}",
            where=f"layer {layer_name!r}",
            hint="read the layer with these fields required",
            msg=msg("error.proximity.fields", layer=layer_name, missing=missing, column=column),
        )
    dist, pos = nearest_feature(parcels, features)
    out[column] = dist
    found = pos >= 0
    for field, col in attributes.items():
        values = features[field].to_numpy()
        taken = np.full(len(pos), None, dtype=object)
        taken[found] = values[pos[found]]
        series = pd.Series(taken, index=parcels.index)
        if pd.api.types.is_numeric_dtype(features[field]):
            series = pd.to_numeric(series).astype(float)
        out[col] = series
    return out


def _select(
    layer: gpd.GeoDataFrame | None, name: str, field: str, allowed: Collection[str] | None
) -> gpd.GeoDataFrame | None:
    """Return the features of ``layer`` whose ``field`` is in ``allowed`` (all when None)."""
    if layer is None or allowed is None or len(layer) == 0:
        return layer
    if field not in layer.columns:
        raise SchemaError(
            f"lacks field {field!r} needed to select {sorted(allowed)}",
            where=f"layer {name!r}",
            hint=f"add {field!r} or pass None to use all",
            msg=msg("error.proximity.select_field", layer=name, field=field, allowed=sorted(allowed)),
        )
    return layer[layer[field].isin(list(allowed))]


def measure_access(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    layers: Mapping[str, gpd.GeoDataFrame | None],
    *,
    substation_status: Collection[str] | None = ("in_service",),
    water_kinds: Collection[str] = WATER_SOURCE_KINDS,
    wastewater_kinds: Collection[str] = WASTEWATER_KINDS,
    road_classes: Collection[str] = ROAD_CLASSES,
) -> pd.DataFrame:
    """Return straight-line access measures per parcel (index of ``parcels``).

    ``layers`` holds the zone layers named as in the GeoPackage: ``substations`` (fields
    ``name``, ``voltage_kv``, ``status``), ``water`` (``name``, ``kind``) and ``roads``
    (``class``). Columns: ``power_dist_m`` (m), ``power_voltage_kv`` (kV), ``power_substation``
    (name) — substations whose ``status`` is in ``substation_status`` (None: all);
    ``water_dist_m`` (m), ``water_source`` — water features of ``water_kinds``;
    ``wastewater_dist_m`` (m), ``wastewater_plant``; ``road_dist_m`` (m, any class) and
    ``road_dist_m_{class}`` (m) for every class in ``road_classes`` and in the layer (roads
    without a class count for ``road_dist_m`` only).

    A missing or empty layer (or no feature passing the filter) gives NaN columns and a note in
    ``result.attrs["notes"]``. Raises CRSError / MissingCRSError when a layer's CRS differs from
    the parcels' or the parcels' CRS is not projected in metres.
    """
    require_same_crs(parcels, layers)
    notes: list[Message] = []

    def pick(name: str, field: str, allowed: Collection[str] | None, kind: str):
        what = msg(WHAT_IDS[kind])
        layer = layers.get(name)
        if layer is None:
            notes.append(msg("note.no_layer_what", layer=name, what=what))
            return None
        chosen = _select(layer, name, field, allowed)
        if chosen is None or len(chosen) == 0:
            if allowed is None:
                notes.append(msg("note.no_feature", layer=name, what=what))
            else:
                notes.append(
                    msg("note.no_feature_with", layer=name, field=field, allowed=sorted(allowed), what=what)
                )
            return None
        return chosen

    parts = [
        distance_to_nearest(
            parcels,
            pick("substations", "status", substation_status, "power"),
            column="power_dist_m",
            layer_name="substations",
            attributes={"voltage_kv": "power_voltage_kv", "name": "power_substation"},
        ),
        distance_to_nearest(
            parcels,
            pick("water", "kind", water_kinds, "water"),
            layer_name="water",
            column="water_dist_m",
            attributes={"name": "water_source"},
        ),
        distance_to_nearest(
            parcels,
            pick("water", "kind", wastewater_kinds, "wastewater"),
            column="wastewater_dist_m",
            layer_name="water",
            attributes={"name": "wastewater_plant"},
        ),
    ]
    roads = pick("roads", "class", None, "road")
    classes = list(dict.fromkeys(road_classes))
    by_class: dict[str, np.ndarray] = {}
    if roads is not None:
        if "class" not in roads.columns:
            raise SchemaError(
                "lacks field 'class' needed for road_dist_m_{class}",
                where="layer 'roads'",
                hint="add the road class field",
                msg=msg("error.proximity.road_class"),
            )
        labels = roads["class"].astype("string").fillna("")
        classes += sorted(set(labels) - set(classes) - {""})
        # One nearest query per class; the nearest road of any class is the least of them.
        for cls in sorted(set(labels)):
            by_class[cls] = nearest_feature(parcels, roads[(labels == cls).to_numpy()])[0]
    road_any = np.full(len(parcels), np.nan)
    if by_class:
        road_any = np.min(np.vstack(list(by_class.values())), axis=0)
    roads_out = {"road_dist_m": road_any}
    for cls in classes:
        if roads is not None and cls not in by_class:
            notes.append(msg("note.no_road_class", road_class=cls, column=f"road_dist_m_{cls}"))
        roads_out[f"road_dist_m_{cls}"] = by_class.get(cls, np.full(len(parcels), np.nan))
    parts.append(pd.DataFrame(roads_out, index=parcels.index))
    out = pd.concat(parts, axis=1)
    out["power_voltage_kv"] = pd.to_numeric(out["power_voltage_kv"], errors="coerce").astype(float)
    out.attrs["notes"] = notes
    return out
