"""Per-parcel zonal statistics of slope, with exactextract's exact partial-cell coverage.

The work is done in three steps, each vectorised over a whole batch of parcels:

1. :func:`extract_cells` — one ``exactextract`` pass returns, for every parcel, the raster cells it
   touches (``cell_id``) and the exact fraction of each cell inside the polygon (``coverage``).
2. Slope values are gathered from the in-memory slope grid (computed once per DEM, never written
   to disk) and summarised with ``numpy`` group reductions (:func:`slope_stats`). The statistics
   are exactextract's own definitions — coverage-weighted mean, max of touched cells, and the
   coverage-weighted quantile of exactextract's ``quantile`` operation — and the tests check them
   against exactextract's operations. The cells come parcel after parcel, so per-parcel sums
   and maxima are reductions over contiguous slices (:class:`SortedGroups`).
3. :func:`run_on_dems` assigns parcels to the DEM that covers them (zones ship one DEM per
   park) and runs a batch function per DEM — the one place of that rule, used on DEM files by
   :func:`measure_on_dems` and on DEMs in memory by :func:`gis.terrain.measure_terrain_on_surfaces`.

Any function taking ``(geometries, surface)`` is a batch function, so callers can split large
parcel sets into batches (e.g. across processes) and concatenate the results.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from rasterio.crs import CRS

from gis.cells import ParcelCells, SortedGroups, extract_cells, weighted_quantile_by_group
from gis.errors import CRSError, GeometryError, MissingCRSError, NoOverlapError
from gis.messages import msg
from gis.raster import DEFAULT_MAX_CELLS, Grid, open_geotiff, read_dem, require_metric_crs
from gis.slope import slope_grid

log = logging.getLogger(__name__)

#: Parcels per exactextract/numpy batch: bounds the memory of per-cell arrays, and is faster
#: than one huge batch (the per-cell temporaries stay in the CPU caches): for 20,000 parcels of
#: ~170 cells, 1,000–2,000 took 1.33 s of terrain measures, 5,000 1.48 s, 10,000 1.76 s.
DEFAULT_BATCH_SIZE: int = 2000

#: The quantile reported as ``slope_p90_deg``.
P90: float = 0.9

SLOPE_STAT_COLUMNS: tuple[str, ...] = ("slope_mean_deg", "slope_max_deg", "slope_p90_deg", "slope_mean_pct")
OVER_LIMIT_COLUMN = "slope_over_limit_share"


def share_column(limit_pct: float) -> str:
    """Return the column name for the area share below ``limit_pct`` %, e.g. ``slope_share_lt_15pct``."""
    return f"slope_share_lt_{float(limit_pct):g}pct"


def slope_columns(limits_pct: Iterable[float]) -> list[str]:
    """Return the slope measure columns, in order, for the given percent limits."""
    return [*SLOPE_STAT_COLUMNS, *(share_column(p) for p in check_limits(limits_pct)), OVER_LIMIT_COLUMN]


def check_limits(limits_pct: Iterable[float]) -> list[float]:
    """Return the percent limits as floats without duplicates; ValueError unless all are > 0."""
    out: list[float] = []
    for p in limits_pct:
        p = float(p)
        if not math.isfinite(p) or p <= 0:
            raise ValueError(f"slope limits must be positive percentages, got {p!r}")
        if p not in out:
            out.append(p)
    return out


# --------------------------------------------------------------------------- DEM + slope in memory


class TerrainSurface:
    """A DEM grid and, computed on first use, its slope in degrees on the same grid.

    ``extent`` is (left, bottom, right, top) of the whole DEM file the grid comes from: the
    grid's own bounds, unless the grid is a window of a larger DEM
    (:func:`gis.dem_window.WindowedDem.read`). Parcels are assigned to DEMs by their overlap
    with ``extent``, so a window measures the same parcels the whole DEM would.
    """

    def __init__(self, dem: Grid, extent: tuple[float, float, float, float] | None = None):
        self.dem = dem
        self.extent: tuple[float, float, float, float] = dem.bounds if extent is None else extent

    @cached_property
    def slope_deg(self) -> Grid:
        """Horn slope in degrees (float32, NaN at edges and next to nodata)."""
        return slope_grid(self.dem, "degrees")

    @property
    def source(self) -> str:
        return self.dem.source


def load_surface(path: str | Path, *, max_cells: int = DEFAULT_MAX_CELLS) -> TerrainSurface:
    """Read the DEM at ``path`` (see :func:`gis.raster.read_dem`) as a :class:`TerrainSurface`."""
    return TerrainSurface(read_dem(path, max_cells=max_cells))


def slope_stats(
    cells: ParcelCells,
    slope_deg: Grid,
    limits_pct: Iterable[float],
    natural_limit_pct: float | None = None,
) -> pd.DataFrame:
    """Return slope statistics per parcel of a batch (index 0 … n − 1), columns :func:`slope_columns`.

    Over the cells with a slope value, weighted by coverage: ``slope_mean_deg`` (°),
    ``slope_max_deg`` (° of the steepest touched cell), ``slope_p90_deg`` (°, exactextract's
    weighted quantile), ``slope_mean_pct`` (mean of 100·tan(slope), %), ``slope_share_lt_{P}pct``
    (area share, 0–1, strictly below P %, i.e. below atan(P/100) in degrees) and
    ``slope_over_limit_share`` (share at or above the natural limit, by default the largest). Shares are of the parcel area that has a slope
    value (cells at the DEM edge or next to nodata have none). Parcels without any: NaN.
    """
    limits = check_limits(limits_pct)
    natural = max(limits) if natural_limit_pct is None else check_limits([natural_limit_pct])[0]
    n = cells.n_parcels
    s = cells.gather(slope_deg)
    ok = ~np.isnan(s)
    if ok.all():
        p, c = cells.parcel, cells.coverage
    else:
        p, s, c = cells.parcel[ok], s[ok], cells.coverage[ok]
    groups = SortedGroups.of(p, n)
    w = groups.sum(c)
    wd = np.where(w > 0, w, np.nan)

    def mean(weights: np.ndarray) -> np.ndarray:
        return groups.sum(weights) / wd

    tan = np.tan(np.radians(s, dtype=np.float64))
    tan *= c
    cols: dict[str, np.ndarray] = {
        "slope_mean_deg": mean(c * s),
        "slope_max_deg": groups.max(s),
        "slope_p90_deg": weighted_quantile_by_group(p, s, c, n, P90),
        "slope_mean_pct": 100.0 * mean(tan),
    }
    del tan
    for lim in limits:
        cols[share_column(lim)] = mean(np.where(s < _limit_deg(lim, s.dtype), c, 0.0))
    cols[OVER_LIMIT_COLUMN] = mean(np.where(s >= _limit_deg(natural, s.dtype), c, 0.0))
    return pd.DataFrame(cols)


def _limit_deg(limit_pct: float, dtype: np.dtype) -> np.generic:
    """The slope in degrees of a limit in percent, in the slope's dtype (so < and >= are complementary)."""
    return np.dtype(dtype).type(math.degrees(math.atan(limit_pct / 100.0)))


