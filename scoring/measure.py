"""Measuring parcels against a zone: terrain, access, network distances and exclusion facts.

:func:`measure_batch` returns every measure column (docs/architecture.md names them, with their
units) for a batch of parcels on a :class:`scoring.context.ZoneContext`; batches are
independent, so their results concatenate (:mod:`scoring.batch` runs them in batches and worker
processes). :func:`measure_parcels` builds the context and measures in one call.
:func:`dem_overlap` and :func:`no_overlap_error` check that parcels lie on the zone's DEMs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gis.crs import crs_label
from gis.errors import CRSError, MissingCRSError, NoOverlapError
from gis.exclusion import measure_exclusion
from gis.land import buildable_shares
from gis.layers import geometry_array
from gis.messages import msg
from gis.network import RoadNetwork, measure_network
from gis.proximity import measure_access
from gis.terrain import measure_terrain_on_surfaces
from gis.units import MU_M2
from gis.zonal import dem_overlap_areas
from scoring.context import Note, ZoneContext, dedupe_notes
from scoring.zone import ZoneConfig

#: The measuring steps of one batch, in order (names used for progress and timings).
MEASURE_STEPS: tuple[str, ...] = ("terrain", "access", "network", "exclusion")


def no_overlap_error(
    geoms: np.ndarray, extents: Sequence[tuple[str, tuple[float, ...]]], crs: CRS
) -> NoOverlapError:
    """Return the NoOverlapError for parcels ``geoms`` that lie on none of the DEM ``extents``
    (``(file name, (left, bottom, right, top))`` in ``crs``), naming both extents."""
    shown = "; ".join(f"{name} {tuple(round(v) for v in b)}" for name, b in extents)
    return NoOverlapError(
        f"none of the {len(geoms)} parcels overlaps the zone's DEMs: parcels span "
        f"{tuple(round(v) for v in shapely.total_bounds(geoms))} ({crs_label(crs)}), DEMs: {shown}",
        where="parcels",
        hint="check that the parcels belong to this zone (or pass its DEMs with --dem)",
        msg=msg("error.pipeline.no_overlap", n=len(geoms), crs=crs_label(crs)),
    )


def dem_overlap(ctx: ZoneContext, geoms: np.ndarray) -> np.ndarray:
    """Return the area (m²) of each parcel inside each DEM's extent, shape (parcels, DEMs)."""
    return dem_overlap_areas(geoms, [extent for _, extent in ctx.dem_extents()])


def check_crs(ctx: ZoneContext, parcels: gpd.GeoDataFrame | gpd.GeoSeries) -> None:
    """Raise MissingCRSError for parcels without a CRS, CRSError for parcels in another CRS than
    the zone's; return None when they are in the zone CRS."""
    if parcels.crs is None:
        raise MissingCRSError(
            "the parcels have no CRS",
            where="parcels",
            hint=f"read them with read_parcels (reprojects to {crs_label(ctx.crs)})",
            msg=msg("error.parcels.no_crs"),
        )
    if CRS.from_user_input(parcels.crs) != ctx.crs:
        raise CRSError(
            f"the parcels are in {crs_label(parcels.crs)}, the zone in {crs_label(ctx.crs)}",
            where="parcels",
            hint="read them with read_parcels, which reprojects them",
            msg=msg("error.pipeline.crs", crs=crs_label(parcels.crs), zone_crs=crs_label(ctx.crs)),
        )


