"""Score a parcel file end to end (``parksite score``): read it, load the zone, score it.

:func:`score_file` reads the parcels (:func:`app.scoring_io.parcel_files.read_parcels`), refuses
parcels off every DEM from the DEM headers before the layers are read, loads the zone context
(:func:`app.scoring_io.zone_files.load_zone_context`) and runs
:func:`scoring.batch.score_zone_parcels`. Writing the result is
:func:`app.scoring_io.parcel_files.write_scored_parcels`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely

from app.scoring_io.parcel_files import read_parcels
from app.scoring_io.zone_files import dem_extents, load_zone_context
from gis.crs import parse_crs
from gis.dxf import DxfOptions
from gis.layers import geometry_array
from scoring.batch import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS, ProgressFn, ScoreRun, score_zone_parcels
from scoring.context import ZoneContext
from scoring.measure import no_overlap_error
from scoring.zone import load_zone, zone_data_path


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
    crs: str | None = None,
    encoding: str | None = None,
    dxf: DxfOptions | None = None,
    mapping: str | Path | None = None,
    dem_resolution: float | None = None,
    context_out: list[ZoneContext] | None = None,
    scheduler: str | None = None,
) -> ScoreRun:
    """Read parcels from a file and score them in the zone of ``zone_file`` (layers and DEMs of
    the zone file unless ``layers_path`` / ``dem_paths`` are given). ``crs``, ``encoding``,
    ``dxf`` and ``mapping`` say how to read the parcels (:func:`read_parcels`); DEMs outside the
    zone CRS (tiles in EPSG:4326) are mosaicked over the parcels and reprojected at
    ``dem_resolution`` metres. The summary's seconds and steps include reading the parcels and
    loading the zone context. The context measured in is appended to ``context_out`` when given
    (e.g. for its DEMs, to draw a hillshade).

    With ``scheduler`` (``"local"`` or a Dask scheduler address) the parcels are measured by
    spatial partitions on Dask distributed, each on its DEM windows
    (:func:`scoring.distributed.score_zone_parcels_distributed`; the DEMs must be in the zone
    CRS and are never read whole; ``workers`` > 1 sizes a LocalCluster). The table is the same."""
    started = time.perf_counter()
    zone = load_zone(zone_file)
    parcels, notes = read_parcels(
        parcels_path,
        zone,
        layer=layer,
        id_field=id_field,
        crs=crs,
        encoding=encoding,
        dxf=dxf,
        mapping=mapping,
    )
    # Parcels off every DEM fail here, from the DEM headers, before the layers are read.
    crs = parse_crs(zone.zone.crs, where="zone.crs")
    dems = list(dem_paths) if dem_paths else [zone_data_path(zone_file, d) for d in zone.data.dems]
    extents = dem_extents(dems, crs)
    geoms = geometry_array(parcels)
    if (
        extents
        and not shapely.intersects(geoms[:, None], np.array([shapely.box(*b) for _, b in extents])).any()
    ):
        raise no_overlap_error(geoms, extents, crs)
    t0 = time.perf_counter()
    ctx = load_zone_context(
        zone_file,
        layers_path=layers_path,
        dem_paths=dem_paths,
        zone=zone,
        dem_resolution=dem_resolution,
        dem_clip=tuple(float(v) for v in parcels.total_bounds),  # type: ignore[arg-type]
        windowed=bool(scheduler),
    )
    context_s = time.perf_counter() - t0
    if context_out is not None:
        context_out.append(ctx)
    if scheduler:
        from scoring.distributed import score_zone_parcels_distributed

        run = score_zone_parcels_distributed(
            ctx,
            parcels,
            scheduler=scheduler,
            n_workers=workers if workers > 1 else None,
            batch_size=batch_size,
            sensitivity=sensitivity,
            n_draws=n_draws,
            seed=seed,
            progress=progress,
            notes=notes + ctx.notes,
        )
        run.summary.steps = {"context": context_s, **run.summary.steps}
        run.summary.seconds = time.perf_counter() - started
        return run
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
