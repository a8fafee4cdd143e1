"""The batch run: measure and score a zone's parcels in batches, in worker processes, with progress.

:func:`score_zone_parcels` splits the parcels into batches (bounding memory and driving the
progress callback), measures them with :func:`scoring.measure.measure_batch` in this process or
in forked worker processes that inherit the :class:`scoring.context.ZoneContext`, scores the
measures with :mod:`scoring.suitability` (optionally with the weight sensitivity of
:mod:`scoring.sensitivity`) and returns a :class:`ScoreRun`: the scored parcels and a
:class:`ScoreSummary` (counts per class, exclusions, timings, notes). Reading parcel files and
writing the results is :mod:`app.scoring_io`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.errors import SchemaError
from gis.layers import geometry_array
from gis.messages import Message, msg
from scoring.context import Note, ZoneContext, dedupe_notes
from scoring.measure import MEASURE_STEPS, check_crs, dem_overlap, measure_batch, no_overlap_error
from scoring.parcels import ID_COLUMN
from scoring.sensitivity import monte_carlo_from_inputs, oat_from_inputs
from scoring.suitability import (
    EXCLUDED_CLASS,
    EXCLUDED_CLASS_EN,
    ScoringInputs,
    insert_ranks,
    prepare,
    result_frame,
)

#: Parcels measured per batch by :func:`score_zone_parcels` (bounds memory; drives the progress).
DEFAULT_BATCH_SIZE = 20_000

#: Worker processes :func:`score_zone_parcels` measures in by default (1: in the calling
#: process). Measuring in 2 forked processes is faster on an idle 2-core machine, but not when
#: other jobs keep the second core busy (docs/benchmarks.md), and forking a process that runs
#: other threads (a web server) is unsafe: so more workers are asked for explicitly.
DEFAULT_WORKERS = 1

#: Called after each step: (step description as a message, units done, units in all).
ProgressFn = Callable[[Message, int, int], None]

#: The measuring steps as message ids (progress messages).
STEP_IDS: dict[str, str] = {
    "terrain": "job.step.terrain",
    "access": "job.step.access",
    "network": "job.step.network",
    "exclusion": "job.step.exclusion",
}


@dataclass
class ScoreSummary:
    """What a score run did.

    ``by_class``: parcels per class name (best first, then 排除 for the excluded);
    ``class_names_en``: the English name of each class; ``excluded_by_reason``: parcels each hard
    constraint excludes (constraint id → count; a parcel breaking two counts in both);
    ``seconds``: wall time of the run; ``steps``: seconds per step (``context``, the
    ``MEASURE_STEPS``, ``scoring``, ``sensitivity``, ``write`` as they happen; with ``workers``
    > 1 the measuring steps are summed over the worker processes, which run at the same time,
    and ``measure`` is the wall time of measuring; a partitioned run scores each partition's
    parcels in its task, summed in ``scoring``, and ranks them here, ``ranking``); ``notes``:
    repairs, missing data and other remarks; ``workers``: the processes the parcels were
    measured in.
    """

    n_parcels: int
    by_class: dict[str, int]
    class_names_en: dict[str, str]
    excluded_by_reason: dict[str, int]
    n_eligible: int
    seconds: float
    steps: dict[str, float] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
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
            "notes": [n.to_dict() if isinstance(n, Message) else n for n in self.notes],
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


def checked_parcels(ctx: ZoneContext, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``parcels`` indexed 0 … n − 1 after checking their ids, CRS and DEM overlap.

    Raises SchemaError for missing/repeated ids, MissingCRSError/CRSError for a CRS other than
    the zone's and NoOverlapError when no parcel overlaps a DEM of ``ctx``.
    """
    if ID_COLUMN not in parcels.columns:
        raise SchemaError(
            f"the parcels lack the id column {ID_COLUMN!r}",
            where="parcels",
            hint="read them with read_parcels, which makes the ids",
            msg=msg("error.pipeline.no_ids", column=ID_COLUMN),
        )
    ids = parcels[ID_COLUMN]
    if ids.isna().any() or ids.duplicated().any():
        dup = list(dict.fromkeys(ids[ids.duplicated()].tolist()))[:5]
        raise SchemaError(
            f"parcel ids must be unique and non-empty (repeated: {dup})",
            where=f"parcels.{ID_COLUMN}",
            hint="give each parcel its own id",
            msg=msg("error.pipeline.repeated_ids", repeated=[str(d) for d in dup]),
        )
    check_crs(ctx, parcels)
    parcels = parcels.reset_index(drop=True)
    geoms = geometry_array(parcels)
    if len(parcels) and not (dem_overlap(ctx, geoms) > 0).any():
        raise no_overlap_error(geoms, ctx.dem_extents(), ctx.crs)
    return parcels


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
    notes: Sequence[Note] = (),
) -> ScoreRun:
    """Measure and score ``parcels`` in the zone of ``ctx``; return a :class:`ScoreRun`.

    ``parcels`` come from :func:`app.scoring_io.parcel_files.read_parcels` /
    :func:`scoring.parcels.prepare_parcels`: valid polygons in the
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
    parcels = checked_parcels(ctx, parcels)
    n = len(parcels)

    batch_size = max(1, int(batch_size))
    workers = max(1, int(workers))
    run_notes = list(notes)
    if workers > 1 and not can_fork():
        run_notes.append(msg("note.workers_ignored", workers=workers))
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
            batch = {"batch": b + 1, "batches": len(bounds), "parcels": stop - start}

            def on_step(step: str, seconds: float, batch: dict[str, int] = batch) -> None:
                nonlocal units
                _add(steps, step, seconds)
                units += 1
                if progress is not None:
                    progress(msg("job.batch", step=msg(STEP_IDS[step]), **batch), units, total)

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
                    progress(
                        msg("job.part_measured", part=done, parts=len(bounds), processes=workers),
                        units,
                        total,
                    )
        for m, attrs in results:  # type: ignore[misc]
            m.attrs = attrs
            run_notes += attrs.get("notes", [])
            without_dem += attrs.get("without_dem", [])
            parts.append(m)
        steps["measure"] = time.perf_counter() - t0
    measures = pd.concat(parts) if len(parts) > 1 else parts[0]
    return finish_run(
        ctx,
        parcels,
        measures,
        without_dem=without_dem,
        steps=steps,
        notes=run_notes,
        units=units,
        total=total,
        started=started,
        workers=workers,
        sensitivity=sensitivity,
        n_draws=n_draws,
        seed=seed,
        progress=progress,
    )


def finish_run(
    ctx: ZoneContext,
    parcels: gpd.GeoDataFrame,
    measures: pd.DataFrame,
    *,
    without_dem: list[Any],
    steps: dict[str, float],
    notes: list[Note],
    units: int,
    total: int,
    started: float,
    workers: int,
    sensitivity: bool = False,
    n_draws: int = 1000,
    seed: int | None = 0,
    progress: ProgressFn | None = None,
    scored: pd.DataFrame | None = None,
    excluded_by_reason: dict[str, int] | None = None,
) -> ScoreRun:
    """Score the ``measures`` of ``parcels`` (checked, index 0 … n − 1, measures in the same
    order) and return the :class:`ScoreRun` of :func:`score_zone_parcels`.

    ``without_dem`` are the positions of parcels no DEM covers, ``steps`` the seconds so far,
    ``notes`` the run's notes, ``units``/``total`` the progress so far, ``started`` the run's
    ``perf_counter`` start and ``workers`` the processes the parcels were measured in.

    ``scored`` (optional): the per-parcel result columns already computed where the parcels
    were measured (:func:`scoring.suitability.parcel_results`, same order as ``measures``),
    with ``excluded_by_reason`` (parcels each constraint excludes, constraint order, none
    with 0); then only the zone-wide parts are done here: the ranks, the counts and, with
    ``sensitivity``, the sensitivity analysis (which needs the whole table's values).
    """
    run_notes = notes
    ids = parcels[ID_COLUMN]
    n = len(parcels)
    if without_dem:
        shown = [str(ids.iloc[i]) for i in without_dem[:10]]
        more = msg("note.and_more", n=len(without_dem) - 10) if len(without_dem) > 10 else ""
        run_notes.append(msg("note.without_dem", n=len(without_dem), parcels=shown, more=more))

    t0 = time.perf_counter()
    measures.index = pd.Index(parcels[ID_COLUMN].to_numpy(), name=ID_COLUMN)
    inp: ScoringInputs | None = None
    if scored is None:
        inp = prepare(measures, ctx.zone.scoring)
        result = result_frame(inp)
        hits = inp.constraints.hits
        excluded_by = {
            cid: int(hits[:, j].sum()) for j, cid in enumerate(inp.constraints.ids) if hits[:, j].any()
        }
        _add(steps, "scoring", time.perf_counter() - t0)
    else:
        if len(scored) != n:
            raise RuntimeError(f"{len(scored)} scored rows for {n} parcels")
        scored.index = measures.index
        result = insert_ranks(scored)
        excluded_by = dict(excluded_by_reason or {})
        _add(steps, "ranking", time.perf_counter() - t0)
    units += 1
    if progress is not None:
        progress(msg("job.step.scoring"), units, total)

    extra: list[pd.DataFrame] = []
    if sensitivity:
        t0 = time.perf_counter()
        if inp is None:  # the weights' effect on the ranks needs the whole zone's values
            inp = prepare(measures, ctx.zone.scoring)
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
            progress(msg("job.step.sensitivity"), units, total)

    out = _assemble(parcels, measures, result, extra, run_notes)
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
        notes=dedupe_notes(run_notes),
        workers=workers,
    )
    return ScoreRun(parcels=out, summary=summary)


def _assemble(
    parcels: gpd.GeoDataFrame,
    measures: pd.DataFrame,
    result: pd.DataFrame,
    extra: list[pd.DataFrame],
    notes: list[Note],
) -> gpd.GeoDataFrame:
    """Input attributes + results + measures + value/contrib (+ sensitivity) + geometry."""
    core = [c for c in result.columns if not c.startswith(("value_", "contrib_"))]
    detail = [c for c in result.columns if c.startswith(("value_", "contrib_"))]
    computed = set(result.columns) | set(measures.columns) | {c for e in extra for c in e.columns}
    attrs = pd.DataFrame(parcels.drop(columns=[parcels.geometry.name]))
    replaced = [c for c in attrs.columns if c in computed]
    surprising = [c for c in replaced if c not in ("area_m2", "area_mu")]
    if surprising:
        notes.append(msg("note.columns_replaced", columns=surprising))
    attrs = attrs.drop(columns=replaced)
    frames = [attrs, result[core], measures, result[detail], *extra]
    for f in frames[1:]:
        f.index = parcels.index
    table = pd.concat(frames, axis=1)
    return gpd.GeoDataFrame(table, geometry=geometry_array(parcels), crs=parcels.crs)