# --------------------------------------------------------------------------- parcels × DEMs


BatchFn = Callable[[np.ndarray, TerrainSurface], pd.DataFrame]


@dataclass(frozen=True)
class _DemHeader:
    path: str
    crs: CRS
    bounds: tuple[float, float, float, float]


def _dem_headers(dem_paths: str | Path | Sequence[str | Path], max_cells: int) -> list[_DemHeader]:
    paths = [dem_paths] if isinstance(dem_paths, (str, Path)) else list(dem_paths)
    if not paths:
        raise ValueError("no DEM given")
    headers = []
    for path in paths:
        with open_geotiff(path, max_cells=max_cells) as src:
            require_metric_crs(src.crs, str(path))
            b = src.bounds
            headers.append(
                _DemHeader(
                    str(path),
                    src.crs,
                    (min(b.left, b.right), min(b.bottom, b.top), max(b.left, b.right), max(b.bottom, b.top)),
                )
            )
    return headers


def _parcel_geometries(parcels: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[np.ndarray, pyproj.CRS]:
    if not isinstance(parcels, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise TypeError(f"parcels must be a GeoDataFrame, not {type(parcels).__name__}")
    if parcels.crs is None:
        raise MissingCRSError(
            "the parcel layer has no CRS",
            where="parcels",
            hint="set it (e.g. EPSG:4546); parksite never guesses",
            msg=msg("error.parcels.no_crs"),
        )
    geoms = np.asarray(parcels.geometry.values)
    bad_missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad_missing.any():
        labels = list(parcels.index[bad_missing][:5])
        raise GeometryError(
            f"{int(bad_missing.sum())} parcel(s) have no geometry, e.g. rows {labels}",
            where="parcels.geometry",
            hint="drop or repair them before measuring",
            msg=msg("error.parcels.no_geometry", n=int(bad_missing.sum()), rows=labels),
        )
    types = shapely.get_type_id(geoms)
    bad_type = ~np.isin(types, (3, 6))  # Polygon, MultiPolygon
    if bad_type.any():
        i = np.flatnonzero(bad_type)[:5]
        found = sorted({shapely.get_type_id(geoms[j]) for j in i})
        names = [shapely.GeometryType(t).name for t in found]
        raise GeometryError(
            f"{int(bad_type.sum())} parcel(s) are not polygons ({', '.join(names)}), e.g. rows "
            f"{list(parcels.index[i])}",
            where="parcels.geometry",
            hint="parcels must be Polygon or MultiPolygon",
            msg=msg(
                "error.parcels.not_polygons", n=int(bad_type.sum()), types=names, rows=list(parcels.index[i])
            ),
        )
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        i = np.flatnonzero(invalid)[:5]
        raise GeometryError(
            f"{int(invalid.sum())} parcel(s) have invalid geometry, e.g. row {parcels.index[i[0]]!r}: "
            f"{shapely.is_valid_reason(geoms[i[0]])} (rows {list(parcels.index[i])})",
            where="parcels.geometry",
            hint="repair them first (e.g. shapely.make_valid); areas of invalid polygons are meaningless",
            msg=msg(
                "error.parcels.invalid",
                n=int(invalid.sum()),
                row=repr(parcels.index[i[0]]),
                reason=shapely.is_valid_reason(geoms[i[0]]),
                rows=list(parcels.index[i]),
            ),
        )
    return geoms, parcels.crs


def _same_crs(a: pyproj.CRS, b: CRS) -> bool:
    other = pyproj.CRS.from_wkt(b.to_wkt())
    if a.equals(other, ignore_axis_order=True):
        return True
    ea, eb = a.to_epsg(), other.to_epsg()
    return ea is not None and ea == eb


def dem_overlap_areas(
    geometries: np.ndarray, extents: Sequence[tuple[float, float, float, float]]
) -> np.ndarray:
    """Return the area (CRS units², m²) of each polygon inside each extent, shape (polygons, extents).

    ``extents`` are (left, bottom, right, top) of the DEMs, in the polygons' CRS.
    """
    b = shapely.bounds(geometries)
    area = shapely.area(geometries)
    out = np.zeros((len(geometries), len(extents)))
    for j, (left, bottom, right, top) in enumerate(extents):
        inside = (b[:, 0] >= left) & (b[:, 1] >= bottom) & (b[:, 2] <= right) & (b[:, 3] <= top)
        touches = (b[:, 2] > left) & (b[:, 0] < right) & (b[:, 3] > bottom) & (b[:, 1] < top)
        out[inside, j] = area[inside]
        partial = touches & ~inside
        if partial.any():
            extent = shapely.box(left, bottom, right, top)
            out[partial, j] = shapely.area(shapely.intersection(geometries[partial], extent))
    return out


def run_on_dems(
    geometries: np.ndarray,
    extents: Sequence[tuple[float, float, float, float]],
    surface_at: Callable[[int], TerrainSurface],
    batch_fn: BatchFn,
    columns: Sequence[str],
    *,
    batch_size: int | None = None,
) -> np.ndarray:
    """Return a (polygons × columns) float64 array of ``batch_fn`` results, one DEM per polygon.

    The DEM assignment rule of every terrain measure: a polygon is measured on the DEM whose
    extent (``extents[j]``) holds most of its area; if that DEM has no data under it (the
    whole row NaN), on the next, and so on. ``surface_at(j)`` gives DEM ``j`` — from memory, or
    read from a file on demand (it is called once per DEM and attempt, so a reader holds one DEM
    at a time). ``batch_size`` splits each DEM's polygons into batches of at most that many
    (None: one batch). Rows stay NaN for polygons no DEM has data under.
    """
    geoms = np.asarray(geometries, dtype=object)
    values = np.full((len(geoms), len(columns)), np.nan)
    if len(geoms) == 0 or not len(extents):
        return values
    overlap = dem_overlap_areas(geoms, extents)
    ranking = np.argsort(-overlap, axis=1, kind="stable")
    pending = np.flatnonzero(overlap.max(axis=1) > 0)
    for attempt in range(len(extents)):
        if len(pending) == 0:
            break
        choice = ranking[pending, attempt]
        usable = overlap[pending, choice] > 0
        pending, choice = pending[usable], choice[usable]
        still_missing = []
        for j in np.unique(choice):
            rows = pending[choice == j]
            surface = surface_at(int(j))
            step = len(rows) if not batch_size else batch_size
            for start in range(0, len(rows), step):
                part = rows[start : start + step]
                block = (
                    batch_fn(geoms[part], surface).reindex(columns=list(columns)).to_numpy(dtype=np.float64)
                )
                values[part] = block
                still_missing.append(part[np.isnan(block).all(axis=1)])
            del surface
        pending = np.concatenate(still_missing) if still_missing else np.empty(0, np.int64)
    return values


def measure_on_dems(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    dem_paths: str | Path | Sequence[str | Path],
    batch_fn: BatchFn,
    columns: Sequence[str],
    *,
    max_cells: int = DEFAULT_MAX_CELLS,
    batch_size: int | None = DEFAULT_BATCH_SIZE,
) -> pd.DataFrame:
    """Run ``batch_fn(geometries, surface)`` for the parcels on each DEM; return one DataFrame.

    Each parcel is measured on the DEM whose extent holds most of its area; if that DEM has no
    data under it, on the next one (:func:`run_on_dems`). The result is indexed like ``parcels``
    with ``columns``; parcels no DEM covers get NaN, are logged, and are listed in
    ``result.attrs["parcels_without_dem"]``. ``batch_size`` splits each DEM's parcels into
    batches of at most that many (``None``: one batch per DEM). DEMs are read from the files one
    at a time; for DEMs already in memory use :func:`gis.terrain.measure_terrain_on_surfaces`.

    Raises :class:`MissingCRSError`/:class:`CRSError` when the parcels have no CRS or another CRS
    than a DEM, :class:`GeometryError` for missing or non-polygon geometries,
    :class:`NoOverlapError` when no parcel overlaps any DEM, and the DEM errors of
    :func:`gis.raster.open_geotiff` (headers are all checked before any pixel is read).
    """
    geoms, crs = _parcel_geometries(parcels)
    headers = _dem_headers(dem_paths, max_cells)
    for h in headers:
        if not _same_crs(crs, h.crs):
            raise CRSError(
                f"the parcels are in {crs.to_string()} but the DEM is in {h.crs.to_string()}",
                where=h.path,
                hint=f"reproject the parcels first: parcels.to_crs('{h.crs.to_string()}')",
                msg=msg("error.parcels.dem_crs", crs=crs.to_string(), dem_crs=h.crs.to_string()),
            )
    if len(geoms) == 0:
        result = pd.DataFrame(np.nan, index=parcels.index, columns=list(columns))
        result.attrs["parcels_without_dem"] = []
        return result
    extents = [h.bounds for h in headers]
    if not (dem_overlap_areas(geoms, extents) > 0).any():
        shown = "; ".join(f"{Path(h.path).name} {tuple(round(v) for v in h.bounds)}" for h in headers)
        raise NoOverlapError(
            f"none of the {len(geoms)} parcels overlaps a DEM: parcels span "
            f"{tuple(round(v) for v in shapely.total_bounds(geoms))}, DEMs: {shown}",
            where="parcels",
            hint="check that parcels and DEMs are of the same zone and CRS",
            msg=msg("error.parcels.no_dem_overlap", n=len(geoms)),
        )
    values = run_on_dems(
        geoms,
        extents,
        lambda j: load_surface(headers[j].path, max_cells=max_cells),
        batch_fn,
        columns,
        batch_size=batch_size,
    )
    return without_dem_frame(values, parcels.index, columns)


def without_dem_frame(
    values: np.ndarray, index: pd.Index, columns: Sequence[str], *, warn: bool = True
) -> pd.DataFrame:
    """Return ``values`` as a DataFrame (``index``, ``columns``) whose ``attrs["parcels_without_dem"]``
    lists the labels of all-NaN rows (parcels no DEM has data under), logged as a warning if ``warn``."""
    result = pd.DataFrame(values, index=index, columns=list(columns))
    missing = np.isnan(values).all(axis=1) if values.shape[1] else np.zeros(len(values), dtype=bool)
    labels = list(index[missing])
    result.attrs["parcels_without_dem"] = labels
    if labels and warn:
        log.warning(
            "%d parcel(s) are not covered by DEM data and get NaN terrain measures, e.g. %s",
            len(labels),
            labels[:10],
        )
    return result


def zonal_slope(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    dem_paths: str | Path | Sequence[str | Path],
    slope_limits_pct: Iterable[float],
    *,
    natural_limit_pct: float | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    batch_size: int | None = DEFAULT_BATCH_SIZE,
) -> pd.DataFrame:
    """Return per-parcel slope statistics (see :func:`slope_stats`), indexed like ``parcels``.

    ``parcels`` are polygons in the DEMs' CRS; ``dem_paths`` is one DEM or several (one per park);
    ``slope_limits_pct`` the zone's slope limits in % (its ``scoring.slope_limits``: gis has no
    default). The slope of each DEM is computed once, in memory. Errors as :func:`measure_on_dems`.
    """
    limits = check_limits(slope_limits_pct)
    if natural_limit_pct is not None:
        check_limits([natural_limit_pct])

    def batch(geoms: np.ndarray, surface: TerrainSurface) -> pd.DataFrame:
        return slope_stats(extract_cells(geoms, surface.dem), surface.slope_deg, limits, natural_limit_pct)

    return measure_on_dems(
        parcels, dem_paths, batch, slope_columns(limits), max_cells=max_cells, batch_size=batch_size
    )
