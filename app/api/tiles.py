"""Hillshade and slope-class XYZ tiles (web mercator, 256 × 256 PNG) from the zone's DEMs.

Each tile is rendered on its own EPSG:3857 grid with ``rasterio.warp.reproject``:

* **hillshade** — the DEM (zone CRS, in memory in the zone's measuring context) is reprojected
  bilinearly into the tile grid plus a one-pixel margin; Horn's gradient
  (:func:`gis.slope.horn_gradient`) on the reprojected elevations, with the cell size converted
  to ground metres (web mercator metres × cos latitude), lights it from azimuth 315°, altitude
  45°; grey, opaque where there is data.
* **slope** — the slope in degrees computed once on the DEM's own grid (the same Horn slope the
  scoring uses) is reprojected into the tile grid (bilinear when zoomed in, average when zoomed
  out) and coloured by class: 0–2°, 2–5°, 5° – the zone's natural-slope limit (15 % = 8.53° for
  Jiaokou), steeper.

Outside every DEM the tile is transparent. Rendered tiles are kept in an in-memory LRU cache
(``TileCache``) and on disk, shared by every worker process (``app.api.tile_store``), keyed by
the zone's import so that a re-import shows new tiles (``app.api.terrain_cache``).
"""

from __future__ import annotations

import math
import threading
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Literal

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile
from rasterio.warp import reproject, transform_bounds

from gis.errors import NotFoundError
from gis.messages import msg
from gis.slope import horn_gradient
from gis.zonal import TerrainSurface

TILE = 256
MAX_ZOOM = 22
#: Half the side of the web mercator square (m).
ORIGIN = 20037508.342789244
WEB_MERCATOR = CRS.from_epsg(3857)
Kind = Literal["hillshade", "slope"]

SUN_AZIMUTH_DEG = 315.0
SUN_ALTITUDE_DEG = 45.0
#: Slope class colours (RGB), gentlest first.
SLOPE_COLOURS = ((26, 150, 65), (166, 217, 106), (253, 174, 97), (215, 25, 28))


def slope_breaks_deg(natural_limit_pct: float) -> tuple[float, float, float]:
    """Return the class breaks (°): 2, 5 and the natural-slope limit (percent → degrees)."""
    return 2.0, 5.0, math.degrees(math.atan(natural_limit_pct / 100.0))


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return the web mercator bounds (m) of XYZ tile ``z/x/y``; NotFoundError outside the pyramid."""
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 2**z) or not (0 <= y < 2**z):
        raise NotFoundError(
            f"no tile {z}/{x}/{y}",
            where="tiles",
            hint=f"zoom 0–{MAX_ZOOM}, x and y 0 … 2^z − 1",
            msg=msg("error.tile.not_found", tile=f"{z}/{x}/{y}", max_zoom=MAX_ZOOM),
        )
    size = 2 * ORIGIN / 2**z
    left = -ORIGIN + x * size
    top = ORIGIN - y * size
    return left, top - size, left + size, top


def _centre_latitude(bounds: tuple[float, float, float, float]) -> float:
    y = (bounds[1] + bounds[3]) / 2
    return math.degrees(2 * math.atan(math.exp(y / 6378137.0)) - math.pi / 2)


def encode_png(rgba: np.ndarray) -> bytes:
    """Return a (4, rows, cols) uint8 array as PNG bytes (GDAL's PNG driver)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with MemoryFile() as mem:
            with mem.open(
                driver="PNG", width=rgba.shape[2], height=rgba.shape[1], count=4, dtype="uint8"
            ) as dst:
                dst.write(rgba)
            return mem.read()


_EMPTY: bytes | None = None


def empty_tile() -> bytes:
    """Return a fully transparent tile."""
    global _EMPTY
    if _EMPTY is None:
        _EMPTY = encode_png(np.zeros((4, TILE, TILE), dtype=np.uint8))
    return _EMPTY


def _warp(
    values: np.ndarray,
    surface: TerrainSurface,
    dst_transform: Affine,
    shape: tuple[int, int],
    resampling: Resampling,
) -> np.ndarray:
    out = np.full(shape, np.nan, dtype=np.float32)
    reproject(
        values,
        out,
        src_transform=surface.dem.transform,
        src_crs=surface.dem.crs,
        src_nodata=np.nan,
        dst_transform=dst_transform,
        dst_crs=WEB_MERCATOR,
        dst_nodata=np.nan,
        resampling=resampling,
    )
    return out


_MERCATOR_EXTENTS: weakref.WeakKeyDictionary[TerrainSurface, tuple[float, float, float, float]] = (
    weakref.WeakKeyDictionary()
)
_EXTENTS_LOCK = threading.Lock()


def mercator_extent(surface: TerrainSurface) -> tuple[float, float, float, float]:
    """Return the DEM grid's bounds in web mercator metres (its edges densified), once per surface.

    Transforming bounds makes GDAL/PROJ look up the coordinate operation (~0.1 s), far more
    than rendering a tile: done once here, not for every tile and DEM as before."""
    with _EXTENTS_LOCK:
        hit = _MERCATOR_EXTENTS.get(surface)
    if hit is None:
        hit = transform_bounds(surface.dem.crs, WEB_MERCATOR, *surface.dem.bounds, densify_pts=21)
        with _EXTENTS_LOCK:
            _MERCATOR_EXTENTS[surface] = hit
    return hit


def _overlapping(
    surfaces: list[TerrainSurface], bounds: tuple[float, float, float, float]
) -> list[TerrainSurface]:
    """Return the surfaces whose DEM's web mercator bounds meet the tile's ``bounds``. A tile
    that meets the bounds but no cell renders as the empty tile would (transparent)."""
    out = []
    for s in surfaces:
        left, bottom, right, top = mercator_extent(s)
        if bounds[0] < right and bounds[2] > left and bounds[1] < top and bounds[3] > bottom:
            out.append(s)
    return out


def _mosaic(layers: list[np.ndarray]) -> np.ndarray:
    out = layers[0]
    for more in layers[1:]:
        out = np.where(np.isnan(out), more, out)
    return out


def render_hillshade(surfaces: list[TerrainSurface], z: int, x: int, y: int) -> bytes:
    """Return the hillshade PNG of tile ``z/x/y`` (transparent where no DEM has data)."""
    bounds = tile_bounds(z, x, y)
    hits = _overlapping(surfaces, bounds)
    if not hits:
        return empty_tile()
    res = (bounds[2] - bounds[0]) / TILE
    transform = Affine(res, 0, bounds[0] - res, 0, -res, bounds[3] + res)  # one-pixel margin
    dem = _mosaic(
        [_warp(s.dem.values, s, transform, (TILE + 2, TILE + 2), Resampling.bilinear) for s in hits]
    )
    ground = res * math.cos(math.radians(_centre_latitude(bounds)))
    p, q = horn_gradient(dem, ground, -ground)
    p, q = p[1:-1, 1:-1], q[1:-1, 1:-1]
    az, alt = math.radians(SUN_AZIMUTH_DEG), math.radians(SUN_ALTITUDE_DEG)
    sx, sy, sz = math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt), math.sin(alt)
    shade = (-p * sx - q * sy + sz) / np.sqrt(1 + p * p + q * q)
    valid = np.isfinite(shade)
    grey = np.clip(np.nan_to_num(shade, nan=0.0), 0, 1) * 255
    rgba = np.zeros((4, TILE, TILE), dtype=np.uint8)
    rgba[0] = rgba[1] = rgba[2] = grey.astype(np.uint8)
    rgba[3] = np.where(valid, 255, 0)
    return encode_png(rgba)


