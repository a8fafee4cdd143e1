"""Scoring partitions on a Dask distributed cluster: a LocalCluster, or a running scheduler.

:func:`score_zone_parcels_distributed` plans the partitions (:mod:`scoring.partitioned`),
sends the shared context — layers, road network, solved destinations, exclusion zones and the
DEM file headers, never whole DEMs — to the cluster once, as a task of its own that every
partition depends on (unlike scattered data, a task's result that dies with a worker is
computed again), submits one task per partition and, as tasks complete, calls the same ``progress`` callback
as the one-process run. Every worker reads its partitions' DEM windows from the DEM paths
itself, so on several machines the DEMs must lie at the same path on each (a shared volume).
Each task measures its partition and scores its parcels (with the settings resolved here,
once); the results come back in input order and only the zone-wide parts — ranks, counts and
the sensitivity analysis — are computed here: the table is the one of
:func:`scoring.batch.score_zone_parcels`.

``scheduler`` is ``"local"`` (start a ``LocalCluster`` of worker processes on this machine,
closed afterwards, whose glibc malloc thresholds are set so that they measure as fast per CPU
as one process: :data:`WORKER_MALLOC_ENV`) or a scheduler address such as ``tcp://10.0.0.5:8786`` (``dask scheduler``
and ``dask worker`` processes started elsewhere; see docker-compose.yml).

Each partition's DEM window is capped by the workers' memory limit
(:func:`window_cells_for_memory`): a worker restarted by Dask for using too much memory loses
time, and a partition that does it again and again fails the run with a message saying so.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np

from gis.errors import InputFileError, LimitExceededError
from gis.layers import geometry_array
from gis.messages import msg
from scoring.batch import DEFAULT_BATCH_SIZE, ProgressFn, ScoreRun, checked_parcels, finish_run
from scoring.context import Note, ZoneContext
from scoring.measure import MEASURE_STEPS
from scoring.partitioned import (
    DEFAULT_PARTITION_SIZE,
    DEFAULT_WINDOW_CELLS,
    PartitionResult,
    assemble_measures,
    assemble_scores,
    measure_partition,
    partition_base,
    plan_partitions,
    progress_total,
)
from scoring.suitability import resolve_settings

#: ``scheduler`` value that starts a LocalCluster on this machine.
LOCAL = "local"

#: Smallest partition made to keep every worker busy (a task has a fixed cost of a few ms).
MIN_PARTITION_SIZE = 500

#: Memory limit of each LocalCluster worker (Dask pauses a worker at 80 % and restarts it at 95 %).
DEFAULT_MEMORY_LIMIT = "2GiB"

#: Resident bytes a worker needs per DEM window cell while measuring a partition, with room for
#: what Dask and glibc keep: measured 11 B per cell of peak growth in one process (elevations
#: and slope as float32, masks, exactextract's cells; 32 M cells: +357 MB) and about 1.1 GB
#: peak in a worker for windows of 47–50 M cells (docs/benchmarks.md, "A whole province").
BYTES_PER_WINDOW_CELL = 24

#: Share of a worker's memory limit its DEM window may take (Dask pauses a worker at 80 %;
#: the shared context, the interpreter and the partition's parcels and measures need the rest).
WINDOW_MEMORY_SHARE = 0.3


def window_cells_for_memory(memory_limit: str | int) -> int:
    """Return the largest DEM window (cells) a partition may read on a worker with
    ``memory_limit`` (bytes, or a Dask size such as ``"2GiB"``): :data:`WINDOW_MEMORY_SHARE`
    of it at :data:`BYTES_PER_WINDOW_CELL` (2 GiB → 26.8 M cells), never more than
    :data:`scoring.partitioned.DEFAULT_WINDOW_CELLS`."""
    from dask.utils import parse_bytes

    limit = parse_bytes(memory_limit) if isinstance(memory_limit, str) else int(memory_limit)
    return min(DEFAULT_WINDOW_CELLS, int(limit * WINDOW_MEMORY_SHARE / BYTES_PER_WINDOW_CELL))


#: glibc malloc settings of the worker processes (set before they start; bytes). Dask's default
#: (``distributed.nanny.pre-spawn-environ``) sets ``MALLOC_TRIM_THRESHOLD_=65536`` so workers
#: give freed memory back at once; it also freezes glibc's mmap threshold at 128 KiB, so every
#: array the measuring steps allocate over 128 KiB (windows, exactextract's cells, masks) is a
#: fresh mmap whose pages fault in again: about 100 times the page faults of one process and
#: 20–40 % more CPU per parcel (docs/benchmarks.md). These are the values glibc's own dynamic
#: thresholds grow to (mmap above 32 MiB, trim above 64 MiB): the same speed as one process,
#: at most 64 MiB more kept per worker, whose memory is bounded by its DEM window anyway.
WORKER_MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": 32 * 2**20, "MALLOC_TRIM_THRESHOLD_": 64 * 2**20}


#: Dask settings of the LocalCluster's workers (and of its scheduler). A worker's event loop
#: wakes every 20 ms to check its own health (``admin.tick``), every 100 ms to read its memory,
#: every 500 ms for the dashboard's system graphs, and samples the running task's Python stack
#: every 10 ms for the dashboard's profile. Each wake-up takes the GIL from the task: measured
#: with a 5 s task, the event loop used 0.32–0.43 s of CPU (6–9 %) with Dask's defaults,
#: 0.03 s with these (docs/benchmarks.md). A batch run opens no dashboard; memory read once a
#: second still pauses or restarts a worker in time (its windows are capped at 50 M cells).
WORKER_CONFIG: dict[str, object] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


def worker_config_environment() -> dict[str, str]:
    """Return :data:`WORKER_CONFIG` as the ``DASK_…`` environment variables that give ``dask
    worker`` processes started elsewhere the same settings (docker-compose.yml sets them)."""
    return {
        "DASK_" + key.upper().replace(".", "__").replace("-", "_"): str(value)
        for key, value in WORKER_CONFIG.items()
    }


@dataclass
class ClusterStats:
    """Per partition: seconds (wall, CPU of the worker process and CPU of the thread that ran
    the task) in its worker, the worker's address, the DEM window's cells and the parcels; per
    worker: its peak resident memory (MB) as last reported and its CPU seconds during the run;
    the workers; the seconds to start (or connect to) the cluster and send it the shared
    context; the client's own steps."""

    partition_seconds: list[float] = field(default_factory=list)
    partition_worker: list[str] = field(default_factory=list)
    partition_cells: list[int] = field(default_factory=list)
    partition_parcels: list[int] = field(default_factory=list)
    partition_cpu_seconds: list[float] = field(default_factory=list)
    partition_thread_cpu_seconds: list[float] = field(default_factory=list)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    n_workers: int = 0
    startup_s: float = 0.0
    #: CPU seconds each worker process used from the shared context's submission to the last
    #: result: the tasks (the shared context's too), receiving them and sending their results,
    #: and Dask's own threads.
    worker_cpu_seconds: dict[str, float] = field(default_factory=dict)
    #: Wall seconds of this process's own steps: ``base`` (shared context), ``check``,
    #: ``cluster`` (start or connect), ``plan``, ``scatter`` (submitting the shared context),
    #: ``submit``, ``partitions``
    #: (waiting for them and taking their results), ``close``, ``assemble`` (results in input
    #: order) and ``finish`` (ranks, counts, the table).
    client_seconds: dict[str, float] = field(default_factory=dict)
    #: CPU seconds of the calling thread in the same steps.
    client_cpu_seconds: dict[str, float] = field(default_factory=dict)


