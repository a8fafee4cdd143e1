"""Where a Dask worker spends CPU that one process does not: per measuring step, per partition.

Builds the zone of ``bench_scale.py`` (``--parcels`` on a ``--dem-size``² DEM), plans its
partitions as ``scoring.distributed`` does for ``--workers`` workers, and measures the same
partitions three ways, recording the CPU time of the measuring thread (``time.thread_time``)
step by step (window read, terrain, access, network, exclusion, scoring) and the CPU time of
the whole process (``time.process_time``):

* ``whole``: one process, all parcels as one partition: the DEM read whole (the window
  under all parcels) and its slope computed, all parcels in one batch (today's pipeline, the
  rest of the context excluded);
* ``in_process``: one process, partition after partition on its DEM windows;
* ``workers``: the partitions as tasks on a LocalCluster of ``--workers`` worker processes
  started as :func:`scoring.distributed._client` starts them (``--profile-on`` /
  ``--profile-off`` switch Dask's statistical profiler on or off in them; default: as
  ``_client`` sets it).

``--rounds`` repeats the three, alternating, since the machine may be shared. Prints a table
of CPU seconds per step and parcels per CPU-second, and with ``--json OUT`` writes it::

    .venv/bin/python benchmarks/bench_partition_cpu.py --parcels 20000 --dem-size 5000 --workers 2
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_scale import write_dem  # noqa: E402
from benchmarks.bench_scoring import ZONE_FILE, make_layers, make_parcels  # noqa: E402
from gis.layers import geometry_array  # noqa: E402
from scoring.batch import checked_parcels  # noqa: E402
from scoring.context import ZoneContext  # noqa: E402
from scoring.measure import measure_batch  # noqa: E402
from scoring.parcels import prepare_parcels  # noqa: E402
from scoring.partitioned import partition_base, plan_partitions, score_measures  # noqa: E402
from scoring.suitability import resolve_settings  # noqa: E402
from scoring.zone import load_zone  # noqa: E402

STEPS = ("read_windows", "terrain", "access", "network", "exclusion", "scoring")


def timed_partition(base: ZoneContext, parcels: Any, settings: Any) -> dict[str, float]:
    """Measure and score ``parcels`` on ``base`` (reading their DEM windows); return CPU seconds
    of this thread per step, ``thread`` and ``process`` in all."""
    cpu: dict[str, float] = {}
    p0, t0 = time.process_time(), time.thread_time()
    last = [t0]

    def lap(step: str, _seconds: float = 0.0) -> None:
        now = time.thread_time()
        cpu[step] = cpu.get(step, 0.0) + now - last[0]
        last[0] = now

    bounds = _bounds(parcels)
    surfaces = [s for s in (src.read(bounds) for src in base.dem_sources) if s is not None]
    ctx = dataclasses.replace(base, surfaces=surfaces)
    lap("read_windows")
    m = measure_batch(ctx, parcels, on_step=lap)
    score_measures(m, ctx, settings)
    lap("scoring")
    cpu["thread"] = time.thread_time() - t0
    cpu["process"] = time.process_time() - p0
    return cpu


def _bounds(parcels: Any) -> tuple[float, ...]:
    import shapely

    return tuple(shapely.total_bounds(geometry_array(parcels)))


def add(total: dict[str, float], part: dict[str, float]) -> None:
    for k, v in part.items():
        total[k] = total.get(k, 0.0) + v


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each thread of this process so far (Linux), by Python thread name; threads
    Python did not start (GDAL's, BLAS's) summed as ``native``."""
    import threading

    tick = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        name = names.get(int(tid), "native")
        name = name.split("-")[0] if name.startswith("Dask-Default-Threads") else name
        out[name] = out.get(name, 0.0) + cpu
    return out


