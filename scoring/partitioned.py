"""Scoring by spatial partitions: parcels in Hilbert order, each partition on its DEM window.

For a province — millions of parcels over DEMs larger than memory — the parcels are sorted
along a Hilbert curve (the order dask-geopandas' ``spatial_shuffle`` uses) and cut into
partitions of neighbouring parcels (:func:`plan_partitions`). A partition is measured on a
context without whole DEMs: :func:`measure_partition` reads, from each DEM it lies on, only the
window under its parcels plus a margin (:class:`gis.dem_window.WindowedDem`), so no process
ever holds a whole DEM. The network destinations and the exclusion zones are solved once, in
the calling process, and shared by every partition (:func:`partition_base`).

The partitions are independent: :func:`score_zone_parcels_partitioned` measures them one after
the other in this process, :mod:`scoring.distributed` on a Dask cluster. Each partition also
scores its own parcels (:func:`scoring.suitability.parcel_results`: values, contributions,
score, class, exclusion, reasons, notes — nothing in them is normalised over the zone) with
settings resolved once by the caller; the caller puts measures and scores back in input order
and does only what compares parcels across the zone in :func:`scoring.batch.finish_run` (the
ranks, the counts, the sensitivity analysis), so the table is the one
:func:`scoring.batch.score_zone_parcels` returns.
"""

from __future__ import annotations

import dataclasses
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.dem_window import WindowedDem
from gis.errors import ParksiteError
from gis.layers import geometry_array
from gis.messages import msg
from scoring.batch import (
    DEFAULT_BATCH_SIZE,
    STEP_IDS,
    ProgressFn,
    ScoreRun,
    _add,
    checked_parcels,
    finish_run,
)
from scoring.context import Note, ZoneContext
from scoring.measure import MEASURE_STEPS, measure_batch
from scoring.suitability import ScoringSettings, parcel_results, prepare, resolve_settings

#: Parcels per partition: one task of a cluster, one DEM window. 20,000 parcels of a county
#: lie on a few hundred thousand DEM cells; the window, its slope and exactextract's per-cell
#: arrays stay well under 1 GB.
DEFAULT_PARTITION_SIZE = 20_000


def hilbert_order(geoms: np.ndarray) -> np.ndarray:
    """Return the positions of ``geoms`` sorted by the Hilbert distance of their bounding-box
    centres (level 16 over the total bounds; ties keep input order)."""
    if len(geoms) == 0:
        return np.empty(0, dtype=np.int64)
    distance = gpd.GeoSeries(geoms).hilbert_distance(total_bounds=shapely.total_bounds(geoms), level=16)
    return np.argsort(distance.to_numpy(), kind="stable")


def plan_partitions(
    geoms: np.ndarray, sources: Sequence[WindowedDem], size: int = DEFAULT_PARTITION_SIZE
) -> list[np.ndarray]:
    """Return the partitions of ``geoms`` as arrays of positions: runs of at most ``size``
    parcels along the Hilbert curve, each halved again while its DEM window on one of
    ``sources`` would exceed that source's ``max_cells`` (a single parcel is never split)."""
    order = hilbert_order(geoms)
    size = max(1, int(size))
    pending = [order[i : i + size] for i in range(0, len(order), size)]
    out: list[np.ndarray] = []
    while pending:
        part = pending.pop(0)
        bounds = tuple(shapely.total_bounds(geoms[part]))
        too_big = any(s.window_cells(bounds) > s.max_cells for s in sources)  # type: ignore[arg-type]
        if too_big and len(part) > 1:
            half = len(part) // 2
            pending[:0] = [part[:half], part[half:]]
        else:
            out.append(part)
    return out


#: Largest DEM window (cells) a partition reads by default: 50 M cells are 200 MB of float32
#: elevations and as much slope, so a worker stays well under a 2 GB memory limit whatever the
#: DEM's size; partitions whose window would be larger are split (:func:`plan_partitions`).
DEFAULT_WINDOW_CELLS = 50_000_000


def partition_base(ctx: ZoneContext, max_window_cells: int = DEFAULT_WINDOW_CELLS) -> ZoneContext:
    """Return the context partitions share: ``ctx`` without whole DEMs in memory, with windowed
    DEM sources, the exclusion zones tiled and the network destinations solved (once, here).

    A context built ``windowed`` keeps its sources; one whose DEMs were read whole gets sources
    opened from its ``dem_paths`` (which must then be in the zone CRS, as read). No window may
    exceed ``max_window_cells`` (nor the sources' own ``max_cells``).
    """
    sources = list(ctx.dem_sources)
    if not sources:
        from scoring.context import _windowed_source

        sources = [_windowed_source(p, ctx.crs, sys.maxsize) for p in ctx.dem_paths]
    sources = [dataclasses.replace(s, max_cells=min(s.max_cells, max_window_cells)) for s in sources]
    ctx.exclusion_zones()
    ctx.network_targets()
    return dataclasses.replace(ctx, surfaces=[], dem_sources=sources)


