"""Batch scoring of parcels: measure every parcel against a zone's layers and DEMs, then score it.

Two steps, both over whole arrays of parcels:

1. **Measures** (:func:`measure_batch`): terrain (slope statistics and earthwork, with the zone's
   slope limits), straight-line access (substations, water, wastewater, roads), distances along the
   road network to the zone's ``scoring.destinations``, and exclusion facts (river control lines,
   outside the parks), plus ``area_m2`` / ``area_mu``. The canonical column names are those of
   docs/architecture.md.
2. **Scores** (:func:`score_zone_parcels`): :func:`scoring.suitability.score_parcels` on those
   measures, optionally with the weight sensitivity of :mod:`scoring.sensitivity`.

Everything that does not depend on the parcels — the layers in the zone CRS, the DEMs read and
their slope computed, the road network noded — is loaded once into a :class:`ZoneContext`.
``measure_batch(ctx, parcels)`` works on any batch of parcels and its results concatenate, so a
large set can be split into batches (as :func:`score_zone_parcels` does, for its progress bar),
measured in forked worker processes (``score_zone_parcels(..., workers=N)``) or mapped over
partitions by a task scheduler that ships the context to its workers.

Files: :func:`load_zone_context` reads the zone's GeoPackage (``data.layers``: parks, roads,
rivers, substations, water, places) and DEMs (``data.dems``); :func:`read_parcels` reads a parcel
layer (GeoPackage, GeoJSON, zipped Shapefile) with :func:`gis.layers.read_layer` — a layer without
CRS is refused, others are reprojected to the zone CRS and invalid geometry is repaired, each repair
reported; :func:`write_scored_parcels` writes the result (GeoPackage in the zone CRS, GeoJSON in
WGS 84 per RFC 7946, CSV without geometry) atomically. :func:`load_scored_parcels` scores the
zone's own parcels (cached per process while the files are unchanged).
"""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from rasterio.warp import transform_bounds

from gis.errors import ConfigError, CRSError, InputFileError, MissingCRSError, NoOverlapError, SchemaError
from gis.exclusion import ExclusionZones, exclusion_zones, measure_exclusion
from gis.layers import LayerReport, crs_label, geometry_array, parse_crs, prepare_layer, read_layer
from gis.network import RoadNetwork, build_network, measure_network
from gis.proximity import measure_access
from gis.raster import DEFAULT_MAX_CELLS, open_geotiff, read_dem
from gis.repair import GeometryKind, feature_label
from gis.terrain import measure_terrain_on_surfaces
from gis.units import MU_M2
from gis.zonal import TerrainSurface, dem_overlap_areas
from scoring.sensitivity import monte_carlo_from_inputs, oat_from_inputs
from scoring.suitability import EXCLUDED_CLASS, EXCLUDED_CLASS_EN, prepare, result_frame
from scoring.zone import ZoneConfig, load_zone, zone_data_path

#: Parcels measured per batch by :func:`score_zone_parcels` (bounds memory; drives the progress).
DEFAULT_BATCH_SIZE = 20_000

#: Worker processes :func:`score_zone_parcels` measures in by default (1: in the calling
#: process). Measuring in 2 forked processes is faster on an idle 2-core machine, but not when
#: other jobs keep the second core busy (docs/benchmarks.md), and forking a process that runs
#: other threads (a web server) is unsafe: so more workers are asked for explicitly.
DEFAULT_WORKERS = 1

#: The id column of scored parcels.
ID_COLUMN = "parcel_id"

#: The GeoPackage layer holding a zone's parcels.
PARCELS_LAYER = "parcels"

#: The measuring steps of one batch, in order (names used for progress and timings).
MEASURE_STEPS: tuple[str, ...] = ("terrain", "access", "network", "exclusion")


@dataclass(frozen=True)
class LayerSpec:
    """How a zone layer is read: accepted geometry kind(s) and the fields the measures need."""

    geometry: GeometryKind | tuple[GeometryKind, ...]
    required: tuple[str, ...] = ()


#: The zone layers the measures use, as named in the zone's GeoPackage.
ZONE_LAYERS: dict[str, LayerSpec] = {
    "parks": LayerSpec("polygon"),
    "roads": LayerSpec("line", ("name", "class")),
    "rivers": LayerSpec("line", ("name", "control_distance_m")),
    "substations": LayerSpec("point", ("name", "voltage_kv", "status")),
    "water": LayerSpec(("point", "line"), ("name", "kind")),
    "places": LayerSpec("point", ("name", "kind")),
}

#: Called after each step: (step description, units done, units in all).
ProgressFn = Callable[[str, int, int], None]


