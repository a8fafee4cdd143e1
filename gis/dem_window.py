"""Reading only the part of a DEM a set of parcels needs: windows aligned to the DEM's grid.

A province's DEMs may be far larger than one machine's memory. :class:`WindowedDem` keeps a
DEM file's header (grid, CRS, extent) and reads, for the bounds of a set of parcels, the window
of whole DEM cells that covers them plus a margin of ``MARGIN_CELLS`` cells, as a
:class:`gis.zonal.TerrainSurface` whose slope is computed on that window.

Why the results equal the whole-DEM ones: the window's rows and columns are the DEM's own
(same cell edges, same values), every cell a parcel touches lies at least ``MARGIN_CELLS``
cells inside the window, and Horn's slope of a cell depends only on its 3 × 3 neighbourhood —
so each touched cell has the slope it has on the whole DEM (the outer ring of the window, which
has none, is never touched). The steep-land cut of :func:`gis.land.steep_geometry` looks one
cell further than the parcel's bounds; a margin of 3 cells covers that and the slope kernel
around it. Where the window meets the DEM's own edge it is cut there, as the DEM is.

The window's surface keeps the whole DEM's ``extent``, so parcels are assigned to DEMs as on
the whole DEM (:func:`gis.zonal.run_on_dems`). A window larger than ``max_cells`` is refused
(:class:`~gis.errors.LimitExceededError`): the caller splits its parcels into smaller sets.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

from gis.errors import InputFileError, LimitExceededError
from gis.messages import msg
from gis.raster import DEFAULT_MAX_CELLS, Grid, open_geotiff, read_band, require_metric_crs
from gis.zonal import TerrainSurface

#: Cells of margin around the parcels' bounds (slope kernel + the steep-land cut's extra cell).
MARGIN_CELLS: int = 3

#: (left, bottom, right, top) in the DEM's CRS units.
Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class WindowedDem:
    """A DEM file read by windows: its path and header, no pixels.

    ``transform`` is north-up (``a > 0``, ``e < 0``), ``width``/``height`` the DEM's size in
    cells, ``crs`` projected in metres, ``max_cells`` the largest window (cells) one read may
    hold. Pickles small: it can be sent to worker processes and machines that see the same file.
    """

    path: str
    crs: CRS
    transform: Affine
    width: int
    height: int
    max_cells: int = DEFAULT_MAX_CELLS

    @classmethod
    def open(cls, path: str | Path, *, max_cells: int = DEFAULT_MAX_CELLS) -> WindowedDem:
        """Check the DEM at ``path`` from its header (:func:`gis.raster.open_geotiff`, any size)
        and return it; no pixel is read.

        Raises the file errors of ``open_geotiff``, :class:`CRSError` for a CRS not in metres
        and :class:`InputFileError` for a grid that is not north-up (windows are read as stored).
        """
        with open_geotiff(path, max_cells=sys.maxsize) as src:
            require_metric_crs(src.crs, str(path))
            t = src.transform
            if not (t.a > 0 and t.e < 0):
                raise InputFileError(
                    "the DEM is not stored north-up (rows north to south, columns west to east)",
                    where=str(path),
                    hint="warp it to a north-up grid (gdalwarp) to read it by windows",
                    msg=msg("error.raster.window_not_north_up"),
                )
            return cls(str(path), src.crs, t, src.width, src.height, max_cells)

    @property
    def extent(self) -> Bounds:
        """(left, bottom, right, top) of the whole DEM."""
        t = self.transform
        return (t.c, t.f + self.height * t.e, t.c + self.width * t.a, t.f)

    @property
    def cells(self) -> int:
        """Cells of the whole DEM."""
        return self.width * self.height

    def window(self, bounds: Bounds, margin: int = MARGIN_CELLS) -> Window | None:
        """The window of DEM cells covering ``bounds`` plus ``margin`` cells, cut to the DEM
        (None when ``bounds`` lie off the DEM)."""
        t = self.transform
        xmin, ymin, xmax, ymax = bounds
        c0 = max(math.floor((xmin - t.c) / t.a) - margin, 0)
        c1 = min(math.ceil((xmax - t.c) / t.a) + margin, self.width)
        r0 = max(math.floor((ymax - t.f) / t.e) - margin, 0)
        r1 = min(math.ceil((ymin - t.f) / t.e) + margin, self.height)
        if c0 >= c1 or r0 >= r1:
            return None
        return Window(c0, r0, c1 - c0, r1 - r0)

    def window_cells(self, bounds: Bounds, margin: int = MARGIN_CELLS) -> int:
        """Cells of :meth:`window` for ``bounds`` (0 off the DEM)."""
        w = self.window(bounds, margin)
        return 0 if w is None else int(w.width * w.height)

    def read(self, bounds: Bounds, margin: int = MARGIN_CELLS) -> TerrainSurface | None:
        """Return the window for ``bounds`` as a surface (elevations float32, NaN = nodata; slope
        on first use) with the whole DEM's ``extent``, or None when ``bounds`` lie off the DEM.

        Raises :class:`LimitExceededError` when the window has more than ``max_cells`` cells.
        """
        w = self.window(bounds, margin)
        if w is None:
            return None
        cells = int(w.width * w.height)
        if cells > self.max_cells:
            raise LimitExceededError(
                f"a window of {w.width} × {w.height} = {cells:,} cells exceeds the limit of {self.max_cells:,}",
                where=self.path,
                hint="measure fewer parcels at a time (smaller partitions) or raise the limit",
                msg=msg(
                    "error.raster.window_too_large",
                    size=f"{w.width} × {w.height}",
                    cells=f"{cells:,}",
                    limit=f"{self.max_cells:,}",
                ),
            )
        with open_geotiff(self.path, max_cells=sys.maxsize) as src:
            values = read_band(src, 1, window=w)
            transform = src.window_transform(w)
        grid = Grid(values=values, transform=transform, crs=self.crs, source=self.path)
        return TerrainSurface(grid, extent=self.extent)