@dataclass
class PartitionResult:
    """What measuring one partition gives back: the ``measures`` (index: positions in the
    input), their ``notes`` and ``without_dem`` positions, seconds per measuring ``steps``,
    ``seconds`` of the whole partition (window reads included), the DEM ``window_cells`` read
    the ``peak_rss_mb`` of the process so far (MB) and the partition's ``cpu_seconds`` (CPU
    time of the process, a fairer per-core measure than wall time on a shared machine; in a
    Dask worker it includes the worker's own threads) and ``thread_cpu_seconds`` (CPU time of
    the thread that measured, the partition's own work).

    When the partition was scored too: ``scored``, the per-parcel result columns
    (:func:`scoring.suitability.parcel_results`, same index as ``measures``), and
    ``constraint_hits``, parcels each constraint excludes (every constraint, zone order).
    ``scored`` is None when the partition was not scored, or when scoring it raised a domain
    error — the caller then scores the whole table, which raises it as one process does."""

    measures: pd.DataFrame
    notes: list[Note] = field(default_factory=list)
    without_dem: list[Any] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    window_cells: int = 0
    peak_rss_mb: float = 0.0
    cpu_seconds: float = 0.0
    thread_cpu_seconds: float = 0.0
    scored: pd.DataFrame | None = None
    constraint_hits: dict[str, int] = field(default_factory=dict)


