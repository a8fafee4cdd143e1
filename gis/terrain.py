"""All terrain measures of parcels — slope statistics and earthwork — in one pass per DEM."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from gis.crs import crs_label
from gis.earthwork import (
    DEFAULT_PLANNED_LIMIT_PCT,
    EARTHWORK_COLUMNS,
    check_planned_limit,
    earthwork_from_cells,
)
from gis.errors import CRSError, MissingCRSError
from gis.layers import geometry_array
from gis.messages import msg
from gis.raster import DEFAULT_MAX_CELLS
from gis.zonal import (
    DEFAULT_BATCH_SIZE,
    TerrainSurface,
    check_limits,
    extract_cells,
    measure_on_dems,
    run_on_dems,
    slope_columns,
    slope_stats,
    without_dem_frame,
)


def terrain_columns(slope_limits_pct: Iterable[float]) -> list[str]:
    """Return the column names :func:`measure_terrain` produces, in order."""
    return [*slope_columns(slope_limits_pct), *EARTHWORK_COLUMNS]


def measure_terrain_batch(
    geometries: np.ndarray | gpd.GeoSeries,
    surface: TerrainSurface,
    slope_limits_pct: Iterable[float],
    planned_limit_pct: float = DEFAULT_PLANNED_LIMIT_PCT,
    *,
    natural_limit_pct: float | None = None,
    chunk_size: int = DEFAULT_BATCH_SIZE,
) -> pd.DataFrame:
    """Return slope and earthwork measures for one batch of polygons on one DEM (index 0 … n − 1).

    ``geometries`` must be in ``surface``'s CRS. One exactextract pass serves both the slope
    statistics and the earthwork. Batches are independent: split a large parcel set, run
    batches anywhere (e.g. worker processes holding the same surface) and concatenate. Inside,
    the work goes ``chunk_size`` polygons at a time, which bounds the per-cell arrays (and is
    faster than one huge pass).
    """
    limits = list(slope_limits_pct)
    geoms = np.asarray(geometries, dtype=object)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    parts = []
    for start in range(0, max(len(geoms), 1), chunk_size):
        cells = extract_cells(geoms[start : start + chunk_size], surface.dem)
        slope = slope_stats(cells, surface.slope_deg, limits, natural_limit_pct)
        work = earthwork_from_cells(cells, surface.dem, planned_limit_pct)
        parts.append(pd.concat([slope, work], axis=1))
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def measure_terrain_on_surfaces(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray,
    surfaces: Sequence[TerrainSurface],
    slope_limits_pct: Iterable[float],
    planned_limit_pct: float = DEFAULT_PLANNED_LIMIT_PCT,
    *,
    natural_limit_pct: float | None = None,
) -> pd.DataFrame:
    """Return the columns of :func:`measure_terrain` for parcels on DEMs already in memory.

    ``surfaces`` are the zone's DEMs (slope computed once and cached on each surface), so many
    batches of parcels can be measured without reading a DEM again. The DEM of each parcel is
    chosen by the rule of :func:`gis.zonal.run_on_dems` (most area, then the next with data).
    ``parcels`` are valid polygons in the surfaces' CRS: a GeoDataFrame/GeoSeries (its CRS is
    checked; the result takes its index) or an array of geometries (not checked; index
    0 … n − 1). Parcels no DEM covers get NaN and are listed in
    ``result.attrs["parcels_without_dem"]`` (not logged: the caller reports them). Raises
    MissingCRSError / CRSError for a parcel layer without CRS or in another CRS than a DEM,
    ValueError for bad limits.
    """
    limits = list(slope_limits_pct)
    columns = terrain_columns(limits)
    check_planned_limit(planned_limit_pct)
    if natural_limit_pct is not None:
        check_limits([natural_limit_pct])
    geoms = geometry_array(parcels)
    index: pd.Index = pd.RangeIndex(len(geoms))
    if isinstance(parcels, (gpd.GeoDataFrame, gpd.GeoSeries)):
        index = parcels.index
        if parcels.crs is None:
            raise MissingCRSError(
                "the parcel layer has no CRS",
                where="parcels",
                hint="set it (e.g. EPSG:4546); parksite never guesses",
                msg=msg("error.parcels.no_crs"),
            )
        crs = CRS.from_user_input(parcels.crs)
        for surface in surfaces:
            dem_crs = CRS.from_user_input(surface.dem.crs.to_wkt())
            if dem_crs != crs:
                raise CRSError(
                    f"the parcels are in {crs_label(crs)} but the DEM is in {crs_label(dem_crs)}",
                    where=surface.source,
                    hint="reproject the parcels to the DEMs' CRS first",
                    msg=msg("error.parcels.dem_crs", crs=crs_label(crs), dem_crs=crs_label(dem_crs)),
                )

    def batch(part: np.ndarray, surface: TerrainSurface) -> pd.DataFrame:
        return measure_terrain_batch(
            part, surface, limits, planned_limit_pct, natural_limit_pct=natural_limit_pct
        )

    values = run_on_dems(geoms, [s.extent for s in surfaces], surfaces.__getitem__, batch, columns)
    return without_dem_frame(values, index, columns, warn=False)


def measure_terrain(
    parcels_gdf: gpd.GeoDataFrame,
    dem_paths: str | Path | Sequence[str | Path],
    slope_limits_pct: Iterable[float],
    planned_limit_pct: float = DEFAULT_PLANNED_LIMIT_PCT,
    *,
    natural_limit_pct: float | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    batch_size: int | None = DEFAULT_BATCH_SIZE,
) -> pd.DataFrame:
    """Return every slope and earthwork column for each parcel, indexed like ``parcels_gdf``.

    Columns: ``slope_mean_deg``, ``slope_max_deg``, ``slope_p90_deg`` (°), ``slope_mean_pct`` (%),
    ``slope_share_lt_{P}pct`` for each P in ``slope_limits_pct`` and ``slope_over_limit_share``
    (0–1; the natural limit is ``natural_limit_pct``, default the largest of the limits), then
    ``earthwork_{fit,lim}_{cut,fill}_m3`` (m³) and ``earthwork_lim_m3_per_mu`` (m³/亩) for the
    planned-slope limit ``planned_limit_pct`` (%).

    ``parcels_gdf`` are polygons in the DEMs' CRS; ``dem_paths`` one DEM or one per park; the
    slope limits come from the zone's configuration (``scoring.slope_limits``; gis has no default). Each
    DEM is read and its slope computed once, in memory. Parcels no DEM covers get NaN and are
    listed in ``result.attrs["parcels_without_dem"]``. Raises the errors of
    :func:`gis.zonal.measure_on_dems` (no CRS, CRS mismatch, bad geometry, no overlap, bad DEM).
    """
    limits = list(slope_limits_pct)
    # Validate the limits before any file is opened.
    columns = terrain_columns(limits)
    check_planned_limit(planned_limit_pct)
    if natural_limit_pct is not None:
        check_limits([natural_limit_pct])

    def batch(geoms: np.ndarray, surface: TerrainSurface) -> pd.DataFrame:
        return measure_terrain_batch(
            geoms, surface, limits, planned_limit_pct, natural_limit_pct=natural_limit_pct
        )

    return measure_on_dems(parcels_gdf, dem_paths, batch, columns, max_cells=max_cells, batch_size=batch_size)