def local_workers() -> int:
    """Worker processes of a LocalCluster: one per CPU this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


#: Dask's setting of the environment its Nanny gives a worker process before starting it.
PRE_SPAWN_ENVIRON = "distributed.nanny.pre-spawn-environ"


def worker_environ() -> dict[str, object]:
    """Return the environment a LocalCluster's workers start with: Dask's configured
    ``distributed.nanny.pre-spawn-environ`` with :data:`WORKER_MALLOC_ENV` in place of its
    malloc trim threshold. A cluster started elsewhere (``dask worker``) gets the same with
    :data:`DASK_ENVIRON_VARIABLE` set to ``repr`` of this (docker-compose.yml)."""
    import dask
    import distributed  # noqa: F401  (its import loads Dask's distributed defaults)

    configured = dict(dask.config.get(PRE_SPAWN_ENVIRON, default={}) or {})
    return configured | WORKER_MALLOC_ENV


#: The environment variable that gives ``dask worker`` processes started elsewhere the same
#: settings (its value: ``repr`` of :func:`worker_environ`; docker-compose.yml sets it).
DASK_ENVIRON_VARIABLE = "DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON"


def _client(scheduler: str, n_workers: int | None, memory_limit: str | int):  # type: ignore[no-untyped-def]
    """Return (client, cluster or None) for ``scheduler``; InputFileError when it cannot be reached."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler == LOCAL:
        # read as each Nanny is made, and handed to its worker process
        with dask.config.set({PRE_SPAWN_ENVIRON: worker_environ(), **WORKER_CONFIG}):
            cluster = LocalCluster(
                n_workers=n_workers or local_workers(),
                threads_per_worker=1,
                processes=True,
                memory_limit=memory_limit,
                dashboard_address=":0",  # any free port: several runs may share a machine
            )
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="10s"), None
    except (OSError, TimeoutError) as exc:
        raise InputFileError(
            f"cannot reach the Dask scheduler: {exc}",
            where=scheduler,
            hint="start it (dask scheduler; dask worker ADDRESS) or check the address (tcp://HOST:8786)",
            msg=msg("error.dask.unreachable", address=scheduler),
        ) from exc


