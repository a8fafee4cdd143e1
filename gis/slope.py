"""Slope of a DEM by Horn's method — the 3 × 3 estimator of ``gdaldem slope``.

For the window ::

    a b c
    d e f
    g h i

``dz/dx = ((c + 2f + i) − (a + 2d + g)) / (8 · dx)`` and, with ``dy`` the signed row spacing
(negative for north-up rasters), ``dz/dy = ((g + 2h + i) − (a + 2b + c)) / (8 · dy)``, so both are
derivatives along the CRS axes (east, north) whatever the row order. Slope is
``atan(hypot(dz/dx, dz/dy))`` in degrees, or ``100 · hypot(…)`` in percent (``gdaldem -p``).

As ``gdaldem`` without ``-compute_edges``: the outer ring of cells and every cell whose 3 × 3
window touches nodata is nodata (NaN in memory, -9999 in files). Vectorised by slicing, in
float32, a block of rows at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
from rasterio.crs import CRS

from gis.errors import InputFileError
from gis.messages import msg
from gis.raster import DEFAULT_MAX_CELLS, Grid, read_dem, write_float_geotiff

SlopeUnits = Literal["degrees", "percent"]
UNITS: tuple[str, ...] = ("degrees", "percent")


def _check_units(units: str) -> None:
    if units not in UNITS:
        raise ValueError(f"units must be one of {UNITS}, not {units!r}")


def _horn_interior(z: np.ndarray, dx: float, dy: float) -> tuple[np.ndarray, np.ndarray]:
    """dz/dx and dz/dy (float32, CRS-axis directions) on the interior ``z[1:-1, 1:-1]``."""
    # Differences first, then the 1-2-1 weights: subtracting nearby elevations before summing
    # keeps float32 accurate at 1000+ m.
    d = z[:, 2:] - z[:, :-2]
    gx = d[:-2] + d[2:]
    gx += 2 * d[1:-1]
    gx *= np.float32(1.0 / (8.0 * dx))
    d = z[2:, :] - z[:-2, :]
    gy = d[:, :-2] + d[:, 2:]
    gy += 2 * d[:, 1:-1]
    gy *= np.float32(1.0 / (8.0 * dy))
    return gx, gy


def _as_float32(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z)
    if z.ndim != 2:
        raise ValueError(f"expected a 2-D elevation array, got shape {z.shape}")
    return z.astype(np.float32, copy=False)


#: Rows are processed in blocks of about this many cells: the temporaries stay in cache and are
#: reused instead of freshly mapped (a 5000 × 5000 DEM is several times faster than in one go).
_BLOCK_CELLS = 1 << 19


def _blocks(z: np.ndarray) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield (r0, r1, window): interior rows r0 … r1 − 1 and the rows r0 − 1 … r1 of ``z``."""
    rows, cols = z.shape
    step = max(1, _BLOCK_CELLS // cols)
    for r0 in range(1, rows - 1, step):
        r1 = min(r0 + step, rows - 1)
        yield r0, r1, z[r0 - 1 : r1 + 1]


def _nan_frame(shape: tuple[int, int]) -> np.ndarray:
    out = np.empty(shape, dtype=np.float32)
    out[0, :] = out[-1, :] = np.nan
    out[:, 0] = out[:, -1] = np.nan
    return out


def _mask_nan_centres(out: np.ndarray, z: np.ndarray) -> None:
    # The Horn window leaves the centre out, so a nodata centre does not propagate by itself.
    centre_nan = np.isnan(z)
    if centre_nan.any():
        out[centre_nan] = np.nan


def horn_gradient(z: np.ndarray, dx: float, dy: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (dz/dx, dz/dy) of elevation array ``z`` by Horn's method, float32, full size.

    ``dx`` is the column spacing and ``dy`` the signed row spacing in CRS units (a north-up
    raster has ``dy < 0``); the results are derivatives towards +x (east) and +y (north), in
    elevation units per CRS unit. NaN on the outer ring and next to NaN cells.
    """
    z = _as_float32(z)
    if min(z.shape) < 3:
        nan = np.full(z.shape, np.nan, dtype=np.float32)
        return nan, nan.copy()
    out_x, out_y = _nan_frame(z.shape), _nan_frame(z.shape)
    for r0, r1, window in _blocks(z):
        gx, gy = _horn_interior(window, dx, dy)
        out_x[r0:r1, 1:-1] = gx
        out_y[r0:r1, 1:-1] = gy
    _mask_nan_centres(out_x, z)
    _mask_nan_centres(out_y, z)
    return out_x, out_y


def slope_array(z: np.ndarray, dx: float, dy: float, units: SlopeUnits = "degrees") -> np.ndarray:
    """Return the slope of elevation array ``z`` (NaN = nodata) as float32 degrees or percent.

    ``dx``/``dy`` as in :func:`horn_gradient` (elevation and cell sizes in the same unit, metres).
    Cells on the outer ring or next to a NaN are NaN, as ``gdaldem slope`` without
    ``-compute_edges``.
    """
    _check_units(units)
    z = _as_float32(z)
    if min(z.shape) < 3:
        return np.full(z.shape, np.nan, dtype=np.float32)
    out = _nan_frame(z.shape)
    for r0, r1, window in _blocks(z):
        gx, gy = _horn_interior(window, dx, dy)
        # sqrt(gx² + gy²) in place; np.hypot is three times slower here.
        gx *= gx
        gy *= gy
        gx += gy
        np.sqrt(gx, out=gx)
        if units == "degrees":
            np.arctan(gx, out=gx)
            gx *= np.float32(180.0 / np.pi)
        else:
            gx *= np.float32(100.0)
        out[r0:r1, 1:-1] = gx
    _mask_nan_centres(out, z)
    return out


def slope_grid(dem: Grid, units: SlopeUnits = "degrees") -> Grid:
    """Return the slope of ``dem`` on the same grid (see :func:`slope_array`)."""
    values = slope_array(dem.values, dem.dx, dem.dy, units)
    return Grid(values=values, transform=dem.transform, crs=dem.crs, source=f"slope of {dem.source}")


def write_slope(
    dem_path: str | Path,
    out_path: str | Path,
    *,
    units: SlopeUnits = "degrees",
    dst_crs: str | CRS | None = None,
    resolution: float | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> Grid:
    """Compute the slope of the DEM at ``dem_path`` and write it to ``out_path``; return the slope grid.

    The output is a float32, deflate-compressed GeoTIFF on the DEM's grid (or, with ``dst_crs``,
    on the grid of the DEM reprojected to ``dst_crs`` — required for a geographic DEM), nodata
    -9999, values in ``units``. Raises the errors of :func:`gis.raster.read_dem`.
    """
    _check_units(units)
    if Path(str(out_path)).resolve() == Path(str(dem_path)).resolve():
        raise InputFileError(
            "output would overwrite the input DEM", where=str(out_path), msg=msg("error.slope.overwrite")
        )
    dem = read_dem(dem_path, max_cells=max_cells, dst_crs=dst_crs, resolution=resolution)
    slope = slope_grid(dem, units)
    write_float_geotiff(out_path, slope.values, slope.transform, slope.crs)
    return slope