def on_workers(
    base: ZoneContext, pieces: list[Any], settings: Any, n_workers: int, profile: bool | None
) -> tuple[dict[str, float], dict[str, float], list[dict[str, float]]]:
    """Run the partitions on a fresh LocalCluster; return the summed step CPU, each worker's
    process CPU from the context's arrival to the last result, and the per-task CPU."""
    from distributed import wait

    import scoring.distributed
    from scoring.distributed import _client

    config = dict(scoring.distributed.WORKER_CONFIG)
    if profile is not None:
        scoring.distributed.WORKER_CONFIG["distributed.worker.profile.enabled"] = profile
    try:
        client, cluster = _client("local", n_workers, "2GiB")
    finally:
        scoring.distributed.WORKER_CONFIG.clear()
        scoring.distributed.WORKER_CONFIG.update(config)
    try:
        shared = client.scatter(base, broadcast=True, hash=False)
        before = client.run(time.process_time)
        threads_before = client.run(thread_cpu)
        futures = [client.submit(timed_partition, shared, p, settings, pure=False) for p in pieces]
        wait(futures)
        per_task = client.gather(futures)
        after = client.run(time.process_time)
        threads_after = client.run(thread_cpu)
    finally:
        client.close()
        cluster.close()
    total: dict[str, float] = {}
    for t in per_task:
        add(total, t)
    for w, names in threads_after.items():
        for name, cpu in names.items():
            total[f"thread {name}"] = (
                total.get(f"thread {name}", 0.0) + cpu - threads_before[w].get(name, 0.0)
            )
    return total, {w: after[w] - before[w] for w in after}, per_task


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=20_000)
    ap.add_argument("--dem-size", type=int, default=5_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partition-size", type=int, default=None, help="default: as scoring.distributed")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--profile-on", dest="profile", action="store_true", default=None)
    ap.add_argument("--profile-off", dest="profile", action="store_false")
    ap.add_argument("--only", choices=("whole", "in_process", "workers"), action="append")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    ways: dict[str, Callable[[], dict[str, float]]] = {}
    out: dict[str, Any] = {"rounds": []}
    with tempfile.TemporaryDirectory(prefix="parksite-partcpu-") as tmp:
        dem = write_dem(Path(tmp) / "dem.tif", args.dem_size, rng)
        layers = make_layers(args.dem_size, rng)
        zone = load_zone(ZONE_FILE)
        parcels, _ = prepare_parcels(make_parcels(args.parcels, args.dem_size, rng), zone)
        settings = resolve_settings(zone.scoring)
        base = partition_base(ZoneContext.build(zone, layers, [dem], windowed=True))
        parcels = checked_parcels(base, parcels)
        size = args.partition_size or max(500, -(-len(parcels) // (2 * args.workers)))
        parts = plan_partitions(geometry_array(parcels), base.dem_sources, size)
        shapes = parcels[[parcels.geometry.name]]
        pieces = [shapes.iloc[rows] for rows in parts]
        n = len(parcels)

        def whole() -> dict[str, float]:
            return timed_partition(base, shapes, settings)

        def in_process() -> dict[str, float]:
            total: dict[str, float] = {}
            for p in pieces:
                add(total, timed_partition(base, p, settings))
            return total

        def workers() -> dict[str, float]:
            total, per_worker, per_task = on_workers(base, pieces, settings, args.workers, args.profile)
            total["workers_process"] = sum(per_worker.values())
            total["first_task_ms_per_parcel"] = 1000 * per_task[0]["thread"] / len(pieces[0])
            return total

        ways = {"whole": whole, "in_process": in_process, "workers": workers}
        chosen = args.only or list(ways)
        for r in range(args.rounds):
            row: dict[str, Any] = {"load_1min": round(os.getloadavg()[0], 2)}
            for name in chosen:
                cpu = ways[name]()
                row[name] = {k: round(v, 3) for k, v in cpu.items()}
                row[name]["parcels_per_thread_cpu_s"] = round(n / cpu["thread"], 1)
                print(f"round {r + 1} {name}: {json.dumps(row[name])}", flush=True)
            out["rounds"].append(row)
    out |= {
        "parcels": n,
        "dem_size": args.dem_size,
        "partitions": [len(p) for p in parts],
        "workers": args.workers,
        "profile": args.profile,
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