def score_zone_parcels_distributed(
    ctx: ZoneContext,
    parcels: gpd.GeoDataFrame,
    *,
    scheduler: str = LOCAL,
    n_workers: int | None = None,
    memory_limit: str | int = DEFAULT_MEMORY_LIMIT,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    max_window_cells: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    sensitivity: bool = False,
    n_draws: int = 1000,
    seed: int | None = 0,
    progress: ProgressFn | None = None,
    notes: Sequence[Note] = (),
    stats: ClusterStats | None = None,
) -> ScoreRun:
    """Measure ``parcels`` by partitions on a Dask cluster and score them; return the
    :class:`ScoreRun` :func:`scoring.batch.score_zone_parcels` returns (same table and order).

    ``scheduler``: ``"local"`` for a LocalCluster of ``n_workers`` processes (default: one per
    CPU) with ``memory_limit`` each, or the address of a running scheduler. ``partition_size``
    parcels at most per task (fewer so that each worker gets at least two, but not under
    ``MIN_PARTITION_SIZE``), split further while a partition's DEM window exceeds
    ``max_window_cells`` (default: :func:`window_cells_for_memory` of ``memory_limit``, which
    should then be the workers' limit on a running cluster too). ``stats`` (optional) is filled
    with per-partition seconds and per-worker peak memory. Raises the errors of
    ``score_zone_parcels``, InputFileError when the scheduler cannot be reached, and
    LimitExceededError when a partition stopped its worker again and again (out of memory).
    """
    from distributed import as_completed

    started = time.perf_counter()
    client_steps: dict[str, float] = {}
    client_cpu: dict[str, float] = {}
    clock = _Clock(client_steps, client_cpu)
    settings = resolve_settings(ctx.zone.scoring)
    if max_window_cells is None:
        max_window_cells = window_cells_for_memory(memory_limit)
    base = partition_base(ctx, max_window_cells)
    clock.lap("base")
    parcels = checked_parcels(base, parcels)
    clock.lap("check")
    stats = stats if stats is not None else ClusterStats()
    t0 = time.perf_counter()
    client, cluster = _client(scheduler, n_workers, memory_limit)
    try:
        workers = len(client.scheduler_info(n_workers=-1)["workers"]) or 1
        stats.n_workers = workers
        clock.lap("cluster")
        # at least two partitions per worker (so none idles), none under MIN_PARTITION_SIZE
        size = min(partition_size, max(MIN_PARTITION_SIZE, math.ceil(len(parcels) / (2 * workers))))
        parts = plan_partitions(geometry_array(parcels), base.dem_sources, size)
        total = progress_total(len(parts), sensitivity)
        clock.lap("plan")
        # a task, not scattered data: if the worker holding it dies, Dask computes it again
        shared = client.submit(_shared_context, base, pure=False)
        cpu_before = client.run(time.process_time)
        stats.startup_s = time.perf_counter() - t0
        clock.lap("scatter")
        # measuring reads the parcels' geometries only: their other columns stay here
        shapes = parcels[[parcels.geometry.name]]
        futures = {
            client.submit(
                measure_partition, shared, shapes.iloc[rows], batch_size, scoring=settings, pure=False
            ): k
            for k, rows in enumerate(parts)
        }
        clock.lap("submit")
        results: list[PartitionResult | None] = [None] * len(parts)
        units = 0
        for done, (future, result) in enumerate(as_completed(futures, with_results=True), start=1):
            if isinstance(result, BaseException):
                raise _partition_failed(result, futures[future], parts, memory_limit) from result
            results[futures[future]] = result
            worker = _who_has(client, future)
            stats.partition_seconds.append(result.seconds)
            stats.partition_worker.append(worker)
            stats.partition_cells.append(result.window_cells)
            stats.partition_parcels.append(len(result.measures))
            stats.partition_cpu_seconds.append(result.cpu_seconds)
            stats.partition_thread_cpu_seconds.append(result.thread_cpu_seconds)
            stats.peak_rss_mb[worker] = max(stats.peak_rss_mb.get(worker, 0.0), result.peak_rss_mb)
            units += len(MEASURE_STEPS)
            if progress is not None:
                progress(
                    msg("job.partition_measured", part=done, parts=len(parts), workers=workers), units, total
                )
            future.release()
        clock.lap("partitions")
        cpu_after = client.run(time.process_time)
        stats.worker_cpu_seconds = {w: cpu_after[w] - cpu_before.get(w, 0.0) for w in cpu_after}
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    clock.lap("close")
    done_results = [r for r in results if r is not None]
    measures, run_notes, without, steps = assemble_measures(done_results, len(parcels))
    scored, excluded_by = assemble_scores(done_results, len(parcels), base)
    clock.lap("assemble")
    steps["measure"] = time.perf_counter() - t0
    run = finish_run(
        base,
        parcels,
        measures,
        without_dem=without,
        steps=steps,
        notes=list(notes) + run_notes,
        units=units,
        total=total,
        started=started,
        workers=workers,
        sensitivity=sensitivity,
        n_draws=n_draws,
        seed=seed,
        progress=progress,
        scored=scored,
        excluded_by_reason=excluded_by,
    )
    clock.lap("finish")
    stats.client_seconds = client_steps
    stats.client_cpu_seconds = client_cpu
    return run