def peak_rss_mb() -> float:
    """Peak resident memory of this process since it started its program, MB.

    On Linux ``VmHWM`` of /proc/self/status: ``getrusage``'s ``ru_maxrss`` would also count
    what the process held before ``exec`` — a spawned worker's copy of its parent's memory at
    fork time, not the worker's own. Elsewhere ``ru_maxrss`` (KiB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / 1024.0 / 1024.0


def measure_partition(
    base: ZoneContext,
    parcels: gpd.GeoDataFrame,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    scoring: ScoringSettings | None = None,
) -> PartitionResult:
    """Measure one partition of parcels (index: positions in the input) on ``base``
    (:func:`partition_base`): read each DEM's window under the partition, then measure in
    batches of at most ``batch_size``; with ``scoring`` (:func:`resolve_settings` of the zone,
    resolved once by the caller) score them too. Returns a :class:`PartitionResult`."""
    t0, cpu0, thread0 = time.perf_counter(), time.process_time(), time.thread_time()
    steps: dict[str, float] = {}
    geoms = geometry_array(parcels)
    bounds = tuple(shapely.total_bounds(geoms)) if len(geoms) else None
    surfaces = []
    cells = 0
    if bounds is not None:
        for source in base.dem_sources:
            surface = source.read(bounds)  # type: ignore[arg-type]
            if surface is not None:
                surfaces.append(surface)
                cells += surface.dem.values.size
    _add(steps, "read_windows", time.perf_counter() - t0)
    ctx = dataclasses.replace(base, surfaces=surfaces)
    parts, notes, without = [], [], []
    batch_size = max(1, int(batch_size))
    for start in range(0, max(len(parcels), 1), batch_size):
        m = measure_batch(
            ctx, parcels.iloc[start : start + batch_size], on_step=lambda s, sec: _add(steps, s, sec)
        )
        notes += m.attrs.get("notes", [])
        without += m.attrs.get("without_dem", [])
        m.attrs = {}
        parts.append(m)
    measures = pd.concat(parts) if len(parts) > 1 else parts[0]
    scored: pd.DataFrame | None = None
    hits: dict[str, int] = {}
    if scoring is not None:
        t1 = time.perf_counter()
        scored, hits = score_measures(measures, base, scoring)
        _add(steps, "scoring", time.perf_counter() - t1)
    return PartitionResult(
        measures=measures,
        notes=notes,
        without_dem=without,
        steps=steps,
        seconds=time.perf_counter() - t0,
        window_cells=cells,
        peak_rss_mb=peak_rss_mb(),
        cpu_seconds=time.process_time() - cpu0,
        thread_cpu_seconds=time.thread_time() - thread0,
        scored=scored,
        constraint_hits=hits,
    )


def score_measures(
    measures: pd.DataFrame, ctx: ZoneContext, settings: ScoringSettings
) -> tuple[pd.DataFrame | None, dict[str, int]]:
    """Return the per-parcel result columns of ``measures`` (:func:`parcel_results`, same
    index) and the parcels each of the zone's constraints excludes; ``(None, {})`` when the
    zone's scoring section cannot score them (a domain error, raised again by the caller's
    whole-table scoring, as in one process)."""
    try:
        inp = prepare(measures, ctx.zone.scoring, settings=settings)
        scored = parcel_results(inp)
    except ParksiteError:
        return None, {}
    hits = inp.constraints.hits
    return scored, {cid: int(hits[:, j].sum()) for j, cid in enumerate(inp.constraints.ids)}


def progress_total(n_parts: int, sensitivity: bool) -> int:
    """Progress units of a partitioned run: the measuring steps of each partition, scoring,
    and the sensitivity."""
    return n_parts * len(MEASURE_STEPS) + 1 + int(sensitivity)


def concat_in_order(frames: Sequence[pd.DataFrame], n: int) -> pd.DataFrame:
    """Return the partitions' ``frames`` (index: positions in the input) as one frame in input
    order (index 0 … n − 1), with the dtypes one frame of all rows would have; RuntimeError
    unless the frames hold each position once."""
    out = pd.concat(frames).sort_index()
    if len(out) != n or not (out.index == np.arange(n)).all():
        raise RuntimeError(f"partitions gave {len(out)} rows for {n} parcels")
    for col in out.columns:
        if out[col].dtype == object and any(isinstance(f[col].dtype, pd.StringDtype) for f in frames):
            # pandas infers text columns as ``str``, but a partition whose values are all
            # missing stays ``object`` and the two concatenate to ``object``: infer again over
            # all rows, as a frame built from all of them at once does
            out[col] = pd.Series(out[col].to_numpy(dtype=object), index=out.index)
    return out


def assemble_measures(
    results: Sequence[PartitionResult], n: int
) -> tuple[pd.DataFrame, list[Note], list[Any], dict[str, float]]:
    """Return the partitions' measures in input order (index 0 … n − 1), their notes, the
    positions without DEM (sorted) and the summed step seconds."""
    measures = concat_in_order([r.measures for r in results], n)
    notes: list[Note] = []
    without: list[Any] = []
    steps: dict[str, float] = {}
    for r in results:
        notes += r.notes
        without += r.without_dem
        for k, v in r.steps.items():
            _add(steps, k, v)
    return measures, notes, sorted(without), steps


def assemble_scores(
    results: Sequence[PartitionResult], n: int, ctx: ZoneContext
) -> tuple[pd.DataFrame | None, dict[str, int] | None]:
    """Return the partitions' per-parcel results in input order (index 0 … n − 1) and the
    parcels each constraint excludes (zone order, only those excluding some), or
    ``(None, None)`` if a partition was not scored (the caller then scores the whole table)."""
    if not results or any(r.scored is None for r in results):
        return None, None
    scored = concat_in_order([r.scored for r in results if r.scored is not None], n)
    totals = {
        c.id: sum(r.constraint_hits.get(c.id, 0) for r in results) for c in ctx.zone.scoring.constraints
    }
    return scored, {cid: k for cid, k in totals.items() if k}


def score_zone_parcels_partitioned(
    ctx: ZoneContext,
    parcels: gpd.GeoDataFrame,
    *,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    sensitivity: bool = False,
    n_draws: int = 1000,
    seed: int | None = 0,
    progress: ProgressFn | None = None,
    notes: Sequence[Note] = (),
) -> ScoreRun:
    """Measure ``parcels`` partition by partition in this process, each on its DEM windows,
    and score them; return the :class:`ScoreRun` :func:`scoring.batch.score_zone_parcels`
    returns for the same parcels (same table, same order).

    ``partition_size`` parcels at most per partition (fewer where a window would exceed the
    DEM sources' ``max_cells``). Raises the errors of ``score_zone_parcels``.
    """
    started = time.perf_counter()
    settings = resolve_settings(ctx.zone.scoring)
    base = partition_base(ctx)
    parcels = checked_parcels(base, parcels)
    t0 = time.perf_counter()
    parts = plan_partitions(geometry_array(parcels), base.dem_sources, partition_size)
    total = progress_total(len(parts), sensitivity)
    results = []
    units = 0
    for k, rows in enumerate(parts):
        results.append(measure_partition(base, parcels.iloc[rows], batch_size, scoring=settings))
        units += len(MEASURE_STEPS)
        if progress is not None:
            step = msg(STEP_IDS["exclusion"])
            progress(
                msg("job.batch", step=step, batch=k + 1, batches=len(parts), parcels=len(rows)), units, total
            )
    measures, run_notes, without, steps = assemble_measures(results, len(parcels))
    scored, excluded_by = assemble_scores(results, len(parcels), base)
    steps["measure"] = time.perf_counter() - t0
    return finish_run(
        base,
        parcels,
        measures,
        without_dem=without,
        steps=steps,
        notes=list(notes) + run_notes,
        units=units,
        total=total,
        started=started,
        workers=1,
        sensitivity=sensitivity,
        n_draws=n_draws,
        seed=seed,
        progress=progress,
        scored=scored,
        excluded_by_reason=excluded_by,
    )