def _dedupe(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


# --------------------------------------------------------------------------- the zone context


@dataclass(eq=False)
class ZoneContext:
    """What measuring needs besides the parcels, loaded once per zone.

    ``layers`` are the zone layers (``ZONE_LAYERS`` names; None where absent) in ``crs``;
    ``surfaces`` the DEMs in ``crs`` with their slope computed; ``network`` the noded road
    network (None without roads); ``destinations`` the zone's ``scoring.destinations`` resolved
    for :func:`gis.network.measure_network` (a road name, or the ``places`` of a kind);
    ``exclusion`` the river control zones and park union, tiled once
    (:func:`gis.exclusion.exclusion_zones`; built on first use when None); the slope limits in
    percent come from the zone's ``scoring`` section. ``notes`` say what was missing,
    reprojected or repaired while loading.

    The context holds no open files or locks: it can be pickled or inherited by forked worker
    processes that measure partitions of the parcels.
    """

    zone: ZoneConfig
    crs: CRS
    layers: dict[str, gpd.GeoDataFrame | None]
    surfaces: list[TerrainSurface]
    network: RoadNetwork | None
    destinations: dict[str, gpd.GeoDataFrame | str | None]
    zone_file: Path | None = None
    dem_paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exclusion: ExclusionZones | None = None

    @property
    def slope_limits_pct(self) -> list[float]:
        """The zone's slope limits (%), each giving a ``slope_share_lt_{P}pct`` column."""
        return [s.max_pct for s in self.zone.scoring.slope_limits]

    @property
    def natural_limit_pct(self) -> float:
        """The natural-ground slope limit (%) behind ``slope_over_limit_share``."""
        sc = self.zone.scoring
        return sc.slope_limit(sc.natural_slope_limit).max_pct

    @property
    def planned_limit_pct(self) -> float:
        """The planned-surface slope limit (%) of the ``earthwork_lim_*`` columns."""
        sc = self.zone.scoring
        return sc.slope_limit(sc.planned_slope_limit).max_pct

    @classmethod
    def build(
        cls,
        zone: ZoneConfig,
        layers: Mapping[str, gpd.GeoDataFrame | None],
        dem_paths: Sequence[str | Path],
        *,
        zone_file: str | Path | None = None,
        notes: Sequence[str] = (),
        max_cells: int = DEFAULT_MAX_CELLS,
        check_layers: bool = True,
    ) -> ZoneContext:
        """Return the context for ``zone`` from layers in memory and DEM files.

        Each layer is checked, reprojected to the zone CRS and repaired by
        :func:`gis.layers.prepare_layer` (a layer with no CRS is refused) — unless
        ``check_layers`` is False, for layers that :func:`gis.layers.read_layer` already
        prepared; a missing or empty layer is noted and its measures will be NaN. DEMs are read
        into the zone CRS (reprojected when needed) and their slope computed once; no DEM at all
        is an error.
        """
        crs = parse_crs(zone.zone.crs, where="zone.crs")
        notes = list(notes)
        prepared: dict[str, gpd.GeoDataFrame | None] = {}
        for name, spec in ZONE_LAYERS.items():
            gdf = layers.get(name)
            if gdf is None or len(gdf) == 0:
                prepared[name] = None
                notes.append(f"no {name!r} layer: the measures that need it are NaN")
                continue
            if check_layers or gdf.crs is None or CRS.from_user_input(gdf.crs) != crs:
                gdf, report = prepare_layer(
                    gdf,
                    where=f"layer {name!r}",
                    target_crs=crs,
                    geometry=spec.geometry,
                    required=spec.required,
                )
                notes += _report_notes(report)
            prepared[name] = gdf
        if not dem_paths:
            raise InputFileError(
                "no DEM to measure slope and earthwork on",
                where="zone file data.dems",
                hint="list the zone's DEMs under data.dems in the zone file, or pass --dem DEM.tif",
            )
        paths = [Path(p) for p in dem_paths]
        surfaces = []
        for p in paths:
            surface, note = _load_surface(p, crs, max_cells)
            surfaces.append(surface)
            notes += [note] if note else []
        roads = prepared.get("roads")
        network = build_network(roads) if roads is not None else None
        exclusion = exclusion_zones(prepared.get("rivers"), prepared.get("parks"))
        places = prepared.get("places")
        destinations: dict[str, gpd.GeoDataFrame | str | None] = {}
        for key, dest in zone.scoring.destinations.items():
            if dest.road is not None:
                destinations[key] = dest.road
            elif places is None:
                destinations[key] = None
            else:
                destinations[key] = places[places["kind"] == dest.place_kind]
        return cls(
            zone=zone,
            crs=crs,
            layers=prepared,
            surfaces=surfaces,
            network=network,
            destinations=destinations,
            zone_file=Path(zone_file) if zone_file else None,
            dem_paths=paths,
            notes=_dedupe(notes),
            exclusion=exclusion,
        )

    def exclusion_zones(self) -> ExclusionZones:
        """The tiled river control zones and park union (built now if the context has none)."""
        if self.exclusion is None:
            self.exclusion = exclusion_zones(self.layers.get("rivers"), self.layers.get("parks"))
        return self.exclusion


def _load_surface(path: Path, crs: CRS, max_cells: int) -> tuple[TerrainSurface, str | None]:
    """Read a DEM into ``crs`` with its slope computed; return it and a note if it was reprojected."""
    note = None
    with open_geotiff(path, max_cells=max_cells) as src:
        src_crs = CRS.from_user_input(src.crs.to_wkt())
        if src_crs != crs:
            note = f"{path}: DEM reprojected from {crs_label(src_crs)} to {crs_label(crs)} (bilinear)"
    surface = TerrainSurface(read_dem(path, dst_crs=crs, max_cells=max_cells))
    _ = surface.slope_deg  # computed here, once, not in the first batch
    return surface, note


def _report_notes(report: LayerReport) -> list[str]:
    """The noteworthy lines of a layer report: reprojection, repairs and the reader's notes."""
    name = report.source + (f" [layer {report.layer}]" if report.layer else "")
    out = []
    if report.reprojected:
        out.append(f"{name}: reprojected from {report.source_crs} to {report.crs}")
    out += [f"{name}: repaired {r.describe(report.id_field)}" for r in report.repairs]
    out += [f"{name}: {n}" for n in report.notes]
    return out


def zone_layers_path(zone_file: str | Path, zone: ZoneConfig) -> Path:
    """Return the zone's GeoPackage (``data.layers`` resolved against the zone file)."""
    if not zone.data.layers:
        raise ConfigError(
            "the zone file names no layers GeoPackage (data.layers)",
            where=str(zone_file),
            hint="add data.layers to the zone file, or pass --layers GPKG",
        )
    return zone_data_path(zone_file, zone.data.layers)


def read_zone_layers(
    gpkg: str | Path, zone: ZoneConfig
) -> tuple[dict[str, gpd.GeoDataFrame | None], list[str]]:
    """Read the ``ZONE_LAYERS`` from a GeoPackage into the zone CRS.

    Returns the layers (None for a layer the file lacks) and notes (absent layers,
    reprojection, repairs). Raises the errors of :func:`gis.layers.read_layer`: a missing file,
    a layer without CRS or without a required field, bad geometry.
    """
    path = Path(gpkg)
    if not path.is_file():
        raise InputFileError(
            "zone layers GeoPackage not found",
            where=str(path),
            hint="check data.layers in the zone file or the --layers path",
        )
    try:
        present = {str(n) for n, _ in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio raises DataSourceError for a file GDAL cannot open
        raise InputFileError(
            f"cannot be read as a GeoPackage ({exc})",
            where=str(path),
            hint="give the zone's GeoPackage (.gpkg)",
        ) from exc
    layers: dict[str, gpd.GeoDataFrame | None] = {}
    notes: list[str] = []
    for name, spec in ZONE_LAYERS.items():
        if name not in present:
            layers[name] = None
            notes.append(f"{path} has no layer {name!r}: the measures that need it are NaN")
            continue
        gdf, report = read_layer(
            path, name, target_crs=zone.zone.crs, geometry=spec.geometry, required=spec.required
        )
        layers[name] = gdf
        notes += _report_notes(report)
    return layers, notes


def dem_extents(
    dem_paths: Sequence[str | Path], crs: CRS
) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Return ``(file name, (left, bottom, right, top))`` of each DEM in ``crs``, from the
    GeoTIFF headers alone (no pixel read). Raises the errors of :func:`gis.raster.open_geotiff`
    (missing file, not a GeoTIFF, no CRS, too many cells)."""
    out = []
    for p in dem_paths:
        with open_geotiff(p) as src:
            b = src.bounds
            bounds = (
                transform_bounds(src.crs, crs.to_wkt(), *b)
                if CRS.from_user_input(src.crs.to_wkt()) != crs
                else tuple(b)
            )
        out.append((Path(p).name, tuple(float(v) for v in bounds)))
    return out


def _no_overlap(
    geoms: np.ndarray, extents: Sequence[tuple[str, tuple[float, ...]]], crs: CRS
) -> NoOverlapError:
    shown = "; ".join(f"{name} {tuple(round(v) for v in b)}" for name, b in extents)
    return NoOverlapError(
        f"none of the {len(geoms)} parcels overlaps the zone's DEMs: parcels span "
        f"{tuple(round(v) for v in shapely.total_bounds(geoms))} ({crs_label(crs)}), DEMs: {shown}",
        where="parcels",
        hint="check that the parcels belong to this zone (or pass its DEMs with --dem)",
    )


def load_zone_context(
    zone_file: str | Path,
    *,
    layers_path: str | Path | None = None,
    dem_paths: Sequence[str | Path] | None = None,
    zone: ZoneConfig | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> ZoneContext:
    """Load a zone file's context: its layers (``data.layers``, or ``layers_path``) and DEMs
    (``data.dems``, or ``dem_paths``). See :meth:`ZoneContext.build` for what is checked."""
    zone_file = Path(zone_file)
    zone = zone if zone is not None else load_zone(zone_file)
    gpkg = Path(layers_path) if layers_path is not None else zone_layers_path(zone_file, zone)
    dems = list(dem_paths) if dem_paths else [zone_data_path(zone_file, d) for d in zone.data.dems]
    if not dems:
        raise InputFileError(
            "no DEM to measure slope and earthwork on",
            where=f"{zone_file} data.dems",
            hint="list the zone's DEMs under data.dems in the zone file, or pass --dem DEM.tif",
        )
    dem_extents(
        dems, parse_crs(zone.zone.crs, where="zone.crs")
    )  # a bad DEM fails before the layers are read
    layers, notes = read_zone_layers(gpkg, zone)
    return ZoneContext.build(
        zone, layers, dems, zone_file=zone_file, notes=notes, max_cells=max_cells, check_layers=False
    )


# --------------------------------------------------------------------------- parcels in


def _pick_parcel_layer(path: Path, layer: str | None) -> str | None:
    """The GeoPackage layer to read: ``layer``, else ``parcels`` when the file has several
    spatial layers and one of them is called so (as the zone's own GeoPackage), else None."""
    if layer is not None or path.suffix.lower() != ".gpkg" or not path.is_file():
        return layer
    try:
        spatial = [str(n) for n, g in pyogrio.list_layers(path) if g is not None]
    except Exception:  # let read_layer report an unreadable file
        return None
    return PARCELS_LAYER if len(spatial) > 1 and PARCELS_LAYER in spatial else None


def _with_ids(
    gdf: gpd.GeoDataFrame, report: LayerReport, id_field: str | None, where: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Put the parcel ids in ``parcel_id`` (first column) — from ``id_field``, else an existing
    ``parcel_id``, else row numbers 1 … n — and return the frame and notes (how the ids were
    made, and each geometry repair named by its id). SchemaError for empty or repeated ids."""
    notes: list[str] = []
    if id_field is None and ID_COLUMN in gdf.columns:
        id_field = ID_COLUMN
    if id_field is not None and report.id_field != id_field:
        # The reader's own id rules and messages (unique, non-empty); the geometry is already
        # repaired, so nothing else changes.
        prepare_layer(gdf, where=where, target_crs=None, id_field=id_field, repair=False)
    gdf = gdf.copy()
    if id_field is None:
        gdf.insert(0, ID_COLUMN, np.arange(1, len(gdf) + 1))
        notes.append(
            f"{where}: no {ID_COLUMN!r} field and no --id-field: parcels are numbered by "
            f"row (1 … {len(gdf)}) in {ID_COLUMN!r}"
        )
    elif id_field != ID_COLUMN:
        if ID_COLUMN in gdf.columns:
            gdf = gdf.rename(columns={ID_COLUMN: f"input_{ID_COLUMN}"})
            notes.append(
                f"{where}: ids taken from {id_field!r}; the input's own {ID_COLUMN!r} "
                f"is kept as 'input_{ID_COLUMN}'"
            )
        gdf.insert(0, ID_COLUMN, gdf[id_field].to_numpy())
    else:
        gdf = gdf[[ID_COLUMN, *[c for c in gdf.columns if c != ID_COLUMN]]]
    ids = gdf[ID_COLUMN].to_numpy()
    label = id_field or ID_COLUMN
    for r in report.repairs:
        notes.append(
            f"{where}: repaired {feature_label(r.row, ids[r.row], label)}: {r.reason}; area "
            f"{r.area_before_m2:,.1f} → {r.area_after_m2:,.1f} m² ({r.area_change_m2:+,.1f} m²)"
        )
    return gdf, notes


def read_parcels(
    path: str | Path,
    zone: ZoneConfig,
    *,
    layer: str | None = None,
    id_field: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a parcel layer (GeoPackage, GeoJSON, zipped Shapefile) for scoring in ``zone``.

    The layer must have a CRS (never guessed); it is reprojected to the zone CRS and invalid
    polygons are repaired. Ids: ``id_field`` if given (must exist, unique, non-empty), else an
    existing ``parcel_id`` field, else row numbers 1 … n; they are put in ``parcel_id`` (first
    column). A GeoPackage with several layers is read at ``layer``, or at ``parcels``.

    Returns the parcels (index 0 … n − 1) and notes: what was read, reprojected, repaired (each
    repair with its parcel), how ids were made. Raises InputFileError, MissingCRSError,
    CRSError, SchemaError, GeometryError.
    """
    p = Path(path)
    layer = _pick_parcel_layer(p, layer)
    gdf, report = read_layer(p, layer, target_crs=zone.zone.crs, geometry="polygon", id_field=id_field)
    where = str(p) + (f" [layer {report.layer}]" if report.layer else "")
    notes = [f"read {report.features} parcel(s) from {where} ({report.driver}, {report.source_crs})"]
    if report.reprojected:
        notes.append(f"{where}: reprojected from {report.source_crs} to {report.crs}")
    notes += [f"{where}: {n}" for n in report.notes]
    gdf, id_notes = _with_ids(gdf, report, id_field, where)
    return gdf, _dedupe(notes + id_notes)


def prepare_parcels(
    parcels: gpd.GeoDataFrame,
    zone: ZoneConfig,
    *,
    id_field: str | None = None,
    where: str = "parcels",
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """:func:`read_parcels` for parcels already in memory (same checks, ids and notes)."""
    gdf, report = prepare_layer(
        parcels, where=where, target_crs=zone.zone.crs, geometry="polygon", id_field=id_field
    )
    notes = [f"{where}: reprojected from {report.source_crs} to {report.crs}"] if report.reprojected else []
    gdf, id_notes = _with_ids(gdf, report, id_field, where)
    return gdf, _dedupe(notes + id_notes)


# --------------------------------------------------------------------------- measures


def dem_overlap(ctx: ZoneContext, geoms: np.ndarray) -> np.ndarray:
    """Return the area (m²) of each parcel inside each DEM's extent, shape (parcels, DEMs)."""
    return dem_overlap_areas(geoms, [s.dem.bounds for s in ctx.surfaces])


def _check_crs(ctx: ZoneContext, parcels: gpd.GeoDataFrame | gpd.GeoSeries) -> None:
    if parcels.crs is None:
        raise MissingCRSError(
            "the parcels have no CRS",
            where="parcels",
            hint=f"read them with read_parcels (reprojects to {crs_label(ctx.crs)})",
        )
    if CRS.from_user_input(parcels.crs) != ctx.crs:
        raise CRSError(
            f"the parcels are in {crs_label(parcels.crs)}, the zone in {crs_label(ctx.crs)}",
            where="parcels",
            hint="read them with read_parcels, which reprojects them",
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
    facts of :func:`gis.exclusion.measure_exclusion` (shares 0–1, river name).

    ``result.attrs``: ``notes`` (missing layers, unreachable parcels …) and
    ``without_dem`` (labels of the parcels no DEM covers: their terrain columns are NaN).
    ``on_step(step, seconds)`` is called after each of ``MEASURE_STEPS``.
    """
    _check_crs(ctx, parcels)
    geoms = geometry_array(parcels)
    index = parcels.index
    notes: list[str] = []

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

    network = measure_network(parcels, ctx.network, ctx.destinations)
    notes += network.attrs.get("notes", [])
    parts.append(network)
    t = done("network", t)

    exclusion = measure_exclusion(parcels, zones=ctx.exclusion_zones())
    notes += exclusion.attrs.get("notes", [])
    parts.append(exclusion)
    done("exclusion", t)

    out = pd.concat(parts, axis=1)
    out.attrs = {"notes": _dedupe(notes), "without_dem": list(index[no_dem])}
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
    out.attrs["notes"] = _dedupe(ctx.notes + out.attrs["notes"])
    return out


# --------------------------------------------------------------------------- scoring


@dataclass
class ScoreSummary:
    """What a score run did.

    ``by_class``: parcels per class name (best first, then 排除 for the excluded);
    ``class_names_en``: the English name of each class; ``excluded_by_reason``: parcels each hard
    constraint excludes (constraint id → count; a parcel breaking two counts in both);
    ``seconds``: wall time of the run; ``steps``: seconds per step (``context``, the
    ``MEASURE_STEPS``, ``scoring``, ``sensitivity``, ``write`` as they happen; with ``workers``
    > 1 the measuring steps are summed over the worker processes, which run at the same time,
    and ``measure`` is the wall time of measuring); ``notes``: repairs, missing data and other
    remarks; ``workers``: the processes the parcels were measured in.
    """

    n_parcels: int
    by_class: dict[str, int]
    class_names_en: dict[str, str]
    excluded_by_reason: dict[str, int]
    n_eligible: int
    seconds: float
    steps: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    workers: int = 1

    @property
    def n_excluded(self) -> int:
        """Parcels excluded by a hard constraint."""
        return self.by_class.get(EXCLUDED_CLASS, 0)

    @property
    def parcels_per_second(self) -> float:
        return self.n_parcels / self.seconds if self.seconds > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as plain JSON-able data."""
        return {
            "n_parcels": self.n_parcels,
            "n_excluded": self.n_excluded,
            "n_eligible": self.n_eligible,
            "by_class": dict(self.by_class),
            "excluded_by_reason": dict(self.excluded_by_reason),
            "seconds": round(self.seconds, 3),
            "steps": {k: round(v, 3) for k, v in self.steps.items()},
            "notes": list(self.notes),
            "workers": self.workers,
        }


@dataclass
class ScoreRun:
    """The scored parcels (GeoDataFrame in the zone CRS) and the run's summary."""

    parcels: gpd.GeoDataFrame
    summary: ScoreSummary


def _add(steps: dict[str, float], step: str, seconds: float) -> None:
    steps[step] = steps.get(step, 0.0) + seconds


#: What a forked measuring worker inherits (set by the pool's initializer, in the worker only).
_WORKER_STATE: dict[str, Any] = {}


def _init_worker(ctx: ZoneContext, parcels: gpd.GeoDataFrame) -> None:
    # With the fork start method the arguments reach the worker by copy-on-write memory, not
    # by pickling: the DEMs and slope grids are shared, not copied.
    _WORKER_STATE["ctx"], _WORKER_STATE["parcels"] = ctx, parcels


def _measure_part(bounds: tuple[int, int]) -> tuple[pd.DataFrame, dict[str, Any], dict[str, float]]:
    """Measure parcels[start:stop] in a worker; return the measures, their attrs and step seconds."""
    steps: dict[str, float] = {}
    parcels = _WORKER_STATE["parcels"].iloc[bounds[0] : bounds[1]]
    m = measure_batch(_WORKER_STATE["ctx"], parcels, on_step=lambda step, sec: _add(steps, step, sec))
    return m, dict(m.attrs), steps


def can_fork() -> bool:
    """Whether worker processes can be forked here (not on Windows)."""
    import multiprocessing as mp

    return "fork" in mp.get_all_start_methods()


def score_zone_parcels(
    ctx: ZoneContext,
    parcels: gpd.GeoDataFrame,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = DEFAULT_WORKERS,
    sensitivity: bool = False,
    n_draws: int = 1000,
    seed: int | None = 0,
    progress: ProgressFn | None = None,
    notes: Sequence[str] = (),
) -> ScoreRun:
    """Measure and score ``parcels`` in the zone of ``ctx``; return a :class:`ScoreRun`.

    ``parcels`` come from :func:`read_parcels` / :func:`prepare_parcels`: valid polygons in the
    zone CRS with unique ids in ``parcel_id``. Every parcel comes out, in input order (index
    0 … n − 1): ``parcel_id``, the input attributes, the result columns of
    :func:`scoring.suitability.score_parcels` (``score`` 0–100, ``class``, ``class_en``,
    ``rank``, ``eligible``, ``excluded``, ``reasons``, ``reasons_en``, ``weakest``, ``notes``,
    ``notes_zh``), the measures of :func:`measure_batch` (input columns of the same names are
    replaced), ``value_<criterion>`` (0–1) and ``contrib_<criterion>`` (score points), and with
    ``sensitivity`` the rank stability columns ``oat_*`` (one weight at a time ±10/20 %) and
    ``mc_*`` (``n_draws`` Monte Carlo weightings, ``seed``), then the geometry.

    The parcels are measured in batches of at most ``batch_size``. With ``workers`` > 1 they
    are split into at least ``workers`` such parts, measured in that many forked processes
    (which inherit ``ctx`` without copying it) and put back in order; the results are the same
    as in one process. Use it from scripts and command lines, not from a process that runs other
    threads (forking such a process is unsafe); where fork is unavailable one process is used.

    Raises NoOverlapError when no parcel overlaps a DEM, SchemaError for missing/repeated ids.
    ``progress(step, done, total)`` is called as batches and steps finish.
    """
    started = time.perf_counter()
    if ID_COLUMN not in parcels.columns:
        raise SchemaError(
            f"the parcels lack the id column {ID_COLUMN!r}",
            where="parcels",
            hint="read them with read_parcels, which makes the ids",
        )
    ids = parcels[ID_COLUMN]
    if ids.isna().any() or ids.duplicated().any():
        dup = list(dict.fromkeys(ids[ids.duplicated()].tolist()))[:5]
        raise SchemaError(
            f"parcel ids must be unique and non-empty (repeated: {dup})",
            where=f"parcels.{ID_COLUMN}",
            hint="give each parcel its own id",
        )
    _check_crs(ctx, parcels)
    parcels = parcels.reset_index(drop=True)
    geoms = geometry_array(parcels)
    n = len(parcels)
    if n and not (dem_overlap(ctx, geoms) > 0).any():
        raise _no_overlap(geoms, [(Path(s.source).name, s.dem.bounds) for s in ctx.surfaces], ctx.crs)

    batch_size = max(1, int(batch_size))
    workers = max(1, int(workers))
    run_notes = list(notes)
    if workers > 1 and not can_fork():
        run_notes.append(
            f"workers={workers} ignored: processes cannot be forked here; measured in one process"
        )
        workers = 1
    if workers == 1 or n < 2:
        workers = 1
        edges = [*range(0, n, batch_size), n] if n else [0, 0]
    else:  # parts of about equal size, at least one per worker (and none empty)
        n_parts = min(n, max(math.ceil(n / batch_size), workers))
        edges = np.linspace(0, n, n_parts + 1).round().astype(int).tolist()
    bounds = list(zip(edges[:-1], edges[1:]))
    total = len(bounds) * len(MEASURE_STEPS) + 1 + int(sensitivity)
    units = 0
    steps: dict[str, float] = {}
    parts: list[pd.DataFrame] = []
    without_dem: list[Any] = []
    if workers == 1:
        for b, (start, stop) in enumerate(bounds):
            label = f"batch {b + 1}/{len(bounds)} ({stop - start} parcels)"

            def on_step(step: str, seconds: float, label: str = label) -> None:
                nonlocal units
                _add(steps, step, seconds)
                units += 1
                if progress is not None:
                    progress(f"{label}: {step}", units, total)

            m = measure_batch(ctx, parcels.iloc[start:stop], on_step=on_step)
            run_notes += m.attrs.get("notes", [])
            without_dem += m.attrs.get("without_dem", [])
            parts.append(m)
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        t0 = time.perf_counter()
        results: list[tuple[pd.DataFrame, dict[str, Any]] | None] = [None] * len(bounds)
        workers = min(workers, len(bounds))
        with ProcessPoolExecutor(
            workers, mp_context=mp.get_context("fork"), initializer=_init_worker, initargs=(ctx, parcels)
        ) as pool:
            futures = {pool.submit(_measure_part, b): k for k, b in enumerate(bounds)}
            for done, future in enumerate(as_completed(futures), start=1):
                m, attrs, part_steps = future.result()
                results[futures[future]] = (m, attrs)
                for step, seconds in part_steps.items():
                    _add(steps, step, seconds)
                units += len(MEASURE_STEPS)
                if progress is not None:
                    progress(f"part {done}/{len(bounds)} measured ({workers} processes)", units, total)
        for m, attrs in results:  # type: ignore[misc]
            m.attrs = attrs
            run_notes += attrs.get("notes", [])
            without_dem += attrs.get("without_dem", [])
            parts.append(m)
        steps["measure"] = time.perf_counter() - t0
    measures = pd.concat(parts) if len(parts) > 1 else parts[0]
    if without_dem:
        shown = ", ".join(str(ids.iloc[i]) for i in without_dem[:10])
        more = f" and {len(without_dem) - 10} more" if len(without_dem) > 10 else ""
        run_notes.append(
            f"{len(without_dem)} parcel(s) lie outside every DEM and have no terrain "
            f"measures (scored as 0 on slope and earthwork): {shown}{more}"
        )

    t0 = time.perf_counter()
    measures.index = pd.Index(parcels[ID_COLUMN].to_numpy(), name=ID_COLUMN)
    inp = prepare(measures, ctx.zone.scoring)
    result = result_frame(inp)
    _add(steps, "scoring", time.perf_counter() - t0)
    units += 1
    if progress is not None:
        progress("scoring", units, total)

    extra: list[pd.DataFrame] = []
    if sensitivity:
        t0 = time.perf_counter()
        oat = oat_from_inputs(inp).parcels
        mc = monte_carlo_from_inputs(inp, n_draws=n_draws, seed=seed).parcels
        extra.append(oat[["min_rank", "max_rank", "max_rank_shift", "max_abs_dscore"]].add_prefix("oat_"))
        extra.append(
            mc[
                [
                    "mean_score",
                    "score_std",
                    "mean_rank",
                    "rank_std",
                    "rank_p05",
                    "rank_p95",
                    "share_same_class",
                    "share_top_k",
                ]
            ].add_prefix("mc_")
        )
        _add(steps, "sensitivity", time.perf_counter() - t0)
        units += 1
        if progress is not None:
            progress("sensitivity", units, total)

    out = _assemble(parcels, measures, result, extra, run_notes)
    hits = inp.constraints.hits
    excluded_by = {
        cid: int(hits[:, j].sum()) for j, cid in enumerate(inp.constraints.ids) if hits[:, j].any()
    }
    counts = result["class"].value_counts()
    classes = [c.name for c in ctx.zone.scoring.classes] + [EXCLUDED_CLASS]
    names_en = {c.name: c.name_en for c in ctx.zone.scoring.classes} | {EXCLUDED_CLASS: EXCLUDED_CLASS_EN}
    summary = ScoreSummary(
        n_parcels=n,
        by_class={c: int(counts.get(c, 0)) for c in classes},
        class_names_en=names_en,
        excluded_by_reason=excluded_by,
        n_eligible=int(result["eligible"].sum()),
        seconds=time.perf_counter() - started,
        steps=steps,
        notes=_dedupe(run_notes),
        workers=workers,
    )
    return ScoreRun(parcels=out, summary=summary)


def _assemble(
    parcels: gpd.GeoDataFrame,
    measures: pd.DataFrame,
    result: pd.DataFrame,
    extra: list[pd.DataFrame],
    notes: list[str],
) -> gpd.GeoDataFrame:
    """Input attributes + results + measures + value/contrib (+ sensitivity) + geometry."""
    core = [c for c in result.columns if not c.startswith(("value_", "contrib_"))]
    detail = [c for c in result.columns if c.startswith(("value_", "contrib_"))]
    computed = set(result.columns) | set(measures.columns) | {c for e in extra for c in e.columns}
    attrs = pd.DataFrame(parcels.drop(columns=[parcels.geometry.name]))
    replaced = [c for c in attrs.columns if c in computed]
    surprising = [c for c in replaced if c not in ("area_m2", "area_mu")]
    if surprising:
        notes.append(f"input column(s) {', '.join(surprising)} replaced by the computed values")
    attrs = attrs.drop(columns=replaced)
    frames = [attrs, result[core], measures, result[detail], *extra]
    for f in frames[1:]:
        f.index = parcels.index
    table = pd.concat(frames, axis=1)
    return gpd.GeoDataFrame(table, geometry=geometry_array(parcels), crs=parcels.crs)


def score_file(
    parcels_path: str | Path,
    zone_file: str | Path,
    *,
    layer: str | None = None,
    id_field: str | None = None,
    layers_path: str | Path | None = None,
    dem_paths: Sequence[str | Path] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = DEFAULT_WORKERS,
    sensitivity: bool = False,
    n_draws: int = 1000,
    seed: int | None = 0,
    progress: ProgressFn | None = None,
) -> ScoreRun:
    """Read parcels from a file and score them in the zone of ``zone_file`` (layers and DEMs of
    the zone file unless ``layers_path`` / ``dem_paths`` are given). The summary's seconds and
    steps include reading the parcels and loading the zone context."""
    started = time.perf_counter()
    zone = load_zone(zone_file)
    parcels, notes = read_parcels(parcels_path, zone, layer=layer, id_field=id_field)
    # Parcels off every DEM fail here, from the DEM headers, before the layers are read.
    crs = parse_crs(zone.zone.crs, where="zone.crs")
    dems = list(dem_paths) if dem_paths else [zone_data_path(zone_file, d) for d in zone.data.dems]
    extents = dem_extents(dems, crs)
    geoms = geometry_array(parcels)
    if (
        extents
        and not shapely.intersects(geoms[:, None], np.array([shapely.box(*b) for _, b in extents])).any()
    ):
        raise _no_overlap(geoms, extents, crs)
    t0 = time.perf_counter()
    ctx = load_zone_context(zone_file, layers_path=layers_path, dem_paths=dem_paths, zone=zone)
    context_s = time.perf_counter() - t0
    run = score_zone_parcels(
        ctx,
        parcels,
        batch_size=batch_size,
        workers=workers,
        sensitivity=sensitivity,
        n_draws=n_draws,
        seed=seed,
        progress=progress,
        notes=notes + ctx.notes,
    )
    run.summary.steps = {"context": context_s, **run.summary.steps}
    run.summary.seconds = time.perf_counter() - started
    return run


# --------------------------------------------------------------------------- the zone's own parcels

_CACHE: dict[Path, tuple[tuple, gpd.GeoDataFrame]] = {}
_CACHE_LOCK = threading.Lock()


def _mtimes(paths: Sequence[Path]) -> tuple:
    return tuple((str(p), p.stat().st_mtime_ns if p.exists() else None) for p in paths)


def load_scored_parcels(zone_file: Path | str) -> gpd.GeoDataFrame:
    """Return the zone's own parcels (layer ``parcels`` of ``data.layers``, ids in ``parcel_id``)
    measured and scored, as a GeoDataFrame in the zone CRS (index 0 … n − 1, columns as
    :func:`score_zone_parcels`). Cached per process until the zone file, GeoPackage or a DEM
    changes (by modification time); each call returns a copy."""
    zone_file = Path(zone_file).resolve()
    zone = load_zone(zone_file)
    gpkg = zone_layers_path(zone_file, zone)
    files = [zone_file, gpkg, *(zone_data_path(zone_file, d) for d in zone.data.dems)]
    key = _mtimes(files)
    with _CACHE_LOCK:
        hit = _CACHE.get(zone_file)
        if hit is not None and hit[0] == key:
            return hit[1].copy()
        parcels, notes = read_parcels(gpkg, zone, layer=PARCELS_LAYER, id_field=ID_COLUMN)
        ctx = load_zone_context(zone_file, zone=zone)
        run = score_zone_parcels(ctx, parcels, notes=notes + ctx.notes)
        scored = run.parcels
        scored.attrs = {"summary": run.summary.to_dict()}
        _CACHE[zone_file] = (key, scored)
        return scored.copy()


# --------------------------------------------------------------------------- writing

#: Output formats by file name ending.
OUTPUT_FORMATS: dict[str, str] = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".csv": "CSV"}


def output_format(out: str | Path) -> str:
    """Return the output driver for ``out`` by its extension; InputFileError for any other."""
    p = Path(out)
    fmt = OUTPUT_FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InputFileError(
            f"unknown output format {p.suffix or '(no extension)'!r}",
            where=str(p),
            hint="name the output .gpkg (GeoPackage, zone CRS), .geojson (WGS 84) or .csv (attributes)",
        )
    if not p.parent.exists() or not p.parent.is_dir():
        raise InputFileError(
            "the output folder does not exist",
            where=str(p.parent),
            hint="create it first, or write elsewhere",
        )
    if p.exists() and p.is_dir():
        raise InputFileError("is a folder, not a file", where=str(p), hint="give a file name")
    return fmt


def write_scored_parcels(
    parcels: gpd.GeoDataFrame, out: str | Path, *, layer: str = "scored_parcels"
) -> Path:
    """Write scored parcels to ``out`` by extension and return its path.

    ``.gpkg``: GeoPackage layer ``layer`` in the parcels' (zone) CRS. ``.geojson``/``.json``:
    GeoJSON in WGS 84, RFC 7946 (unreachable ``inf`` distances become null). ``.csv``: UTF-8
    (with BOM, for spreadsheets) attributes without geometry plus ``centroid_lon`` /
    ``centroid_lat`` (WGS 84°). The file is written next to ``out`` under a temporary name and
    renamed into place only when complete: on any failure ``out`` is left as it was.
    """
    out = Path(out)
    fmt = output_format(out)
    tmp = out.with_name(f".{out.stem}.{uuid.uuid4().hex[:8]}.tmp{out.suffix}")
    try:
        if fmt == "GPKG":
            parcels.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
        elif fmt == "GeoJSON":
            gj = parcels.to_crs("EPSG:4326")  # lon/lat order (geopandas uses always_xy)
            numeric = gj.select_dtypes(include="number").columns
            gj[numeric] = gj[numeric].replace([np.inf, -np.inf], np.nan)
            gj.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer_options={"RFC7946": "YES"})
        else:
            table = pd.DataFrame(parcels.drop(columns=[parcels.geometry.name]))
            centroids = gpd.GeoSeries(parcels.geometry.centroid, crs=parcels.crs).to_crs("EPSG:4326")
            table["centroid_lon"] = centroids.x.round(7).to_numpy()
            table["centroid_lat"] = centroids.y.round(7).to_numpy()
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        os.replace(tmp, out)
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
            if leftover.exists():
                leftover.unlink()
    return out