def measure_batch(
    ctx: ZoneContext,
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    on_step: Callable[[str, float], None] | None = None,
) -> pd.DataFrame:
    """Return every measure column for a batch of parcels, indexed like ``parcels``.

    ``parcels`` are valid polygons in the zone CRS. Columns: ``area_m2`` (m²), ``area_mu`` (亩),
    the terrain columns of :func:`gis.terrain.measure_terrain` (°, %, shares 0–1, m³, m³/亩),
    the access columns of :func:`gis.proximity.measure_access` (m, kV, names),
    ``net_dist_m_{destination}`` (m) of :func:`gis.network.measure_network` and the exclusion
    facts of :func:`gis.exclusion.measure_exclusion` (shares 0–1, river name) and
    ``buildable_share`` (0–1, net ÷ gross area, :func:`gis.land.buildable_shares`).

    ``result.attrs``: ``notes`` (missing layers, unreachable parcels …) and
    ``without_dem`` (labels of the parcels no DEM covers: their terrain columns are NaN).
    ``on_step(step, seconds)`` is called after each of ``MEASURE_STEPS``.
    """
    check_crs(ctx, parcels)
    geoms = geometry_array(parcels)
    index = parcels.index
    notes: list[Note] = []

    def done(step: str, t0: float) -> float:
        t1 = time.perf_counter()
        if on_step is not None:
            on_step(step, t1 - t0)
        return t1

    t = time.perf_counter()
    area = shapely.area(geoms)
    parts = [pd.DataFrame({"area_m2": area, "area_mu": area / MU_M2}, index=index)]
    terrain = measure_terrain_on_surfaces(
        geoms,
        ctx.surfaces,
        ctx.slope_limits_pct,
        ctx.planned_limit_pct,
        natural_limit_pct=ctx.natural_limit_pct,
    )
    no_dem = np.isnan(terrain.to_numpy()).all(axis=1)
    terrain.index = index
    parts.append(terrain)
    t = done("terrain", t)

    access = measure_access(parcels, ctx.layers)
    notes += access.attrs.get("notes", [])
    parts.append(access)
    t = done("access", t)

    network = measure_network(parcels, ctx.network, ctx.destinations, targets=ctx.network_targets())
    notes += network.attrs.get("notes", [])
    parts.append(network)
    t = done("network", t)

    exclusion = measure_exclusion(parcels, zones=ctx.exclusion_zones())
    notes += exclusion.attrs.get("notes", [])
    parts.append(exclusion)
    land = ctx.zone.land
    exclusion["buildable_share"] = buildable_shares(
        geoms,
        ctx.exclusion_zones(),
        [s.slope_deg for s in ctx.surfaces],
        ctx.natural_limit_pct,
        river_share=exclusion["river_share"].to_numpy(dtype=float),
        outside_share=exclusion["outside_park_share"].to_numpy(dtype=float),
        steep_share=terrain["slope_over_limit_share"].to_numpy(dtype=float),
        deduct=land.deduct if land is not None else ("outside_park", "river", "steep"),
    )
    done("exclusion", t)

    out = pd.concat(parts, axis=1)
    out.attrs = {"notes": dedupe_notes(notes), "without_dem": list(index[no_dem])}
    return out


def measure_parcels(
    parcels: gpd.GeoDataFrame,
    zone: ZoneConfig,
    layers: Mapping[str, gpd.GeoDataFrame | None],
    dem_paths: Sequence[str | Path],
    *,
    network: RoadNetwork | None = None,
) -> pd.DataFrame:
    """Return all measure columns (see :func:`measure_batch`) for ``parcels``, indexed like them.

    ``layers`` are the zone layers by name (``ZONE_LAYERS``), ``dem_paths`` the DEMs. A road
    ``network`` built once with :func:`gis.network.build_network` may be passed to skip noding
    the roads again. For many batches build a :class:`ZoneContext` once and call
    :func:`measure_batch` per batch instead.
    """
    ctx = ZoneContext.build(zone, layers, dem_paths)
    if network is not None:
        ctx.network = network
    parcels = (
        parcels
        if parcels.crs is None or CRS.from_user_input(parcels.crs) == ctx.crs
        else parcels.to_crs(ctx.crs)
    )
    out = measure_batch(ctx, parcels)
    out.attrs["notes"] = dedupe_notes(ctx.notes + out.attrs["notes"])
    return out