def render_slope(surfaces: list[TerrainSurface], z: int, x: int, y: int, natural_limit_pct: float) -> bytes:
    """Return the slope-class PNG of tile ``z/x/y`` (transparent where there is no slope)."""
    bounds = tile_bounds(z, x, y)
    hits = _overlapping(surfaces, bounds)
    if not hits:
        return empty_tile()
    res = (bounds[2] - bounds[0]) / TILE
    transform = Affine(res, 0, bounds[0], 0, -res, bounds[3])
    layers = []
    for s in hits:
        coarse = res * math.cos(math.radians(_centre_latitude(bounds))) > s.dem.dx
        layers.append(
            _warp(
                s.slope_deg.values,
                s,
                transform,
                (TILE, TILE),
                Resampling.average if coarse else Resampling.bilinear,
            )
        )
    slope = _mosaic(layers)
    valid = np.isfinite(slope)
    cls = np.digitize(np.nan_to_num(slope, nan=0.0), slope_breaks_deg(natural_limit_pct))
    colours = np.array(SLOPE_COLOURS, dtype=np.uint8)
    rgb = colours[cls]  # (rows, cols, 3)
    rgba = np.zeros((4, TILE, TILE), dtype=np.uint8)
    rgba[:3] = np.moveaxis(rgb, 2, 0)
    rgba[3] = np.where(valid, 255, 0)
    rgba[:3, ~valid] = 0
    return encode_png(rgba)


class TileCache:
    """A thread-safe LRU cache of rendered tiles, bounded by count and by bytes."""

    def __init__(self, max_tiles: int = 4096, max_bytes: int = 128 * 2**20):
        self.max_tiles = max_tiles
        self.max_bytes = max_bytes
        self._data: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            png = self._data.get(key)
            if png is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return png

    def put(self, key: Hashable, png: bytes) -> None:
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._data[key] = png
            self._bytes += len(png)
            while self._data and (len(self._data) > self.max_tiles or self._bytes > self.max_bytes):
                _, dropped = self._data.popitem(last=False)
                self._bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._data)