class _Clock:
    """Wall seconds between successive :meth:`lap` calls, added to ``steps`` under each name,
    and this thread's CPU seconds, added to ``cpu`` (less dependent on a shared machine's load)."""

    def __init__(self, steps: dict[str, float], cpu: dict[str, float]) -> None:
        self.steps, self.cpu = steps, cpu
        self.last, self.last_cpu = time.perf_counter(), time.thread_time()

    def lap(self, name: str) -> None:
        now, now_cpu = time.perf_counter(), time.thread_time()
        self.steps[name] = self.steps.get(name, 0.0) + now - self.last
        self.cpu[name] = self.cpu.get(name, 0.0) + now_cpu - self.last_cpu
        self.last, self.last_cpu = now, now_cpu


def _shared_context(base: ZoneContext) -> ZoneContext:
    """The context every partition task depends on (kept on the cluster as a task's result)."""
    return base


def _partition_failed(
    exc: BaseException, k: int, parts: Sequence[np.ndarray], memory_limit: str | int
) -> BaseException:
    """Return the error to raise for partition ``k`` whose task ended in ``exc``: a domain error
    as it is; a task that killed its workers (Dask's ``KilledWorker``, after its allowed
    failures) as a :class:`LimitExceededError` naming the partition and the memory limit."""
    from distributed import KilledWorker

    if not isinstance(exc, KilledWorker):
        return exc
    n = len(parts[k])
    return LimitExceededError(
        f"partition {k + 1}/{len(parts)} ({n} parcels) stopped its Dask worker again and again, "
        f"most likely for lack of memory (limit {memory_limit} per worker; Dask: KilledWorker)",
        where=f"partition {k + 1}/{len(parts)}",
        hint="lower --partition-size or give the workers more memory",
        msg=msg("error.dask.worker_killed", part=k + 1, parts=len(parts), parcels=n, limit=str(memory_limit)),
    )


def _who_has(client, future) -> str:  # type: ignore[no-untyped-def]
    """The address of the worker holding ``future``'s result ("?" if the scheduler does not say)."""
    try:
        held = client.who_has([future]).get(future.key, ())
    except Exception:  # the scheduler may have released it: the address is only for statistics
        return "?"
    return held[0] if held else "?"
