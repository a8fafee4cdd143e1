"""Mapbox Vector Tiles (MVT 2.1) encoded in Python: the SpatiaLite counterpart of PostGIS'
``ST_AsMVTGeom`` + ``ST_AsMVT``.

Geometries arrive in web mercator metres (EPSG:3857) with the tile's bounds; each is clipped to
the tile plus a buffer (256 of 4096 units on every side, as ``ST_AsMVTGeom``'s default), scaled to
the tile's integer grid (``extent`` units, y up; the encoder flips it to MVT's y down), snapped
(rounded), repaired when snapping made it invalid, dropped when nothing is left, and its rings
oriented as MVT wants (all in a few vectorised shapely calls per tile). The encoding itself is
``mapbox-vector-tile`` (tilezen), which writes the protobuf (its own per-feature winding check is
skipped: the orientation is already done); decoding with the same library gives back the
features and their attributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

#: Tile grid units per side (MVT's usual extent) and the clip buffer in those units.
EXTENT = 4096
BUFFER = 256

Bounds = tuple[float, float, float, float]


def tile_geometries(geoms: Sequence[BaseGeometry], bounds: Bounds, *, extent: int = EXTENT) -> np.ndarray:
    """Return ``geoms`` (EPSG:3857 m) clipped to ``bounds`` plus the buffer and snapped to the
    tile grid (integer units, y up, 0 … ``extent``); None where nothing of a geometry is left."""
    if len(geoms) == 0:
        return np.array([], dtype=object)
    minx, miny, maxx, maxy = bounds
    scale = np.array([extent / (maxx - minx), extent / (maxy - miny)])
    origin = np.array([minx, miny])
    arr = np.asarray(geoms, dtype=object)
    local = shapely.transform(arr, lambda xy: (xy - origin) * scale)
    clipped = shapely.clip_by_rect(local, -BUFFER, -BUFFER, extent + BUFFER, extent + BUFFER)
    snapped = shapely.set_precision(clipped, 1.0, mode="valid_output")
    # exteriors clockwise in these y-up units (MVT's order once y is flipped), done here for the
    # whole tile at once instead of per feature in the encoder (its check_winding_order)
    snapped = shapely.orient_polygons(snapped, exterior_cw=True)
    polygonal = np.isin(shapely.get_type_id(snapped), (3, 6))
    keep = ~shapely.is_empty(snapped) & (~polygonal | (shapely.area(snapped) > 0))
    out = np.full(len(arr), None, dtype=object)
    out[keep] = snapped[keep]
    return out


def encode_tile(
    layers: Mapping[str, tuple[Sequence[BaseGeometry], Sequence[Mapping[str, Any]]]],
    bounds: Bounds,
    *,
    extent: int = EXTENT,
) -> bytes:
    """Return the MVT bytes of ``layers`` (name → (geometries in EPSG:3857, attributes per
    feature)) for the tile of ``bounds`` (EPSG:3857 m). Attributes that are None are left out,
    as ``ST_AsMVT`` does; a layer with no feature left is not written."""
    out = []
    for name, (geoms, props) in layers.items():
        snapped = tile_geometries(geoms, bounds, extent=extent)
        feats = [
            {"geometry": g, "properties": {k: v for k, v in p.items() if v is not None}}
            for g, p in zip(snapped, props, strict=True)
            if g is not None
        ]
        if feats:
            out.append({"name": name, "features": feats})
    if not out:
        return b""
    options = {"extents": extent, "check_winding_order": False}
    return bytes(mapbox_vector_tile.encode(out, default_options=options))
