"""Cut and fill (m³) to level each parcel to a plane, from the DEM cells it covers.

For a parcel, every DEM cell it touches is a sample (x, y, z) at the cell centre with weight
``a = coverage · cell area`` (m², exactextract's exact coverage). Two planes are fitted:

* **fit** — the coverage-weighted least-squares plane ``z = z̄ + gx·(x − x̄) + gy·(y − ȳ)``;
* **lim** — the same plane with its gradient magnitude clamped to the planned-slope limit
  (``planned_limit_pct`` %, CJJ 83-2016: 10 % for industrial land) in the same aspect direction,
  its offset refitted by least squares. When the fitted plane is within the limit, lim = fit.

With a least-squares offset the weighted residuals sum to zero, so cut equals fill (the volumes
balance on site) up to rounding. ``cut = Σ a · max(z − plane, 0)``, ``fill = Σ a · max(plane − z, 0)``.
``earthwork_lim_m3_per_mu`` is (cut + fill) of the limited plane per 亩 of the parcel area that
has DEM data (the whole parcel when the DEM covers it).

Everything is vectorised over a batch of parcels with per-parcel sums over contiguous slices of
the cells (:class:`gis.zonal.SortedGroups`); the 2 × 2 normal equations are solved for all
parcels at once (pseudo-inverse, so a parcel one cell wide gets the best plane along its length
and a single-cell parcel a horizontal one).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.raster import DEFAULT_MAX_CELLS, Grid
from gis.units import MU_M2
from gis.zonal import (
    DEFAULT_BATCH_SIZE,
    ParcelCells,
    SortedGroups,
    TerrainSurface,
    extract_cells,
    measure_on_dems,
)

#: CJJ 83-2016 planned (finished) slope limit of industrial land, %.
DEFAULT_PLANNED_LIMIT_PCT: float = 10.0

EARTHWORK_COLUMNS: tuple[str, ...] = (
    "earthwork_fit_cut_m3",
    "earthwork_fit_fill_m3",
    "earthwork_lim_cut_m3",
    "earthwork_lim_fill_m3",
    "earthwork_lim_m3_per_mu",
)


def check_planned_limit(planned_limit_pct: float) -> float:
    """Return the planned-slope limit (%) as a float; ValueError if negative or not finite."""
    lim = float(planned_limit_pct)
    if not np.isfinite(lim) or lim < 0:
        raise ValueError(f"planned_limit_pct must be a non-negative percentage, got {planned_limit_pct!r}")
    return lim


def earthwork_from_cells(
    cells: ParcelCells, dem: Grid, planned_limit_pct: float = DEFAULT_PLANNED_LIMIT_PCT
) -> pd.DataFrame:
    """Return cut/fill volumes per parcel of a batch (index 0 … n − 1), columns :data:`EARTHWORK_COLUMNS`.

    ``cells`` come from :func:`gis.zonal.extract_cells` on ``dem``'s grid. Volumes in m³,
    ``earthwork_lim_m3_per_mu`` in m³/亩. Parcels with no DEM data: NaN.
    """
    lim = check_planned_limit(planned_limit_pct) / 100.0
    n = cells.n_parcels
    z = cells.gather(dem).astype(np.float64)
    x, y = cells.centres(dem)
    ok = ~np.isnan(z)
    if ok.all():
        p, a = cells.parcel, cells.coverage * dem.cell_area
    else:
        p, z, x, y, a = cells.parcel[ok], z[ok], x[ok], y[ok], cells.coverage[ok] * dem.cell_area
    # The cells come parcel after parcel: per-parcel sums are sums over contiguous slices.
    groups = SortedGroups.of(p, n)
    wsum, spread = groups.sum, groups.spread

    area = wsum(a)
    has = area > 0
    area_d = np.where(has, area, 1.0)
    # Centre on the weighted centroid: the offset is then z̄ and the 2 × 2 system is well scaled.
    x -= spread(wsum(a * x) / area_d)
    y -= spread(wsum(a * y) / area_d)
    z -= spread(wsum(a * z) / area_d)
    ax, ay = a * x, a * y
    m = np.empty((n, 2, 2))
    m[:, 0, 0] = wsum(ax * x)
    m[:, 0, 1] = m[:, 1, 0] = wsum(ax * y)
    m[:, 1, 1] = wsum(ay * y)
    rhs = np.stack([wsum(ax * z), wsum(ay * z)], axis=1)
    del ax, ay
    grad = np.einsum("nij,nj->ni", np.linalg.pinv(m, rcond=1e-10), rhs)
    gx, gy = grad[:, 0], grad[:, 1]
    plane = spread(gx) * x
    plane += spread(gy) * y

    def cut_fill(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # fill = Σa·max(−r, 0) = cut − Σa·r (Σa·r is 0 up to rounding: the offset is least squares).
        cut = wsum(a * np.maximum(r, 0.0))
        return cut, np.maximum(cut - wsum(a * r), 0.0)

    fit_cut, fit_fill = cut_fill(z - plane)
    steep = np.hypot(gx, gy)
    scale = np.where(steep > lim, lim / np.where(steep > 0, steep, 1.0), 1.0)
    # offset refit: Σa·(Z − s·plane) = 0 already, as X, Y, Z are centred
    lim_cut, lim_fill = cut_fill(z - spread(scale) * plane)

    out = pd.DataFrame(
        {
            "earthwork_fit_cut_m3": fit_cut,
            "earthwork_fit_fill_m3": fit_fill,
            "earthwork_lim_cut_m3": lim_cut,
            "earthwork_lim_fill_m3": lim_fill,
            "earthwork_lim_m3_per_mu": (lim_cut + lim_fill) / (area_d / MU_M2),
        }
    )
    out.loc[~has, :] = np.nan
    return out


def earthwork(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    dem_paths: str | Path | Sequence[str | Path],
    planned_limit_pct: float = DEFAULT_PLANNED_LIMIT_PCT,
    *,
    max_cells: int = DEFAULT_MAX_CELLS,
    batch_size: int | None = DEFAULT_BATCH_SIZE,
) -> pd.DataFrame:
    """Return earthwork columns (:data:`EARTHWORK_COLUMNS`) per parcel, indexed like ``parcels``.

    ``parcels`` are polygons in the DEMs' CRS (metres); see :func:`gis.zonal.measure_on_dems` for
    DEM assignment, reporting of uncovered parcels and errors.
    """
    check_planned_limit(planned_limit_pct)

    def batch(geoms: np.ndarray, surface: TerrainSurface) -> pd.DataFrame:
        return earthwork_from_cells(extract_cells(geoms, surface.dem), surface.dem, planned_limit_pct)

    return measure_on_dems(
        parcels, dem_paths, batch, EARTHWORK_COLUMNS, max_cells=max_cells, batch_size=batch_size
    )
