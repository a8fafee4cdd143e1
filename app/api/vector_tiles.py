"""Vector tiles (MVT) of the zone's layers: parcels with their suitability score, class, status
and cluster, clusters, parks and the infrastructure layers.

PostGIS builds a tile with ``ST_AsMVTGeom`` + ``ST_AsMVT`` (:func:`app.db.tile_layers.postgis_tile`);
on SpatiaLite the features in the tile's box are read and encoded in Python
(:func:`gis.vector_tiles.encode_tile`, mapbox-vector-tile) with the same clipping buffer and
extent, so both backends serve the same features with the same attributes.

Tiles are cached in the server (:class:`app.api.tiles.TileCache`) keyed by the zone's data
version (:func:`app.db.data_version.data_version`: newest audit entry, newest score run; kept
a second per process, :class:`app.db.data_version.DataVersionCache`),
and the browser may keep a tile asked with ``?v=<that version>`` for good: an edit changes the
version, so the map asks for new URLs and never sees a stale tile.
"""

from __future__ import annotations

import threading

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy.orm import Session

from app.api.tiles import MAX_ZOOM, ORIGIN
from app.db.models import ZONE_SRID
from app.db.tile_layers import VECTOR_LAYERS, postgis_tile, tile_rows
from app.errors import BadTileError
from gis.messages import joined, msg
from gis.vector_tiles import BUFFER, EXTENT, encode_tile

#: From their PROJ pipelines: pyproj remakes a shared transformer in each thread that uses it,
#: which from a pipeline takes under a millisecond and from CRSs about a second per thread.
_TO_MERCATOR = Transformer.from_pipeline(Transformer.from_crs(ZONE_SRID, 3857, always_xy=True).definition)
_FROM_MERCATOR = Transformer.from_pipeline(Transformer.from_crs(3857, ZONE_SRID, always_xy=True).definition)
#: Python encoding holds the GIL: tiles built one at a time reach the map one after another
#: (the first after one tile's time) instead of all together after all of them.
_ENCODING = threading.Lock()


def check_tile(layer: str, z: int, x: int, y: int) -> None:
    """Raise BadTileError (400) unless ``layer`` is tiled and ``z/x/y`` is in the pyramid."""
    if layer not in VECTOR_LAYERS:
        raise BadTileError(
            f"no vector tiles of layer {layer!r}",
            where="tiles",
            hint=f"layers: {', '.join(VECTOR_LAYERS)}",
            msg=msg("error.tile.layer", layer=layer, layers=joined(VECTOR_LAYERS)),
        )
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 2**z) or not (0 <= y < 2**z):
        raise BadTileError(
            f"no tile {z}/{x}/{y}",
            where="tiles",
            hint=f"zoom 0–{MAX_ZOOM}, x and y 0 … 2^z − 1",
            msg=msg("error.tile.not_found", tile=f"{z}/{x}/{y}", max_zoom=MAX_ZOOM),
        )


def mercator_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return the web mercator bounds (m) of tile ``z/x/y`` (checked by :func:`check_tile`)."""
    size = 2 * ORIGIN / 2**z
    left, top = -ORIGIN + x * size, ORIGIN - y * size
    return left, top - size, left + size, top


def build_tile(session: Session, zone_id: str, layer: str, z: int, x: int, y: int) -> bytes:
    """Return the MVT bytes of ``layer`` in tile ``z/x/y`` (empty bytes: no feature there)."""
    check_tile(layer, z, x, y)
    if session.get_bind().dialect.name == "postgresql":
        return postgis_tile(session, zone_id, layer, z, x, y, EXTENT, BUFFER)
    bounds = mercator_bounds(z, x, y)
    pad = (bounds[2] - bounds[0]) * BUFFER / EXTENT
    box = _FROM_MERCATOR.transform_bounds(
        bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad, densify_pts=21
    )
    with _ENCODING:
        rows = tile_rows(session, zone_id, layer, box)
        if not rows:
            return b""
        geoms = shapely.from_wkb(np.array([wkb for wkb, _ in rows], dtype=object))
        merc = shapely.transform(
            geoms, lambda xy: np.column_stack(_TO_MERCATOR.transform(xy[:, 0], xy[:, 1]))
        )
        return encode_tile({layer: (list(merc), [props for _, props in rows])}, bounds)
